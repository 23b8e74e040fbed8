"""registry_storage_claim against the simulator: create, idempotence, check mode, expansion, refusals."""
from ansible_collections.ocp.registry.tests.lib.modules import run_module


def _run(sim, check_mode=False, **params):
    params["kubeconfig"] = sim.kubeconfig
    return run_module("registry_storage_claim", params, check_mode=check_mode, diff=True)


def test_four_runs_and_no_writes_in_check_mode(simulator, sim_admin):
    params = dict(size="150Gi", access_mode="ReadWriteOnce", storage_class="thin-csi")
    sim_admin.reset()
    first = _run(simulator, check_mode=True, **params)
    assert first["changed"] is True and sim_admin.mutating() == 0
    assert first["claim"]["size"] == "150Gi"
    second = _run(simulator, **params)
    assert second["changed"] is True
    assert second["claim"]["access_modes"] == ["ReadWriteOnce"] and second["claim"]["storage_class"] == "thin-csi"
    sim_admin.reset()
    third = _run(simulator, check_mode=True, **params)
    fourth = _run(simulator, **params)
    assert third["changed"] is False and fourth["changed"] is False
    assert sim_admin.mutating() == 0
    assert sim_admin.count(verb="get") == 2  # one GET per no-op run


def _bind(sim, name="image-registry-storage"):
    """Play the volume controller: mark the claim Bound through its status subresource."""
    import json
    import ssl
    import urllib.request
    req = urllib.request.Request(
        sim.url + "/api/v1/namespaces/openshift-image-registry/persistentvolumeclaims/%s/status" % name,
        data=json.dumps({"status": {"phase": "Bound"}}).encode(), method="PATCH",
        headers={"Authorization": "Bearer " + sim.admin_token, "Content-Type": "application/merge-patch+json"})
    with urllib.request.urlopen(req, context=ssl.create_default_context(cafile=sim.ca_file), timeout=30) as resp:
        assert resp.status == 200


def test_expansion_and_refusals(simulator, sim_admin):
    assert _run(simulator, size="100Gi")["changed"] is True
    sim_admin.reset()
    pending = _run(simulator, size="200Gi")
    assert pending["failed"] and "not bound yet" in pending["msg"] and sim_admin.mutating() == 0
    _bind(simulator)
    grown = _run(simulator, size="200Gi")
    assert grown["changed"] is True and grown["claim"]["size"] == "200Gi"
    sim_admin.reset()
    for params, option in ((dict(size="50Gi"), "size"), (dict(access_mode="ReadWriteOnce", size="200Gi"), "access_mode"),
                           (dict(storage_class="other", size="200Gi"), "storage_class")):
        result = _run(simulator, **params)
        assert result.get("failed") and result["option"] == option, result
    assert sim_admin.mutating() == 0


def test_bad_size_fails_before_any_request(simulator, sim_admin):
    sim_admin.reset()
    result = _run(simulator, size="lots")
    assert result["failed"] and "storage quantity" in result["msg"]
    assert sim_admin.counters()["total"] == 0


def test_absent(simulator):
    _run(simulator, name="scratch", size="1Gi")
    assert _run(simulator, name="scratch", state="absent")["changed"] is True
    assert _run(simulator, name="scratch", state="absent")["changed"] is False
