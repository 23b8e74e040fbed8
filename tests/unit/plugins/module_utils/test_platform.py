"""Unit tests for module_utils/platform.py."""
import pytest

from ansible_collections.ocp.registry.plugins.module_utils import platform


@pytest.mark.parametrize("ptype,storage,obj", [
    ("AWS", "s3", True), ("GCP", "gcs", True), ("Azure", "azure", True), ("OpenStack", "swift", True),
    ("IBMCloud", "ibmcos", True), ("BareMetal", "pvc", False), ("VSphere", "pvc", False), ("None", "pvc", False),
    ("Libvirt", "empty_dir", False),
])
def test_describe(ptype, storage, obj):
    infra = {"status": {"platformStatus": {"type": ptype}, "infrastructureName": "x-1",
                        "infrastructureTopology": "HighlyAvailable"}}
    out = platform.describe(infra)
    assert out["platform"] == ptype and out["default_storage"] == storage and out["object_storage"] is obj
    assert out["exists"] is True and out["infrastructure_name"] == "x-1"


def test_missing_infrastructure():
    out = platform.describe(None)
    assert out["exists"] is False and out["platform"] == "" and out["default_storage"] == ""


def test_legacy_platform_field():
    assert platform.describe({"status": {"platform": "VSphere"}})["platform"] == "VSphere"
