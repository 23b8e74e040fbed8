"""Helpers for the image end-to-end tests: plain HTTPS against a running simulator, plus registry wiring.

Not a test module (no test_ prefix); the test_image_*.py files import it through the collection namespace.
"""
from __future__ import annotations

import base64
import json
import ssl
import time
import urllib.error
import urllib.request
import uuid

from ansible_collections.ocp.registry.tests.simulator.apis import image_install

IMG = "/apis/image.openshift.io/v1"
NS = "demo"


class ApiFailure(AssertionError):
    def __init__(self, code, body):
        super().__init__(f"HTTP {code}: {body}")
        self.code = code
        self.body = body


class Client:
    """Tiny REST client over HTTPS with the admin token and the simulator CA."""

    def __init__(self, sim, token=None):
        self.sim = sim
        self.token = token or sim.admin_token
        self.ctx = ssl.create_default_context(cafile=sim.ca_file) if sim.url.startswith("https") else None

    def request(self, method, path, body=None, ctype="application/json"):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.sim.url + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {self.token}", "Content-Type": ctype,
                                              "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=60) as resp:
                raw = resp.read()
                return resp.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, raw.decode("utf-8", "replace")

    def ok(self, method, path, body=None, ctype="application/json"):
        code, out = self.request(method, path, body, ctype)
        if code >= 300:
            raise ApiFailure(code, out)
        return out

    def get(self, path):
        return self.ok("GET", path)

    def post(self, path, body):
        return self.ok("POST", path, body)

    def put(self, path, body):
        return self.ok("PUT", path, body)

    def merge(self, path, body):
        return self.ok("PATCH", path, body, "application/merge-patch+json")

    # --- conveniences -----------------------------------------------------------------------------
    def ensure_namespace(self, name):
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        code, out = self.request("POST", "/api/v1/namespaces", body)
        assert code in (201, 409), out

    def stream(self, name, ns=NS):
        return self.get(f"{IMG}/namespaces/{ns}/imagestreams/{name}")

    def isi(self, name, images=None, repository=None, do_import=True, ns=NS, metadata=None):
        spec = {"import": do_import}
        if images is not None:
            spec["images"] = images
        if repository is not None:
            spec["repository"] = repository
        md = {"name": name}
        md.update(metadata or {})
        return self.request("POST", f"{IMG}/namespaces/{ns}/imagestreamimports",
                            {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamImport", "metadata": md,
                             "spec": spec})

    def import_one(self, name, ref, to=None, ns=NS, **policy):
        item = {"from": {"kind": "DockerImage", "name": ref}}
        if to:
            item["to"] = {"name": to}
        if policy:
            item["importPolicy"] = policy
        code, out = self.isi(name, [item], ns=ns)
        assert code == 201, out
        return out


def wait_for(fn, timeout=30.0, interval=0.05, what="condition"):
    """Poll fn() until it returns a truthy value; the value is returned. AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = fn()
        except ApiFailure as e:
            last = e
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")
        time.sleep(interval)


def wait_until(fetch, predicate, timeout=30.0, what="condition"):
    """Poll fetch() until predicate(value) holds; returns that value."""
    box = {}

    def probe():
        box["v"] = fetch()
        return predicate(box["v"])
    wait_for(probe, timeout=timeout, what=what)
    return box["v"]


def unique_repo(prefix="e2e"):
    return f"{prefix}/r{uuid.uuid4().hex[:10]}"


def trust_registry_ca(client, reg, configmap="registry-cas"):
    """Put the registry CA into openshift-config/<configmap> (key host..port) and point images.config at it."""
    key = reg.host.replace(":", "..")
    with open(reg.ca_file) as f:
        pem = f.read()
    cm_path = f"/api/v1/namespaces/openshift-config/configmaps/{configmap}"
    code = client.request("GET", cm_path)[0]
    if code == 404:
        client.post("/api/v1/namespaces/openshift-config/configmaps",
                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": configmap}, "data": {key: pem}})
    else:
        client.merge(cm_path, {"data": {key: pem}})
    path = "/apis/config.openshift.io/v1/images/cluster"
    for _attempt in range(20):
        code = client.request("GET", path)[0]
        if code == 404:
            code, out = client.request("POST", "/apis/config.openshift.io/v1/images", {
                "apiVersion": "config.openshift.io/v1", "kind": "Image", "metadata": {"name": "cluster"},
                "spec": {"additionalTrustedCA": {"name": configmap}}})
            if code == 201:
                return
            continue
        code, out = client.request("PATCH", path, {"spec": {"additionalTrustedCA": {"name": configmap}}},
                                   "application/merge-patch+json")
        if code == 200:
            return
    raise AssertionError(f"could not configure additionalTrustedCA: {code} {out}")


def add_pull_secret(client, reg, ns=NS, name="reg-pull", user=None, password=None, kind="dockerconfigjson"):
    auth = base64.b64encode(f"{user or reg.user}:{password or reg.password}".encode()).decode()
    if kind == "dockerconfigjson":
        doc = {"auths": {reg.host: {"auth": auth}}}
        body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
                "type": "kubernetes.io/dockerconfigjson",
                "data": {".dockerconfigjson": base64.b64encode(json.dumps(doc).encode()).decode()}}
    else:
        doc = {f"https://{reg.host}": {"auth": auth}}
        body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": "kubernetes.io/dockercfg",
                "data": {".dockercfg": base64.b64encode(json.dumps(doc).encode()).decode()}}
    client.post(f"/api/v1/namespaces/{ns}/secrets", body)


def start_image_sim(simulator_factory, **kwargs):
    """A simulator with the image controllers installed (idempotent if controllers/__init__ already did)."""
    kwargs.setdefault("controller_delay", 0.05)
    sim = simulator_factory(**kwargs)
    image_install.install(sim.api, sim.manager, sim.config)
    client = Client(sim)
    client.ensure_namespace(NS)
    return sim, client
