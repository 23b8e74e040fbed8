"""The image pruner controller of the simulated registry operator (operator-behavior.md §10).

Bootstraps imagepruners/cluster, applies the pruner objects (ClusterRole, CRB, SA, serviceca ConfigMap,
NetworkPolicy, CronJob) regardless of the registry's managementState, and writes the ImagePruner
conditions (Available, Scheduled, Failed, Degraded) that the ClusterOperator aggregates as ImagePruner*.
"""
from __future__ import annotations

import hashlib

from ..errors import StatusError
from .common import (CLUSTERROLEBINDINGS, CLUSTERROLES, CONFIGMAPS, CRONJOBS, IMAGE_CONFIGS, IMAGEPRUNERS, JOBS,
                     NETWORKPOLICIES, OPERAND_NS, SERVICEACCOUNTS, SyncError, apply, find_condition, get_or_none,
                     list_items, now_ts, parse_time, rfc3339, set_condition, update_status_with_retry)
from .manager import Controller

PRUNER_IMAGE = "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:" + hashlib.sha256(b"sim/cli").hexdigest()
CRONJOB = "image-pruner"
SA = "pruner"
CLUSTERROLE = "system:image-pruner"
CRB = "openshift-image-registry-pruner"
SERVICECA = "serviceca"
NETPOL = "image-pruner-networkpolicy"
DEFAULT_SCHEDULE = "0 0 * * *"
LOGLEVELS = {"Normal": 1, "Debug": 4, "Trace": 6, "TraceAll": 8}


def prune_command(spec: dict, registry_host: str) -> str:
    keep = spec.get("keepTagRevisions")
    keep = 3 if keep is None else keep
    younger = spec.get("keepYoungerThanDuration") or spec.get("keepYoungerThan") or "60m"
    if isinstance(younger, int):           # deprecated keepYoungerThan is a Go duration in nanoseconds
        younger = f"{younger // 60_000_000_000}m"
    ignore = spec.get("ignoreInvalidImageReferences")
    ignore = True if ignore is None else bool(ignore)
    cmd = ["oc", "adm", "prune", "images", "--confirm=true",
           "--certificate-authority=/var/run/configmaps/serviceca/service-ca.crt",
           f"--keep-tag-revisions={keep}", f"--keep-younger-than={younger}",
           f"--ignore-invalid-refs={'true' if ignore else 'false'}",
           f"--loglevel={LOGLEVELS.get(spec.get('logLevel') or 'Normal', 1)}"]
    if registry_host:
        cmd += ["--prune-registry=true", f"--registry-url=https://{registry_host}"]
    else:
        cmd += ["--prune-registry=false"]
    return " ".join(cmd)


def retry_wrapper(command: str) -> str:
    """The /bin/sh -c script: a first attempt, then up to 5 retries sleeping 30s, 60s, ... 150s."""
    return ("for i in 0 1 2 3 4 5; do\n"
            "  if [ $i -gt 0 ]; then sleep $((i*30)); fi\n"
            f"  {command} && exit 0\n"
            "done\n"
            "exit 1\n")


class PrunerController(Controller):
    name = "image-pruner"
    watches = [("imageregistry.operator.openshift.io", "imagepruners"), ("batch", "cronjobs"), ("batch", "jobs"),
               ("config.openshift.io", "images")]
    resync_period = 60.0

    def __init__(self, config):
        self.config = config
        self.cache: dict = {}

    def keys_for(self, event, rt, obj):
        md = obj.get("metadata") or {}
        if rt.namespaced and md.get("namespace") != OPERAND_NS:
            return []
        if rt.key in (IMAGEPRUNERS.key, IMAGE_CONFIGS.key) and md.get("name") != "cluster":
            return []
        return ["pruner"]

    def resync_keys(self):
        return ["pruner"]

    def bootstrap(self, api) -> None:
        # The real operator sends a namespace in metadata; the API server clears it for this cluster-scoped kind.
        body = {"apiVersion": IMAGEPRUNERS.api_version, "kind": "ImagePruner",
                "metadata": {"name": "cluster", "namespace": OPERAND_NS},
                "spec": {"suspend": False, "keepTagRevisions": 3, "successfulJobsHistoryLimit": 3,
                         "failedJobsHistoryLimit": 3, "ignoreInvalidImageReferences": True}}
        try:
            api.create(IMAGEPRUNERS, None, body)
        except StatusError as e:
            if e.code != 409:
                raise

    def cronjob(self, api, spec: dict) -> dict:
        image_cfg = get_or_none(api, IMAGE_CONFIGS, None, "cluster")
        if image_cfg is None:
            raise SyncError('images.config.openshift.io "cluster" not found')
        host = ((image_cfg.get("status") or {}).get("internalRegistryHostname") or "")
        pod = {
            "restartPolicy": "Never",
            "serviceAccountName": SA,
            "priorityClassName": "system-cluster-critical",
            "containers": [{
                "name": "image-pruner",
                "image": PRUNER_IMAGE,
                "command": ["/bin/sh", "-c", retry_wrapper(prune_command(spec, host))],
                "resources": spec.get("resources") or {"requests": {"cpu": "100m", "memory": "256Mi"}},
                "volumeMounts": [{"name": "serviceca", "mountPath": "/var/run/configmaps/serviceca",
                                  "readOnly": True}],
                "terminationMessagePolicy": "FallbackToLogsOnError",
            }],
            "volumes": [{"name": "serviceca", "configMap": {"name": SERVICECA,
                                                            "items": [{"key": "service-ca.crt",
                                                                       "path": "service-ca.crt"}]}}],
        }
        for field in ("affinity", "nodeSelector", "tolerations"):
            if spec.get(field):
                pod[field] = spec[field]
        s_hist = spec.get("successfulJobsHistoryLimit")
        f_hist = spec.get("failedJobsHistoryLimit")
        return {"apiVersion": "batch/v1", "kind": "CronJob",
                "metadata": {"name": CRONJOB, "namespace": OPERAND_NS},
                "spec": {"schedule": spec.get("schedule") or DEFAULT_SCHEDULE,
                         "suspend": bool(spec.get("suspend")),
                         "concurrencyPolicy": "Forbid",
                         "startingDeadlineSeconds": 3600,
                         "successfulJobsHistoryLimit": 3 if s_hist is None else s_hist,
                         "failedJobsHistoryLimit": 3 if f_hist is None else f_hist,
                         "jobTemplate": {
                             "metadata": {"labels": {"created-by": "image-pruner"}},
                             "spec": {"backoffLimit": 0, "template": {
                                 "metadata": {"labels": {"app": "image-pruner"},
                                              "annotations": {"openshift.io/required-scc": "restricted-v2"}},
                                 "spec": pod}}}}}

    def apply_objects(self, api, spec: dict) -> None:
        apply(api, CLUSTERROLES, {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": CLUSTERROLE},
            "rules": [
                {"apiGroups": [""], "resources": ["pods", "replicationcontrollers"], "verbs": ["get", "list"]},
                {"apiGroups": [""], "resources": ["limitranges"], "verbs": ["list"]},
                {"apiGroups": ["build.openshift.io"], "resources": ["buildconfigs", "builds"],
                 "verbs": ["get", "list"]},
                {"apiGroups": ["apps.openshift.io"], "resources": ["deploymentconfigs"], "verbs": ["get", "list"]},
                {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ["get", "list"]},
                {"apiGroups": ["apps"], "resources": ["daemonsets", "deployments", "replicasets", "statefulsets"],
                 "verbs": ["get", "list"]},
                {"apiGroups": ["image.openshift.io"], "resources": ["images"], "verbs": ["delete"]},
                {"apiGroups": ["image.openshift.io"], "resources": ["images", "imagestreams"],
                 "verbs": ["get", "list", "watch"]},
                {"apiGroups": ["image.openshift.io"], "resources": ["imagestreams/status"], "verbs": ["update"]},
            ]}, cache=self.cache)
        apply(api, CLUSTERROLEBINDINGS, {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": CRB},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": CLUSTERROLE},
            "subjects": [{"kind": "ServiceAccount", "name": SA, "namespace": OPERAND_NS}]}, cache=self.cache)
        apply(api, SERVICEACCOUNTS, {"apiVersion": "v1", "kind": "ServiceAccount",
                                     "metadata": {"name": SA, "namespace": OPERAND_NS}}, cache=self.cache)
        # Only the annotation is owned: service-ca injects the data.
        apply(api, CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": SERVICECA, "namespace": OPERAND_NS,
                                             "annotations": {"service.beta.openshift.io/inject-cabundle": "true"}}},
              cache=self.cache)
        apply(api, NETWORKPOLICIES, {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                     "metadata": {"name": NETPOL, "namespace": OPERAND_NS},
                                     "spec": {"podSelector": {"matchLabels": {"app": "image-pruner"}},
                                              "egress": [{}], "policyTypes": ["Ingress", "Egress"]}},
              cache=self.cache)
        apply(api, CRONJOBS, self.cronjob(api, spec), cache=self.cache)

    @staticmethod
    def last_finished_job(api) -> dict | None:
        best, best_t = None, -1.0
        for job in list_items(api, JOBS, OPERAND_NS, label_selector="created-by=image-pruner"):
            conds = (job.get("status") or {}).get("conditions") or []
            fin = [c for c in conds if c.get("type") in ("Complete", "Failed") and c.get("status") == "True"]
            if not fin:
                continue
            t = parse_time((job.get("status") or {}).get("completionTime") or fin[0].get("lastTransitionTime")
                           or job["metadata"].get("creationTimestamp")) or 0.0
            if t >= best_t:
                best, best_t = job, t
        return best

    def sync(self, ctx, key):
        api = ctx.api
        pruner = get_or_none(api, IMAGEPRUNERS, None, "cluster")
        if pruner is None:
            self.bootstrap(api)
            return
        spec = pruner.get("spec") or {}
        err = None
        try:
            self.apply_objects(api, spec)
        except (SyncError, StatusError) as e:
            err = getattr(e, "message", str(e))
        cron = get_or_none(api, CRONJOBS, OPERAND_NS, CRONJOB)
        job = self.last_finished_job(api)
        failed = None
        if job is not None:
            failed = find_condition((job.get("status") or {}).get("conditions"), "Failed")
            if failed is not None and failed.get("status") != "True":
                failed = None
        now = rfc3339(now_ts(self.config))
        generation = pruner["metadata"].get("generation")

        def fn(obj: dict) -> None:
            s = obj.setdefault("status", {})
            lst = s.setdefault("conditions", [])
            if cron is not None:
                set_condition(lst, "Available", "True", "AsExpected", "Pruner CronJob has been created", now)
            else:
                set_condition(lst, "Available", "False", "Error", "Pruner CronJob does not exist", now)
            if spec.get("suspend"):
                set_condition(lst, "Scheduled", "False", "Suspended", "The pruner job has been suspended", now)
            else:
                set_condition(lst, "Scheduled", "True", "Scheduled", "The pruner job has been scheduled", now)
            if failed is not None:
                set_condition(lst, "Failed", "True", failed.get("reason") or "JobFailed",
                              failed.get("message") or "", now)
            else:
                set_condition(lst, "Failed", "False", "Complete", "Pruner completed successfully", now)
            if err is not None:
                set_condition(lst, "Degraded", "True", "SyncError", f"Error: {err}", now)
            elif failed is not None:
                set_condition(lst, "Degraded", "True", "JobFailed",
                              f"Job {job['metadata']['name']} has failed: {failed.get('message') or failed.get('reason')}",
                              now)
            else:
                set_condition(lst, "Degraded", "False", "AsExpected", "", now)
            s["observedGeneration"] = generation

        update_status_with_retry(api, IMAGEPRUNERS, None, "cluster", fn)
