"""image_registry_config in-process against the simulator: per-platform procedures, validation, check/diff, faults."""
from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.ocp.registry.tests.lib.fixtures import SimAdmin
from ansible_collections.ocp.registry.tests.lib.modules import run_module
from ansible_collections.ocp.registry.tests.simulator import catalog

NS = "openshift-image-registry"
USER_SECRET = "image-registry-private-configuration-user"
CONFIGS = catalog.get("imageregistry.operator.openshift.io", "configs")
SECRETS = catalog.get("", "secrets")
PVCS = catalog.get("", "persistentvolumeclaims")

S3_ACCESS = "AKIAEXAMPLEACCESSKEY1"
S3_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GCS_KEYFILE = json.dumps({"type": "service_account", "project_id": "sim-project",
                          "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEsimulated\\n-----END PRIVATE KEY-----\\n",
                          "client_email": "registry@sim-project.iam.gserviceaccount.com"})
AZURE_KEY = "c2ltdWxhdGVkLWF6dXJlLWFjY291bnQta2V5LXZhbHVl=="


def run(sim, check=False, diff=False, name="image_registry_config", **params):
    params["kubeconfig"] = sim.kubeconfig
    if params.get("wait"):
        params.setdefault("wait_timeout", 60)
        params.setdefault("wait_sleep", 1)
    return run_module(name, params, check_mode=check, diff=diff)


def info(sim):
    return run(sim, name="image_registry_info")


def ready(sim):
    """A simulator whose operator has bootstrapped the Config."""
    sim.wait_idle(30)
    assert sim.api.get_or_none(CONFIGS, None, "cluster") is not None
    return SimAdmin(sim)


def make_pvc(sim, name, modes, size="100Gi"):
    sim.api.create(PVCS, NS, {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                              "metadata": {"name": name, "namespace": NS},
                              "spec": {"accessModes": modes, "resources": {"requests": {"storage": size}}}})


def secret_data(sim):
    obj = sim.api.get_or_none(SECRETS, NS, USER_SECRET)
    if obj is None:
        return None
    return {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}


def assert_settled(result):
    assert not result.get("failed"), result.get("msg")
    conds = {c["type"]: c["status"] for c in result["conditions"]}
    assert conds == {"Available": "True", "Progressing": "False", "Degraded": "False"}, result["conditions"]
    co = {c["type"]: c["status"] for c in result["cluster_operator_conditions"]}
    assert co == {"Available": "True", "Progressing": "False", "Degraded": "False"}, result


def assert_no_secret_values(result, *values):
    text = json.dumps(result)
    for value in values:
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text


def second_run_is_noop(sim, admin, params):
    admin.reset()
    again = run(sim, **params)
    assert not again.get("failed"), again.get("msg")
    assert again["changed"] is False
    assert admin.mutating() == 0
    return again


# ------------------------------------------------------------------ documented procedures, per platform
@pytest.mark.parametrize("platform", ["baremetal", "vsphere"])
def test_removed_to_managed_with_default_pvc(simulator_factory, platform):
    sim = simulator_factory(platform=platform)
    admin = ready(sim)
    before = info(sim)
    assert before["management_state"] == "Removed"
    params = dict(management_state="Managed", storage={"pvc": {"claim": ""}}, wait=True)
    first = run(sim, **params)
    assert first["changed"] is True
    assert_settled(first)
    after = info(sim)
    assert after["management_state"] == "Managed" and after["available"] is True
    assert after["storage"]["pvc"]["claim"] == "image-registry-storage"  # filled in by the operator
    assert after["internal_hostname"] == "image-registry.openshift-image-registry.svc:5000"
    again = second_run_is_noop(sim, admin, params)
    # a no-op run reads the Config once (plus the wait reads), never the PVC: the claim is empty
    assert admin.count(verb="get", resource="persistentvolumeclaims") == 0
    assert_settled(again)


@pytest.mark.parametrize("platform", ["vsphere", "baremetal"])
def test_block_storage_rwo_recreate_one_replica(simulator_factory, platform):
    sim = simulator_factory(platform=platform)
    admin = ready(sim)
    make_pvc(sim, "image-registry-storage", ["ReadWriteOnce"])
    params = dict(management_state="Managed", replicas=1, rollout_strategy="Recreate",
                  storage={"pvc": {"claim": "image-registry-storage"}}, wait=True)
    admin.reset()
    first = run(sim, **params)
    assert first["changed"] is True
    assert_settled(first)
    assert admin.count(verb="get", resource="persistentvolumeclaims") == 1
    spec = first["config"]["spec"]
    assert spec["replicas"] == 1 and spec["rolloutStrategy"] == "Recreate"
    assert spec["storage"]["pvc"] == {"claim": "image-registry-storage"}
    second_run_is_noop(sim, admin, params)


@pytest.mark.parametrize("platform", ["baremetal", "vsphere"])
def test_empty_dir_non_production(simulator_factory, platform):
    sim = simulator_factory(platform=platform)
    admin = ready(sim)
    params = dict(management_state="Managed", replicas=1,
                  storage={"empty_dir": {"acknowledge_non_production": True}}, wait=True)
    first = run(sim, **params)
    assert first["changed"] is True
    assert_settled(first)
    assert info(sim)["storage"].get("emptyDir") == {}
    second_run_is_noop(sim, admin, params)


@pytest.mark.parametrize("platform,storage,secret,values", [
    ("aws", {"s3": {"bucket": "sim-registry-bucket", "region": "us-east-1", "access_key": S3_ACCESS,
                    "secret_key": S3_SECRET}},
     {"REGISTRY_STORAGE_S3_ACCESSKEY": S3_ACCESS, "REGISTRY_STORAGE_S3_SECRETKEY": S3_SECRET}, (S3_ACCESS, S3_SECRET)),
    ("gcp", {"gcs": {"bucket": "sim-registry-bucket", "project_id": "sim-project", "keyfile": GCS_KEYFILE}},
     {"REGISTRY_STORAGE_GCS_KEYFILE": GCS_KEYFILE}, (GCS_KEYFILE,)),
    ("azure", {"azure": {"account_name": "simregistryacct", "container": "sim-registry", "account_key": AZURE_KEY}},
     {"REGISTRY_STORAGE_AZURE_ACCOUNTKEY": AZURE_KEY}, (AZURE_KEY,)),
])
def test_cloud_object_storage_with_credentials(simulator_factory, platform, storage, secret, values):
    sim = simulator_factory(platform=platform)
    admin = ready(sim)
    params = dict(management_state="Managed", storage=storage, wait=True)
    first = run(sim, **params)
    assert first["changed"] is True
    assert_settled(first)
    assert first["credentials"]["changed"] is True
    assert first["credentials"]["key_names"] == sorted(secret)
    assert secret_data(sim) == secret
    assert_no_secret_values(first, *values)
    backend = next(iter(storage))
    assert info(sim)["storage"][backend]  # status.storage reports the effective backend
    again = second_run_is_noop(sim, admin, params)
    assert again["credentials"]["changed"] is False
    assert_no_secret_values(again, *values)


def test_openstack_swift_application_credentials(simulator_factory):
    sim = simulator_factory(platform="openstack")
    admin = ready(sim)
    params = dict(storage={"swift": {"container": "sim-registry", "application_credential_id": "app-id",
                                     "application_credential_name": "registry",
                                     "application_credential_secret": "app-secret-value"}}, wait=True)
    first = run(sim, **params)
    assert first["changed"] is True
    assert_settled(first)
    assert secret_data(sim) == {"REGISTRY_STORAGE_SWIFT_APPLICATIONCREDENTIALID": "app-id",
                                "REGISTRY_STORAGE_SWIFT_APPLICATIONCREDENTIALNAME": "registry",
                                "REGISTRY_STORAGE_SWIFT_APPLICATIONCREDENTIALSECRET": "app-secret-value"}
    assert_no_secret_values(first, "app-secret-value")
    second_run_is_noop(sim, admin, params)


def test_switch_backend_is_one_write_and_removes_old_backend(simulator_factory):
    sim = simulator_factory(platform="aws")
    admin = ready(sim)
    assert "s3" in sim.api.get(CONFIGS, None, "cluster")["spec"]["storage"]
    admin.reset()
    result = run(sim, replicas=1, storage={"empty_dir": {"acknowledge_non_production": True}})
    assert result["changed"] is True
    storage = sim.api.get(CONFIGS, None, "cluster")["spec"]["storage"]
    assert "emptyDir" in storage and "s3" not in storage
    assert admin.count(verb="patch", resource="configs") == 1
    assert admin.mutating() == 1


def test_credentials_rotation_replaces_stale_keys(simulator_factory):
    sim = simulator_factory(platform="openstack")
    ready(sim)
    run(sim, storage={"swift": {"username": "reg", "password": "first-password"}})
    assert set(secret_data(sim)) == {"REGISTRY_STORAGE_SWIFT_USERNAME", "REGISTRY_STORAGE_SWIFT_PASSWORD"}
    admin = SimAdmin(sim)
    admin.reset()
    admin.add_fault(method="PATCH", path="/secrets/%s$" % USER_SECRET, bump=True, times=1)
    result = run(sim, storage={"swift": {"token_id": "a-keystone-token"}})
    assert result["changed"] is True and result["credentials"]["changed"] is True
    assert secret_data(sim) == {"REGISTRY_STORAGE_SWIFT_TOKENID": "a-keystone-token"}
    assert admin.count(verb="patch", resource="secrets", code=409) == 1
    assert admin.count(verb="patch", resource="secrets", code=200) == 1


def test_operator_filled_fields_never_cause_a_change(simulator_factory):
    sim = simulator_factory(platform="aws")
    admin = ready(sim)
    live = sim.api.get(CONFIGS, None, "cluster")
    assert live["spec"].get("httpSecret")  # generated by the operator
    assert live["spec"]["storage"]["s3"].get("bucket")  # generated bucket name
    admin.reset()
    result = run(sim, management_state="Managed", storage={"s3": {}}, log_level="Normal")
    assert result["changed"] is False and admin.mutating() == 0
    assert admin.count(verb="get", resource="configs") == 1
    assert result["config"]["spec"]["httpSecret"].startswith("VALUE_REDACTED")


# ------------------------------------------------------------------ bad input: clear error, zero writes
BAD = [
    ("two backends", dict(storage={"s3": {"bucket": "b"}, "pvc": {"claim": ""}}), "mutually exclusive"),
    ("emptyDir not acknowledged", dict(replicas=1, storage={"empty_dir": {}}), "acknowledge_non_production: true"),
    ("emptyDir with two replicas", dict(replicas=2, storage={"empty_dir": {"acknowledge_non_production": True}}),
     "set replicas: 1"),
    ("claim does not exist", dict(storage={"pvc": {"claim": "missing-claim"}}), "does not exist"),
    ("RWO claim with two replicas", dict(replicas=2, rollout_strategy="Recreate", storage={"pvc": {"claim": "rwo"}}),
     "ReadWriteMany"),
    ("RWO claim with RollingUpdate", dict(replicas=1, rollout_strategy="RollingUpdate",
                                          storage={"pvc": {"claim": "rwo"}}), "rollout_strategy: Recreate"),
    ("RWO claim with default strategy", dict(replicas=1, storage={"pvc": {"claim": "rwo"}}),
     "rollout_strategy: Recreate"),
    ("s3 key_id without encrypt", dict(storage={"s3": {"key_id": "arn:aws:kms:key"}}), "storage.s3.encrypt: true"),
    ("s3 key_id without encrypt, with credentials", dict(storage={"s3": {"key_id": "k", "access_key": S3_ACCESS,
                                                                         "secret_key": S3_SECRET}}), "encrypt"),
    ("s3 access key without secret key", dict(storage={"s3": {"access_key": S3_ACCESS}}), "secret_key"),
    ("gcs keyfile is a path", dict(storage={"gcs": {"keyfile": "/tmp/key.json"}}), "JSON content"),
    ("negative replicas", dict(replicas=-1), "0 or more"),
    ("reserved route name", dict(routes=[{"name": "default-route"}]), "default_route: true"),
    ("bad max_wait_in_queue", dict(requests={"read": {"max_wait_in_queue": "forever"}}), "duration"),
    ("swift password without username", dict(storage={"swift": {"password": "p"}}), "username"),
]


@pytest.mark.parametrize("label,params,fix", BAD, ids=[b[0] for b in BAD])
def test_bad_input_fails_clearly_without_writes(simulator_factory, label, params, fix):
    sim = simulator_factory(platform="vsphere")
    admin = ready(sim)
    make_pvc(sim, "rwo", ["ReadWriteOnce"])
    admin.reset()
    result = run(sim, **params)
    assert result.get("failed") is True, result
    assert fix in result["msg"], result["msg"]
    assert admin.mutating() == 0
    assert sim.api.get_or_none(SECRETS, NS, USER_SECRET) is None
    assert_no_secret_values(result, S3_SECRET)


def test_server_rejection_leaves_no_secret_behind(simulator_factory):
    """A Config the server rejects (schema) is found by a dry run before the credentials secret is written."""
    sim = simulator_factory(platform="aws")
    admin = ready(sim)
    admin.reset()
    result = run(sim, tolerations=[{"key": "infra", "tolerationSeconds": "soon"}],
                 storage={"s3": {"bucket": "b", "access_key": S3_ACCESS, "secret_key": S3_SECRET}})
    assert result["failed"] is True and "tolerationSeconds" in result["msg"], result["msg"]
    assert admin.mutating() == 0
    assert admin.count(verb="patch", resource="configs", dry_run=True) == 1
    assert sim.api.get_or_none(SECRETS, NS, USER_SECRET) is None
    assert_no_secret_values(result, S3_ACCESS, S3_SECRET)


def test_ha_on_live_rwo_claim_is_caught(simulator_factory):
    """The operator does not re-check a claim it already accepted; the module does."""
    sim = simulator_factory(platform="vsphere")
    admin = ready(sim)
    make_pvc(sim, "rwo", ["ReadWriteOnce"])
    assert not run(sim, management_state="Managed", replicas=1, rollout_strategy="Recreate",
                   storage={"pvc": {"claim": "rwo"}}).get("failed")
    admin.reset()
    result = run(sim, replicas=2)
    assert result["failed"] is True and "ReadWriteOnce" in result["msg"] and result["option"] == "replicas"
    assert admin.mutating() == 0


def test_rwx_claim_allows_ha(simulator_factory):
    sim = simulator_factory(platform="baremetal")
    ready(sim)
    make_pvc(sim, "shared", ["ReadWriteMany"])
    result = run(sim, management_state="Managed", replicas=2, storage={"pvc": {"claim": "shared"}}, wait=True)
    assert_settled(result)


# ------------------------------------------------------------------ check mode and diff mode
def test_check_mode_writes_nothing_and_predicts(simulator_factory):
    sim = simulator_factory(platform="aws")
    admin = ready(sim)
    params = dict(replicas=3, default_route=True,
                  storage={"s3": {"bucket": "other", "access_key": S3_ACCESS, "secret_key": S3_SECRET}})
    admin.reset()
    checked = run(sim, check=True, **params)
    assert checked["changed"] is True and checked["credentials"]["changed"] is True
    assert checked["config"]["spec"]["replicas"] == 3 and checked["config"]["spec"]["defaultRoute"] is True
    assert admin.mutating() == 0
    assert sim.api.get_or_none(SECRETS, NS, USER_SECRET) is None
    applied = run(sim, **params)
    assert applied["changed"] is True
    admin.reset()
    rechecked = run(sim, check=True, **params)
    assert rechecked["changed"] is False and admin.mutating() == 0


def test_check_mode_with_wait_does_not_wait(simulator_factory):
    sim = simulator_factory(platform="baremetal")
    admin = ready(sim)
    admin.reset()
    result = run(sim, check=True, management_state="Managed", storage={"pvc": {"claim": ""}}, wait=True)
    assert result["changed"] is True and "cluster_operator_conditions" not in result
    assert admin.mutating() == 0


def test_diff_redacts_http_secret_and_credentials(simulator_factory):
    sim = simulator_factory(platform="aws")
    ready(sim)
    http_secret = "0123456789abcdef-user-chosen-http-secret"
    result = run(sim, diff=True, http_secret=http_secret,
                 storage={"s3": {"bucket": "b2", "access_key": S3_ACCESS, "secret_key": S3_SECRET}})
    assert result["changed"] is True
    diff = result["diff"]
    assert diff["after"]["config"]["spec"]["httpSecret"].startswith("VALUE_REDACTED")
    assert diff["before"]["config"]["spec"]["httpSecret"].startswith("VALUE_REDACTED")
    assert diff["before"]["config"]["spec"]["httpSecret"] != diff["after"]["config"]["spec"]["httpSecret"]
    assert diff["after"]["config"]["spec"]["storage"]["s3"]["bucket"] == "b2"
    assert set(diff["after"]["credentials_secret"]["data"]) == {"REGISTRY_STORAGE_S3_ACCESSKEY",
                                                                "REGISTRY_STORAGE_S3_SECRETKEY"}
    assert diff["before"]["credentials_secret"] is None or diff["before"]["credentials_secret"] == {}
    assert_no_secret_values(result, http_secret, S3_ACCESS, S3_SECRET)
    assert sim.api.get(CONFIGS, None, "cluster")["spec"]["httpSecret"] == http_secret
    # unchanged rerun in diff mode: equal redacted markers, no change
    again = run(sim, diff=True, http_secret=http_secret,
                storage={"s3": {"bucket": "b2", "access_key": S3_ACCESS, "secret_key": S3_SECRET}})
    assert again["changed"] is False
    assert again["diff"]["before"] == again["diff"]["after"]
    assert_no_secret_values(again, http_secret, S3_ACCESS, S3_SECRET)


# ------------------------------------------------------------------ faults
def test_conflict_during_write_converges(simulator_factory):
    sim = simulator_factory(platform="baremetal")
    admin = ready(sim)
    admin.reset()
    admin.add_fault(method="PATCH", path="/configs/cluster$", bump=True, times=1)
    result = run(sim, management_state="Managed", replicas=1,
                 storage={"empty_dir": {"acknowledge_non_production": True}}, wait=True)
    assert_settled(result)
    assert admin.count(verb="patch", resource="configs", code=409) == 1
    assert admin.count(verb="patch", resource="configs", code=200) == 1
    assert "emptyDir" in sim.api.get(CONFIGS, None, "cluster")["spec"]["storage"]
    assert len(sim.api.list(CONFIGS, None)["items"]) == 1


def test_503_bursts_converge_without_duplicates(simulator_factory):
    sim = simulator_factory(platform="aws")
    admin = ready(sim)
    admin.reset()
    admin.add_fault(method="POST", path="/secrets$", status=503, times=2)
    admin.add_fault(method="PATCH", path="/configs/cluster$", status=503, times=2)
    admin.add_fault(method="GET", path="/configs/cluster$", status=503, times=1)
    params = dict(storage={"s3": {"bucket": "b3", "access_key": S3_ACCESS, "secret_key": S3_SECRET}}, wait=True)
    result = run(sim, **params)
    assert_settled(result)
    assert admin.count(verb="create", resource="secrets", code=503) == 2
    assert admin.count(verb="patch", resource="configs", code=503) == 2
    assert admin.count(verb="get", resource="configs", code=503) == 1
    assert admin.count(verb="create", resource="secrets", code=201) == 1
    assert admin.count(verb="patch", resource="configs", code=200, dry_run=False) == 1
    assert secret_data(sim) == {"REGISTRY_STORAGE_S3_ACCESSKEY": S3_ACCESS, "REGISTRY_STORAGE_S3_SECRETKEY": S3_SECRET}
    names = [s["metadata"]["name"] for s in sim.api.list(SECRETS, NS)["items"]]
    assert names.count(USER_SECRET) == 1
    assert len(sim.api.list(CONFIGS, None)["items"]) == 1
    admin.clear_faults()
    second_run_is_noop(sim, admin, params)


def test_wait_timeout_reports_reasons(simulator_factory):
    """Managed without storage on bare metal: the operator reports StorageNotConfigured."""
    sim = simulator_factory(platform="baremetal")
    ready(sim)
    result = run(sim, management_state="Managed", wait=True, wait_timeout=3, wait_sleep=1)
    assert result["failed"] is True
    assert "Timed out after 3s" in result["msg"]
    assert "Config cluster" in result["msg"] and "Available=False" in result["msg"]
    assert "StorageNotConfigured" in result["msg"]
    assert result["conditions"][0]["object"] == "Config cluster"


# ------------------------------------------------------------------ management states and bootstrap
def test_managed_to_removed_and_unmanaged_settle(simulator_factory):
    sim = simulator_factory(platform="aws")
    admin = ready(sim)
    removed = run(sim, management_state="Removed", wait=True)
    assert_settled(removed)
    assert {c["reason"] for c in removed["conditions"]} == {"Removed"}
    unmanaged = run(sim, management_state="Unmanaged", wait=True)
    assert_settled(unmanaged)
    assert {c["reason"] for c in unmanaged["conditions"]} == {"Unmanaged"}
    second_run_is_noop(sim, admin, dict(management_state="Unmanaged", wait=True))


def test_config_not_created_yet(simulator_factory):
    """Before the operator has bootstrapped the Config: a clear error, or wait for it with wait: true."""
    sim = simulator_factory(platform="baremetal", controller_delay=1.5)
    admin = SimAdmin(sim)
    early = run(sim, management_state="Managed")
    if sim.api.get_or_none(CONFIGS, None, "cluster") is None:  # the operator was not faster than this task
        assert early["failed"] is True and "set wait: true" in early["msg"]
        assert admin.mutating() == 0
    result = run(sim, management_state="Managed", replicas=1,
                 storage={"empty_dir": {"acknowledge_non_production": True}}, wait=True, wait_timeout=90)
    assert_settled(result)
    assert len(sim.api.list(CONFIGS, None)["items"]) == 1


@pytest.mark.parametrize("platform,params,reads", [
    ("aws", dict(log_level="Normal"), {"configs": 1}),
    ("aws", dict(storage={"s3": {"access_key": S3_ACCESS, "secret_key": S3_SECRET}}),
     {"configs": 1, "secrets": 1}),
    ("vsphere", dict(management_state="Managed", replicas=1, rollout_strategy="Recreate",
                     storage={"pvc": {"claim": "rwo"}}), {"configs": 1, "persistentvolumeclaims": 1}),
])
def test_noop_run_makes_only_the_needed_reads(simulator_factory, platform, params, reads):
    sim = simulator_factory(platform=platform)
    admin = ready(sim)
    if platform == "vsphere":
        make_pvc(sim, "rwo", ["ReadWriteOnce"])
    assert not run(sim, **params).get("failed")
    admin.reset()
    again = run(sim, **params)
    assert again["changed"] is False
    counters = admin.counters()
    seen = {}
    for entry in counters["requests"]:
        seen[entry["resource"]] = seen.get(entry["resource"], 0) + entry["count"]
        assert entry["verb"] == "get", entry
    assert seen == reads
