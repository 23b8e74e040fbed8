"""Controllers that make the simulator behave like a live cluster (registry operator, imports, ...).

server.py calls `install(api, manager, config)` after its own bootstrap (namespaces, nodes,
infrastructures/cluster). This adds the cluster objects the CVO and other operators would have
shipped, registers the cluster-side controllers, and lets the image API part (apis/image_install.py)
add its own when it exists.

Optional knobs read from `config` (attributes; all have defaults):
* `openstack_swift` (bool, default True): on OpenStack, whether Swift is reachable at bootstrap.
* `release_version` (str, default "4.20.0"): the operator's RELEASE_VERSION.
* `unavailable_workloads` (set of "namespace/name"): workloads that never become available
  (see workloads.py; the annotation `simulator.ocp.registry/unavailable` does the same per object).
* `cloud_containers` ({backend: [names]}): buckets/containers that already exist "in the cloud".
"""
from __future__ import annotations

import base64
import json
import logging

log = logging.getLogger(__name__)

STORAGE_CLASSES = (
    ("standard-csi", "cinder.csi.openstack.org", True),
    ("ovirt-csi-sc", "csi.ovirt.org", False),
)


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def cloud_credentials(platform_type: str) -> dict | None:
    """Data of openshift-image-registry/installer-cloud-credentials as the CCO mints it, per platform."""
    if platform_type == "AWS":
        return {"aws_access_key_id": "AKIASIMULATORKEY0001", "aws_secret_access_key": "c2ltdWxhdGVkLXNlY3JldA",
                "credentials": "[default]\naws_access_key_id = AKIASIMULATORKEY0001\n"
                               "aws_secret_access_key = c2ltdWxhdGVkLXNlY3JldA\n"}
    if platform_type == "GCP":
        return {"service_account.json": json.dumps({"type": "service_account", "project_id": "sim-project-123456",
                                                    "client_email": "registry@sim-project-123456.iam.example"})}
    if platform_type == "Azure":
        return {"azure_subscription_id": "00000000-0000-0000-0000-000000000001",
                "azure_client_id": "00000000-0000-0000-0000-000000000002",
                "azure_client_secret": "simulated-client-secret",
                "azure_tenant_id": "00000000-0000-0000-0000-000000000003",
                "azure_resourcegroup": "sim-x7k2p-rg", "azure_region": "eastus"}
    if platform_type == "OpenStack":
        return {"clouds.yaml": "clouds:\n  openstack:\n    auth:\n      auth_url: https://keystone.example.test:5000\n"
                               "      username: registry\n      password: simulated-password\n"
                               "      project_name: sim\n    region_name: regionOne\n"}
    if platform_type in ("IBMCloud", "PowerVS"):
        return {"ibmcloud_api_key": "simulated-ibmcloud-api-key"}
    return None


def bootstrap_cluster(api, config) -> None:
    """Objects shipped by the CVO / other operators that the registry operator expects (§1, §11)."""
    from .common import (CLUSTEROPERATORS, CONFIG_NS, CONFIGMAPS, NAMESPACES, OPERAND_NS, PROXIES, SECRETS,
                         SERVICEACCOUNTS, STORAGECLASSES, get_or_none)
    from ..errors import StatusError

    def ensure(rtype, body):
        try:
            return api.ensure(rtype, body)
        except StatusError as e:
            log.warning("bootstrap of %s %s failed: %s", rtype.plural, body["metadata"].get("name"), e.message)
            return None

    for ns in (OPERAND_NS, CONFIG_NS, "openshift-config-managed"):
        if get_or_none(api, NAMESPACES, None, ns) is None:
            ensure(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    for name, provisioner, default in STORAGE_CLASSES:
        md = {"name": name}
        if default:
            md["annotations"] = {"storageclass.kubernetes.io/is-default-class": "true"}
        ensure(STORAGECLASSES, {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": md,
                                "provisioner": provisioner, "reclaimPolicy": "Delete",
                                "volumeBindingMode": "Immediate", "allowVolumeExpansion": True})
    ensure(SERVICEACCOUNTS, {"apiVersion": "v1", "kind": "ServiceAccount",
                             "metadata": {"name": "node-ca", "namespace": OPERAND_NS}})
    ensure(CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "trusted-ca", "namespace": OPERAND_NS,
                                     "labels": {"config.openshift.io/inject-trusted-cabundle": "true"}}})
    creds = cloud_credentials(config.platform_type)
    if creds is not None:
        ensure(SECRETS, {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                         "metadata": {"name": "installer-cloud-credentials", "namespace": OPERAND_NS},
                         "data": {k: _b64(v) for k, v in creds.items()}})
    dockercfg = json.dumps({"auths": {"cloud.openshift.com": {"auth": _b64("sim:simulated-pull-token"),
                                                              "email": "sim@example.test"}}})
    ensure(SECRETS, {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
                     "metadata": {"name": "pull-secret", "namespace": CONFIG_NS},
                     "data": {".dockerconfigjson": _b64(dockercfg)}})
    ensure(PROXIES, {"apiVersion": "config.openshift.io/v1", "kind": "Proxy", "metadata": {"name": "cluster"},
                     "spec": {"trustedCA": {"name": ""}}})
    if get_or_none(api, CLUSTEROPERATORS, None, "image-registry") is None:
        co = ensure(CLUSTEROPERATORS, {"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator",
                                       "metadata": {"name": "image-registry",
                                                    "annotations": {
                                                        "include.release.openshift.io/self-managed-high-availability":
                                                            "true"}},
                                       "spec": {}})
        if co is not None:
            co["status"] = {"versions": [{"name": "operator", "version": "0.0.1-snapshot"}]}
            try:
                api.update(CLUSTEROPERATORS, None, "image-registry", co, subresource="status")
            except StatusError as e:
                log.warning("ClusterOperator stub status: %s", e.message)


def install(api, manager, config) -> list:
    """Register the cluster-side controllers; returns them (tests may reach in)."""
    from . import operator, pruner, storage, workloads
    from ..apis import route

    bootstrap_cluster(api, config)
    cloud = storage.SimCloud(getattr(config, "cloud_containers", None))
    # After a restart from a state file, what the Config recorded as configured still exists in the cloud.
    from .common import REGISTRY_CONFIGS, get_or_none
    recorded = ((get_or_none(api, REGISTRY_CONFIGS, None, "cluster") or {}).get("status") or {}).get("storage") or {}
    for backend in storage.configured_backends(recorded):
        conf = recorded.get(backend) or {}
        name = conf.get("bucket") or conf.get("container")
        if backend not in ("pvc", "emptyDir") and name:
            cloud.create(backend, name)
    wl = workloads.WorkloadController(config)
    wl._api = api
    ctrls = [
        wl,
        workloads.PVCBinder(config),
        workloads.ServiceCAController(config),
        route.RouterController(config),
        operator.RegistryController(config, cloud),
        operator.NodeCAController(config),
        operator.CertificatesController(config),
        operator.ImageConfigController(config),
        pruner.PrunerController(config),
        operator.ClusterOperatorController(config),
    ]
    for c in ctrls:
        manager.add(c)
    # Initial syncs (also after a restart from a state file).
    from .common import DAEMONSETS, DEPLOYMENTS, STATEFULSETS, list_items
    for rtype in (DEPLOYMENTS, STATEFULSETS, DAEMONSETS):
        for obj in list_items(api, rtype):
            manager.enqueue(wl, (rtype.key, obj["metadata"].get("namespace"), obj["metadata"]["name"]))
    manager.enqueue(ctrls[1], ("pvcs",))
    manager.enqueue(ctrls[3], "all")
    manager.enqueue(ctrls[4], "cluster")
    manager.enqueue(ctrls[5], "node-ca")
    manager.enqueue(ctrls[6], "certs")
    manager.enqueue(ctrls[7], "images")
    manager.enqueue(ctrls[8], "pruner")
    manager.enqueue(ctrls[9], "co")
    from .common import CONFIGMAPS, SERVICES
    for rtype, kind in ((SERVICES, "svc"), (CONFIGMAPS, "cm")):
        for obj in list_items(api, rtype):
            for key in ctrls[2].keys_for("ADDED", rtype, obj):
                manager.enqueue(ctrls[2], key)
    try:
        from ..apis import image_install
    except ModuleNotFoundError as e:
        if not (e.name or "").endswith("image_install"):
            raise
        image_install = None
    if image_install is not None:
        image_install.install(api, manager, config)
    return ctrls
