"""registry_config.py: options -> spec and every validation rule (table-driven)."""
from __future__ import annotations

import copy

import pytest

from ansible_collections.ocp.registry.plugins.modules.image_registry_config import argument_spec
from ansible_collections.ocp.registry.plugins.module_utils import registry_config as rc
from ansible_collections.ocp.registry.plugins.module_utils import ensure
from ansible_collections.ocp.registry.plugins.module_utils.ensure import REMOVE
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError, NotFound


def params(**kw):
    """Module params as AnsibleModule fills them: every option present, unset ones None."""
    out = {name: None for name in argument_spec()}
    out.update(wait=False, wait_timeout=120, wait_sleep=5)
    out.update(kw)
    return out


def storage(**backends):
    out = {"management_state": None, "s3": None, "gcs": None, "azure": None, "swift": None, "ibmcos": None,
           "oss": None, "pvc": None, "empty_dir": None}
    out.update(backends)
    return out


def test_spec_only_has_the_options_set():
    p = params(management_state="Managed", replicas=2, default_route=True, log_level="Debug",
               proxy={"http": "http://p:3128", "https": None, "no_proxy": ".cluster.local"},
               requests={"read": {"max_running": 10, "max_in_queue": None, "max_wait_in_queue": "1m"}, "write": None},
               routes=[{"name": "public", "hostname": "reg.example.com", "secret_name": None}],
               node_selector={"node-role.kubernetes.io/infra": ""}, disable_redirect=False, read_only=False,
               http_secret="s3cr3t", topology_spread_constraints=[{"maxSkew": 1}])
    assert rc.spec_from_params(p) == {
        "managementState": "Managed", "replicas": 2, "defaultRoute": True, "logLevel": "Debug",
        "proxy": {"http": "http://p:3128", "noProxy": ".cluster.local"},
        "requests": {"read": {"maxRunning": 10, "maxWaitInQueue": "1m"}},
        "routes": [{"name": "public", "hostname": "reg.example.com"}],
        "nodeSelector": {"node-role.kubernetes.io/infra": ""}, "disableRedirect": False, "readOnly": False,
        "httpSecret": "s3cr3t", "topologySpreadConstraints": [{"maxSkew": 1}],
    }


def test_spec_empty_when_nothing_set():
    assert rc.spec_from_params(params()) == {}


def test_desired_config_switch_backend():
    build = rc.desired_config(params(storage=storage(empty_dir={"acknowledge_non_production": True}), replicas=1))
    live = {"spec": {"replicas": 2, "storage": {"pvc": {"claim": "x"}, "managementState": "Managed"}}}
    assert build(copy.deepcopy(live))["spec"] == {"replicas": 1, "storage": {"emptyDir": {}, "pvc": REMOVE}}


BAD_PARAMS = [
    ("negative replicas", dict(replicas=-1), "replicas", "0 or more"),
    ("reserved route name", dict(routes=[{"name": "default-route", "hostname": None, "secret_name": None}]),
     "routes", "default_route: true"),
    ("duplicate route names", dict(routes=[{"name": "a", "hostname": None, "secret_name": None},
                                           {"name": "a", "hostname": "h", "secret_name": None}]),
     "routes", "unique"),
    ("negative max_running", dict(requests={"read": {"max_running": -1, "max_in_queue": None,
                                                     "max_wait_in_queue": None}, "write": None}),
     "requests.read.max_running", "0 or more"),
    ("negative max_in_queue", dict(requests={"write": {"max_running": None, "max_in_queue": -5,
                                                       "max_wait_in_queue": None}, "read": None}),
     "requests.write.max_in_queue", "0 or more"),
    ("bad duration", dict(requests={"write": {"max_running": None, "max_in_queue": None,
                                              "max_wait_in_queue": "5 minutes"}, "read": None}),
     "requests.write.max_wait_in_queue", "duration"),
    ("storage rules apply", dict(storage=storage(s3={"key_id": "k", "encrypt": None})), "storage.s3.key_id",
     "encrypt"),
]


@pytest.mark.parametrize("label,kw,option,fix", BAD_PARAMS, ids=[c[0] for c in BAD_PARAMS])
def test_validate_params_rejects(label, kw, option, fix):
    with pytest.raises(InputError) as err:
        rc.validate_params(params(**kw))
    assert err.value.option == option and fix in err.value.msg


class FakeClient:
    def __init__(self, pvcs=None):
        self.pvcs = pvcs or {}
        self.calls = 0

    def get(self, res, name, namespace=None):
        self.calls += 1
        if name not in self.pvcs:
            raise NotFound("nope")
        return {"spec": {"accessModes": self.pvcs[name]}}


LIVE_PVC_RWO = {"spec": {"replicas": 1, "rolloutStrategy": "Recreate", "storage": {"pvc": {"claim": "rwo"}}}}
LIVE_EMPTYDIR = {"spec": {"replicas": 1, "storage": {"emptyDir": {}}}}
LIVE_REMOVED = {"spec": {"replicas": 2, "managementState": "Removed", "storage": {}}}
LIVE_ROLLING = {"spec": {"replicas": 1, "rolloutStrategy": "RollingUpdate", "storage": {}}}

CLUSTER_BAD = [
    ("emptyDir on a 2-replica registry (replicas from live)", dict(storage=storage(
        empty_dir={"acknowledge_non_production": True})), LIVE_REMOVED, {}, "replicas"),
    ("emptyDir not acknowledged", dict(replicas=1, storage=storage(
        empty_dir={"acknowledge_non_production": False})), LIVE_REMOVED, {}, "storage.empty_dir"),
    ("scaling up an emptyDir registry", dict(replicas=3), LIVE_EMPTYDIR, {}, "replicas"),
    ("RWO claim with live RollingUpdate", dict(replicas=1, storage=storage(pvc={"claim": "rwo"})), LIVE_ROLLING,
     {"rwo": ["ReadWriteOnce"]}, "rollout_strategy"),
    ("RWO claim with 2 replicas", dict(replicas=2, rollout_strategy="Recreate", storage=storage(pvc={"claim": "rwo"})),
     LIVE_ROLLING, {"rwo": ["ReadWriteOnce"]}, "replicas"),
    ("HA on the live RWO claim", dict(replicas=2), LIVE_PVC_RWO, {"rwo": ["ReadWriteOnce"]}, "replicas"),
    ("claim does not exist", dict(storage=storage(pvc={"claim": "ghost"})), LIVE_REMOVED, {}, "storage.pvc.claim"),
]


@pytest.mark.parametrize("label,kw,live,pvcs,option", CLUSTER_BAD, ids=[c[0] for c in CLUSTER_BAD])
def test_validate_against_cluster_rejects(label, kw, live, pvcs, option):
    with pytest.raises(InputError) as err:
        rc.validate_against_cluster(FakeClient(pvcs), params(**kw), live)
    assert err.value.option == option


CLUSTER_GOOD = [
    ("block storage procedure", dict(replicas=1, rollout_strategy="Recreate", storage=storage(pvc={"claim": "rwo"})),
     LIVE_REMOVED, {"rwo": ["ReadWriteOnce"]}, 1),
    ("empty claim needs no GET", dict(replicas=2, storage=storage(pvc={"claim": ""})), LIVE_REMOVED, {}, 0),
    ("RWX with HA", dict(replicas=3, storage=storage(pvc={"claim": "rwx"})), LIVE_ROLLING,
     {"rwx": ["ReadWriteMany"]}, 1),
    ("emptyDir with 1 replica", dict(replicas=1, storage=storage(empty_dir={"acknowledge_non_production": True})),
     LIVE_REMOVED, {}, 0),
    ("unrelated change on a PVC registry needs no GET", dict(log_level="Debug"), LIVE_PVC_RWO, {}, 0),
]


@pytest.mark.parametrize("label,kw,live,pvcs,gets", CLUSTER_GOOD, ids=[c[0] for c in CLUSTER_GOOD])
def test_validate_against_cluster_accepts(label, kw, live, pvcs, gets):
    client = FakeClient(pvcs)
    rc.validate_against_cluster(client, params(**kw), live)
    assert client.calls == gets


def test_effective_values():
    assert rc.effective(params(), LIVE_ROLLING) == (1, "RollingUpdate")
    assert rc.effective(params(replicas=3, rollout_strategy="Recreate"), LIVE_ROLLING) == (3, "Recreate")
    assert rc.effective(params(), {"spec": {"replicas": 2, "rolloutStrategy": ""}}) == (2, None)


PATCH_CASES = [
    ("emptyDir on a config without storage", {"spec": {"replicas": 1, "storage": {}}},
     dict(storage=storage(empty_dir={"acknowledge_non_production": True})),
     {"spec": {"storage": {"emptyDir": {}}}}),
    ("s3 -> emptyDir in one patch", {"spec": {"storage": {"s3": {"bucket": "b"}, "managementState": "Managed"}}},
     dict(storage=storage(empty_dir={"acknowledge_non_production": True})),
     {"spec": {"storage": {"emptyDir": {}, "s3": None}}}),
    ("default pvc on a Removed config", {"spec": {"managementState": "Removed"}},
     dict(management_state="Managed", storage=storage(pvc={"claim": ""})),
     {"spec": {"managementState": "Managed", "storage": {"pvc": {}}}}),
    ("default pvc already filled by the operator", {"spec": {"storage": {"pvc": {"claim": "image-registry-storage"}}}},
     dict(storage=storage(pvc={"claim": ""})), {}),
    ("emptyDir already set", {"spec": {"storage": {"emptyDir": {}}}},
     dict(storage=storage(empty_dir={"acknowledge_non_production": True})), {}),
]


@pytest.mark.parametrize("label,live,kw,expected", PATCH_CASES, ids=[c[0] for c in PATCH_CASES])
def test_config_patch(label, live, kw, expected):
    live = dict(live, apiVersion="imageregistry.operator.openshift.io/v1", kind="Config",
                metadata={"name": "cluster", "resourceVersion": "7"})
    skeleton = rc.desired_config(params(**kw))(copy.deepcopy(live))
    assert ensure.compute_patch(live, skeleton) == expected
