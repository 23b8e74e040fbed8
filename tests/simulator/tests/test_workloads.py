"""Kube-side behaviour: workload status, PVC binding, service-ca, and the core/apps API rules."""
from __future__ import annotations

import base64

import pytest

from ansible_collections.ocp.registry.tests.simulator.tests.operator_helpers import (
    Kube, apis, b64, cond, core, wait_for)

NS = "default"


@pytest.fixture
def sim(simulator_factory):
    return simulator_factory("wl", platform="baremetal", controller_delay=0.02)


@pytest.fixture
def k(sim):
    client = Kube(sim)
    yield client
    client.close()


def deploy_body(name: str = "web", image: str = "quay.example.test/web:1", replicas: int = 2, **anns) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "annotations": anns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": image}]}}}}


DEPLOYS = apis("apps", "deployments", NS)


def complete(k, name: str):
    d = k.get(apis("apps", "deployments", NS, name))
    s = d.get("status") or {}
    prog = cond(d, "Progressing")
    if s.get("observedGeneration") == d["metadata"]["generation"] and \
            prog.get("reason") == "NewReplicaSetAvailable" and s.get("availableReplicas") == d["spec"]["replicas"]:
        return d
    return None


def test_deployment_defaults_and_becomes_available(sim, k):
    out = k.create(DEPLOYS, deploy_body())
    spec = out["spec"]
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%",
                                                                           "maxSurge": "25%"}}
    assert spec["progressDeadlineSeconds"] == 600 and spec["revisionHistoryLimit"] == 10
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Always" and pod["dnsPolicy"] == "ClusterFirst"
    assert pod["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert pod["containers"][0]["terminationMessagePath"] == "/dev/termination-log"
    d = wait_for(sim, lambda: complete(k, "web"), what="available")
    s = d["status"]
    assert (s["replicas"], s["updatedReplicas"], s["readyReplicas"], s["availableReplicas"]) == (2, 2, 2, 2)
    assert cond(d, "Available")["status"] == "True"
    assert cond(d, "Available")["reason"] == "MinimumReplicasAvailable"
    rs = k.get(apis("apps", "replicasets", NS))["items"]
    assert len(rs) == 1 and rs[0]["metadata"]["ownerReferences"][0]["name"] == "web"


def test_template_change_is_a_new_rollout(sim, k):
    k.create(DEPLOYS, deploy_body())
    d1 = wait_for(sim, lambda: complete(k, "web"))
    k.merge(apis("apps", "deployments", NS, "web"),
            {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "quay.example.test/web:2"}]}}}})
    d2 = wait_for(sim, lambda: complete(k, "web"),
                  until=lambda d: d and d["metadata"]["generation"] > d1["metadata"]["generation"],
                  what="second rollout")
    assert d2["status"]["observedGeneration"] == d1["status"]["observedGeneration"] + 1
    rs = {r["metadata"]["name"]: r["spec"]["replicas"] for r in k.get(apis("apps", "replicasets", NS))["items"]}
    assert sorted(rs.values()) == [0, 2]            # the old ReplicaSet is scaled down
    # deleting the Deployment garbage-collects its ReplicaSets
    k.delete(apis("apps", "deployments", NS, "web"))
    assert k.get(apis("apps", "replicasets", NS))["items"] == []


def test_unavailable_annotation_is_injectable(sim, k):
    k.create(DEPLOYS, deploy_body(**{"simulator.ocp.registry/unavailable": "true"}))

    def observed():
        d = k.get(apis("apps", "deployments", NS, "web"))
        return d if (d.get("status") or {}).get("observedGeneration") == 1 else None
    d = wait_for(sim, observed)
    sim.wait_idle()
    d = k.get(apis("apps", "deployments", NS, "web"))
    assert d["status"]["availableReplicas"] == 0
    assert (cond(d, "Available")["status"], cond(d, "Available")["reason"]) == (
        "False", "MinimumReplicasUnavailable")
    assert cond(d, "Progressing")["reason"] == "ReplicaSetUpdated"
    k.merge(apis("apps", "deployments", NS, "web"),
            {"metadata": {"annotations": {"simulator.ocp.registry/unavailable": "deadline"}}})
    wait_for(sim, lambda: cond(k.get(apis("apps", "deployments", NS, "web")), "Progressing").get("reason")
             == "ProgressDeadlineExceeded", what="deadline")
    k.merge(apis("apps", "deployments", NS, "web"),
            {"metadata": {"annotations": {"simulator.ocp.registry/unavailable": None}}})
    wait_for(sim, lambda: complete(k, "web"), what="available after removing the annotation")


def test_workload_validation(sim, k):
    body = deploy_body()
    del body["spec"]["template"]["spec"]["containers"][0]["image"]
    code, out = k.call("POST", DEPLOYS, body)
    assert code == 422 and out["details"]["causes"][0]["field"] == "spec.template.spec.containers[0].image"
    body = deploy_body()
    body["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    code, out = k.call("POST", DEPLOYS, body)
    assert code == 422 and "`selector` does not match template `labels`" in out["message"]
    body = deploy_body()
    body["spec"]["template"]["spec"]["containers"].append({"name": "c", "image": "x"})
    code, out = k.call("POST", DEPLOYS, body)
    assert code == 422 and "Duplicate value" in out["message"]
    k.create(DEPLOYS, deploy_body())
    code, out = k.call("PATCH", apis("apps", "deployments", NS, "web"),
                       {"spec": {"selector": {"matchLabels": {"app": "web", "x": "y"}},
                                 "template": {"metadata": {"labels": {"x": "y"}}}}},
                       content_type="application/merge-patch+json")
    assert code == 422 and "field is immutable" in out["message"]


def test_statefulset_daemonset_cronjob(sim, k):
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
           "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                    "template": {"metadata": {"labels": {"app": "db"}},
                                 "spec": {"containers": [{"name": "db", "image": "db:1"}]}}}}
    k.create(apis("apps", "statefulsets", NS), sts)
    wait_for(sim, lambda: (k.get(apis("apps", "statefulsets", NS, "db")).get("status") or {})
             .get("readyReplicas") == 2, what="sts ready")
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
          "spec": {"selector": {"matchLabels": {"app": "agent"}},
                   "template": {"metadata": {"labels": {"app": "agent"}},
                                "spec": {"containers": [{"name": "a", "image": "agent:1"}]}}}}
    k.create(apis("apps", "daemonsets", NS), ds)
    # masters are tainted NoSchedule: only the two workers run it
    out = wait_for(sim, lambda: k.get(apis("apps", "daemonsets", NS, "agent")).get("status") or {},
                   until=lambda s: s.get("numberAvailable") == 2,
                   what="ds")
    assert out["desiredNumberScheduled"] == 2
    cj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick"},
          "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
              "restartPolicy": "OnFailure", "containers": [{"name": "t", "image": "busybox"}]}}}}}}
    out = k.create(apis("batch", "cronjobs", NS), cj)
    assert out["spec"]["concurrencyPolicy"] == "Allow" and out["spec"]["failedJobsHistoryLimit"] == 1
    cj["metadata"]["name"] = "bad"
    cj["spec"]["schedule"] = "every minute"
    code, _body = k.call("POST", apis("batch", "cronjobs", NS), cj)
    assert code == 422


def pvc_body(name: str, cls=None, size="1Gi", modes=("ReadWriteOnce",)) -> dict:
    spec = {"accessModes": list(modes), "resources": {"requests": {"storage": size}}}
    if cls is not None:
        spec["storageClassName"] = cls
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": spec}


def test_pvc_binding(sim, k):
    k.create(core("persistentvolumeclaims", NS), pvc_body("a"))
    k.create(core("persistentvolumeclaims", NS), pvc_body("b", cls="ovirt-csi-sc", modes=("ReadWriteMany",)))
    k.create(core("persistentvolumeclaims", NS), pvc_body("c", cls="nope"))
    a = wait_for(sim, lambda: k.get(core("persistentvolumeclaims", NS, "a")),
                 until=lambda p: p["status"].get("phase") == "Bound",
                 what="a bound")
    assert a["spec"]["storageClassName"] == "standard-csi"
    assert a["status"]["capacity"] == {"storage": "1Gi"} and a["status"]["accessModes"] == ["ReadWriteOnce"]
    pv = k.get(core("persistentvolumes", name=a["spec"]["volumeName"]))
    assert pv["spec"]["claimRef"]["name"] == "a"
    b = wait_for(sim, lambda: k.get(core("persistentvolumeclaims", NS, "b")),
                 until=lambda p: p["status"].get("phase") == "Bound",
                 what="b bound")
    assert b["status"]["accessModes"] == ["ReadWriteMany"]
    sim.wait_idle()
    assert k.get(core("persistentvolumeclaims", NS, "c"))["status"]["phase"] == "Pending"
    # spec is immutable except the storage request of a bound claim
    code, out = k.call("PATCH", core("persistentvolumeclaims", NS, "a"),
                       {"spec": {"accessModes": ["ReadWriteMany"]}}, content_type="application/merge-patch+json")
    assert code == 422 and "spec is immutable after creation" in out["message"]
    k.merge(core("persistentvolumeclaims", NS, "a"), {"spec": {"resources": {"requests": {"storage": "2Gi"}}}})
    wait_for(sim, lambda: k.get(core("persistentvolumeclaims", NS, "a"))["status"]["capacity"]["storage"] == "2Gi",
             what="expanded")
    code, out = k.call("PATCH", core("persistentvolumeclaims", NS, "c"),
                       {"spec": {"resources": {"requests": {"storage": "2Gi"}}}},
                       content_type="application/merge-patch+json")
    assert code == 422      # not bound: no resize
    code, out = k.call("POST", core("persistentvolumeclaims", NS), pvc_body("d", modes=()))
    assert code == 422 and "at least 1 access mode is required" in out["message"]


def test_secret_rules(sim, k):
    path = core("secrets", NS)
    out = k.create(path, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1"},
                          "stringData": {"user": "alice"}, "data": {"pw": b64("x")}})
    assert out["type"] == "Opaque"
    assert "stringData" not in out
    assert out["data"] == {"user": b64("alice"), "pw": b64("x")}
    code, body = k.call("POST", path, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s2"},
                                       "data": {"k": "not base64!"}})
    assert code == 400 and "illegal base64 data" in body["message"]
    code, body = k.call("POST", path, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s3"},
                                       "type": "kubernetes.io/tls", "stringData": {"tls.crt": "x"}})
    assert code == 422 and body["details"]["causes"][0]["field"] == "data[tls.key]"
    code, body = k.call("POST", path, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s4"},
                                       "type": "kubernetes.io/dockerconfigjson",
                                       "stringData": {".dockerconfigjson": "{not json"}})
    assert code == 422
    code, body = k.call("POST", path, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s5"},
                                       "stringData": {"bad key": "x"}})
    assert code == 422 and "a valid config key" in body["message"]
    code, body = k.call("PATCH", core("secrets", NS, "s1"), {"type": "kubernetes.io/tls"},
                        content_type="application/merge-patch+json")
    assert code == 422 and "field is immutable" in body["message"]
    merged = k.merge(core("secrets", NS, "s1"), {"stringData": {"user": "bob"}})
    assert base64.b64decode(merged["data"]["user"]) == b"bob" and "stringData" not in merged


def test_service_cluster_ip_and_serving_cert(sim, k):
    svc = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "api", "annotations": {
               "service.beta.openshift.io/serving-cert-secret-name": "api-tls"}},
           "spec": {"selector": {"app": "api"}, "ports": [{"port": 443, "targetPort": 8443}]}}
    out = k.create(core("services", NS), svc)
    ip = out["spec"]["clusterIP"]
    assert ip.startswith("172.30.") and out["spec"]["clusterIPs"] == [ip]
    assert out["spec"]["ports"][0]["protocol"] == "TCP"
    svc2 = dict(svc, metadata={"name": "api2"})
    assert k.create(core("services", NS), svc2)["spec"]["clusterIP"] != ip
    # the cluster IP is kept when an update omits it, and may not change (read after the serving-cert
    # controller has annotated the service, so the PUT does not race it into a 409)
    signed_by = "service.beta.openshift.io/serving-cert-signed-by"
    live = wait_for(sim, lambda: k.get(core("services", NS, "api")), what="serving cert annotation",
                    until=lambda obj: signed_by in (obj["metadata"].get("annotations") or {}))
    live["spec"].pop("clusterIP")
    live["spec"].pop("clusterIPs")
    code, upd = k.call("PUT", core("services", NS, "api"), live)
    assert code == 200 and upd["spec"]["clusterIP"] == ip
    code, body = k.call("PATCH", core("services", NS, "api"), {"spec": {"clusterIP": "172.30.99.99"}},
                        content_type="application/merge-patch+json")
    assert code == 422
    secret = wait_for(sim, lambda: k.get(core("secrets", NS, "api-tls")), what="serving cert")
    assert secret["type"] == "kubernetes.io/tls"
    from cryptography import x509
    cert = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["tls.crt"]))
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName)
    assert sans == ["api.default.svc", "api.default.svc.cluster.local"]
    # CA bundle injection
    k.create(core("configmaps", NS), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "bundle", "annotations": {"service.beta.openshift.io/inject-cabundle": "true"}}})
    cm = wait_for(sim, lambda: (k.get(core("configmaps", NS, "bundle")).get("data") or {}).get("service-ca.crt"),
                  what="injected CA")
    ca = x509.load_pem_x509_certificate(cm.encode())
    assert cert.issuer == ca.subject


def test_terminating_namespace_refuses_new_content(sim, k):
    k.create(core("namespaces"), {"apiVersion": "v1", "kind": "Namespace",
                                  "metadata": {"name": "doomed", "finalizers": ["test/hold"]}})
    code, _out = k.delete(core("namespaces", name="doomed"))
    assert code == 200
    ns = k.get(core("namespaces", name="doomed"))
    assert ns["metadata"]["deletionTimestamp"]
    code, body = k.call("POST", core("configmaps", "doomed"), {"apiVersion": "v1", "kind": "ConfigMap",
                                                               "metadata": {"name": "x"}})
    assert code == 403
    assert body["message"].endswith("unable to create new content in namespace doomed because it is being "
                                    "terminated")
    code, _body = k.call("POST", core("configmaps", "missing"), {"apiVersion": "v1", "kind": "ConfigMap",
                                                                 "metadata": {"name": "x"}})
    assert code == 404


def test_kubectl_rollout_status_and_wait(sim, k):
    from ansible_collections.ocp.registry.tests.simulator.tests.core_helpers import kubectl
    k.create(DEPLOYS, deploy_body())
    out = kubectl(sim, "-n", NS, "rollout", "status", "deployment/web", "--timeout=30s")
    assert 'deployment "web" successfully rolled out' in out.stdout
    out = kubectl(sim, "-n", NS, "wait", "--for=condition=Available", "deployment/web", "--timeout=30s")
    assert "condition met" in out.stdout


def test_pvc_without_class_waits_for_a_default_class(sim, k):
    sc = apis("storage.k8s.io", "storageclasses", name="standard-csi")
    live = k.get(sc)
    k.merge(sc, {"metadata": {"annotations": {"storageclass.kubernetes.io/is-default-class": "false"}}})
    k.create(core("persistentvolumeclaims", NS), pvc_body("late"))
    sim.wait_idle()
    pvc = k.get(core("persistentvolumeclaims", NS, "late"))
    assert "storageClassName" not in pvc["spec"] and pvc["status"]["phase"] == "Pending"
    # an explicitly empty class means "no class": it never gets one
    k.create(core("persistentvolumeclaims", NS), pvc_body("none", cls=""))
    k.merge(sc, {"metadata": {"annotations": live["metadata"]["annotations"]}})
    bound = wait_for(sim, lambda: k.get(core("persistentvolumeclaims", NS, "late")),
                     until=lambda p: p["status"].get("phase") == "Bound",
                     what="bound after a default class appears")
    assert bound["spec"]["storageClassName"] == "standard-csi"
    none = k.get(core("persistentvolumeclaims", NS, "none"))
    assert none["spec"]["storageClassName"] == "" and none["status"]["phase"] == "Pending"
