"""Unit tests for module_utils/storage_claim.py: quantities, immutable fields, expansion."""
import pytest

from ansible_collections.ocp.registry.plugins.module_utils import storage_claim as sc
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError

GI = 1024 ** 3


def params(**kw):
    base = {"name": "image-registry-storage", "namespace": "openshift-image-registry", "state": "present",
            "size": "100Gi", "access_mode": "ReadWriteMany", "volume_mode": "Filesystem", "storage_class": None,
            "labels": None, "annotations": None}
    base.update(kw)
    return base


def live_claim(size="100Gi", modes=("ReadWriteMany",), volume_mode="Filesystem", storage_class="standard"):
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "image-registry-storage", "namespace": "openshift-image-registry"},
            "spec": {"accessModes": list(modes), "volumeMode": volume_mode, "storageClassName": storage_class,
                     "resources": {"requests": {"storage": size}}}}


@pytest.mark.parametrize("text,expected", [
    ("100Gi", 100 * GI), ("1Ti", 1024 * GI), ("500M", 500 * 10 ** 6), ("1.5Gi", int(1.5 * GI)),
    ("1073741824", GI), ("2k", 2000),
])
def test_parse_quantity(text, expected):
    assert sc.parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["", "100GB", "-1Gi", "0", "abc", "1e3", "100 Gi"])
def test_parse_quantity_rejects(text):
    with pytest.raises(InputError) as err:
        sc.parse_quantity(text)
    assert err.value.option == "size"


def test_new_claim_has_everything():
    obj = sc.desired_claim(params(storage_class="thin-csi", access_mode="ReadWriteOnce", volume_mode="Block",
                                  labels={"a": "b"}))(None)
    assert obj["spec"] == {"accessModes": ["ReadWriteOnce"], "volumeMode": "Block", "storageClassName": "thin-csi",
                           "resources": {"requests": {"storage": "100Gi"}}}
    assert obj["metadata"]["labels"] == {"a": "b"}


def test_new_claim_without_class_uses_cluster_default():
    assert "storageClassName" not in sc.desired_claim(params())(None)["spec"]


def test_equal_size_keeps_live_spelling():
    obj = sc.desired_claim(params())(live_claim(size="107374182400"))
    assert obj["spec"] == {"resources": {"requests": {"storage": "107374182400"}}}


def test_larger_size_expands_a_bound_claim():
    live = live_claim()
    live["status"] = {"phase": "Bound"}
    obj = sc.desired_claim(params(size="200Gi"))(live)
    assert obj["spec"]["resources"]["requests"]["storage"] == "200Gi"


@pytest.mark.parametrize("kw,live_kw,option", [
    ({"size": "50Gi"}, {}, "size"),
    ({"size": "200Gi"}, {}, "size"),   # growing a claim that is not bound yet
    ({"access_mode": "ReadWriteOnce"}, {}, "access_mode"),
    ({"volume_mode": "Block"}, {}, "volume_mode"),
    ({"storage_class": "other"}, {}, "storage_class"),
    ({"storage_class": ""}, {}, "storage_class"),
])
def test_immutable_or_shrink_is_refused(kw, live_kw, option):
    with pytest.raises(InputError) as err:
        sc.desired_claim(params(**kw))(live_claim(**live_kw))
    assert err.value.option == option
    assert "PersistentVolumeClaim openshift-image-registry/image-registry-storage" in err.value.msg


def test_validate_names():
    with pytest.raises(InputError):
        sc.validate(params(name="Bad_Name"))
    with pytest.raises(InputError):
        sc.validate(params(storage_class="Not Valid"))
    sc.validate(params(storage_class=""))
    sc.validate(params(state="absent", size="garbage"))


def test_summarize():
    out = sc.summarize(live_claim())
    assert out == {"name": "image-registry-storage", "namespace": "openshift-image-registry", "size": "100Gi",
                   "access_modes": ["ReadWriteMany"], "volume_mode": "Filesystem", "storage_class": "standard",
                   "phase": None}
    assert sc.summarize(None) is None


@pytest.mark.parametrize("kw,option", [
    ({"labels": {"bad key!": "x"}}, "labels"),
    ({"labels": {"app": "not valid!"}}, "labels"),
    ({"labels": {"Example.COM/app": "x"}}, "labels"),
    ({"annotations": {"-bad": "anything goes in values"}}, "annotations"),
])
def test_metadata_keys_are_checked(kw, option):
    with pytest.raises(InputError) as err:
        sc.validate(params(**kw))
    assert err.value.option == option


def test_valid_metadata_passes():
    sc.validate(params(labels={"app.kubernetes.io/managed-by": "ocp.registry", "tier": ""},
                       annotations={"example.com/note": "free text: yes"}))


@pytest.mark.parametrize("kw,option", [
    ({"namespace": "Bad NS"}, "namespace"),
    ({"namespace": "x" * 64}, "namespace"),
    ({"labels": {"/app": "x"}}, "labels"),
    ({"labels": {"app": "bad value!"}}, "labels"),
    ({"annotations": {"bad key!": "any value at all"}}, "annotations"),
])
def test_validate_metadata_and_namespace(kw, option):
    with pytest.raises(InputError) as err:
        sc.validate(params(**kw))
    assert err.value.option == option and err.value.msg.startswith(option + ": ")


def test_validate_annotation_values_are_free_text():
    sc.validate(params(annotations={"example.com/note": "any value, with spaces!"}, labels={"app": ""}))
