"""Bootstrap of configs/cluster per platform (operator-behavior.md §2) and the §9 worked examples."""
from __future__ import annotations

import re

import pytest

from ansible_collections.ocp.registry.tests.simulator.server import SimulatorServer
from ansible_collections.ocp.registry.tests.simulator.tests.operator_helpers import (
    CO, CONFIG, IMAGES, NS, Kube, apis, cond, cond_summary, core, deployment, registry_ready, unb64, wait_config, wait_for)

FINALIZER = "imageregistry.operator.openshift.io/finalizer"

# platform -> (storage backend or None, replicas, managementState, rolloutStrategy)
PLATFORMS = {
    "baremetal": (None, 1, "Removed", "RollingUpdate"),
    "vsphere": (None, 1, "Removed", "RollingUpdate"),
    "none": (None, 1, "Removed", "RollingUpdate"),
    "aws": ("s3", 2, "Managed", "RollingUpdate"),
    "gcp": ("gcs", 2, "Managed", "RollingUpdate"),
    "azure": ("azure", 2, "Managed", "RollingUpdate"),
    "openstack": ("swift", 2, "Managed", "RollingUpdate"),
    "ibmcloud": ("ibmcos", 2, "Managed", "RollingUpdate"),
    "libvirt": ("emptyDir", 1, "Managed", "RollingUpdate"),
}


@pytest.fixture
def start(tmp_path):
    servers = []

    def _start(platform: str, **attrs) -> SimulatorServer:
        s = SimulatorServer(str(tmp_path / f"{platform}{len(servers)}"), platform=platform, controller_delay=0.02)
        for k, v in attrs.items():
            setattr(s.config, k, v)
        servers.append(s)
        s.start()
        return s

    yield _start
    for s in servers:
        s.stop()


def settled(cfg: dict) -> bool:
    ms = cfg["spec"].get("managementState")
    if ms == "Removed":
        return cond_summary(cfg, "Progressing") == ("False", "Removed")
    return registry_ready(cfg)


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_bootstrap_per_platform(start, platform):
    backend, replicas, ms, strategy = PLATFORMS[platform]
    sim = start(platform)
    k = Kube(sim)
    cfg = wait_config(sim, k, settled, what=f"{platform} registry settled")
    spec = cfg["spec"]
    assert cfg["metadata"]["finalizers"] == [FINALIZER]
    assert spec["managementState"] == ms
    assert spec["replicas"] == replicas
    assert spec["rolloutStrategy"] == strategy
    assert spec["logLevel"] == "Normal" and spec["operatorLogLevel"] == "Normal"
    backends = [b for b in ("emptyDir", "s3", "gcs", "swift", "pvc", "azure", "ibmcos") if b in spec["storage"]]
    if backend is None:
        assert spec["storage"] == {}
        assert cond_summary(cfg, "Available") == ("True", "Removed")
        assert cond_summary(cfg, "Degraded") == ("False", "Removed")
        assert cond_summary(cfg, "Removed") == ("True", "Removed")
        assert k.get(deployment()) is None
        assert "httpSecret" not in spec
    else:
        assert backends == [backend]
        assert spec["storage"]["managementState"] == "Managed"
        assert re.fullmatch(r"[0-9a-f]{128}", spec["httpSecret"])
        assert cfg["status"]["storageManaged"] is True
        assert cfg["status"]["storage"][backend] == spec["storage"][backend]
        assert cond(cfg, "StorageExists")["status"] == "True"
        assert cond_summary(cfg, "Removed") == ("False", "")
        dep = k.get(deployment())
        assert dep["spec"]["replicas"] == replicas
        assert cfg["status"]["readyReplicas"] == replicas
    clouds = {"aws", "gcp", "azure", "openstack", "ibmcloud"}
    has_creds = k.get(core("secrets", NS, "installer-cloud-credentials")) is not None
    assert has_creds == (platform in clouds)


def test_aws_bucket_name_and_region(start):
    sim = start("aws")
    k = Kube(sim)
    cfg = wait_config(sim, k, registry_ready)
    s3 = cfg["spec"]["storage"]["s3"]
    # <infrastructureName>-image-registry-<region>, lowercased
    assert s3 == {"bucket": "sim-x7k2p-image-registry-us-east-1", "region": "us-east-1"}
    env = {e["name"]: e.get("value") for e in
           k.get(deployment())["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["REGISTRY_STORAGE"] == "s3"
    assert env["REGISTRY_STORAGE_S3_BUCKET"] == "sim-x7k2p-image-registry-us-east-1"
    assert env["REGISTRY_STORAGE_S3_CREDENTIALSCONFIGPATH"] == "/var/run/secrets/cloud/credentials"
    priv = k.get(core("secrets", NS, "image-registry-private-configuration"))
    assert "aws_access_key_id = AKIASIMULATORKEY0001" in unb64(priv["data"]["credentials"])


def test_openstack_without_swift_uses_rwo_pvc(start):
    sim = start("openstack", openstack_swift=False)
    k = Kube(sim)
    cfg = wait_config(sim, k, registry_ready, what="openstack pvc registry ready")
    assert cfg["spec"]["storage"]["pvc"] == {"claim": "image-registry-storage"}
    assert cfg["spec"]["replicas"] == 1
    assert cfg["spec"]["rolloutStrategy"] == "Recreate"
    pvc = k.get(core("persistentvolumeclaims", NS, "image-registry-storage"))
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "100Gi"
    assert pvc["spec"]["storageClassName"] == "standard-csi"
    assert pvc["metadata"]["annotations"]["imageregistry.openshift.io"] == "true"
    assert pvc["status"]["phase"] == "Bound"


def test_co_worked_example_healthy_managed(start):
    sim = start("libvirt")
    k = Kube(sim)
    wait_config(sim, k, registry_ready)

    def co_ready():
        co = k.get(CO)
        return co if cond_summary(co, "Available") == ("True", "Ready") else None
    co = wait_for(sim, co_ready, what="ClusterOperator Available=Ready")
    avail, prog, deg = cond(co, "Available"), cond(co, "Progressing"), cond(co, "Degraded")
    assert avail["message"] == ("Available: The registry is ready\n"
                                "NodeCADaemonAvailable: The daemon set node-ca has available replicas\n"
                                "ImagePrunerAvailable: Pruner CronJob has been created")
    assert (prog["status"], prog["reason"]) == ("False", "Ready")
    assert (deg["status"], deg["reason"]) == ("False", "AsExpected")
    assert [c["type"] for c in co["status"]["conditions"]] == ["Available", "Progressing", "Degraded"]
    assert co["status"]["versions"] == [{"name": "operator", "version": "4.20.0"}]
    assert co["status"]["relatedObjects"] == [
        {"group": "imageregistry.operator.openshift.io", "resource": "configs", "name": "cluster"},
        {"group": "imageregistry.operator.openshift.io", "resource": "imagepruners", "name": "cluster"},
        {"group": "rbac.authorization.k8s.io", "resource": "clusterroles", "name": "system:registry"},
        {"group": "rbac.authorization.k8s.io", "resource": "clusterrolebindings", "name": "registry-registry-role"},
        {"group": "rbac.authorization.k8s.io", "resource": "clusterrolebindings",
         "name": "openshift-image-registry-pruner"},
        {"group": "", "resource": "namespaces", "name": "openshift-image-registry"},
    ]


def test_co_worked_example_removed(start):
    sim = start("baremetal")
    k = Kube(sim)
    wait_config(sim, k, settled)

    def co_removed():
        co = k.get(CO)
        return co if cond_summary(co, "Available") == ("True", "Removed") else None
    co = wait_for(sim, co_removed, what="ClusterOperator Available=Removed")
    assert cond_summary(co, "Available") == ("True", "Removed")
    assert cond_summary(co, "Progressing") == ("False", "Removed")
    assert cond_summary(co, "Degraded") == ("False", "Removed")
    assert cond(co, "Available")["message"].startswith("Available: The registry is removed\n")
    assert cond(co, "Progressing")["message"].startswith("Progressing: All registry resources are removed")


def test_images_config_and_node_ca_exist_even_when_removed(start):
    sim = start("baremetal")
    k = Kube(sim)
    wait_config(sim, k, settled)
    img = wait_for(sim, lambda: k.get(IMAGES), what="images.config/cluster")
    # no Service in Removed: no internal hostname
    assert "internalRegistryHostname" not in (img.get("status") or {})
    ds = wait_for(sim, lambda: k.get(apis("apps", "daemonsets", NS, "node-ca")), what="node-ca")
    assert ds["spec"]["template"]["spec"]["tolerations"] == [{"operator": "Exists"}]
    assert ds["spec"]["template"]["spec"]["nodeSelector"] == {"kubernetes.io/os": "linux"}
    # 3 masters (tainted, tolerated) + 2 workers
    wait_for(sim, lambda: (k.get(apis("apps", "daemonsets", NS, "node-ca")).get("status") or {})
             .get("numberAvailable") == 5, what="node-ca available on all nodes")


def test_restart_from_state_file_keeps_the_registry(tmp_path):
    state = str(tmp_path / "state.json")
    first = SimulatorServer(str(tmp_path / "a"), platform="aws", controller_delay=0.02, state_file=state)
    first.config.cloud_containers = {"s3": ["team-bucket"]}          # a bucket the user brought
    first.start()
    try:
        k = Kube(first)
        wait_config(first, k, registry_ready)
        k.merge(CONFIG, {"spec": {"storage": {"s3": {"bucket": "team-bucket"}}}})
        before = wait_config(first, k, lambda c: registry_ready(c)
                             and cond(c, "StorageExists").get("reason") == "S3 Bucket Exists")
        assert before["spec"]["storage"]["managementState"] == "Unmanaged"
    finally:
        first.stop()
    second = SimulatorServer(str(tmp_path / "b"), platform="aws", controller_delay=0.02, state_file=state)
    second.start()
    try:
        k = Kube(second)
        second.wait_idle()
        after = wait_config(second, k, registry_ready)
        assert after["metadata"]["uid"] == before["metadata"]["uid"]
        assert after["spec"]["storage"] == before["spec"]["storage"]
        assert after["spec"]["httpSecret"] == before["spec"]["httpSecret"]
        assert cond(after, "StorageExists") == cond(before, "StorageExists")     # nothing re-created
    finally:
        second.stop()
