"""registry_platform_info against the simulator's Infrastructure object for each platform."""
import pytest

from ansible_collections.ocp.registry.tests.lib.modules import run_module


@pytest.mark.parametrize("platform,ptype,storage", [
    ("baremetal", "BareMetal", "pvc"), ("vsphere", "VSphere", "pvc"), ("aws", "AWS", "s3"), ("gcp", "GCP", "gcs"),
    ("azure", "Azure", "azure"), ("openstack", "OpenStack", "swift"),
])
def test_platform(simulator_factory, platform, ptype, storage):
    sim = simulator_factory(platform=platform)
    result = run_module("registry_platform_info", {"kubeconfig": sim.kubeconfig}, check_mode=True)
    assert result["changed"] is False
    assert result["platform"] == ptype and result["default_storage"] == storage and result["exists"] is True
