"""storage.py: backend options -> spec.storage, credentials, validation rules (table-driven)."""
from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import storage as st
from ansible_collections.ocp.registry.plugins.module_utils.ensure import REMOVE, compute_patch
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError, NotFound


def opts(**backends):
    """A storage option dict as AnsibleModule fills it (unset backends are None)."""
    out = {name: None for name in st.BACKENDS}
    out["management_state"] = None
    out.update(backends)
    return out


# ---------------------------------------------------------------- spec building
SPEC_CASES = [
    ("s3 fields camelCased", opts(s3={"bucket": "b", "region": "r", "region_endpoint": "https://e", "encrypt": True,
                                      "key_id": "k", "virtual_hosted_style": False, "trusted_ca": "ca",
                                      "access_key": "A", "secret_key": "S"}), None,
     {"s3": {"bucket": "b", "region": "r", "regionEndpoint": "https://e", "encrypt": True, "keyID": "k",
             "virtualHostedStyle": False, "trustedCA": {"name": "ca"}}}),
    ("credentials never reach the spec", opts(azure={"account_name": "acct", "container": "c", "account_key": "K"}),
     None, {"azure": {"accountName": "acct", "container": "c"}}),
    ("gcs", opts(gcs={"bucket": "b", "project_id": "p", "key_id": "k"}), None,
     {"gcs": {"bucket": "b", "projectID": "p", "keyID": "k"}}),
    ("cloudfront nested", opts(s3={"cloud_front": {
        "base_url": "https://cf", "keypair_id": "K", "duration": "20m",
        "private_key": {"name": "cf", "key": "pk", "optional": None}}}),
     None, {"s3": {"cloudFront": {"baseURL": "https://cf", "keypairID": "K", "duration": "20m",
                                  "privateKey": {"name": "cf", "key": "pk"}}}}),
    ("empty claim means operator default", opts(pvc={"claim": ""}), None, {"pvc": {}}),
    ("empty claim matches the operator-filled default", opts(pvc={"claim": ""}),
     {"pvc": {"claim": "image-registry-storage"}}, {"pvc": {}}),
    ("empty claim resets another live claim", opts(pvc={"claim": ""}), {"pvc": {"claim": "mine"}},
     {"pvc": {"claim": ""}}),
    ("named claim", opts(pvc={"claim": "mine"}), None, {"pvc": {"claim": "mine"}}),
    ("emptyDir ack is not sent", opts(empty_dir={"acknowledge_non_production": True}), None, {"emptyDir": {}}),
    ("switch removes the old backend", opts(pvc={"claim": ""}), {"s3": {"bucket": "x"}, "managementState": "Managed"},
     {"pvc": {}, "s3": REMOVE}),
    ("switch removes several stale backends", opts(empty_dir={"acknowledge_non_production": True}),
     {"s3": {}, "gcs": {}}, {"emptyDir": {}, "s3": REMOVE, "gcs": REMOVE}),
    ("management state only", opts(management_state="Unmanaged"), {"s3": {}}, {"managementState": "Unmanaged"}),
]


@pytest.mark.parametrize("label,options,live,expected", SPEC_CASES, ids=[c[0] for c in SPEC_CASES])
def test_storage_spec(label, options, live, expected):
    assert st.storage_spec(options, live) == expected


def test_storage_not_managed_when_option_absent():
    assert st.storage_spec(None, {"s3": {}}) is None


def test_switch_is_one_merge_patch_with_null():
    live = {"spec": {"storage": {"s3": {"bucket": "x", "region": "r"}, "managementState": "Managed"}}}
    desired = {"spec": {"storage": st.storage_spec(opts(pvc={"claim": "reg"}), live["spec"]["storage"])}}
    assert compute_patch(live, desired) == {"spec": {"storage": {"pvc": {"claim": "reg"}, "s3": None}}}


def test_operator_filled_fields_are_not_compared():
    live = {"spec": {"storage": {"s3": {"bucket": "gen-bucket", "region": "us-east-1", "regionEndpoint": "",
                                        "virtualHostedStyle": False}, "managementState": "Managed"}}}
    desired = {"spec": {"storage": st.storage_spec(opts(s3={"region": "us-east-1"}), live["spec"]["storage"])}}
    assert compute_patch(live, desired) == {}


# ---------------------------------------------------------------- credentials
CRED_CASES = [
    ("s3", opts(s3={"access_key": "AK", "secret_key": "SK"}),
     {"REGISTRY_STORAGE_S3_ACCESSKEY": "AK", "REGISTRY_STORAGE_S3_SECRETKEY": "SK"}),
    ("gcs", opts(gcs={"keyfile": '{"type": "service_account"}'}), {"REGISTRY_STORAGE_GCS_KEYFILE": '{"type": "service_account"}'}),
    ("azure", opts(azure={"account_key": "K"}), {"REGISTRY_STORAGE_AZURE_ACCOUNTKEY": "K"}),
    ("swift password", opts(swift={"username": "u", "password": "p"}),
     {"REGISTRY_STORAGE_SWIFT_USERNAME": "u", "REGISTRY_STORAGE_SWIFT_PASSWORD": "p"}),
    ("swift app credential", opts(swift={"application_credential_id": "i", "application_credential_name": "n",
                                         "application_credential_secret": "s"}),
     {"REGISTRY_STORAGE_SWIFT_APPLICATIONCREDENTIALID": "i", "REGISTRY_STORAGE_SWIFT_APPLICATIONCREDENTIALNAME": "n",
      "REGISTRY_STORAGE_SWIFT_APPLICATIONCREDENTIALSECRET": "s"}),
    ("swift token", opts(swift={"token_id": "t"}), {"REGISTRY_STORAGE_SWIFT_TOKENID": "t"}),
    ("ibmcos", opts(ibmcos={"iam_api_key": "k"}), {"REGISTRY_STORAGE_IBMCOS_IAMAPIKEY": "k"}),
    ("oss", opts(oss={"access_key_id": "i", "access_key_secret": "s"}),
     {"REGISTRY_STORAGE_OSS_ACCESSKEYID": "i", "REGISTRY_STORAGE_OSS_ACCESSKEYSECRET": "s"}),
    ("no credentials given", opts(s3={"bucket": "b"}), None),
    ("pvc has none", opts(pvc={"claim": "x"}), None),
]


@pytest.mark.parametrize("label,options,expected", CRED_CASES, ids=[c[0] for c in CRED_CASES])
def test_credential_data(label, options, expected):
    assert st.credential_data(options) == expected


def test_secret_desired_removes_stale_keys_and_encodes():
    build = st.secret_desired({"REGISTRY_STORAGE_GCS_KEYFILE": "{}"})
    created = build(None)
    assert created["type"] == "Opaque"
    assert created["metadata"] == {"name": st.USER_SECRET, "namespace": st.NAMESPACE}
    assert created["data"] == {"REGISTRY_STORAGE_GCS_KEYFILE": base64.b64encode(b"{}").decode()}
    live = {"data": {"REGISTRY_STORAGE_S3_ACCESSKEY": "eA==", "REGISTRY_STORAGE_GCS_KEYFILE": "e30="}}
    updated = build(live)
    assert "type" not in updated
    assert updated["data"] == {"REGISTRY_STORAGE_GCS_KEYFILE": "e30=", "REGISTRY_STORAGE_S3_ACCESSKEY": REMOVE}
    assert compute_patch(live, {"data": updated["data"]}) == {"data": {"REGISTRY_STORAGE_S3_ACCESSKEY": None}}


# ---------------------------------------------------------------- validation (no API)
BAD_STORAGE = [
    ("s3 key_id without encrypt", opts(s3={"key_id": "k", "encrypt": None}), "storage.s3.key_id", "encrypt: true"),
    ("s3 key_id with encrypt false", opts(s3={"key_id": "k", "encrypt": False}), "storage.s3.key_id", "encrypt"),
    ("s3 chunk size", opts(s3={"chunk_size_mib": 4}), "storage.s3.chunk_size_mib", "between 5 and 5120"),
    ("s3 trusted_ca name", opts(s3={"trusted_ca": "Bad_Name"}), "storage.s3.trusted_ca", "ConfigMap name"),
    ("cloudfront duration", opts(s3={"cloud_front": {"duration": "ten minutes"}}), "storage.s3.cloud_front.duration",
     "duration"),
    ("gcs keyfile not JSON", opts(gcs={"keyfile": "/path/to/key.json"}), "storage.gcs.keyfile", "JSON content"),
    ("azure container name", opts(azure={"container": "Bad_Container"}), "storage.azure.container", "container name"),
    ("azure empty account key", opts(azure={"account_key": ""}), "storage.azure.account_key", "must not be empty"),
    ("ibmcos key crn", opts(ibmcos={"resource_key_crn": "nope"}), "storage.ibmcos.resource_key_crn", "crn:"),
    ("ibmcos instance crn", opts(ibmcos={"service_instance_crn": "nope"}), "storage.ibmcos.service_instance_crn",
     "crn:"),
    ("oss bucket", opts(oss={"bucket": "UPPER"}), "storage.oss.bucket", "bucket name"),
    ("oss kms without KMS method", opts(oss={"encryption": {"method": "AES256", "kms": {"key_id": "k"}}}),
     "storage.oss.encryption.kms", "method: KMS"),
    ("empty s3 secret", opts(s3={"access_key": "a", "secret_key": ""}), "storage.s3.secret_key", "must not be empty"),
]


@pytest.mark.parametrize("label,options,option,fix", BAD_STORAGE, ids=[c[0] for c in BAD_STORAGE])
def test_validate_storage_rejects(label, options, option, fix):
    with pytest.raises(InputError) as err:
        st.validate_storage(options)
    assert err.value.option == option
    assert option in err.value.msg and fix in err.value.msg


GOOD_STORAGE = [
    opts(s3={"key_id": "k", "encrypt": True, "chunk_size_mib": 10, "trusted_ca": "my-ca"}),
    opts(gcs={"keyfile": json.dumps({"type": "service_account"})}),
    opts(azure={"container": "reg-1", "account_key": "x"}),
    opts(ibmcos={"resource_key_crn": "crn:v1:bluemix:public:cloud-object-storage:global:a/1:2:resource-key:3",
                 "service_instance_crn": "crn:v1:bluemix:public:cloud-object-storage:global:a/1:2::"}),
    opts(oss={"bucket": "reg-1", "encryption": {"method": "KMS", "kms": {"key_id": "k"}}}),
    opts(pvc={"claim": ""}),
    None,
]


@pytest.mark.parametrize("options", GOOD_STORAGE)
def test_validate_storage_accepts(options):
    st.validate_storage(options)


EMPTY_DIR = [
    ("not acknowledged", {"acknowledge_non_production": False}, 1, "storage.empty_dir", "acknowledge_non_production"),
    ("two replicas", {"acknowledge_non_production": True}, 2, "replicas", "replicas: 1"),
    ("zero replicas", {"acknowledge_non_production": True}, 0, "replicas", "exactly 1 replica"),
]


@pytest.mark.parametrize("label,ed,replicas,option,fix", EMPTY_DIR, ids=[c[0] for c in EMPTY_DIR])
def test_empty_dir_rules(label, ed, replicas, option, fix):
    with pytest.raises(InputError) as err:
        st.validate_empty_dir(opts(empty_dir=ed), replicas)
    assert err.value.option == option and fix in err.value.msg


def test_empty_dir_ok():
    st.validate_empty_dir(opts(empty_dir={"acknowledge_non_production": True}), 1)


# ---------------------------------------------------------------- PVC checks
class FakeClient:
    def __init__(self, pvcs):
        self.pvcs = pvcs
        self.calls = []

    def get(self, res, name, namespace=None):
        self.calls.append((res.kind, namespace, name))
        if name not in self.pvcs:
            raise NotFound("not found")
        return {"metadata": {"name": name}, "spec": {"accessModes": self.pvcs[name]}}


CLAIMS = [
    ("missing claim", "nope", None, 1, "Recreate", "storage.pvc.claim", "does not exist"),
    ("rwo with 2 replicas", "rwo", ["ReadWriteOnce"], 2, "Recreate", "replicas", "ReadWriteMany"),
    ("rwo with rolling update", "rwo", ["ReadWriteOnce"], 1, "RollingUpdate", "rollout_strategy", "Recreate"),
    ("rwo with default strategy", "rwo", ["ReadWriteOnce"], 1, None, "rollout_strategy", "Recreate"),
    ("read-only claim", "rox", ["ReadOnlyMany"], 1, "Recreate", "storage.pvc.claim", "ReadWriteMany"),
]


@pytest.mark.parametrize("label,claim,modes,replicas,rollout,option,fix", CLAIMS, ids=[c[0] for c in CLAIMS])
def test_check_claim_rejects(label, claim, modes, replicas, rollout, option, fix):
    client = FakeClient({claim: modes} if modes else {})
    with pytest.raises(InputError) as err:
        st.check_claim(client, claim, replicas, rollout)
    assert err.value.option == option and fix in err.value.msg
    assert client.calls == [("PersistentVolumeClaim", "openshift-image-registry", claim)]


@pytest.mark.parametrize("modes,replicas,rollout", [
    (["ReadWriteOnce"], 1, "Recreate"),
    (["ReadWriteMany"], 3, "RollingUpdate"),
    (["ReadWriteOnce", "ReadWriteMany"], 2, None),
])
def test_check_claim_accepts(modes, replicas, rollout):
    st.check_claim(FakeClient({"c": modes}), "c", replicas, rollout)


CLAIM_TO_CHECK = [
    ("named claim in options", opts(pvc={"claim": "mine"}), None, False, "mine"),
    ("empty claim: no GET", opts(pvc={"claim": ""}), {"pvc": {"claim": "image-registry-storage"}}, True, None),
    ("other backend: no GET", opts(s3={}), {"pvc": {"claim": "mine"}}, True, None),
    ("storage untouched, replicas set: live claim", None, {"pvc": {"claim": "mine"}}, True, "mine"),
    ("storage untouched, nothing relevant set", None, {"pvc": {"claim": "mine"}}, False, None),
    ("storage untouched, live s3", None, {"s3": {}}, True, None),
]


@pytest.mark.parametrize("label,options,live,given,expected", CLAIM_TO_CHECK, ids=[c[0] for c in CLAIM_TO_CHECK])
def test_claim_to_check(label, options, live, given, expected):
    assert st.claim_to_check(options, live, given) == expected


class FakeConfigMaps:
    def __init__(self, maps):
        self.maps = maps
        self.calls = []

    def get(self, res, name, namespace=None):
        self.calls.append((res.kind, namespace, name))
        if name not in self.maps:
            raise NotFound("not found")
        return {"metadata": {"name": name}, "data": self.maps[name]}


TRUSTED_CA = [
    ("missing config map", {}, "does not exist"),
    ("config map without ca-bundle.crt", {"my-ca": {"ca.crt": "PEM"}}, "no ca-bundle.crt key"),
]


@pytest.mark.parametrize("label,maps,fix", TRUSTED_CA, ids=[c[0] for c in TRUSTED_CA])
def test_check_trusted_ca_rejects(label, maps, fix):
    client = FakeConfigMaps(maps)
    with pytest.raises(InputError) as err:
        st.check_trusted_ca(client, opts(s3={"trusted_ca": "my-ca"}), None)
    assert err.value.option == "storage.s3.trusted_ca" and fix in err.value.msg
    assert client.calls == [("ConfigMap", "openshift-config", "my-ca")]


@pytest.mark.parametrize("label,options,live,calls", [
    ("present with the key", opts(s3={"trusted_ca": "my-ca"}), None, 1),
    ("unchanged: no GET", opts(s3={"trusted_ca": "gone"}), {"s3": {"trustedCA": {"name": "gone"}}}, 0),
    ("not set: no GET", opts(s3={"bucket": "b"}), None, 0),
    ("storage untouched: no GET", None, {"s3": {"trustedCA": {"name": "x"}}}, 0),
])
def test_check_trusted_ca_accepts(label, options, live, calls):
    client = FakeConfigMaps({"my-ca": {"ca-bundle.crt": "PEM"}})
    st.check_trusted_ca(client, options, live)
    assert len(client.calls) == calls
