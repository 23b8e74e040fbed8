"""Image pruner (operator-behavior.md §10) and the CA config maps (§8)."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.tests.simulator.tests.operator_helpers import (
    CO, CONFIG, IMAGES, NS, PRUNER, Kube, apis, cond, cond_summary, core, registry_ready, wait_config, wait_for)

CRONJOB = apis("batch", "cronjobs", NS, "image-pruner")


@pytest.fixture
def sim(simulator_factory):
    return simulator_factory("pr", platform="baremetal", controller_delay=0.02)


@pytest.fixture
def k(sim):
    client = Kube(sim)
    yield client
    client.close()


def pruner_ready(k):
    p = k.get(PRUNER)
    return p if cond_summary(p, "Available") == ("True", "AsExpected") else None


def command(k) -> str:
    cj = k.get(CRONJOB)
    return cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"][2]


def test_pruner_bootstrap_and_cronjob(sim, k):
    p = wait_for(sim, lambda: pruner_ready(k), what="pruner")
    assert "namespace" not in p["metadata"]            # cleared for a cluster-scoped kind
    assert p["spec"] == {**p["spec"], "suspend": False, "keepTagRevisions": 3, "successfulJobsHistoryLimit": 3,
                         "failedJobsHistoryLimit": 3, "ignoreInvalidImageReferences": True}
    assert "schedule" not in p["spec"]
    assert cond_summary(p, "Scheduled") == ("True", "Scheduled")
    assert cond_summary(p, "Failed") == ("False", "Complete")
    assert cond_summary(p, "Degraded") == ("False", "AsExpected")
    assert cond(p, "Available")["message"] == "Pruner CronJob has been created"
    assert p["status"]["observedGeneration"] == p["metadata"]["generation"]
    cj = k.get(CRONJOB)
    spec = cj["spec"]
    assert spec["schedule"] == "0 0 * * *"
    assert spec["suspend"] is False
    assert spec["concurrencyPolicy"] == "Forbid" and spec["startingDeadlineSeconds"] == 3600
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 3)
    jt = spec["jobTemplate"]
    assert jt["metadata"]["labels"] == {"created-by": "image-pruner"}
    assert jt["spec"]["backoffLimit"] == 0
    pod = jt["spec"]["template"]
    assert pod["metadata"]["labels"] == {"app": "image-pruner"}
    assert pod["metadata"]["annotations"]["openshift.io/required-scc"] == "restricted-v2"
    ps = pod["spec"]
    assert ps["restartPolicy"] == "Never" and ps["serviceAccountName"] == "pruner"
    assert ps["priorityClassName"] == "system-cluster-critical"
    c = ps["containers"][0]
    assert c["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"}}
    assert {"name": "serviceca", "mountPath": "/var/run/configmaps/serviceca", "readOnly": True} in c["volumeMounts"]
    assert c["command"][:2] == ["/bin/sh", "-c"]
    # Removed registry: no internal hostname, so the registry is not pruned
    cmd = command(k)
    assert ("oc adm prune images --confirm=true --certificate-authority=/var/run/configmaps/serviceca/service-ca.crt "
            "--keep-tag-revisions=3 --keep-younger-than=60m --ignore-invalid-refs=true --loglevel=1 "
            "--prune-registry=false") in cmd
    for path in (apis("rbac.authorization.k8s.io", "clusterroles", name="system:image-pruner"),
                 apis("rbac.authorization.k8s.io", "clusterrolebindings", name="openshift-image-registry-pruner"),
                 core("serviceaccounts", NS, "pruner"),
                 apis("networking.k8s.io", "networkpolicies", NS, "image-pruner-networkpolicy")):
        assert k.get(path) is not None, path
    serviceca = wait_for(sim, lambda: ((k.get(core("configmaps", NS, "serviceca")) or {}).get("data") or {})
                         .get("service-ca.crt"), what="serviceca injected")
    assert serviceca.startswith("-----BEGIN CERTIFICATE-----")


def test_pruner_spec_changes(sim, k):
    wait_for(sim, lambda: pruner_ready(k))
    k.merge(PRUNER, {"spec": {"schedule": "30 2 * * 0", "suspend": True, "keepTagRevisions": 5,
                              "keepYoungerThanDuration": "2h", "logLevel": "Debug",
                              "successfulJobsHistoryLimit": 1, "failedJobsHistoryLimit": 2}})
    p = wait_for(sim, lambda: k.get(PRUNER),
                 until=lambda p: cond_summary(p, "Scheduled") == ("False", "Suspended"),
                 what="suspended")
    assert p["status"]["observedGeneration"] == p["metadata"]["generation"]
    cj = k.get(CRONJOB)
    assert cj["spec"]["schedule"] == "30 2 * * 0" and cj["spec"]["suspend"] is True
    assert (cj["spec"]["successfulJobsHistoryLimit"], cj["spec"]["failedJobsHistoryLimit"]) == (1, 2)
    cmd = command(k)
    assert "--keep-tag-revisions=5 --keep-younger-than=2h" in cmd and "--loglevel=4" in cmd
    # the registry becomes Managed: the pruner prunes it through the internal hostname
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}}})
    wait_config(sim, k, registry_ready)
    wait_for(sim, lambda: "--registry-url=https://image-registry.openshift-image-registry.svc:5000" in command(k),
             what="prune-registry=true")
    assert "--prune-registry=true" in command(k)


def test_failed_prune_job_degrades_the_clusteroperator(sim, k):
    wait_for(sim, lambda: pruner_ready(k))
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": "image-pruner-1", "labels": {"created-by": "image-pruner"}},
           "spec": {"backoffLimit": 0, "template": {"spec": {
               "restartPolicy": "Never", "containers": [{"name": "p", "image": "cli"}]}}}}
    created = k.create(apis("batch", "jobs", NS), job)
    created["status"] = {"failed": 1, "conditions": [{"type": "Failed", "status": "True",
                                                      "reason": "BackoffLimitExceeded",
                                                      "message": "Job has reached the specified backoff limit"}]}
    code, body = k.call("PUT", apis("batch", "jobs", NS, "image-pruner-1") + "/status", created)
    assert code == 200, body
    p = wait_for(sim, lambda: k.get(PRUNER), until=lambda p: cond(p, "Failed").get("status") == "True",
                 what="pruner Failed")
    assert cond_summary(p, "Failed") == ("True", "BackoffLimitExceeded")
    assert cond_summary(p, "Degraded") == ("True", "JobFailed")

    def co_degraded():
        co = k.get(CO)
        return co if cond(co, "Degraded").get("status") == "True" else None
    co = wait_for(sim, co_degraded, what="ClusterOperator Degraded")
    assert cond(co, "Degraded")["reason"] == "ImagePrunerJobFailed::Removed"
    assert "ImagePrunerDegraded: Job image-pruner-1 has failed" in cond(co, "Degraded")["message"]


def test_ca_configmaps(sim, k):
    ca = wait_for(sim, lambda: ((k.get(core("configmaps", NS, "serviceca")) or {}).get("data") or {})
                  .get("service-ca.crt"), what="serviceca injected")
    certs = wait_for(sim, lambda: (k.get(core("configmaps", NS, "image-registry-certificates")) or {}).get("data"),
                     what="image-registry-certificates")
    assert certs == {"image-registry.openshift-image-registry.svc..5000": ca,
                     "image-registry.openshift-image-registry.svc.cluster.local..5000": ca}
    managed = k.get(core("configmaps", "openshift-config-managed", "image-registry-ca"))
    assert managed["data"] == certs
    # additionalTrustedCA entries are merged in
    k.create(core("configmaps", "openshift-config"), {"apiVersion": "v1", "kind": "ConfigMap",
                                                      "metadata": {"name": "extra-ca"},
                                                      "data": {"mirror.example.test..5000": "PEM"}})
    k.merge(IMAGES, {"spec": {"additionalTrustedCA": {"name": "extra-ca"}}})
    data = wait_for(sim, lambda: k.get(core("configmaps", NS, "image-registry-certificates"))["data"],
                    until=lambda d: "mirror.example.test..5000" in d,
                    what="extra CA")
    assert data["mirror.example.test..5000"] == "PEM" and len(data) == 3
    wait_for(sim, lambda: k.get(core("configmaps", "openshift-config-managed", "image-registry-ca"))["data"] == data)


def test_s3_trusted_ca_goes_into_the_certificates(simulator_factory):
    sim = simulator_factory("aws", platform="aws", controller_delay=0.02)
    k = Kube(sim)
    wait_config(sim, k, registry_ready)
    k.create(core("configmaps", "openshift-config"), {"apiVersion": "v1", "kind": "ConfigMap",
                                                      "metadata": {"name": "s3-ca"},
                                                      "data": {"ca-bundle.crt": "S3 CA PEM"}})
    k.merge(CONFIG, {"spec": {"storage": {"s3": {"trustedCA": {"name": "s3-ca"}}}}})
    data = wait_for(sim, lambda: k.get(core("configmaps", NS, "image-registry-certificates"))["data"],
                    until=lambda d: "storage-ca-bundle.pem" in d,
                    what="storage CA bundle")
    assert data["storage-ca-bundle.pem"] == "S3 CA PEM"
