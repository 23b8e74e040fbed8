"""Shared pieces of the reliability suite: simulator access, resources, PKI, result checks."""
from __future__ import annotations

import json
import os
import sys

from ansible_collections.ocp.registry.tests.lib import certs
from ansible_collections.ocp.registry.tests.lib.fixtures import SimAdmin
from ansible_collections.ocp.registry.tests.lib.modules import run_module
from ansible_collections.ocp.registry.tests.simulator import catalog

NAMESPACES = catalog.get("", "namespaces")
SECRETS = catalog.get("", "secrets")
CONFIGMAPS = catalog.get("", "configmaps")
PVCS = catalog.get("", "persistentvolumeclaims")
IMAGESTREAMS = catalog.get("image.openshift.io", "imagestreams")
DEPLOYMENTS = catalog.get("apps", "deployments")
REGISTRY_CONFIGS = catalog.get("imageregistry.operator.openshift.io", "configs")
PRUNERS = catalog.get("imageregistry.operator.openshift.io", "imagepruners")
IMAGE_CONFIGS = catalog.get("config.openshift.io", "images")
ROUTES = catalog.get("route.openshift.io", "routes")
CLUSTERROLES = catalog.get("rbac.authorization.k8s.io", "clusterroles")
CLUSTERROLEBINDINGS = catalog.get("rbac.authorization.k8s.io", "clusterrolebindings")

REGISTRY_NS = "openshift-image-registry"
ROUTE_HOST = "registry.reliability.example.com"
CA = certs.make_ca("Reliability CA", days=3000)
OTHER_CA = certs.make_ca("Unrelated CA", days=3000)
LEAF = certs.make_leaf(CA, (ROUTE_HOST,))

MODULES = ["image_pruner", "image_registry_config", "image_registry_info", "image_trigger", "imagestream",
           "imagestream_info", "imagestream_tag", "registry_access", "registry_ca_trust", "registry_certificate",
           "registry_platform_info", "registry_route", "registry_storage_claim"]
# Modules that never talk to the API server.
HOST_ONLY = {"registry_certificate"}
API_MODULES = [m for m in MODULES if m not in HOST_ONLY]
ROLES = ["install", "storage", "secure", "expose"]
# ansible-playbook runs of the suite: pipelining saves the per-task module copy (same output and no_log).
PLAYBOOK_ENV = {"ANSIBLE_PIPELINING": "1"}


def make_ns(sim, *names):
    for name in names:
        if sim.api.get_or_none(NAMESPACES, None, name) is None:
            sim.api.create(NAMESPACES, None, {"metadata": {"name": name}})


def deployment(sim, ns, name, container="app", image="quay.io/example/app:1"):
    make_ns(sim, ns)
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": container, "image": image}]}}}}
    if sim.api.get_or_none(DEPLOYMENTS, ns, name) is None:
        sim.api.create(DEPLOYMENTS, ns, body)


def host_root(tmp_path):
    """A scratch root for registry_ca_trust side=host, with an os-release and a refresh command that logs."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "etc" / "os-release").write_text('ID="rhel"\nID_LIKE="fedora"\n')
    marker = tmp_path / "refreshed.log"
    cmd = [sys.executable, "-c", "import sys; open(sys.argv[1], 'a').write('x')", str(marker)]
    return root, cmd


def tree(root) -> dict:
    """{relative path: (mtime_ns, content)} of every file under root."""
    out = {}
    for base, unused_dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(base, name)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = (os.stat(path).st_mtime_ns, fh.read())
    return out


def run(sim, module, params, *, check=False, diff=False, verbosity=0):
    """run_module with the simulator's kubeconfig (unless the params bring their own auth)."""
    args = dict(params)
    if sim is not None and module not in HOST_ONLY and not {"kubeconfig", "host"} & set(args):
        args["kubeconfig"] = sim.kubeconfig
    return run_module(module, args, check_mode=check, diff=diff, verbosity=verbosity)


def no_traceback(result):
    text = json.dumps(result)
    assert "exception" not in result, result.get("exception")
    assert "Traceback (most recent call last)" not in text, text[:2000]
    assert "Unexpected error" not in str(result.get("msg", "")), result.get("msg")


def describe(result) -> str:
    return json.dumps({k: result.get(k) for k in ("changed", "failed", "msg") if k in result})[:1500]


def admin(sim) -> SimAdmin:
    return SimAdmin(sim)


def aws_sim_with_shop(tmp_path_factory, label: str):
    """A module-scoped AWS simulator with Deployment demo/shop, for tests that share one cluster."""
    from ansible_collections.ocp.registry.tests.simulator.server import SimulatorServer

    server = SimulatorServer(str(tmp_path_factory.mktemp(label)), platform="aws")
    server.start()
    try:
        server.wait_idle(30)
        deployment(server, "demo", "shop", container="shop")
        yield server
    finally:
        server.stop()
