"""registry_ca_trust side=cluster, in-process against the simulator."""
from __future__ import annotations

import json

import pytest

from ansible_collections.ocp.registry.tests.lib import certs
from ansible_collections.ocp.registry.tests.lib.fixtures import SimAdmin
from ansible_collections.ocp.registry.tests.lib.modules import run_module

CA = certs.make_ca("Mirror CA")
CA2 = certs.make_ca("Other Mirror CA")


# Objects are read straight from the in-process simulator, so the request counters see only the module.
def _cm(sim, name, namespace="openshift-config"):
    return sim.api.get_or_none(("", "configmaps"), namespace, name)


def _pointer(sim):
    img = sim.api.get_or_none(("config.openshift.io", "images"), None, "cluster") or {}
    return ((img.get("spec") or {}).get("additionalTrustedCA") or {}).get("name")


def _run(sim, params, **kw):
    p = {"kubeconfig": sim.kubeconfig, "side": "cluster"}
    p.update(params)
    return run_module("registry_ca_trust", p, **kw)


@pytest.fixture
def admin(simulator):
    return SimAdmin(simulator)


def test_four_runs_create_and_remove(simulator, admin):
    sim = simulator
    params = {"registry": "mirror.example.com:5000", "ca": CA.cert_pem}
    admin.reset()
    first = _run(sim, params, check_mode=True, diff=True)
    assert first["changed"] and admin.mutating() == 0 and _cm(sim, "registry-cas") is None
    assert first["diff"]["after"]["additional_trusted_ca"] == "registry-cas"
    second = _run(sim, params, diff=True)
    assert second["changed"] and second["key"] == "mirror.example.com..5000"
    admin.reset()
    third = _run(sim, params, check_mode=True)
    fourth = _run(sim, params)
    assert not third["changed"] and not fourth["changed"] and admin.mutating() == 0
    # a no-op reads the image config once (handed to ensure) and the config map once
    for check in (True, False):
        admin.reset()
        assert not _run(sim, params, check_mode=check)["changed"]
        counters = admin.counters()
        assert counters["mutating"] == 0
        assert {(r["verb"], r["resource"]): r["count"] for r in counters["requests"]} == {
            ("get", "images"): 1, ("get", "configmaps"): 1}
    cm = _cm(sim, "registry-cas")
    assert cm["data"] == {"mirror.example.com..5000": CA.cert_pem}
    assert cm["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "ocp.registry"
    assert _pointer(sim) == "registry-cas"

    absent = {"registry": "mirror.example.com:5000", "state": "absent"}
    admin.reset()
    assert _run(sim, absent, check_mode=True)["changed"] and admin.mutating() == 0
    out = _run(sim, absent, diff=True)
    assert out["changed"] and out["config_map_deleted"] and out["additional_trusted_ca"] is None
    assert _cm(sim, "registry-cas") is None and _pointer(sim) is None
    assert not _run(sim, absent)["changed"]


def test_keeps_other_keys_and_existing_pointer(simulator):
    sim = simulator
    sim.api.create(("", "configmaps"), "openshift-config", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "user-cas", "namespace": "openshift-config"},
        "data": {"quay.example.com": CA2.cert_pem}})
    _run(sim, {"registry": "quay.example.com", "ca": CA2.cert_pem, "config_map": "user-cas"})
    assert _pointer(sim) == "user-cas"
    # no config_map given: the one already referenced is used
    out = _run(sim, {"registry": "hub.example.com", "ca": CA.cert_pem})
    assert out["changed"] and out["config_map"] == "user-cas"
    assert _cm(sim, "user-cas")["data"] == {"quay.example.com": CA2.cert_pem, "hub.example.com": CA.cert_pem}
    # CA rotation replaces only that key
    out = _run(sim, {"registry": "hub.example.com", "ca": CA2.cert_pem}, diff=True)
    assert out["changed"] and "Other Mirror CA" in out["diff"]["after"]["ca"][0]
    assert "CN=Mirror CA" in out["diff"]["before"]["ca"][0]
    # removal drops only that key; the user's config map (not ours) is never deleted
    out = _run(sim, {"registry": "hub.example.com", "state": "absent"})
    assert out["changed"] and not out["config_map_deleted"]
    assert _cm(sim, "user-cas")["data"] == {"quay.example.com": CA2.cert_pem}
    out = _run(sim, {"registry": "quay.example.com", "state": "absent"})
    assert out["changed"] and not out["config_map_deleted"]
    assert _cm(sim, "user-cas")["data"] in ({}, None) or "data" not in _cm(sim, "user-cas")
    assert _pointer(sim) == "user-cas"


def test_repointing_warns(simulator):
    sim = simulator
    _run(sim, {"registry": "a.example.com", "ca": CA.cert_pem, "config_map": "first"})
    out = _run(sim, {"registry": "a.example.com", "ca": CA.cert_pem, "config_map": "second"})
    assert out["changed"] and _pointer(sim) == "second"
    assert "no longer trusted" in json.dumps(out["warnings"])


BAD = [
    ("host option", {"trust_stores": ["containers"]}, "trust_stores"),
    ("root option", {"root": "/tmp"}, "root"),
    ("ipv6", {"registry": "[::1]:5000"}, "registry"),
    ("bad config map", {"config_map": "Bad_Name"}, "config_map"),
    ("not a CA", {"ca": certs.make_leaf(CA).cert_pem}, "ca"),
]


@pytest.mark.parametrize("name,change,option", BAD, ids=[b[0] for b in BAD])
def test_bad_input(simulator, admin, name, change, option):
    params = {"registry": "mirror.example.com:5000", "ca": CA.cert_pem}
    params.update(change)
    admin.reset()
    out = _run(simulator, params)
    assert out.get("failed") and out.get("option") == option, out
    assert admin.mutating() == 0


def test_operator_propagates_the_ca_to_the_nodes_config_map(simulator):
    """The registry operator copies additionalTrustedCA entries into image-registry-certificates (node-ca)."""
    sim = simulator
    _run(sim, {"registry": "mirror.example.com:5000", "ca": CA.cert_pem})
    assert sim.wait_idle(30)
    certs_cm = _cm(sim, "image-registry-certificates", "openshift-image-registry")
    assert certs_cm["data"]["mirror.example.com..5000"] == CA.cert_pem
    _run(sim, {"registry": "mirror.example.com:5000", "state": "absent"})
    assert sim.wait_idle(30)
    certs_cm = _cm(sim, "image-registry-certificates", "openshift-image-registry")
    assert "mirror.example.com..5000" not in (certs_cm.get("data") or {})
