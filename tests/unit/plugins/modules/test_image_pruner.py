"""image_pruner in-process against the simulator: four-run pattern, validation, diff, faults, wait."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.tests.lib.fixtures import SimAdmin
from ansible_collections.ocp.registry.tests.lib.modules import run_module
from ansible_collections.ocp.registry.tests.simulator import catalog

PRUNERS = catalog.get("imageregistry.operator.openshift.io", "imagepruners")
CRONJOBS = catalog.get("batch", "cronjobs")

PARAMS = dict(schedule="0 2 * * *", suspend=False, keep_tag_revisions=5, keep_younger_than_duration="24h",
              ignore_invalid_image_references=True, log_level="Debug", successful_jobs_history_limit=1,
              failed_jobs_history_limit=2, node_selector={"node-role.kubernetes.io/infra": ""},
              tolerations=[{"key": "infra", "operator": "Exists", "effect": "NoSchedule"}],
              resources={"requests": {"cpu": "50m", "memory": "128Mi"}})


def run(sim, check=False, diff=False, **params):
    params["kubeconfig"] = sim.kubeconfig
    return run_module("image_pruner", params, check_mode=check, diff=diff)


@pytest.fixture
def sim(simulator):
    simulator.wait_idle(30)
    return simulator


def test_four_runs(sim):
    admin = SimAdmin(sim)
    results = []
    for check in (True, False, True, False):
        admin.reset()
        result = run(sim, check=check, **PARAMS)
        assert not result.get("failed"), result.get("msg")
        results.append((result["changed"], admin.mutating()))
    assert results == [(True, 0), (True, 1), (False, 0), (False, 0)]
    spec = sim.api.get(PRUNERS, None, "cluster")["spec"]
    assert spec["schedule"] == "0 2 * * *" and spec["keepTagRevisions"] == 5
    assert spec["keepYoungerThanDuration"] == "24h" and spec["failedJobsHistoryLimit"] == 2


def test_wait_and_cronjob_follow(sim):
    result = run(sim, schedule="30 3 * * *", suspend=True, wait=True, wait_timeout=30, wait_sleep=1)
    assert not result.get("failed"), result.get("msg")
    conds = {c["type"]: c["status"] for c in result["conditions"]}
    assert conds["Available"] == "True" and conds["Degraded"] == "False"
    assert conds["Scheduled"] == "False"  # suspended
    sim.wait_idle(30)
    cron = sim.api.get(CRONJOBS, "openshift-image-registry", "image-pruner")
    assert cron["spec"]["schedule"] == "30 3 * * *" and cron["spec"]["suspend"] is True


def test_only_managed_fields_compared(sim):
    admin = SimAdmin(sim)
    live = sim.api.get(PRUNERS, None, "cluster")["spec"]
    admin.reset()
    result = run(sim, keep_tag_revisions=live.get("keepTagRevisions", 3))
    assert result["changed"] is False and admin.mutating() == 0
    assert admin.count(verb="get", resource="imagepruners") == 1


def test_diff(sim):
    result = run(sim, diff=True, suspend=True, keep_tag_revisions=7)
    assert result["changed"] is True
    assert result["diff"]["after"]["spec"] == {"suspend": True, "keepTagRevisions": 7}
    assert result["diff"]["before"]["spec"].get("keepTagRevisions") == 3


BAD = [
    ("bad schedule", dict(schedule="daily"), "schedule"),
    ("negative revisions", dict(keep_tag_revisions=-1), "keep_tag_revisions"),
    ("bad duration", dict(keep_younger_than_duration="one hour"), "keep_younger_than_duration"),
    ("negative history", dict(failed_jobs_history_limit=-1), "failed_jobs_history_limit"),
    ("bad log level", dict(log_level="Verbose"), "log_level"),
]


@pytest.mark.parametrize("label,params,option", BAD, ids=[b[0] for b in BAD])
def test_bad_input_no_writes(sim, label, params, option):
    admin = SimAdmin(sim)
    admin.reset()
    result = run(sim, **params)
    assert result["failed"] is True and option in result["msg"]
    assert admin.mutating() == 0


def test_conflict_and_503_converge(sim):
    admin = SimAdmin(sim)
    admin.reset()
    admin.add_fault(method="PATCH", path="/imagepruners/cluster$", bump=True, times=1)
    admin.add_fault(method="PATCH", path="/imagepruners/cluster$", status=503, times=2, after=1)
    result = run(sim, keep_tag_revisions=9, suspend=False)
    assert result["changed"] is True, result
    assert sim.api.get(PRUNERS, None, "cluster")["spec"]["keepTagRevisions"] == 9
    assert admin.count(verb="patch", resource="imagepruners", code=200) == 1
    assert len(sim.api.list(PRUNERS, None)["items"]) == 1
