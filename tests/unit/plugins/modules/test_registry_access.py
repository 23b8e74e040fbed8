"""registry_access against the simulator: bindings, metrics role, idempotence, check mode, refusals."""
from ansible_collections.ocp.registry.tests.lib.modules import run_module


def _run(sim, check_mode=False, **params):
    params["kubeconfig"] = sim.kubeconfig
    return run_module("registry_access", params, check_mode=check_mode, diff=True)


def test_cluster_binding_four_runs(simulator, sim_admin):
    params = dict(role="registry-viewer", users=["alice"], groups=["devs"])
    sim_admin.reset()
    assert _run(simulator, check_mode=True, **params)["changed"] is True
    assert sim_admin.mutating() == 0
    applied = _run(simulator, **params)
    assert applied["changed"] is True and applied["binding"]["kind"] == "ClusterRoleBinding"
    sim_admin.reset()
    assert _run(simulator, check_mode=True, **params)["changed"] is False
    assert _run(simulator, **params)["changed"] is False
    assert sim_admin.mutating() == 0


def test_subject_changes_exclusive_and_additive(simulator):
    _run(simulator, role="registry-editor", users=["alice"])
    added = _run(simulator, role="registry-editor", users=["bob"], exclusive=False)
    assert [s["name"] for s in added["binding"]["subjects"]] == ["alice", "bob"]
    replaced = _run(simulator, role="registry-editor", users=["carol"])
    assert [s["name"] for s in replaced["binding"]["subjects"]] == ["carol"]


def test_image_builder_in_namespace(simulator):
    result = _run(simulator, role="system:image-builder", namespace="sandbox", service_accounts=["ci", "other/robot"])
    assert result["binding"]["kind"] == "RoleBinding"
    assert result["binding"]["namespace"] == "sandbox"
    assert result["binding"]["subjects"] == [
        {"kind": "ServiceAccount", "name": "ci", "namespace": "sandbox"},
        {"kind": "ServiceAccount", "name": "robot", "namespace": "other"},
    ]


def test_metrics_role_and_binding(simulator, sim_admin):
    params = dict(role="prometheus-scraper", metrics_role=True, service_accounts=["openshift-monitoring/prometheus-k8s"])
    first = _run(simulator, **params)
    assert first["changed"] is True
    assert first["metrics_role"]["rules"] == [{"apiGroups": ["image.openshift.io"], "resources": ["registry/metrics"],
                                               "verbs": ["get"]}]
    sim_admin.reset()
    assert _run(simulator, **params)["changed"] is False
    assert sim_admin.mutating() == 0


def test_role_ref_conflict_fails_without_writing(simulator, sim_admin):
    _run(simulator, role="registry-viewer", binding_name="shared", users=["a"])
    sim_admin.reset()
    result = _run(simulator, role="registry-editor", binding_name="shared", users=["a"])
    assert result["failed"] and result["option"] == "binding_name" and "cannot change" in result["msg"]
    assert sim_admin.mutating() == 0


def test_absent(simulator):
    _run(simulator, role="registry-viewer", users=["a"])
    assert _run(simulator, role="registry-viewer", state="absent")["changed"] is True
    assert _run(simulator, role="registry-viewer", state="absent")["changed"] is False
