"""The simulated cluster-image-registry-operator (see /work/shared/docs/operator-behavior.md).

Controllers, each acting only through the internal ApiServer:
* RegistryController   - bootstrap of configs/cluster (§2), Managed/Removed/Unmanaged (§3), storage (§4),
                         Config conditions (§5), the Deployment (§6), routes (§7), finalizer (§3.4).
* NodeCAController     - DaemonSet node-ca and the NodeCADaemon* conditions (§8, §5).
* CertificatesController - ConfigMaps image-registry-certificates / openshift-config-managed/image-registry-ca (§8).
* ImageConfigController  - images.config.openshift.io/cluster status (§8).
* ClusterOperatorController - clusteroperators/image-registry merged conditions, versions, relatedObjects (§9).
The pruner lives in pruner.py.
"""
from __future__ import annotations

import copy
import hashlib
import json
import secrets as pysecrets
from typing import Any

from ..errors import StatusError
from .common import (CLUSTEROPERATORS, CLUSTERROLEBINDINGS, CLUSTERROLES, CONFIG_MANAGED_NS, CONFIG_NS, CONFIGMAPS,
                     DAEMONSETS, DEPLOYMENTS, IMAGE_CONFIGS, IMAGEPRUNERS, INFRASTRUCTURES, NAMESPACES,
                     NETWORKPOLICIES, NODES, OPERAND_NS, PDBS, PROXIES, PVCS, REGISTRY_CONFIGS, ROUTES, SECRETS,
                     SERVICEACCOUNTS, SERVICES, CLUSTERVERSIONS, SyncError, apply, delete_ignore, find_condition,
                     get_or_none, list_items, now_ts, parse_time, rfc3339, set_condition, update_or_requeue,
                     update_status_with_retry)
from .manager import Controller, Requeue
from . import storage as st

FINALIZER = "imageregistry.operator.openshift.io/finalizer"
OWNED_ANNOTATION = "imageregistry.openshift.io"
DEPLOYMENT = "image-registry"
SERVICE = "image-registry"
PDB = "image-registry"
NETPOL = "image-registry-networkpolicy"
CLUSTERROLE = "system:registry"
CRB = "registry-registry-role"
SA = "registry"
PULL_SECRET = "installation-pull-secrets"
TLS_SECRET = "image-registry-tls"
CERTS_CM = "image-registry-certificates"
REGISTRY_CA_CM = "image-registry-ca"
SERVICECA_CM = "serviceca"
TRUSTED_CA_CM = "trusted-ca"
NODE_CA = "node-ca"
DEFAULT_ROUTE = "default-route"
CO_NAME = "image-registry"
LABELS = {"docker-registry": "default"}
SUPPLEMENTAL_GROUPS = "openshift.io/sa.scc.supplemental-groups"
UNMANAGED_MSG = "The registry configuration is set to unmanaged mode"
UNAVAILABLE_GRACE = 300.0          # Degraded=Unavailable after Available has been not True this long
DEGRADED_GRACE = 120.0             # *ControllerDegraded after this long of continuous failures

REGISTRY_IMAGE = "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:" + hashlib.sha256(
    b"sim/docker-registry").hexdigest()
NODE_CA_IMAGE = "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:" + hashlib.sha256(
    b"sim/cluster-image-registry-operator").hexdigest()

# Order in which condition types are kept in configs/cluster status.conditions.
_COND_ORDER = ["Available", "Progressing", "Degraded", "Removed", "StorageExists", "StorageTagged",
               "StorageLabeled", "StorageEncrypted", "StoragePublicAccessBlocked",
               "StorageIncompleteUploadCleanupEnabled", "NodeCADaemonAvailable", "NodeCADaemonProgressing",
               "NodeCADaemonControllerDegraded", "ImageRegistryCertificatesControllerDegraded",
               "ImageConfigControllerDegraded", "RemoveFailed"]


def cond_order(ctype: str) -> int:
    return _COND_ORDER.index(ctype) if ctype in _COND_ORDER else len(_COND_ORDER)


def release_version(config) -> str:
    return getattr(config, "release_version", None) or "4.20.0"


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _b64(s: str) -> str:
    import base64
    return base64.b64encode(s.encode()).decode()


def infra_platform(api, config) -> tuple[dict, str]:
    infra = get_or_none(api, INFRASTRUCTURES, None, "cluster") or {}
    status = infra.get("status") or {}
    ptype = ((status.get("platformStatus") or {}).get("type") or status.get("platform")
             or config.platform_type)
    return infra, ptype


def _update_config_status(api, fn) -> dict | None:
    return update_status_with_retry(api, REGISTRY_CONFIGS, None, "cluster", fn)


def set_config_conditions(api, conds: list[tuple[str, str, str, str]], now: str) -> None:
    """Set conditions on configs/cluster status (other controllers' conditions are kept)."""
    def fn(obj: dict) -> None:
        status = obj.setdefault("status", {})
        status.setdefault("storage", {})
        status.setdefault("storageManaged", False)
        lst = status.setdefault("conditions", [])
        for ctype, cstatus, reason, msg in conds:
            set_condition(lst, ctype, cstatus, reason, msg, now, order=cond_order)
    _update_config_status(api, fn)


# =================================================================================================
# Registry (main) controller
# =================================================================================================
class RegistryController(Controller):
    name = "image-registry-operator"
    watches = [("imageregistry.operator.openshift.io", "configs"), ("apps", "deployments"), ("", "services"),
               ("", "secrets"), ("", "configmaps"), ("", "serviceaccounts"), ("", "persistentvolumeclaims"),
               ("route.openshift.io", "routes"), ("policy", "poddisruptionbudgets"),
               ("networking.k8s.io", "networkpolicies"), ("rbac.authorization.k8s.io", "clusterroles"),
               ("rbac.authorization.k8s.io", "clusterrolebindings"), ("config.openshift.io", "infrastructures"),
               ("config.openshift.io", "proxies"), ("", "namespaces")]
    resync_period = 30.0

    def __init__(self, config, cloud: st.SimCloud):
        self.config = config
        self.cloud = cloud
        self.cache: dict = {}
        self.failures = 0

    def keys_for(self, event, rt, obj):
        md = obj.get("metadata") or {}
        ns = md.get("namespace")
        if rt.key == REGISTRY_CONFIGS.key:
            return ["cluster"] if md.get("name") == "cluster" else []
        if rt.namespaced and ns not in (OPERAND_NS, CONFIG_NS):
            return []
        if rt.key == NAMESPACES.key and md.get("name") != OPERAND_NS:
            return []
        return ["cluster"]

    def resync_keys(self):
        return ["cluster"]

    # ------------------------------------------------------------------------------------------
    def sync(self, ctx, key):
        api = ctx.api
        cfg = get_or_none(api, REGISTRY_CONFIGS, None, "cluster")
        if cfg is None:
            self.bootstrap(api)
            return
        if (cfg.get("metadata") or {}).get("deletionTimestamp"):
            self.finalize(api, cfg)
            return
        orig = copy.deepcopy(cfg)
        md = cfg.setdefault("metadata", {})
        if FINALIZER not in (md.get("finalizers") or []):
            md["finalizers"] = list(md.get("finalizers") or []) + [FINALIZER]
        spec = cfg.setdefault("spec", {})
        status = cfg.setdefault("status", {})
        ms = spec.get("managementState") or "Managed"
        err: SyncError | None = None
        storage_conds: list = []
        if ms == "Managed":
            try:
                self.apply_managed(api, cfg, storage_conds)
            except SyncError as e:
                err = e
        elif ms == "Removed":
            try:
                self.remove_resources(api, cfg, storage_conds)
            except SyncError as e:
                err = e
        # Unmanaged, Force and anything else: no operand is touched.

        # Write metadata/spec back (keeping the server's managementState).
        if cfg["metadata"].get("finalizers") != orig["metadata"].get("finalizers") or \
                cfg.get("spec") != orig.get("spec"):
            body = copy.deepcopy(cfg)
            body["spec"]["managementState"] = orig.get("spec", {}).get("managementState")
            if body["spec"]["managementState"] is None:
                body["spec"].pop("managementState")
            written = update_or_requeue(api, REGISTRY_CONFIGS, None, "cluster", body, codes=(404, 409))
            generation = written["metadata"].get("generation")
        else:
            generation = cfg["metadata"].get("generation")

        deploy = get_or_none(api, DEPLOYMENTS, OPERAND_NS, DEPLOYMENT)
        routes = self._managed_routes(api)
        now_s = now_ts(self.config)
        now = rfc3339(now_s)
        new_storage = status.get("storage") if status.get("storage") is not None else {}

        def fn(obj: dict) -> None:
            s = obj.setdefault("status", {})
            s["storage"] = copy.deepcopy(new_storage)
            s["storageManaged"] = bool(status.get("storageManaged"))
            lst = s.setdefault("conditions", [])
            for ctype, cstatus, reason, msg in storage_conds:
                set_condition(lst, ctype, cstatus, reason, msg, now, order=cond_order)
            self.compute_conditions(obj, ms, deploy, routes, err, now, now_s)
            s["readyReplicas"] = int(((deploy or {}).get("status") or {}).get("readyReplicas") or 0)
            s["observedGeneration"] = generation
            if deploy is not None:
                gens = [g for g in (s.get("generations") or []) if g.get("resource") != "deployments"]
                gens.insert(0, {"group": "apps", "resource": "deployments", "namespace": OPERAND_NS,
                                "name": DEPLOYMENT, "lastGeneration": deploy["metadata"].get("generation", 0),
                                "hash": ""})
                s["generations"] = gens

        _update_config_status(api, fn)
        if err is not None and not err.permanent:
            # rate-limited retry (events still trigger syncs at once): 5s, 10s, 20s, ... capped at 2 minutes
            self.failures += 1
            raise Requeue(min(5.0 * 2 ** (self.failures - 1), 120.0))
        self.failures = 0

    # ------------------------------------------------------------------------------------------
    def bootstrap(self, api) -> None:
        infra, ptype = infra_platform(api, self.config)
        storage, replicas, ms = st.platform_defaults(ptype, getattr(self.config, "openstack_swift", True))
        if ((infra.get("status") or {}).get("infrastructureTopology")) == "SingleReplica":
            replicas = 1
        spec = {
            "managementState": ms,
            "logLevel": "Normal",
            "operatorLogLevel": "Normal",
            "storage": copy.deepcopy(storage),
            "replicas": replicas,
            "rolloutStrategy": "Recreate" if "pvc" in storage else "RollingUpdate",
        }
        body = {"apiVersion": REGISTRY_CONFIGS.api_version, "kind": "Config",
                "metadata": {"name": "cluster", "finalizers": [FINALIZER]}, "spec": spec}
        if "pvc" in storage:
            self._bootstrap_pvc(api, ptype)
        try:
            api.create(REGISTRY_CONFIGS, None, body)
        except StatusError as e:
            if e.code != 409:
                raise

    def _bootstrap_pvc(self, api, ptype: str) -> None:
        sc = "ovirt-csi-sc" if ptype == "oVirt" else "standard-csi"
        body = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": st.DEFAULT_PVC, "namespace": OPERAND_NS,
                             "annotations": {OWNED_ANNOTATION: "true"}},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "100Gi"}},
                         "storageClassName": sc}}
        try:
            api.create(PVCS, OPERAND_NS, body)
        except StatusError as e:
            if e.code != 409:
                raise

    # ------------------------------------------------------------------------------------------
    def verify(self, spec: dict) -> None:
        if int(spec.get("replicas") or 0) < 0:
            raise SyncError("replicas must be greater than or equal to 0", permanent=True,
                            reason="VerificationFailed")
        names = set()
        for r in spec.get("routes") or []:
            n = r.get("name")
            if n == DEFAULT_ROUTE:
                raise SyncError(f"route name {n} is reserved", permanent=True, reason="VerificationFailed")
            if n in names:
                raise SyncError(f"duplication of names has been detected in the additional routes: {n}",
                                permanent=True, reason="VerificationFailed")
            names.add(n)

    def apply_managed(self, api, cfg: dict, storage_conds: list) -> None:
        spec = cfg["spec"]
        status = cfg["status"]
        self.verify(spec)
        if not spec.get("httpSecret"):
            spec["httpSecret"] = pysecrets.token_hex(64)
        infra, ptype = infra_platform(api, self.config)
        # --- storage sync (§3.1, §4)
        backends = st.configured_backends(spec.get("storage"))
        if not backends:
            default = st.platform_defaults(ptype, getattr(self.config, "openstack_swift", True))[0]
            if not default:
                raise SyncError("storage backend not configured", permanent=True, reason="StorageNotConfigured")
            spec.setdefault("storage", {}).update(copy.deepcopy(default))
            backends = st.configured_backends(spec["storage"])
        if len(backends) > 1:
            raise SyncError(f"exactly one storage type should be configured at the same time, got "
                            f"{len(backends)}: [{' '.join(backends)}]")
        backend = backends[0]
        creds = st.Credentials(api)
        sstatus = status.get("storage") or {}
        changed = sstatus.get(backend) != spec["storage"].get(backend)
        exists = st.storage_exists(api, self.cloud, backend, cfg)
        if changed or not exists:
            result = st.StorageResult()
            try:
                st.create_storage(api, self.cloud, backend, cfg, infra, creds, result)
            finally:
                storage_conds.extend(result.conditions)
            # Other backends' leftovers are not carried over in status.storage.
            new_status_storage = {backend: copy.deepcopy(spec["storage"][backend])}
            if spec["storage"].get("managementState"):
                new_status_storage["managementState"] = spec["storage"]["managementState"]
            status["storage"] = new_status_storage
            status["storageManaged"] = spec["storage"].get("managementState") == "Managed"
        conf = spec["storage"][backend] or {}
        # --- objects, in order (§3.1)
        self._apply_rbac(api)
        apply(api, SERVICEACCOUNTS, {"apiVersion": "v1", "kind": "ServiceAccount",
                                     "metadata": {"name": SA, "namespace": OPERAND_NS}}, cache=self.cache)
        pull = get_or_none(api, SECRETS, CONFIG_NS, "pull-secret")
        pull_data = dict((pull or {}).get("data") or {})
        if ".dockerconfigjson" not in pull_data:
            pull_data[".dockerconfigjson"] = _b64("{}")
        apply(api, SECRETS, {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
                             "metadata": {"name": PULL_SECRET, "namespace": OPERAND_NS},
                             "data": pull_data}, cache=self.cache)
        priv = st.private_secret_data(backend, creds, infra)
        priv_secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                       "metadata": {"name": st.PRIVATE_SECRET, "namespace": OPERAND_NS},
                       "data": {k: _b64(v) for k, v in priv.items()}}
        apply(api, SECRETS, priv_secret, cache=self.cache)
        apply(api, SERVICES, self.service(), cache=self.cache)
        ns = get_or_none(api, NAMESPACES, None, OPERAND_NS) or {}
        deployment = self.deployment(api, cfg, backend, conf, ns, priv_secret)
        apply(api, DEPLOYMENTS, deployment, cache=self.cache)
        replicas = int(spec.get("replicas") or 0)
        apply(api, PDBS, {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                          "metadata": {"name": PDB, "namespace": OPERAND_NS, "labels": dict(LABELS)},
                          "spec": {"minAvailable": 0 if replicas <= 1 else 1,
                                   "selector": {"matchLabels": dict(LABELS)},
                                   "unhealthyPodEvictionPolicy": "AlwaysAllow"}}, cache=self.cache)
        apply(api, NETWORKPOLICIES, self.network_policy(), cache=self.cache)
        self._apply_routes(api, spec)

    def _apply_rbac(self, api) -> None:
        rules = [
            {"apiGroups": [""], "resources": ["limitranges", "resourcequotas"], "verbs": ["list"]},
            {"apiGroups": ["", "image.openshift.io"],
             "resources": ["imagestreamimages", "imagestreams/layers", "imagestreams/secrets"], "verbs": ["get"]},
            {"apiGroups": ["", "image.openshift.io"], "resources": ["imagestreams"], "verbs": ["get", "update"]},
            {"apiGroups": ["", "image.openshift.io"], "resources": ["imagestreamtags"], "verbs": ["delete"]},
            {"apiGroups": ["", "image.openshift.io"], "resources": ["images"],
             "verbs": ["get", "update", "create"]},
            {"apiGroups": ["", "image.openshift.io"], "resources": ["imagestreammappings"], "verbs": ["create"]},
            {"apiGroups": ["operator.openshift.io"], "resources": ["imagecontentsourcepolicies"], "verbs": ["list"]},
            {"apiGroups": ["config.openshift.io"], "resources": ["imagedigestmirrorsets", "imagetagmirrorsets"],
             "verbs": ["list"]},
            {"apiGroups": ["authorization.k8s.io"], "resources": ["subjectaccessreviews"], "verbs": ["create"]},
        ]
        apply(api, CLUSTERROLES, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                  "metadata": {"name": CLUSTERROLE}, "rules": rules}, cache=self.cache)
        apply(api, CLUSTERROLEBINDINGS, {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": CRB},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": CLUSTERROLE},
            "subjects": [{"kind": "ServiceAccount", "name": SA, "namespace": OPERAND_NS}]}, cache=self.cache)

    @staticmethod
    def service() -> dict:
        return {"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": SERVICE, "namespace": OPERAND_NS, "labels": dict(LABELS),
                             "annotations": {"service.alpha.openshift.io/serving-cert-secret-name": TLS_SECRET}},
                "spec": {"selector": dict(LABELS), "type": "ClusterIP", "sessionAffinity": "None",
                         "ports": [{"name": "5000-tcp", "port": 5000, "protocol": "TCP", "targetPort": 5000}]}}

    @staticmethod
    def network_policy() -> dict:
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": NETPOL, "namespace": OPERAND_NS},
                "spec": {"podSelector": {"matchLabels": dict(LABELS)},
                         "ingress": [{"ports": [{"protocol": "TCP", "port": 5000}]}],
                         "egress": [{}],
                         "policyTypes": ["Ingress", "Egress"]}}

    # ------------------------------------------------------------------------------------------
    def deployment(self, api, cfg: dict, backend: str, conf: dict, ns: dict, priv_secret: dict) -> dict:
        spec = cfg["spec"]
        replicas = int(spec.get("replicas") or 0)
        groups = ((ns.get("metadata") or {}).get("annotations") or {}).get(SUPPLEMENTAL_GROUPS)
        if not groups:
            raise SyncError(f'namespace {OPERAND_NS} does not have annotation {SUPPLEMENTAL_GROUPS}')
        try:
            fs_group = int(groups.split("/")[0])
        except ValueError:
            raise SyncError(f'unable to parse annotation {SUPPLEMENTAL_GROUPS} of namespace {OPERAND_NS}: '
                            f'{groups!r}') from None
        env = [
            {"name": "REGISTRY_STORAGE_DELETE_ENABLED", "value": "true"},
            {"name": "REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR", "value": "inmemory"},
            {"name": "REGISTRY_HTTP_ADDR", "value": ":5000"},
            {"name": "REGISTRY_HTTP_NET", "value": "tcp"},
            {"name": "REGISTRY_HTTP_SECRET", "value": spec.get("httpSecret", "")},
            {"name": "REGISTRY_LOG_LEVEL", "value": _log_level(spec)},
            {"name": "REGISTRY_OPENSHIFT_QUOTA_ENABLED", "value": "true"},
            {"name": "REGISTRY_OPENSHIFT_METRICS_ENABLED", "value": "true"},
            {"name": "REGISTRY_OPENSHIFT_SERVER_ADDR", "value": "image-registry.openshift-image-registry.svc:5000"},
            {"name": "REGISTRY_HTTP_TLS_CERTIFICATE", "value": "/etc/secrets/tls.crt"},
            {"name": "REGISTRY_HTTP_TLS_KEY", "value": "/etc/secrets/tls.key"},
            {"name": "REGISTRY_HEALTH_STORAGEDRIVER_ENABLED", "value": "true"},
            {"name": "REGISTRY_HEALTH_STORAGEDRIVER_INTERVAL", "value": "10s"},
            {"name": "REGISTRY_HEALTH_STORAGEDRIVER_THRESHOLD", "value": "1"},
        ]
        env += st.storage_env(backend, conf, spec)
        if spec.get("readOnly"):
            env.append({"name": "REGISTRY_STORAGE_MAINTENANCE_READONLY", "value": "{enabled: true}"})
        if spec.get("disableRedirect"):
            env.append({"name": "REGISTRY_STORAGE_REDIRECT_DISABLE", "value": "true"})
        env += self._proxy_env(api, spec)
        env += _requests_env(spec)
        tls = (((spec.get("observedConfig") or {}).get("servingInfo")) or {})
        if tls.get("minTLSVersion"):
            env.append({"name": "REGISTRY_HTTP_TLS_MINVERSION", "value": tls["minTLSVersion"]})
        if tls.get("cipherSuites"):
            env.append({"name": "OPENSHIFT_REGISTRY_HTTP_TLS_CIPHERSUITES",
                        "value": ",".join(tls["cipherSuites"])})
        svolumes, smounts = st.storage_volumes(backend, conf)
        volumes = svolumes + [
            {"name": "registry-tls", "projected": {"sources": [{"secret": {"name": TLS_SECRET}}]}},
            {"name": "ca-trust-extracted", "emptyDir": {}},
            {"name": "registry-certificates", "configMap": {"name": CERTS_CM}},
            {"name": "trusted-ca", "configMap": {"name": TRUSTED_CA_CM, "optional": True,
                                                 "items": [{"key": "ca-bundle.crt",
                                                            "path": "anchors/ca-bundle.crt"}]}},
            {"name": "installation-pull-secrets",
             "secret": {"secretName": PULL_SECRET, "optional": True,
                        "items": [{"key": ".dockerconfigjson", "path": "config.json"}]}},
            {"name": "bound-sa-token", "projected": {"sources": [{"serviceAccountToken": {
                "audience": "openshift", "expirationSeconds": 3600, "path": "token"}}]}},
        ]
        mounts = smounts + [
            {"name": "registry-tls", "mountPath": "/etc/secrets"},
            {"name": "ca-trust-extracted", "mountPath": "/etc/pki/ca-trust/extracted"},
            {"name": "registry-certificates", "mountPath": "/etc/pki/ca-trust/source/anchors"},
            {"name": "trusted-ca", "mountPath": "/usr/share/pki/ca-trust-source"},
            {"name": "installation-pull-secrets", "mountPath": "/var/lib/kubelet/"},
            {"name": "bound-sa-token", "mountPath": "/var/run/secrets/openshift/serviceaccount",
             "readOnly": True},
        ]
        node_selector = dict(spec.get("nodeSelector") or {})
        node_selector["kubernetes.io/os"] = "linux"
        pod_spec: dict = {
            "serviceAccountName": SA,
            "priorityClassName": "system-cluster-critical",
            "nodeSelector": node_selector,
            "terminationGracePeriodSeconds": 55,
            "securityContext": {"fsGroup": fs_group},
            "containers": [{
                "name": "registry",
                "image": REGISTRY_IMAGE,
                "ports": [{"containerPort": 5000, "protocol": "TCP"}],
                "env": env,
                "resources": copy.deepcopy(spec.get("resources")) or {"requests": {"cpu": "100m",
                                                                                   "memory": "256Mi"}},
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 5000, "scheme": "HTTPS"},
                                  "initialDelaySeconds": 5, "timeoutSeconds": 5},
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": 5000, "scheme": "HTTPS"},
                                   "initialDelaySeconds": 15, "timeoutSeconds": 5},
                "lifecycle": {"preStop": {"exec": {"command": ["sleep", "25"]}}},
                "securityContext": {"readOnlyRootFilesystem": True},
                "volumeMounts": mounts,
                "terminationMessagePolicy": "FallbackToLogsOnError",
            }],
            "volumes": volumes,
        }
        if spec.get("tolerations"):
            pod_spec["tolerations"] = copy.deepcopy(spec["tolerations"])
        if spec.get("affinity"):
            pod_spec["affinity"] = copy.deepcopy(spec["affinity"])
        elif replicas == 2:
            pod_spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
                "labelSelector": {"matchLabels": dict(LABELS)}, "namespaces": [OPERAND_NS],
                "topologyKey": "kubernetes.io/hostname"}]}}
        if spec.get("topologySpreadConstraints"):
            pod_spec["topologySpreadConstraints"] = copy.deepcopy(spec["topologySpreadConstraints"])
        elif not spec.get("nodeSelector"):
            keys = ["kubernetes.io/hostname", "node-role.kubernetes.io/worker"]
            if list_items(api, NODES, None, label_selector="topology.kubernetes.io/zone"):
                keys.append("topology.kubernetes.io/zone")
            pod_spec["topologySpreadConstraints"] = [
                {"maxSkew": 1, "topologyKey": k, "whenUnsatisfiable": "DoNotSchedule",
                 "labelSelector": {"matchLabels": dict(LABELS)}, "matchLabelKeys": ["pod-template-hash"]}
                for k in keys]
        overrides = ((spec.get("unsupportedConfigOverrides") or {}).get("deployment") or {})
        if overrides.get("runtimeClassName"):
            pod_spec["runtimeClassName"] = overrides["runtimeClassName"]
        deps = {"secret": priv_secret.get("data"),
                "certs": ((get_or_none(api, CONFIGMAPS, OPERAND_NS, CERTS_CM) or {}).get("data")),
                "tls": ((get_or_none(api, SECRETS, OPERAND_NS, TLS_SECRET) or {}).get("data")),
                "pull": ((get_or_none(api, SECRETS, OPERAND_NS, PULL_SECRET) or {}).get("data"))}
        template_annotations = {
            "target.workload.openshift.io/management": '{"effect": "PreferredDuringScheduling"}',
            "imageregistry.operator.openshift.io/dependencies-checksum": "sha256:" + _hash(deps),
            "openshift.io/required-scc": "restricted-v2",
        }
        template_annotations.update(overrides.get("annotations") or {})
        strategy_type = spec.get("rolloutStrategy") or "RollingUpdate"
        strategy: dict = {"type": strategy_type}
        if strategy_type == "RollingUpdate":
            if replicas == 2:
                strategy["rollingUpdate"] = {"maxUnavailable": 1, "maxSurge": 1}
            else:
                strategy["rollingUpdate"] = {"maxUnavailable": max(replicas - 1, 0), "maxSurge": "25%"}
        dspec = {
            "replicas": replicas,
            "progressDeadlineSeconds": 120,
            "selector": {"matchLabels": dict(LABELS)},
            "strategy": strategy,
            "template": {"metadata": {"labels": dict(LABELS), "annotations": template_annotations},
                         "spec": pod_spec},
        }
        return {"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": DEPLOYMENT, "namespace": OPERAND_NS, "labels": dict(LABELS),
                             "annotations": {"release.openshift.io/version": release_version(self.config),
                                             "imageregistry.operator.openshift.io/checksum":
                                                 "sha256:" + _hash(dspec)}},
                "spec": dspec}

    @staticmethod
    def _proxy_env(api, spec: dict) -> list[dict]:
        proxy = spec.get("proxy") or {}
        http, https, no = proxy.get("http"), proxy.get("https"), proxy.get("noProxy")
        if not (http or https or no):
            cluster = ((get_or_none(api, PROXIES, None, "cluster") or {}).get("status") or {})
            http, https, no = cluster.get("httpProxy"), cluster.get("httpsProxy"), cluster.get("noProxy")
        out = []
        for name, v in (("HTTP_PROXY", http), ("HTTPS_PROXY", https), ("NO_PROXY", no)):
            if v:
                out.append({"name": name, "value": v})
        return out

    # ------------------------------------------------------------------------------------------
    def _wanted_routes(self, api, spec: dict) -> list[dict]:
        wanted = []
        if spec.get("defaultRoute"):
            wanted.append(self.route(api, DEFAULT_ROUTE, "", ""))
        for r in spec.get("routes") or []:
            wanted.append(self.route(api, r.get("name"), r.get("hostname") or "", r.get("secretName") or ""))
        return wanted

    @staticmethod
    def route(api, name: str, hostname: str, secret_name: str) -> dict:
        tls: dict = {"termination": "reencrypt"}
        if secret_name:
            secret = get_or_none(api, SECRETS, OPERAND_NS, secret_name)
            if secret is None:
                raise SyncError(f'secrets "{secret_name}" not found')
            data = secret.get("data") or {}
            import base64
            for key, field in (("tls.crt", "certificate"), ("tls.key", "key"), ("tls.cacrt", "caCertificate")):
                if data.get(key):
                    tls[field] = base64.b64decode(data[key]).decode("utf-8", "replace")
        spec: dict = {"to": {"kind": "Service", "name": SERVICE}, "tls": tls}
        if hostname:
            spec["host"] = hostname
        return {"apiVersion": "route.openshift.io/v1", "kind": "Route",
                "metadata": {"name": name, "namespace": OPERAND_NS,
                             "annotations": {OWNED_ANNOTATION: "true"}},
                "spec": spec}

    def _apply_routes(self, api, spec: dict) -> None:
        wanted = self._wanted_routes(api, spec)
        for r in wanted:
            apply(api, ROUTES, r, cache=self.cache)
        names = {r["metadata"]["name"] for r in wanted}
        for live in self._managed_routes(api):
            if live["metadata"]["name"] not in names:
                delete_ignore(api, ROUTES, OPERAND_NS, live["metadata"]["name"])

    @staticmethod
    def _managed_routes(api) -> list[dict]:
        return [r for r in list_items(api, ROUTES, OPERAND_NS)
                if ((r.get("metadata") or {}).get("annotations") or {}).get(OWNED_ANNOTATION) is not None]

    # ------------------------------------------------------------------------------------------
    def remove_resources(self, api, cfg: dict, storage_conds: list) -> None:
        """§3.2: delete the operands, then the storage the operator owns."""
        spec = cfg.get("spec") or {}
        for rtype, ns, name in ((CLUSTERROLES, None, CLUSTERROLE), (CLUSTERROLEBINDINGS, None, CRB),
                                (SERVICEACCOUNTS, OPERAND_NS, SA), (SECRETS, OPERAND_NS, PULL_SECRET),
                                (SECRETS, OPERAND_NS, st.PRIVATE_SECRET), (SERVICES, OPERAND_NS, SERVICE),
                                (DEPLOYMENTS, OPERAND_NS, DEPLOYMENT), (PDBS, OPERAND_NS, PDB),
                                (NETWORKPOLICIES, OPERAND_NS, NETPOL)):
            try:
                delete_ignore(api, rtype, ns, name)
            except StatusError as e:
                raise SyncError(f"unable to remove {rtype.qualified} {name}: {e.message}") from None
        route_names = ([DEFAULT_ROUTE] if spec.get("defaultRoute") else []) + \
            [r.get("name") for r in spec.get("routes") or [] if r.get("name")]
        for name in route_names:
            delete_ignore(api, ROUTES, OPERAND_NS, name)
        self.cache.clear()
        status = cfg.setdefault("status", {})
        if st.configured_backends(status.get("storage")):
            result = st.StorageResult()
            try:
                st.remove_storage(api, self.cloud, cfg, result)
            finally:
                storage_conds.extend(result.conditions)
        status["storage"] = {}
        status["storageManaged"] = False

    def finalize(self, api, cfg: dict) -> None:
        """§3.4: the same teardown as Removed, then drop the finalizer; bootstrap recreates the CR."""
        if FINALIZER not in ((cfg.get("metadata") or {}).get("finalizers") or []):
            return
        now = rfc3339(now_ts(self.config))
        conds: list = []
        try:
            self.remove_resources(api, cfg, conds)
        except SyncError as e:
            set_config_conditions(api, conds + [("Degraded", "True", "RemoveFailed", f"Error: {e}")], now)
            self.failures += 1
            raise Requeue(min(2.5 * 2 ** (self.failures - 1), 120.0)) from None
        self.failures = 0
        for _attempt in range(5):
            live = get_or_none(api, REGISTRY_CONFIGS, None, "cluster")
            if live is None:
                return
            live["metadata"]["finalizers"] = [f for f in live["metadata"].get("finalizers") or []
                                              if f != FINALIZER]
            try:
                api.update(REGISTRY_CONFIGS, None, "cluster", live)
                return
            except StatusError as e:
                if e.code == 409:
                    continue
                if e.code == 404:
                    return
                raise
        raise Requeue(0.1)

    # ------------------------------------------------------------------------------------------
    def compute_conditions(self, obj: dict, ms: str, deploy: dict | None, routes: list[dict],
                           err: SyncError | None, now: str, now_s: float) -> None:
        """§5 tables. Mutates obj['status']['conditions']."""
        lst = obj["status"].setdefault("conditions", [])
        permanent = err is not None and err.permanent
        deleting = deploy is not None and bool(deploy["metadata"].get("deletionTimestamp"))
        dstatus = (deploy or {}).get("status") or {}
        dprog = find_condition(dstatus.get("conditions"), "Progressing") or {}
        complete = dprog.get("status") == "True" and dprog.get("reason") == "NewReplicaSetAvailable"

        # Available
        if ms == "Unmanaged":
            avail = ("True", "Unmanaged", UNMANAGED_MSG)
        elif deploy is None:
            if permanent:
                avail = ("False", err.reason, f"Error: {err}")
            elif ms == "Removed":
                avail = ("True", "Removed", "The registry is removed")
            else:
                avail = ("False", "DeploymentNotFound", "The deployment does not exist")
        elif deleting:
            avail = ("False", "DeploymentDeleted", "The deployment is being deleted")
        elif int(dstatus.get("availableReplicas") or 0) == 0:
            avail = ("False", "NoReplicasAvailable", "The deployment does not have available replicas")
        elif int(dstatus.get("availableReplicas") or 0) != int((deploy.get("spec") or {}).get("replicas", 1)):
            avail = ("True", "MinimumAvailability", "The registry has minimum availability")
        else:
            avail = ("True", "Ready", "The registry is ready")

        # Progressing
        if ms == "Unmanaged":
            prog = ("False", "Unmanaged", UNMANAGED_MSG)
        elif ms == "Removed":
            if deploy is not None:
                prog = ("True", "DeletingDeployment", "The deployment is being removed")
            else:
                prog = ("False", "Removed", "All registry resources are removed")
        elif err is not None:
            prog = ("False" if permanent else "True", "Error", f"Unable to apply resources: {err}")
        elif deploy is None:
            prog = ("True", "WaitingForDeployment",
                    "All resources are successfully applied, but the deployment does not exist")
        elif deleting:
            prog = ("True", "FinalizingDeployment", "The deployment is being deleted")
        elif not complete:
            prog = ("True", "DeploymentNotCompleted", "The deployment has not completed")
        else:
            prog = ("False", "Ready", "The registry is ready")

        set_condition(lst, "Available", *avail, now, order=cond_order)
        set_condition(lst, "Progressing", *prog, now, order=cond_order)

        # Degraded, in order
        acond = find_condition(lst, "Available")
        since = parse_time(acond.get("lastTransitionTime")) if acond else None
        if ms == "Unmanaged":
            deg = ("False", "Unmanaged", UNMANAGED_MSG)
        elif permanent:
            deg = ("True", err.reason, f"Error: {err}")
        elif ms == "Removed":
            deg = ("False", "Removed", "The registry is removed")
        elif avail[0] != "True" and since is not None and now_s - since > UNAVAILABLE_GRACE:
            deg = ("True", "Unavailable", avail[2])
        elif not complete and deploy is not None and dprog.get("reason") == "ProgressDeadlineExceeded":
            deg = ("True", "ProgressDeadlineExceeded",
                   f"Registry deployment has timed out progressing: {dprog.get('message', '')}")
        else:
            msgs = []
            for r in routes:
                for ing in ((r.get("status") or {}).get("ingress") or []):
                    adm = find_condition(ing.get("conditions"), "Admitted")
                    if adm is None or adm.get("status") != "True":
                        msgs.append(f"route {r['metadata']['name']} (host {ing.get('host', '')}, router "
                                    f"{ing.get('routerName', '')}) not admitted: {(adm or {}).get('message', '')}")
            if msgs:
                deg = ("True", "RouteDegraded", "\n".join(msgs))
            else:
                deg = ("False", "", "")
        set_condition(lst, "Degraded", *deg, now, order=cond_order)
        if ms == "Removed":
            set_condition(lst, "Removed", "True", "Removed", "The registry is removed", now, order=cond_order)
        else:
            set_condition(lst, "Removed", "False", "", "", now, order=cond_order)


def _log_level(spec: dict) -> str:
    level = spec.get("logLevel")
    if level in ("Debug", "Trace", "TraceAll"):
        return "debug"
    logging = spec.get("logging")
    if logging is None or logging in (0, 2, 3):
        return "info"
    if logging == 1:
        return "warn"
    return "debug"


def _requests_env(spec: dict) -> list[dict]:
    req = spec.get("requests") or {}
    out = []
    for kind in ("read", "write"):
        limits = req.get(kind) or {}
        for field, env in (("maxRunning", "MAXRUNNING"), ("maxInQueue", "MAXINQUEUE"),
                           ("maxWaitInQueue", "MAXWAITINQUEUE")):
            if field not in limits or limits[field] in (None, "", 0):
                continue
            v = limits[field]
            if isinstance(v, int) and v < 0:
                raise SyncError(f"spec.requests.{kind}.{field}: must be a non-negative value, got {v}")
            out.append({"name": f"REGISTRY_OPENSHIFT_REQUESTS_{kind.upper()}_{env}", "value": str(v)})
    return out


# =================================================================================================
# node-ca DaemonSet (§8) and NodeCADaemon* conditions (§5)
# =================================================================================================
class NodeCAController(Controller):
    name = "node-ca"
    watches = [("apps", "daemonsets"), ("imageregistry.operator.openshift.io", "configs")]
    resync_period = 60.0

    def __init__(self, config):
        self.config = config
        self.cache: dict = {}
        self.failing_since: float | None = None

    def keys_for(self, event, rt, obj):
        md = obj.get("metadata") or {}
        if rt.key == DAEMONSETS.key:
            return ["node-ca"] if md.get("namespace") == OPERAND_NS and md.get("name") == NODE_CA else []
        return ["node-ca"] if md.get("name") == "cluster" and event == "ADDED" else []

    def resync_keys(self):
        return ["node-ca"]

    @staticmethod
    def daemonset() -> dict:
        script = ("trap 'jobs -p | xargs -r kill; echo shutting down node-ca; exit 0' TERM\n"
                  "while [ true ]; do\n"
                  "  for f in $(ls /tmp/serviceca); do\n"
                  "    idfile=$(echo $f | sed -r 's/(.*)\\.\\./\\1:/')\n"
                  "    mkdir -p /etc/docker/certs.d/$idfile; cp /tmp/serviceca/$f /etc/docker/certs.d/$idfile/ca.crt\n"
                  "  done\n"
                  "  sleep 60 & wait ${!}\n"
                  "done\n")
        return {"apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": {"name": NODE_CA, "namespace": OPERAND_NS},
                "spec": {
                    "selector": {"matchLabels": {"name": NODE_CA}},
                    "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
                    "template": {
                        "metadata": {"labels": {"name": NODE_CA},
                                     "annotations": {"target.workload.openshift.io/management":
                                                     '{"effect": "PreferredDuringScheduling"}'}},
                        "spec": {
                            "nodeSelector": {"kubernetes.io/os": "linux"},
                            "priorityClassName": "system-cluster-critical",
                            "tolerations": [{"operator": "Exists"}],
                            "serviceAccountName": NODE_CA,
                            "hostNetwork": True,
                            "containers": [{
                                "name": NODE_CA, "image": NODE_CA_IMAGE,
                                "securityContext": {"privileged": True, "runAsUser": 1001, "runAsGroup": 0},
                                "command": ["/bin/sh", "-c", script],
                                "resources": {"requests": {"cpu": "10m", "memory": "10Mi"}},
                                "volumeMounts": [{"name": "serviceca", "mountPath": "/tmp/serviceca"},
                                                 {"name": "host", "mountPath": "/etc/docker/certs.d"}],
                            }],
                            "volumes": [{"name": "host", "hostPath": {"path": "/etc/docker/certs.d"}},
                                        {"name": "serviceca", "configMap": {"name": CERTS_CM}}],
                        }}}}

    def sync(self, ctx, key):
        api = ctx.api
        now = rfc3339(now_ts(self.config))
        conds = []
        try:
            apply(api, DAEMONSETS, self.daemonset(), cache=self.cache)
            self.failing_since = None
            conds.append(("NodeCADaemonControllerDegraded", "False", "AsExpected", ""))
        except StatusError as e:
            # library-go's factory controllers report Degraded only after 2 minutes of failures
            t = now_ts(self.config)
            self.failing_since = self.failing_since if self.failing_since is not None else t
            if t - self.failing_since > DEGRADED_GRACE:
                conds.append(("NodeCADaemonControllerDegraded", "True", "Error", e.message))
            else:
                conds.append(("NodeCADaemonControllerDegraded", "False", "AsExpected", ""))
        ds = get_or_none(api, DAEMONSETS, OPERAND_NS, NODE_CA)
        if ds is None:
            conds.append(("NodeCADaemonAvailable", "False", "NotFound", "The daemon set node-ca does not exist"))
            conds.append(("NodeCADaemonProgressing", "True", "NotFound", "The daemon set node-ca does not exist"))
        else:
            s = ds.get("status") or {}
            if int(s.get("numberAvailable") or 0) > 0:
                conds.append(("NodeCADaemonAvailable", "True", "AsExpected",
                              "The daemon set node-ca has available replicas"))
            else:
                conds.append(("NodeCADaemonAvailable", "False", "NoAvailableReplicas",
                              "The daemon set node-ca does not have available replicas"))
            if int(s.get("updatedNumberScheduled") or 0) < int(s.get("desiredNumberScheduled") or 0) or \
                    int(s.get("numberMisscheduled") or 0) > 0 or \
                    int(s.get("observedGeneration") or 0) < int(ds["metadata"].get("generation") or 0):
                conds.append(("NodeCADaemonProgressing", "True", "Progressing",
                              "The daemon set node-ca is deploying node pods"))
            else:
                conds.append(("NodeCADaemonProgressing", "False", "AsExpected",
                              "The daemon set node-ca is deployed"))
        set_config_conditions(api, conds, now)


# =================================================================================================
# CA ConfigMaps (§8)
# =================================================================================================
class CertificatesController(Controller):
    name = "image-registry-certificates"
    watches = [("", "configmaps"), ("config.openshift.io", "images"),
               ("imageregistry.operator.openshift.io", "configs")]
    resync_period = 60.0

    def __init__(self, config):
        self.config = config
        self.cache: dict = {}

    def keys_for(self, event, rt, obj):
        md = obj.get("metadata") or {}
        if rt.key == REGISTRY_CONFIGS.key:
            return ["certs"] if md.get("name") == "cluster" else []
        if rt.key == CONFIGMAPS.key and md.get("namespace") not in (OPERAND_NS, CONFIG_NS, CONFIG_MANAGED_NS):
            return []
        return ["certs"]

    def resync_keys(self):
        return ["certs"]

    def data(self, api) -> dict:
        data: dict = {}
        serviceca = get_or_none(api, CONFIGMAPS, OPERAND_NS, SERVICECA_CM)
        ca = ((serviceca or {}).get("data") or {}).get("service-ca.crt")
        if ca:
            for host in ("image-registry.openshift-image-registry.svc:5000",
                         "image-registry.openshift-image-registry.svc.cluster.local:5000"):
                data[host.replace(":", "..")] = ca
        image_cfg = get_or_none(api, IMAGE_CONFIGS, None, "cluster") or {}
        extra = ((image_cfg.get("spec") or {}).get("additionalTrustedCA") or {}).get("name")
        if extra:
            cm = get_or_none(api, CONFIGMAPS, CONFIG_NS, extra)
            if cm is None:
                raise SyncError(f'configmaps "{extra}" not found')
            for k, v in (cm.get("data") or {}).items():
                data[k] = v
        # A storage driver with a custom CA bundle (S3 trustedCA) adds storage-ca-bundle.pem.
        cfg = get_or_none(api, REGISTRY_CONFIGS, None, "cluster") or {}
        storage = ((cfg.get("spec") or {}).get("storage") or {})
        trusted = (((storage.get("s3") or {}).get("trustedCA")) or {}).get("name")
        if trusted:
            cm = get_or_none(api, CONFIGMAPS, CONFIG_NS, trusted)
            if cm is None:
                raise SyncError(f'configmaps "{trusted}" not found')
            bundle = (cm.get("data") or {}).get("ca-bundle.crt")
            if not bundle:
                raise SyncError(f'configmap "{CONFIG_NS}/{trusted}" has no key "ca-bundle.crt"')
            data["storage-ca-bundle.pem"] = bundle
        return data

    def sync(self, ctx, key):
        api = ctx.api
        now = rfc3339(now_ts(self.config))
        try:
            data = self.data(api)
            apply(api, CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap",
                                    "metadata": {"name": CERTS_CM, "namespace": OPERAND_NS}, "data": data},
                  cache=self.cache)
            if get_or_none(api, NAMESPACES, None, CONFIG_MANAGED_NS) is not None:
                apply(api, CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap",
                                        "metadata": {"name": REGISTRY_CA_CM, "namespace": CONFIG_MANAGED_NS},
                                        "data": data}, cache=self.cache)
            cond = ("ImageRegistryCertificatesControllerDegraded", "False", "AsExpected", "")
        except (SyncError, StatusError) as e:
            cond = ("ImageRegistryCertificatesControllerDegraded", "True", "Error",
                    getattr(e, "message", str(e)))
        if get_or_none(api, REGISTRY_CONFIGS, None, "cluster") is not None:
            set_config_conditions(api, [cond], now)


# =================================================================================================
# images.config.openshift.io/cluster status (§8)
# =================================================================================================
class ImageConfigController(Controller):
    name = "image-config"
    watches = [("config.openshift.io", "images"), ("", "services"), ("route.openshift.io", "routes"),
               ("config.openshift.io", "clusterversions"), ("imageregistry.operator.openshift.io", "configs")]
    resync_period = 60.0

    def __init__(self, config):
        self.config = config
        self.failing_since: float | None = None

    def keys_for(self, event, rt, obj):
        md = obj.get("metadata") or {}
        if rt.namespaced and md.get("namespace") != OPERAND_NS:
            return []
        if rt.key == REGISTRY_CONFIGS.key and event != "ADDED":
            return []
        return ["images"]

    def resync_keys(self):
        return ["images"]

    def sync(self, ctx, key):
        api = ctx.api
        now = rfc3339(now_ts(self.config))
        if get_or_none(api, IMAGE_CONFIGS, None, "cluster") is None:
            try:
                api.create(IMAGE_CONFIGS, None, {"apiVersion": "config.openshift.io/v1", "kind": "Image",
                                                 "metadata": {"name": "cluster"}, "spec": {}})
            except StatusError as e:
                if e.code != 409:
                    raise
        svc = get_or_none(api, SERVICES, OPERAND_NS, SERVICE)
        internal = self.config.internal_registry_host if svc is not None else ""
        hosts: list[str] = []
        default_hosts: list[str] = []
        for r in RegistryController._managed_routes(api):
            for ing in ((r.get("status") or {}).get("ingress") or []):
                adm = find_condition(ing.get("conditions"), "Admitted")
                if not ing.get("host") or adm is None or adm.get("status") != "True":
                    continue
                if r["metadata"]["name"] == DEFAULT_ROUTE:
                    default_hosts.append(ing["host"])
                else:
                    hosts.append(ing["host"])
        external = []
        for h in default_hosts + sorted(set(hosts)):
            if h not in external:
                external.append(h)
        cv = get_or_none(api, CLUSTERVERSIONS, None, "version") or {}
        arch = (((cv.get("status") or {}).get("desired") or {}).get("architecture"))

        def fn(obj: dict) -> None:
            s = obj.setdefault("status", {})
            if internal:
                s["internalRegistryHostname"] = internal
            else:
                s.pop("internalRegistryHostname", None)
            if external:
                s["externalRegistryHostnames"] = external
            else:
                s.pop("externalRegistryHostnames", None)
            mode = (obj.get("spec") or {}).get("imageStreamImportMode")
            s["imageStreamImportMode"] = mode or ("PreserveOriginal" if arch == "Multi" else "Legacy")

        try:
            update_status_with_retry(api, IMAGE_CONFIGS, None, "cluster", fn)
            self.failing_since = None
            cond = ("ImageConfigControllerDegraded", "False", "AsExpected", "")
        except StatusError as e:
            t = now_ts(self.config)
            self.failing_since = self.failing_since if self.failing_since is not None else t
            if t - self.failing_since > DEGRADED_GRACE:
                cond = ("ImageConfigControllerDegraded", "True", "Error", e.message)
            else:
                cond = ("ImageConfigControllerDegraded", "False", "AsExpected", "")
        if get_or_none(api, REGISTRY_CONFIGS, None, "cluster") is not None:
            set_config_conditions(api, [cond], now)


# =================================================================================================
# ClusterOperator image-registry (§9)
# =================================================================================================
RELATED_OBJECTS = [
    {"group": "imageregistry.operator.openshift.io", "resource": "configs", "name": "cluster"},
    {"group": "imageregistry.operator.openshift.io", "resource": "imagepruners", "name": "cluster"},
    {"group": "rbac.authorization.k8s.io", "resource": "clusterroles", "name": CLUSTERROLE},
    {"group": "rbac.authorization.k8s.io", "resource": "clusterrolebindings", "name": CRB},
    {"group": "rbac.authorization.k8s.io", "resource": "clusterrolebindings",
     "name": "openshift-image-registry-pruner"},
    {"group": "", "resource": "namespaces", "name": OPERAND_NS},
]

NORMAL = {"Available": "True", "Progressing": "False", "Degraded": "False"}


def merge_conditions(name: str, conditions: list[dict]) -> tuple[str, str, str]:
    """(status, reason, message) of the ClusterOperator condition `name` (§9 algorithm)."""
    normal = NORMAL[name]
    matching = [c for c in conditions if (c.get("type") or "").endswith(name)]
    status = None
    for c in matching:
        if c.get("status") not in (normal, "Unknown"):
            status = c.get("status")
            break
    if status is None:
        status = "Unknown" if any(c.get("status") == "Unknown" for c in matching) or not matching else normal
    reasons = sorted(f"{c['type'][:-len(name)]}{c['reason']}" for c in matching
                     if c.get("reason") and c.get("reason") != "AsExpected")
    reason = "::".join(reasons)
    if status == normal and not reason:
        reason = "AsExpected"
    lines = []
    for c in matching:
        for line in (c.get("message") or "").split("\n"):
            if line:
                lines.append(f"{c['type']}: {line}")
    return status, reason, "\n".join(lines)


class ClusterOperatorController(Controller):
    name = "clusteroperator"
    watches = [("imageregistry.operator.openshift.io", "configs"),
               ("imageregistry.operator.openshift.io", "imagepruners"),
               ("config.openshift.io", "clusteroperators"), ("apps", "deployments")]
    resync_period = 60.0

    def __init__(self, config):
        self.config = config

    def keys_for(self, event, rt, obj):
        md = obj.get("metadata") or {}
        if rt.key == CLUSTEROPERATORS.key and md.get("name") != CO_NAME:
            return []
        if rt.key == DEPLOYMENTS.key and (md.get("namespace"), md.get("name")) != (OPERAND_NS, DEPLOYMENT):
            return []
        return ["co"]

    def resync_keys(self):
        return ["co"]

    def sync(self, ctx, key):
        api = ctx.api
        now = rfc3339(now_ts(self.config))
        co = get_or_none(api, CLUSTEROPERATORS, None, CO_NAME)
        if co is None:
            try:
                api.create(CLUSTEROPERATORS, None, {"apiVersion": "config.openshift.io/v1",
                                                    "kind": "ClusterOperator",
                                                    "metadata": {"name": CO_NAME}, "spec": {}})
            except StatusError as e:
                if e.code != 409:
                    raise
        cfg = get_or_none(api, REGISTRY_CONFIGS, None, "cluster")
        pruner = get_or_none(api, IMAGEPRUNERS, None, "cluster")
        conds = list(((cfg or {}).get("status") or {}).get("conditions") or [])
        for c in ((pruner or {}).get("status") or {}).get("conditions") or []:
            c = dict(c)
            c["type"] = "ImagePruner" + (c.get("type") or "")
            conds.append(c)
        ms = ((cfg or {}).get("spec") or {}).get("managementState")
        deploy = get_or_none(api, DEPLOYMENTS, OPERAND_NS, DEPLOYMENT)

        def fn(obj: dict) -> None:
            s = obj.setdefault("status", {})
            s["relatedObjects"] = copy.deepcopy(RELATED_OBJECTS)
            lst = s.setdefault("conditions", [])
            if cfg is not None:
                for name in ("Available", "Progressing", "Degraded"):
                    status, reason, msg = merge_conditions(name, conds)
                    set_condition(lst, name, status, reason, msg, now)
                    if not msg:
                        find_condition(lst, name).pop("message", None)
            versions = s.get("versions") or []
            current = next((v.get("version") for v in versions if v.get("name") == "operator"), None)
            version = current
            if ms in ("Removed", "Unmanaged"):
                version = release_version(self.config)
            elif deploy is not None:
                ds = deploy.get("status") or {}
                if int(ds.get("availableReplicas") or 0) > 0 and \
                        int(ds.get("observedGeneration") or 0) >= int(deploy["metadata"].get("generation") or 0) \
                        and int(ds.get("updatedReplicas") or 0) == int((deploy.get("spec") or {}).get("replicas", 1)):
                    version = (deploy["metadata"].get("annotations") or {}).get("release.openshift.io/version",
                                                                                current)
            if version is not None:
                s["versions"] = [{"name": "operator", "version": version}]

        update_status_with_retry(api, CLUSTEROPERATORS, None, CO_NAME, fn)
