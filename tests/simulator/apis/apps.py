"""apps/v1 and batch/v1 strategies: defaulting and basic validation as kube-apiserver does it.

Deployments, StatefulSets, DaemonSets, ReplicaSets, CronJobs and Jobs: pod template defaults
(restartPolicy, dnsPolicy, terminationGracePeriodSeconds, schedulerName, securityContext, container
terminationMessagePath/Policy and imagePullPolicy), kind-specific spec defaults, and validation
(containers need a name and an image, unique container names, selector required and matching the
template labels, selector immutable on update, replicas >= 0).
"""
from __future__ import annotations

import copy

from .. import errors
from ..apiserver import Strategy
from .core import TerminatingNamespaceMixin

DNS1123_LABEL_MAX = 63


def _image_pull_policy(image: str) -> str:
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def default_pod_spec(pod: dict, restart_policy: str = "Always") -> None:
    pod.setdefault("restartPolicy", restart_policy)
    pod.setdefault("dnsPolicy", "ClusterFirst")
    pod.setdefault("terminationGracePeriodSeconds", 30)
    pod.setdefault("schedulerName", "default-scheduler")
    pod.setdefault("securityContext", {})
    for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
        if not isinstance(c, dict):
            continue
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        if isinstance(c.get("image"), str) and c.get("image"):
            c.setdefault("imagePullPolicy", _image_pull_policy(c["image"]))
        c.setdefault("resources", {})
        for p in c.get("ports") or []:
            p.setdefault("protocol", "TCP")
        for e in c.get("env") or []:
            ref = (e.get("valueFrom") or {}).get("fieldRef")
            if ref is not None:
                ref.setdefault("apiVersion", "v1")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            pr = c.get(probe)
            if isinstance(pr, dict):
                pr.setdefault("timeoutSeconds", 1)
                pr.setdefault("periodSeconds", 10)
                pr.setdefault("successThreshold", 1)
                pr.setdefault("failureThreshold", 3)
                if isinstance(pr.get("httpGet"), dict):
                    pr["httpGet"].setdefault("scheme", "HTTP")
    for v in pod.get("volumes") or []:
        if isinstance(v.get("secret"), dict):
            v["secret"].setdefault("defaultMode", 420)
        if isinstance(v.get("configMap"), dict):
            v["configMap"].setdefault("defaultMode", 420)
        if isinstance(v.get("projected"), dict):
            v["projected"].setdefault("defaultMode", 420)
        if isinstance(v.get("hostPath"), dict):
            v["hostPath"].setdefault("type", "")


def validate_pod_spec(pod: dict, path: str, restart_policies=("Always",)) -> list[dict]:
    causes = []
    containers = pod.get("containers")
    if not containers:
        causes.append(errors.required_value(f"{path}.containers"))
        return causes
    seen = set()
    for kind in ("initContainers", "containers"):
        for i, c in enumerate(pod.get(kind) or []):
            p = f"{path}.{kind}[{i}]"
            if not isinstance(c, dict):
                causes.append(errors.invalid_value(p, c, "must be an object"))
                continue
            name = c.get("name")
            if not name:
                causes.append(errors.required_value(f"{p}.name"))
            elif name in seen:
                causes.append(errors.duplicate_value(f"{p}.name", name))
            seen.add(name)
            if not c.get("image"):
                causes.append(errors.required_value(f"{p}.image"))
            if c.get("imagePullPolicy") not in (None, "Always", "IfNotPresent", "Never"):
                causes.append(errors.unsupported_value(f"{p}.imagePullPolicy", c["imagePullPolicy"],
                                                       ["Always", "IfNotPresent", "Never"]))
            for j, port in enumerate(c.get("ports") or []):
                cp = port.get("containerPort")
                if not isinstance(cp, int) or not 1 <= cp <= 65535:
                    causes.append(errors.invalid_value(f"{p}.ports[{j}].containerPort", cp,
                                                       "must be between 1 and 65535, inclusive"))
    rp = pod.get("restartPolicy")
    if rp not in restart_policies:
        causes.append(errors.unsupported_value(f"{path}.restartPolicy", rp, restart_policies))
    vols = set()
    for i, v in enumerate(pod.get("volumes") or []):
        if not v.get("name"):
            causes.append(errors.required_value(f"{path}.volumes[{i}].name"))
        elif v["name"] in vols:
            causes.append(errors.duplicate_value(f"{path}.volumes[{i}].name", v["name"]))
        vols.add(v.get("name"))
    return causes


def _selector_matches(selector: dict, labels: dict) -> bool:
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, vals = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in vals:
            return False
        if op == "NotIn" and labels.get(key) in vals:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


class _WorkloadStrategy(TerminatingNamespaceMixin, Strategy):
    """Shared by Deployment, StatefulSet, DaemonSet, ReplicaSet."""

    has_replicas = True

    def defaults(self, spec: dict) -> None:
        pass

    def prepare_create(self, ctx, obj):
        self.check_namespace(ctx, obj)
        spec = obj.setdefault("spec", {})
        if self.has_replicas:
            spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        self.defaults(spec)
        default_pod_spec(spec.setdefault("template", {}).setdefault("spec", {}))

    def prepare_update(self, ctx, new, old):
        spec = new.setdefault("spec", {})
        if self.has_replicas:
            spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        self.defaults(spec)
        default_pod_spec(spec.setdefault("template", {}).setdefault("spec", {}))

    def validate(self, ctx, obj, old=None):
        spec = obj.get("spec") or {}
        causes = []
        if self.has_replicas:
            r = spec.get("replicas")
            if not isinstance(r, int) or isinstance(r, bool) or r < 0:
                causes.append(errors.invalid_value("spec.replicas", r, "must be greater than or equal to 0"))
        selector = spec.get("selector")
        template = spec.get("template") or {}
        labels = ((template.get("metadata") or {}).get("labels")) or {}
        if not selector:
            causes.append(errors.required_value("spec.selector"))
        elif not (selector.get("matchLabels") or selector.get("matchExpressions")):
            causes.append(errors.invalid_value("spec.selector", selector,
                                               "empty selector is invalid for deployment"))
        elif not _selector_matches(selector, labels):
            causes.append(errors.invalid_value("spec.template.metadata.labels", labels,
                                               "`selector` does not match template `labels`"))
        causes += validate_pod_spec(template.get("spec") or {}, "spec.template.spec")
        if old is not None and selector != (old.get("spec") or {}).get("selector"):
            causes.append(errors.invalid_value("spec.selector", selector, "field is immutable"))
        return causes


class DeploymentStrategy(_WorkloadStrategy):
    def defaults(self, spec):
        spec.setdefault("progressDeadlineSeconds", 600)
        strategy = spec.setdefault("strategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            ru = strategy.setdefault("rollingUpdate", {})
            ru.setdefault("maxUnavailable", "25%")
            ru.setdefault("maxSurge", "25%")

    def validate(self, ctx, obj, old=None):
        causes = super().validate(ctx, obj, old)
        strategy = (obj.get("spec") or {}).get("strategy") or {}
        if strategy.get("type") not in ("RollingUpdate", "Recreate"):
            causes.append(errors.unsupported_value("spec.strategy.type", strategy.get("type"),
                                                   ["Recreate", "RollingUpdate"]))
        elif strategy.get("type") == "Recreate" and strategy.get("rollingUpdate"):
            causes.append(errors.forbidden_field("spec.strategy.rollingUpdate",
                                                 "may not be specified when strategy `type` is 'Recreate'"))
        else:
            ru = strategy.get("rollingUpdate") or {}
            if ru.get("maxUnavailable") in (0, "0%") and ru.get("maxSurge") in (0, "0%"):
                causes.append(errors.invalid_value("spec.strategy.rollingUpdate.maxUnavailable",
                                                   ru.get("maxUnavailable"),
                                                   "may not be 0 when `maxSurge` is 0"))
        return causes


class StatefulSetStrategy(_WorkloadStrategy):
    def defaults(self, spec):
        spec.setdefault("podManagementPolicy", "OrderedReady")
        us = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
        if us.get("type") == "RollingUpdate":
            us.setdefault("rollingUpdate", {"partition": 0})
        spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})

    def validate(self, ctx, obj, old=None):
        causes = super().validate(ctx, obj, old)
        if old is not None:
            spec, ospec = obj.get("spec") or {}, old.get("spec") or {}
            allowed = ("replicas", "template", "updateStrategy", "minReadySeconds",
                       "persistentVolumeClaimRetentionPolicy", "ordinals", "revisionHistoryLimit")
            a = {k: v for k, v in spec.items() if k not in allowed}
            b = {k: v for k, v in ospec.items() if k not in allowed}
            if a != b:
                causes.append(errors.forbidden_field(
                    "spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                            "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
                            "'minReadySeconds' are forbidden"))
        return causes


class DaemonSetStrategy(_WorkloadStrategy):
    has_replicas = False

    def defaults(self, spec):
        us = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
        if us.get("type") == "RollingUpdate":
            ru = us.setdefault("rollingUpdate", {})
            ru.setdefault("maxUnavailable", 1)
            ru.setdefault("maxSurge", 0)


class ReplicaSetStrategy(_WorkloadStrategy):
    def prepare_create(self, ctx, obj):
        super().prepare_create(ctx, obj)
        obj["spec"].pop("revisionHistoryLimit", None)

    def prepare_update(self, ctx, new, old):
        super().prepare_update(ctx, new, old)
        new["spec"].pop("revisionHistoryLimit", None)

    def validate(self, ctx, obj, old=None):
        # A ReplicaSet's selector may change (unlike a Deployment's).
        if old is not None:
            old = copy.deepcopy(old)
            old.setdefault("spec", {})["selector"] = (obj.get("spec") or {}).get("selector")
        return super().validate(ctx, obj, old)


# --- batch ------------------------------------------------------------------------------------------
def _default_job_spec(spec: dict) -> None:
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completions", 1)
    spec.setdefault("parallelism", 1)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    default_pod_spec(spec.setdefault("template", {}).setdefault("spec", {}), restart_policy="Never")


def _validate_job_template(spec: dict, path: str) -> list[dict]:
    pod = ((spec.get("template") or {}).get("spec")) or {}
    return validate_pod_spec(pod, f"{path}.template.spec", ("OnFailure", "Never"))


_CRON_FIELD = r"(\*|[0-9A-Za-z?LW#/,\-*]+)"


def _valid_schedule(s) -> bool:
    if not isinstance(s, str) or not s.strip():
        return False
    s = s.strip()
    if s.startswith("@"):
        return s in ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
    parts = s.split()
    if parts and parts[0].startswith("TZ=") or parts and parts[0].startswith("CRON_TZ="):
        parts = parts[1:]
    if len(parts) != 5:
        return False
    import re
    return all(re.fullmatch(_CRON_FIELD, p) for p in parts)


class JobStrategy(TerminatingNamespaceMixin, Strategy):
    def prepare_create(self, ctx, obj):
        self.check_namespace(ctx, obj)
        spec = obj.setdefault("spec", {})
        _default_job_spec(spec)
        uid = obj["metadata"].get("uid", "")
        labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": obj["metadata"]["name"],
                  "controller-uid": uid, "job-name": obj["metadata"]["name"]}
        if "selector" not in spec:
            spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
            tmeta = spec["template"].setdefault("metadata", {})
            tmeta.setdefault("labels", {}).update(labels)

    def validate(self, ctx, obj, old=None):
        spec = obj.get("spec") or {}
        causes = _validate_job_template(spec, "spec")
        if old is not None and ((old.get("spec") or {}).get("template") != spec.get("template")):
            causes.append(errors.invalid_value("spec.template", "...", "field is immutable"))
        return causes


class CronJobStrategy(TerminatingNamespaceMixin, Strategy):
    def _defaults(self, spec: dict) -> None:
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
        jt = spec.setdefault("jobTemplate", {}).setdefault("spec", {})
        jt.setdefault("backoffLimit", 6)
        jt.setdefault("completionMode", "NonIndexed")
        jt.setdefault("suspend", False)
        default_pod_spec(jt.setdefault("template", {}).setdefault("spec", {}), restart_policy="Never")

    def prepare_create(self, ctx, obj):
        self.check_namespace(ctx, obj)
        self._defaults(obj.setdefault("spec", {}))

    def prepare_update(self, ctx, new, old):
        self._defaults(new.setdefault("spec", {}))

    def validate(self, ctx, obj, old=None):
        spec = obj.get("spec") or {}
        causes = []
        if not spec.get("schedule"):
            causes.append(errors.required_value("spec.schedule"))
        elif not _valid_schedule(spec["schedule"]):
            causes.append(errors.invalid_value("spec.schedule", spec["schedule"],
                                               f"unparseable schedule: {spec['schedule']}"))
        if spec.get("concurrencyPolicy") not in ("Allow", "Forbid", "Replace"):
            causes.append(errors.unsupported_value("spec.concurrencyPolicy", spec.get("concurrencyPolicy"),
                                                   ["Allow", "Forbid", "Replace"]))
        for f in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit", "startingDeadlineSeconds"):
            v = spec.get(f)
            if v is not None and (not isinstance(v, int) or v < 0):
                causes.append(errors.invalid_value(f"spec.{f}", v, "must be greater than or equal to 0"))
        causes += _validate_job_template((spec.get("jobTemplate") or {}).get("spec") or {}, "spec.jobTemplate.spec")
        return causes


def register(api) -> None:
    api.register_strategy(("apps", "deployments"), DeploymentStrategy())
    api.register_strategy(("apps", "statefulsets"), StatefulSetStrategy())
    api.register_strategy(("apps", "daemonsets"), DaemonSetStrategy())
    api.register_strategy(("apps", "replicasets"), ReplicaSetStrategy())
    api.register_strategy(("batch", "jobs"), JobStrategy())
    api.register_strategy(("batch", "cronjobs"), CronJobStrategy())
