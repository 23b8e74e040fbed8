"""Faults through the simulator's fault injection: 409 storms during read-modify-write, 429 with Retry-After,
500/503 bursts, connection resets, a server slower than the client's timeout, and another writer changing the
object mid-task. Each run either converges to the desired state or fails with a clear message; never a
duplicate object, a partial write or a traceback."""
from __future__ import annotations

import base64
import itertools
import re
import time

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import api as api_mod
from ansible_collections.ocp.registry.tests.lib import certs
from ansible_collections.ocp.registry.tests.reliability import common
from ansible_collections.ocp.registry.tests.reliability.common import (
    CA, CONFIGMAPS, IMAGE_CONFIGS, IMAGESTREAMS, REGISTRY_CONFIGS, REGISTRY_NS, SECRETS)
from ansible_collections.ocp.registry.tests.simulator.server import SimulatorServer

WILDCARD = certs.make_leaf(CA, ("*.faults.example.com",))
BUMP_ANNOTATION = "simulator.ocp.registry/bump"
CASE_IDS = itertools.count(1)
CLIENT_TIMEOUT = 0.5
SLOW = 1.5


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    server = SimulatorServer(str(tmp_path_factory.mktemp("faults-sim")), platform="aws")
    server.start()
    try:
        server.wait_idle(30)
        common.make_ns(server, "demo")
        yield server
    finally:
        server.stop()


@pytest.fixture
def admin(sim):
    adm = common.admin(sim)
    sim.wait_idle(30)
    adm.reset(faults=True)
    yield adm
    adm.clear_faults()


# ------------------------------------------------------------------------------------------------ targets
class Target:
    """One module task whose main write is faulted: params, the write's method and path, read-back checks."""

    module = ""
    method = "PATCH"
    path = ""
    creates = False       # the main write is a POST of a new object
    skip_first = 0        # matching requests to let through before the fault acts (e.g. a dryRun of the write)

    def __init__(self, sim, n):
        self.sim, self.n = sim, n

    def setup(self):
        pass

    def params(self) -> dict:
        raise NotImplementedError

    def converged(self):
        """Assert the desired state is on the server and there is exactly one object."""
        raise NotImplementedError

    def no_partial_write(self):
        """After a failed run: nothing half-written."""

    def bumped(self) -> dict:
        """The object the concurrent writer touched (for the lost-update check)."""
        return {}


class StreamCreate(Target):
    module, method, creates = "imagestream", "POST", True
    path = r"/namespaces/demo/imagestreams$"

    def params(self):
        self.name = "new%d" % self.n
        return {"name": self.name, "namespace": "demo", "lookup_local": True,
                "tags": [{"name": "v1", "from_image": "quay.io/example/app:v1", "reference": True}]}

    def converged(self):
        items = [s for s in self.sim.api.list(IMAGESTREAMS, "demo")["items"] if s["metadata"]["name"] == self.name]
        assert len(items) == 1, "expected exactly one ImageStream %s, found %d" % (self.name, len(items))
        spec = items[0]["spec"]
        assert spec["lookupPolicy"]["local"] is True
        assert [t["name"] for t in spec["tags"]] == ["v1"]
        assert spec["tags"][0]["from"]["name"] == "quay.io/example/app:v1"

    def no_partial_write(self):
        obj = self.sim.api.get_or_none(IMAGESTREAMS, "demo", self.name)
        if obj is not None:  # written whole or not at all
            self.converged()


class StreamUpdate(Target):
    module = "imagestream"
    path = r"/namespaces/demo/imagestreams/upd\d+$"

    def setup(self):
        self.name = "upd%d" % self.n
        self.sim.api.create(IMAGESTREAMS, "demo", {
            "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
            "metadata": {"name": self.name, "namespace": "demo"},
            "spec": {"tags": [{"name": "v0", "from": {"kind": "DockerImage", "name": "quay.io/example/app:v0"},
                               "reference": True}]}})

    def params(self):
        return {"name": self.name, "namespace": "demo", "labels": {"case": str(self.n)},
                "tags": [{"name": "v1", "from_image": "quay.io/example/app:v1", "reference": True}]}

    def converged(self):
        items = [s for s in self.sim.api.list(IMAGESTREAMS, "demo")["items"] if s["metadata"]["name"] == self.name]
        assert len(items) == 1
        obj = items[0]
        assert obj["metadata"]["labels"]["case"] == str(self.n)
        assert sorted(t["name"] for t in obj["spec"]["tags"]) == ["v0", "v1"]

    def no_partial_write(self):
        obj = self.sim.api.get(IMAGESTREAMS, "demo", self.name)
        tags = sorted(t["name"] for t in obj["spec"]["tags"])
        labelled = (obj["metadata"].get("labels") or {}).get("case") == str(self.n)
        assert (tags, labelled) in ((["v0"], False), (["v0", "v1"], True)), (tags, labelled)

    def bumped(self):
        return self.sim.api.get(IMAGESTREAMS, "demo", self.name)


class TagUpdate(StreamUpdate):
    module = "imagestream_tag"
    path = r"/namespaces/demo/imagestreams/upd\d+$"

    def params(self):
        return {"namespace": "demo", "dest": ["%s:v1" % self.name, "%s:stable" % self.name],
                "from_image": "quay.io/example/app:v1", "reference": True}

    def converged(self):
        items = [s for s in self.sim.api.list(IMAGESTREAMS, "demo")["items"] if s["metadata"]["name"] == self.name]
        assert len(items) == 1
        tags = {t["name"]: t for t in items[0]["spec"]["tags"]}
        assert sorted(tags) == ["stable", "v0", "v1"]
        assert tags["v1"]["from"]["name"] == "quay.io/example/app:v1"

    def no_partial_write(self):
        obj = self.sim.api.get(IMAGESTREAMS, "demo", self.name)
        tags = sorted(t["name"] for t in obj["spec"]["tags"])
        assert tags in (["v0"], ["stable", "v0", "v1"]), tags


class RegistryConfig(Target):
    module = "image_registry_config"
    path = r"/configs/cluster$"
    secret = "image-registry-private-configuration-user"
    # With credentials the module first PATCHes with dryRun=All (no resourceVersion, so a real server cannot
    # answer 409 there); 409s and bumps are aimed at the read-modify-write PATCH that follows.
    skip_first = 1

    def params(self):
        self.access, self.secret_key = "AKIA%04d" % self.n, "s3cr3t-%04d" % self.n
        return {"node_selector": {"faults.case": str(self.n)},
                "storage": {"s3": {"bucket": "bucket-%d" % self.n, "region": "us-east-1",
                                   "access_key": self.access, "secret_key": self.secret_key}}}

    def _secret_matches(self):
        sec = self.sim.api.get_or_none(SECRETS, REGISTRY_NS, self.secret)
        if sec is None:
            return None
        data = {k: base64.b64decode(v).decode() for k, v in (sec.get("data") or {}).items()}
        return data == {"REGISTRY_STORAGE_S3_ACCESSKEY": self.access, "REGISTRY_STORAGE_S3_SECRETKEY": self.secret_key}

    def converged(self):
        items = [c for c in self.sim.api.list(REGISTRY_CONFIGS)["items"] if c["metadata"]["name"] == "cluster"]
        assert len(items) == 1
        spec = items[0]["spec"]
        assert spec["nodeSelector"] == {"faults.case": str(self.n)}
        assert spec["storage"]["s3"]["bucket"] == "bucket-%d" % self.n
        assert self._secret_matches() is True, "credentials secret does not hold the new keys"
        secrets = [s for s in self.sim.api.list(SECRETS, REGISTRY_NS)["items"] if s["metadata"]["name"] == self.secret]
        assert len(secrets) == 1

    def no_partial_write(self):
        spec = self.sim.api.get(REGISTRY_CONFIGS, None, "cluster")["spec"]
        config_written = spec.get("nodeSelector") == {"faults.case": str(self.n)}
        secret = self._secret_matches()
        # The config never points at the new bucket without the new credentials. A secret written whole
        # before a failed config write is consistent (the operator still uses the old bucket's settings only
        # when the config is old); a half-written secret is not.
        if config_written:
            assert secret is True, "config written without its credentials"
        assert secret in (None, True, False)
        sec = self.sim.api.get_or_none(SECRETS, REGISTRY_NS, self.secret)
        if sec is not None:
            assert sorted(sec.get("data") or {}) == ["REGISTRY_STORAGE_S3_ACCESSKEY", "REGISTRY_STORAGE_S3_SECRETKEY"]

    def bumped(self):
        return self.sim.api.get(REGISTRY_CONFIGS, None, "cluster")


class RouteCustom(Target):
    module = "registry_route"
    path = r"/configs/cluster$"

    def params(self):
        self.name, self.host = "pub%d" % self.n, "r%d.faults.example.com" % self.n
        return {"mode": "custom", "name": self.name, "hostname": self.host, "certificate": WILDCARD.cert_pem,
                "key": WILDCARD.key_pem, "ca_certificate": CA.cert_pem}

    def converged(self):
        routes = self.sim.api.get(REGISTRY_CONFIGS, None, "cluster")["spec"].get("routes") or []
        mine = [r for r in routes if r["name"] == self.name]
        assert len(mine) == 1, routes
        assert mine[0]["hostname"] == self.host and mine[0]["secretName"] == self.name + "-tls"
        sec = self.sim.api.get(SECRETS, REGISTRY_NS, self.name + "-tls")
        assert base64.b64decode(sec["data"]["tls.crt"]).decode().strip() == WILDCARD.cert_pem.strip()
        names = [r["name"] for r in routes]
        assert len(names) == len(set(names)), "duplicate spec.routes entries: %s" % names

    def no_partial_write(self):
        routes = self.sim.api.get(REGISTRY_CONFIGS, None, "cluster")["spec"].get("routes") or []
        mine = [r for r in routes if r["name"] == self.name]
        sec = self.sim.api.get_or_none(SECRETS, REGISTRY_NS, self.name + "-tls")
        if mine:  # the entry never references a missing or partial secret
            assert sec is not None
        if sec is not None:
            assert sorted(sec["data"]) in (["tls.cacrt", "tls.crt", "tls.key"],)

    def bumped(self):
        return self.sim.api.get(REGISTRY_CONFIGS, None, "cluster")


class CaTrustCluster(Target):
    """Adding a registry to the config map image.config already points at: the write is the config map PATCH."""

    module = "registry_ca_trust"
    path = r"/namespaces/openshift-config/configmaps/registry-cas$"

    def setup(self):
        if self.sim.api.get_or_none(CONFIGMAPS, "openshift-config", "registry-cas") is None:
            seeded = common.run(self.sim, self.module, {"side": "cluster", "registry": "seed.example.com",
                                                        "ca": CA.cert_pem})
            assert not seeded.get("failed"), common.describe(seeded)

    def params(self):
        self.registry = "mirror%d.example.com:5000" % self.n
        return {"side": "cluster", "registry": self.registry, "ca": CA.cert_pem}

    def converged(self):
        cfg = self.sim.api.get(IMAGE_CONFIGS, None, "cluster")
        name = cfg["spec"]["additionalTrustedCA"]["name"]
        cm = self.sim.api.get(CONFIGMAPS, "openshift-config", name)
        assert cm["data"][self.registry.replace(":", "..")].strip() == CA.cert_pem.strip()
        assert "seed.example.com" in cm["data"], "another registry's CA was lost"
        cms = [c for c in self.sim.api.list(CONFIGMAPS, "openshift-config")["items"] if c["metadata"]["name"] == name]
        assert len(cms) == 1

    def no_partial_write(self):
        cfg = self.sim.api.get(IMAGE_CONFIGS, None, "cluster")
        name = ((cfg.get("spec") or {}).get("additionalTrustedCA") or {}).get("name")
        if name:  # the pointer never names a config map that does not exist
            assert self.sim.api.get_or_none(CONFIGMAPS, "openshift-config", name) is not None

    def bumped(self):
        return self.sim.api.get(CONFIGMAPS, "openshift-config", "registry-cas")


class CaTrustPointer(CaTrustCluster):
    """A new config map and image.config's additionalTrustedCA pointing at it: the write is the Image PATCH."""

    path = r"/config.openshift.io/v1/images/cluster$"

    def setup(self):
        self.sim.api.patch(IMAGE_CONFIGS, None, "cluster", "merge", {"spec": {"additionalTrustedCA": None}})
        self.cm = "cas-%d" % self.n

    def params(self):
        self.registry = "mirror%d.example.com:5000" % self.n
        return {"side": "cluster", "registry": self.registry, "ca": CA.cert_pem, "config_map": self.cm}

    def converged(self):
        cfg = self.sim.api.get(IMAGE_CONFIGS, None, "cluster")
        assert cfg["spec"]["additionalTrustedCA"]["name"] == self.cm
        cm = self.sim.api.get(CONFIGMAPS, "openshift-config", self.cm)
        assert cm["data"][self.registry.replace(":", "..")].strip() == CA.cert_pem.strip()

    def no_partial_write(self):
        super().no_partial_write()
        cm = self.sim.api.get_or_none(CONFIGMAPS, "openshift-config", self.cm)
        if cm is not None:
            assert cm["data"] == {self.registry.replace(":", ".."): cm["data"][self.registry.replace(":", "..")]}

    def bumped(self):
        return self.sim.api.get(IMAGE_CONFIGS, None, "cluster")


TARGETS = {"imagestream-create": StreamCreate, "imagestream-update": StreamUpdate, "imagestream_tag": TagUpdate,
           "image_registry_config": RegistryConfig, "registry_route-custom": RouteCustom,
           "registry_ca_trust-cluster": CaTrustCluster, "registry_ca_trust-cluster-pointer": CaTrustPointer}

# (fault id, rule fields, outcome): "converge" = must succeed; "either" = succeed or fail clearly (msg regex).
FAULTS = [
    ("409-burst", {"status": 409, "times": 2}, "converge", None),
    ("409-storm", {"status": 409}, "either", r"(?i)conflict|changing|409"),
    ("429-retry-after", {"status": 429, "retry_after": 3, "times": 2}, "converge", None),
    ("500-burst", {"status": 500, "times": 2}, "converge", None),
    ("503-burst", {"status": 503, "times": 3}, "converge", None),
    ("503-storm", {"status": 503}, "either", r"(?i)503|unavailable|server error"),
    ("reset", {"reset": True, "times": 1}, "converge", None),
    ("reset-every-verb", {"reset": True, "times": 2, "method": None}, "converge", None),
    ("slow", {"latency": SLOW, "times": 1}, "either", r"(?i)within %s seconds|timed out|timeout" % CLIENT_TIMEOUT),
    ("bump", {"bump": True, "times": 1}, "converge", None),
]


def _client_patch(monkeypatch, sleeps, timeout=None):
    """Every ApiClient of the run records its back-off pauses in ``sleeps`` instead of sleeping (the retry
    logic runs unchanged; the suite stays fast), and optionally gets a short request timeout."""
    original = api_mod.ApiClient.__init__

    def init(self, config, **kwargs):
        kwargs["sleep"] = sleeps.append
        if timeout is not None:
            kwargs["timeout"] = timeout
        original(self, config, **kwargs)

    monkeypatch.setattr(api_mod.ApiClient, "__init__", init)


def _slowed_requests_done(admin, method, path) -> int:
    """Requests of ``method`` on ``path`` the server has finished (the log has a line once it answered)."""
    pattern = re.compile(r" %s (\S*?%s)(\?\S*)? \d+ " % (method, path.rstrip("$")))
    return sum(1 for line in admin.log().splitlines() if pattern.search(line))


def _wait_slowed_request(admin, method, path, before):
    """The server answers a slowed request after the client gave up: wait until it has, so the follow-up
    runs see what it wrote (waits for an event; nothing is asserted about time)."""
    for unused_attempt in range(600):
        if _slowed_requests_done(admin, method, path) > before:
            return
        time.sleep(0.02)
    raise AssertionError("the slowed %s %s never finished" % (method, path))


@pytest.mark.parametrize("fault,rule,outcome,msg_re", FAULTS, ids=[f[0] for f in FAULTS])
@pytest.mark.parametrize("target_id", sorted(TARGETS))
def test_fault(sim, admin, monkeypatch, target_id, fault, rule, outcome, msg_re):
    target = TARGETS[target_id](sim, next(CASE_IDS))
    if target.creates and (fault == "bump" or fault.startswith("409")):
        pytest.skip("a POST is no read-modify-write: a real server answers 409 AlreadyExists only (injected 409s "
                    "are reason Conflict); the concurrent creator is test_concurrent_create")
    target.setup()
    params = target.params()
    spec = dict(rule, path=target.path)
    spec["method"] = target.method if "method" not in rule else rule["method"]
    if spec["method"] is None:
        del spec["method"]
    elif target.skip_first and (fault == "bump" or fault.startswith("409")):
        spec["after"] = target.skip_first
    sleeps = []
    _client_patch(monkeypatch, sleeps, CLIENT_TIMEOUT if fault == "slow" else None)
    admin.add_fault(**spec)
    done_before = _slowed_requests_done(admin, target.method, target.path)

    result = common.run(sim, target.module, params)
    common.no_traceback(result)
    hits = sum(f["hits"] for f in admin.faults())
    assert hits >= 1, "the fault never fired (path %s)" % target.path
    admin.clear_faults()
    monkeypatch.undo()
    if fault == "429-retry-after":
        assert sleeps.count(3.0) == 2, "Retry-After: 3 not honoured: pauses %s" % sleeps
    if fault in ("500-burst", "503-burst", "503-storm"):
        assert sleeps and all(0 < pause <= 5.0 for pause in sleeps), "no bounded back-off: %s" % sleeps
    if fault == "slow":
        _wait_slowed_request(admin, target.method, target.path, done_before)
        sim.wait_idle(30)

    if result.get("failed"):
        assert outcome == "either", "must converge under %s but failed: %s" % (fault, common.describe(result))
        msg = str(result.get("msg") or "")
        assert re.search(msg_re, msg), "unclear failure message for %s: %s" % (fault, msg)
        if fault != "slow":
            target.no_partial_write()
        # fixing the cause and running again converges
        again = common.run(sim, target.module, params)
        assert not again.get("failed"), common.describe(again)
    else:
        assert result["changed"] is True
    sim.wait_idle(30)
    target.converged()
    # and it is really converged: one more run changes nothing and writes nothing
    admin.reset()
    final = common.run(sim, target.module, params)
    assert not final.get("failed") and final["changed"] is False, common.describe(final)
    assert admin.mutating() == 0
    if fault == "bump":
        assert BUMP_ANNOTATION in (target.bumped()["metadata"].get("annotations") or {}), \
            "the concurrent writer's change was lost"


def test_concurrent_create(sim, admin, monkeypatch):
    """Someone else creates the stream between the module's GET and its POST: 409 AlreadyExists, re-read,
    converge on the one object (no duplicate, the other writer's label kept)."""
    original = api_mod.ApiClient.create
    name = "race%d" % next(CASE_IDS)

    def create(self, res, body, namespace=None, **kwargs):
        if res.plural == "imagestreams" and sim.api.get_or_none(IMAGESTREAMS, "demo", name) is None:
            sim.api.create(IMAGESTREAMS, "demo", {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
                                                  "metadata": {"name": name, "namespace": "demo",
                                                               "labels": {"owner": "someone-else"}}})
        return original(self, res, body, namespace, **kwargs)

    monkeypatch.setattr(api_mod.ApiClient, "create", create)
    params = {"name": name, "namespace": "demo",
              "tags": [{"name": "v1", "from_image": "quay.io/example/app:v1", "reference": True}]}
    result = common.run(sim, "imagestream", params)
    common.no_traceback(result)
    monkeypatch.undo()
    assert not result.get("failed"), common.describe(result)
    items = [s for s in sim.api.list(IMAGESTREAMS, "demo")["items"] if s["metadata"]["name"] == name]
    assert len(items) == 1
    assert items[0]["metadata"]["labels"] == {"owner": "someone-else"}
    assert [t["name"] for t in items[0]["spec"]["tags"]] == ["v1"]


def test_operator_changes_managed_field_mid_task(sim, admin, monkeypatch):
    """The operator (another writer) changes a field the module manages between its read and its write: the
    module's patch carries the resourceVersion it read, gets 409, re-reads and still lands the desired value."""
    original = api_mod.ApiClient.merge_patch
    fired = []

    def merge_patch(self, res, name, patch, namespace=None, **kwargs):
        if res.plural == "configs" and not kwargs.get("dry_run") and not fired:
            fired.append(True)
            sim.api.patch(REGISTRY_CONFIGS, None, "cluster", "merge",
                          {"spec": {"logLevel": "TraceAll", "replicas": 5}})
        return original(self, res, name, patch, namespace, **kwargs)

    monkeypatch.setattr(api_mod.ApiClient, "merge_patch", merge_patch)
    result = common.run(sim, "image_registry_config", {"log_level": "Debug", "replicas": 2})
    monkeypatch.undo()
    common.no_traceback(result)
    assert fired and not result.get("failed"), common.describe(result)
    spec = sim.api.get(REGISTRY_CONFIGS, None, "cluster")["spec"]
    assert spec["logLevel"] == "Debug" and spec["replicas"] == 2
