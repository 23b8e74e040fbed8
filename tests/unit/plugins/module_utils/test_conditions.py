"""conditions.py: settled / unsettled evaluation and the wait loop (fake clock, no sleeping)."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import conditions as c
from ansible_collections.ocp.registry.plugins.module_utils.errors import ApiTimeout, NotFound


def obj(gen=1, observed=1, conds=None, **more):
    conds = dict(conds or {}, **more)
    return {"metadata": {"generation": gen},
            "status": {"observedGeneration": observed,
                       "conditions": [{"type": t, "status": s[0], "reason": s[1], "message": s[2]}
                                      for t, s in conds.items()]}}


HEALTHY = dict(Available=("True", "Ready", "The registry is ready"), Progressing=("False", "Ready", "ok"),
               Degraded=("False", "", ""))


def test_settled():
    assert c.unsettled(obj(**HEALTHY), check_generation=True) == []


def test_unsettled_reasons():
    bad = dict(HEALTHY, Available=("False", "NoReplicasAvailable", "The deployment does not have available replicas"))
    out = c.unsettled(obj(conds=bad))
    assert out == [{"type": "Available", "status": "False", "reason": "NoReplicasAvailable",
                    "message": "The deployment does not have available replicas"}]
    assert "Available=False (NoReplicasAvailable: The deployment" in c.describe_unsettled("Config cluster", out)


def test_stale_generation_is_unsettled():
    out = c.unsettled(obj(gen=3, observed=2, **HEALTHY), check_generation=True)
    assert [x["type"] for x in out] == ["ObservedGeneration"]


def test_missing_conditions_are_unknown():
    out = c.unsettled({"status": {}})
    assert {x["status"] for x in out} == {"Unknown"}
    assert c.unsettled(None)[0]["reason"] == "NotFound"


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def pause(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class SeqClient:
    """Returns a scripted sequence of (config, clusteroperator) pairs, one per probe."""

    def __init__(self, seq):
        self.seq = list(seq)
        self.i = 0

    def get(self, res, name, namespace=None):
        pair = self.seq[min(self.i // 2, len(self.seq) - 1)]
        self.i += 1
        value = pair[0] if res.kind == "Config" else pair[1]
        if value is None:
            raise NotFound("nope")
        return value


def test_wait_for_registry_returns_when_both_settle():
    progressing = obj(conds=dict(HEALTHY, Progressing=("True", "DeploymentNotCompleted", "rolling")))
    clock = Clock()
    client = SeqClient([(progressing, obj(**HEALTHY)), (obj(**HEALTHY), None), (obj(**HEALTHY), obj(**HEALTHY))])
    state = c.wait_for_registry(client, 60, 2, clock=clock, pause=clock.pause)
    assert state["config"]["status"]["conditions"][0]["reason"] == "Ready"
    assert clock.sleeps == [2, 2]


def test_wait_for_registry_timeout_reports_reasons():
    degraded = obj(conds=dict(HEALTHY, Degraded=("True", "Unavailable", "The deployment does not have available replicas"),
                              Available=("False", "NoReplicasAvailable", "no replicas")))
    clock = Clock()
    with pytest.raises(ApiTimeout) as err:
        c.wait_for_registry(SeqClient([(degraded, degraded)]), 5, 2, clock=clock, pause=clock.pause)
    msg = err.value.msg
    assert "Timed out after 5s" in msg
    assert "Config cluster: Available=False (NoReplicasAvailable: no replicas)" in msg
    assert "Degraded=True (Unavailable" in msg and "ClusterOperator image-registry" in msg
    kwargs = err.value.to_fail_kwargs()
    assert kwargs["conditions"][0]["object"] == "Config cluster"
    assert sum(clock.sleeps) == 5
