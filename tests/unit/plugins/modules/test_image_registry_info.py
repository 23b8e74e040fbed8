"""image_registry_info in-process against the simulator (and a loopback TLS /v2/ endpoint for the probe)."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.tests.lib.fixtures import SimAdmin
from ansible_collections.ocp.registry.tests.lib.modules import run_module
from ansible_collections.ocp.registry.tests.unit.plugins.module_utils.fake_api import FakeApi


def run(sim, name="image_registry_info", check_mode=False, **params):
    params["kubeconfig"] = sim.kubeconfig
    return run_module(name, params, check_mode=check_mode)


def test_removed_registry(simulator_factory):
    sim = simulator_factory(platform="baremetal")
    sim.wait_idle(30)
    admin = SimAdmin(sim)
    admin.reset()
    result = run(sim)
    assert result["changed"] is False and result["exists"] is True
    assert result["management_state"] == "Removed"
    assert result["public_hostnames"] == [] and result["storage"] == {}
    assert admin.mutating() == 0
    assert admin.counters()["total"] <= 4


def test_managed_registry_with_routes(simulator_factory, tmp_path):
    sim = simulator_factory(platform="aws")
    sim.wait_idle(30)
    applied = run(sim, name="image_registry_config", default_route=True,
                  routes=[{"name": "public", "hostname": "registry.sim.example.test"}], wait=True, wait_timeout=60,
                  wait_sleep=1)
    assert not applied.get("failed"), applied.get("msg")
    sim.wait_idle(30)
    result = run(sim)
    assert result["management_state"] == "Managed" and result["available"] is True
    assert result["replicas"] == 2 and result["ready_replicas"] == 2
    assert "s3" in result["storage"]
    assert result["internal_hostname"] == "image-registry.openshift-image-registry.svc:5000"
    assert "registry.sim.example.test" in result["public_hostnames"]
    assert any(h.startswith("default-route-openshift-image-registry.") for h in result["public_hostnames"])
    assert {c["type"] for c in result["cluster_operator_conditions"]} == {"Available", "Progressing", "Degraded"}
    assert result["config"]["spec"]["httpSecret"].startswith("VALUE_REDACTED")
    assert result["image_config"]["exists"] is True

    # the simulated route hosts do not resolve: reported, not raised
    probed = run(sim, check=True)
    assert not probed.get("failed")
    assert len(probed["check"]) == len(result["public_hostnames"])
    assert all(p["reached"] is False and "DNS lookup" in p["error"] for p in probed["check"])


@pytest.fixture
def v2(tmp_path, simulator):
    seen = []

    def handler(req):
        seen.append(req.headers.get("Authorization"))
        ok = req.headers.get("Authorization") == "Bearer " + simulator.admin_token
        return (200, {}) if ok else (401, {})
    server = FakeApi(str(tmp_path), handler, hosts=("localhost",)).start()
    server.seen = seen
    yield server
    server.stop()


def test_probe_uses_cluster_token_and_verifies_tls(simulator, v2):
    simulator.wait_idle(30)
    host = "localhost:%d" % v2.port
    result = run(simulator, check=True, check_hosts=[host], check_ca_path=v2.ca_path)
    assert result["check"] == [{"host": host, "url": "https://%s/v2/" % host, "reached": True, "status": 200,
                                "error": None, "authenticated": True}]
    assert simulator.admin_token not in str(result)
    unverified = run(simulator, check=True, check_hosts=[host])
    assert unverified["check"][0]["reached"] is False
    assert "certificate verification failed" in unverified["check"][0]["error"]
    assert len(v2.seen) == 1  # no request (and no token) went out over the unverified connection
    insecure = run(simulator, check=True, check_hosts=[host], check_validate_certs=False)
    assert insecure["check"][0]["status"] == 200


def test_check_mode_reads_only(simulator):
    simulator.wait_idle(30)
    admin = SimAdmin(simulator)
    admin.reset()
    normal = run(simulator)
    checked = run(simulator, check_mode=True)
    assert checked["changed"] is False and admin.mutating() == 0
    assert checked["management_state"] == normal["management_state"]
