"""Helpers for the ImageStream module tests: namespaces, registry trust, workloads, counters."""
from __future__ import annotations

from ansible_collections.ocp.registry.tests.lib.modules import run_module
from ansible_collections.ocp.registry.tests.simulator import catalog

NAMESPACES = catalog.get("", "namespaces")
CONFIGMAPS = catalog.get("", "configmaps")
IMAGE_CONFIGS = catalog.get("config.openshift.io", "images")
IMAGESTREAMS = catalog.get("image.openshift.io", "imagestreams")
DEPLOYMENTS = catalog.get("apps", "deployments")
CRONJOBS = catalog.get("batch", "cronjobs")
STATEFULSETS = catalog.get("apps", "statefulsets")
DAEMONSETS = catalog.get("apps", "daemonsets")
DEPLOYMENTCONFIGS = catalog.get("apps.openshift.io", "deploymentconfigs")


def make_ns(sim, *names):
    for name in names:
        if sim.api.get_or_none(NAMESPACES, None, name) is None:
            sim.api.create(NAMESPACES, None, {"metadata": {"name": name}})


def trust_registry(sim, reg):
    """Make imports trust the test registry's CA, as an admin would (image.config additionalTrustedCA)."""
    with open(reg.ca_file) as f:
        pem = f.read()
    sim.api.ensure(CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "registry-cas", "namespace": "openshift-config"},
                                "data": {reg.host.replace(":", ".."): pem}})
    cfg = sim.api.get_or_none(IMAGE_CONFIGS, None, "cluster")
    if cfg is None:
        sim.api.create(IMAGE_CONFIGS, None, {"apiVersion": "config.openshift.io/v1", "kind": "Image",
                                             "metadata": {"name": "cluster"},
                                             "spec": {"additionalTrustedCA": {"name": "registry-cas"}}})
    else:
        sim.api.patch(IMAGE_CONFIGS, None, "cluster", "merge", {"spec": {"additionalTrustedCA": {"name": "registry-cas"}}})


def creds(reg, name="reg-creds"):
    return {"name": name, "registry": reg.host, "username": reg.user, "password": reg.password}


def deployment(sim, ns, name, containers, kind="Deployment"):
    pod = {"containers": [{"name": c, "image": img} for c, img in containers]}
    template = {"metadata": {"labels": {"app": name}}, "spec": pod}
    if kind == "Deployment":
        rt, body = DEPLOYMENTS, {"apiVersion": "apps/v1", "kind": "Deployment",
                                 "spec": {"selector": {"matchLabels": {"app": name}}, "template": template}}
    elif kind in ("StatefulSet", "DaemonSet"):
        rt = STATEFULSETS if kind == "StatefulSet" else DAEMONSETS
        body = {"apiVersion": "apps/v1", "kind": kind,
                "spec": {"selector": {"matchLabels": {"app": name}}, "template": template}}
        if kind == "StatefulSet":
            body["spec"]["serviceName"] = name
    elif kind == "CronJob":
        rt, body = CRONJOBS, {"apiVersion": "batch/v1", "kind": "CronJob",
                              "spec": {"schedule": "0 0 * * *", "jobTemplate": {"spec": {"template": dict(
                                  template, spec=dict(pod, restartPolicy="Never"))}}}}
    else:
        rt, body = DEPLOYMENTCONFIGS, {"apiVersion": "apps.openshift.io/v1", "kind": "DeploymentConfig",
                                       "spec": {"replicas": 1, "selector": {"app": name}, "template": template,
                                                "triggers": [{"type": "ConfigChange"}]}}
    body["metadata"] = {"name": name, "namespace": ns}
    return sim.api.create(rt, ns, body)


def get(sim, rt, ns, name):
    return sim.api.get_or_none(rt, ns, name)


def image_of(sim, ns, name, rt=None):
    obj = sim.api.get(rt or DEPLOYMENTS, ns, name)
    spec = obj["spec"]
    if "jobTemplate" in spec:
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]["containers"][0]["image"]


class Runner:
    """run(module, **params) with the simulator's kubeconfig; counts requests between reset() and delta()."""

    def __init__(self, sim, admin):
        self.sim = sim
        self.admin = admin

    def __call__(self, module, check=False, diff=False, **params):
        params.setdefault("kubeconfig", self.sim.kubeconfig)
        return run_module(module, params, check_mode=check, diff=diff)

    def counted(self, module, check=False, diff=False, **params):
        """Run after reset; return (result, counters)."""
        self.sim.wait_idle(10)
        self.admin.reset()
        result = self(module, check=check, diff=diff, **params)
        return result, self.admin.counters()

    def four_runs(self, module, **params):
        """check -> apply -> check -> apply; returns the four (result, counters) pairs."""
        out = []
        for check in (True, False, True, False):
            out.append(self.counted(module, check=check, diff=True, **params))
        return out


def requests(counters, **match):
    return sum(r["count"] for r in counters["requests"] if all(r.get(k) == v for k, v in match.items()))


def latest_digest(sim, ns, stream, tag):
    obj = sim.api.get(IMAGESTREAMS, ns, stream)
    for t in (obj.get("status") or {}).get("tags") or []:
        if t["tag"] == tag and t.get("items"):
            return t["items"][0].get("image")
    return None


def warnings_of(result):
    """Warning texts of a module result (ansible-core 2.19 returns WarningSummary dicts)."""
    out = []
    for w in result.get("warnings") or []:
        out.append(w if isinstance(w, str) else ((w.get("event") or {}).get("msg") or str(w)))
    return out
