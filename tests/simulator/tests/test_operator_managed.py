"""Managed / Removed / Unmanaged behaviour of the simulated registry operator, driven over HTTPS
(operator-behavior.md §3, §4, §5, §6)."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.tests.simulator.tests.operator_helpers import (
    CO, CONFIG, IMAGES, NS, Kube, apis, b64, cond, cond_summary, core, deployment, registry_ready, unb64,
    wait_config, wait_for)

PVC = core("persistentvolumeclaims", NS, "image-registry-storage")


@pytest.fixture
def sim(simulator_factory):
    return simulator_factory("bm", platform="baremetal", controller_delay=0.02)


@pytest.fixture
def k(sim):
    client = Kube(sim)
    wait_config(sim, client, lambda c: cond_summary(c, "Progressing") == ("False", "Removed"), what="bootstrap")
    yield client
    client.close()


def progressing_error(cfg: dict) -> str | None:
    c = cond(cfg, "Progressing")
    return c.get("message") if (c.get("status"), c.get("reason")) == ("True", "Error") else None


def env_of(dep: dict) -> dict:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in
            dep["spec"]["template"]["spec"]["containers"][0]["env"]}


def test_removed_to_managed_with_default_pvc(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"pvc": {"claim": ""}}}})
    cfg = wait_config(sim, k, registry_ready, what="registry ready on default PVC")
    assert cond_summary(cfg, "Available") == ("True", "Ready")
    assert cond(cfg, "Available")["message"] == "The registry is ready"
    assert cond_summary(cfg, "Progressing") == ("False", "Ready")
    assert cond(cfg, "Degraded")["status"] == "False"
    assert cond_summary(cfg, "Removed") == ("False", "")
    assert cfg["spec"]["storage"] == {"pvc": {"claim": "image-registry-storage"}, "managementState": "Managed"}
    assert cfg["status"]["storage"] == cfg["spec"]["storage"]
    assert cfg["status"]["storageManaged"] is True
    assert cond_summary(cfg, "StorageExists") == ("True", "PVC Created")
    pvc = k.get(PVC)
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "100Gi"
    assert pvc["metadata"]["annotations"] == {**pvc["metadata"]["annotations"], "imageregistry.openshift.io": "true"}
    # no class in the request: the default class was applied by admission, then the claim bound
    assert pvc["spec"]["storageClassName"] == "standard-csi"
    assert pvc["status"]["phase"] == "Bound"

    # every object of §3.1
    role = k.get(apis("rbac.authorization.k8s.io", "clusterroles", name="system:registry"))
    assert {"apiGroups": ["authorization.k8s.io"], "resources": ["subjectaccessreviews"],
            "verbs": ["create"]} in role["rules"]
    crb = k.get(apis("rbac.authorization.k8s.io", "clusterrolebindings", name="registry-registry-role"))
    assert crb["subjects"] == [{"kind": "ServiceAccount", "name": "registry", "namespace": NS}]
    assert k.get(core("serviceaccounts", NS, "registry")) is not None
    pull = k.get(core("secrets", NS, "installation-pull-secrets"))
    assert pull["type"] == "kubernetes.io/dockerconfigjson"
    assert pull["data"] == k.get(core("secrets", "openshift-config", "pull-secret"))["data"]
    assert k.get(core("secrets", NS, "image-registry-private-configuration")) is not None
    svc = k.get(core("services", NS, "image-registry"))
    assert svc["spec"]["clusterIP"].startswith("172.30.")
    assert svc["spec"]["ports"][0]["name"] == "5000-tcp" and svc["spec"]["ports"][0]["port"] == 5000
    assert svc["spec"]["selector"] == {"docker-registry": "default"}
    pdb = k.get(apis("policy", "poddisruptionbudgets", NS, "image-registry"))
    assert pdb["spec"]["minAvailable"] == 0 and pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    assert k.get(apis("networking.k8s.io", "networkpolicies", NS, "image-registry-networkpolicy")) is not None
    # the serving cert the Service asks service-ca for
    tls = wait_for(sim, lambda: k.get(core("secrets", NS, "image-registry-tls")), what="image-registry-tls")
    assert tls["type"] == "kubernetes.io/tls"

    dep = k.get(deployment())
    pod = dep["spec"]["template"]["spec"]
    assert dep["spec"]["replicas"] == 1 and dep["spec"]["progressDeadlineSeconds"] == 120
    assert dep["spec"]["selector"] == {"matchLabels": {"docker-registry": "default"}}
    assert dep["metadata"]["annotations"]["release.openshift.io/version"] == "4.20.0"
    assert pod["serviceAccountName"] == "registry"
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["securityContext"]["fsGroup"] == 1000430000
    c = pod["containers"][0]
    assert c["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"}}
    env = env_of(dep)
    assert env["REGISTRY_STORAGE"] == "filesystem"
    assert env["REGISTRY_HTTP_SECRET"] == cfg["spec"]["httpSecret"]
    assert env["REGISTRY_OPENSHIFT_SERVER_ADDR"] == "image-registry.openshift-image-registry.svc:5000"
    vols = {v["name"]: v for v in pod["volumes"]}
    assert vols["registry-storage"]["persistentVolumeClaim"]["claimName"] == "image-registry-storage"
    assert {"name": "registry-storage", "mountPath": "/registry"} in c["volumeMounts"]
    assert [t["topologyKey"] for t in pod["topologySpreadConstraints"]] == [
        "kubernetes.io/hostname", "node-role.kubernetes.io/worker"]
    # images.config status follows the Service
    img = wait_for(sim, lambda: (k.get(IMAGES).get("status") or {}).get("internalRegistryHostname"),
                   what="internalRegistryHostname")
    assert img == "image-registry.openshift-image-registry.svc:5000"


def test_managed_without_storage_is_a_permanent_error(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed"}})
    cfg = wait_config(sim, k, lambda c: cond(c, "Available").get("reason") == "StorageNotConfigured",
                      what="StorageNotConfigured")
    assert cond_summary(cfg, "Available") == ("False", "StorageNotConfigured")
    assert cond(cfg, "Available")["message"] == "Error: storage backend not configured"
    assert cond_summary(cfg, "Degraded") == ("True", "StorageNotConfigured")
    assert cond(cfg, "Degraded")["message"] == "Error: storage backend not configured"
    # permanent: Progressing is False with reason Error
    assert cond_summary(cfg, "Progressing") == ("False", "Error")
    assert cond(cfg, "Progressing")["message"] == "Unable to apply resources: storage backend not configured"
    assert k.get(deployment()) is None

    def co_degraded():
        co = k.get(CO)
        return co if cond(co, "Degraded").get("status") == "True" else None
    co = wait_for(sim, co_degraded, what="ClusterOperator Degraded")
    assert cond(co, "Degraded")["reason"] == "StorageNotConfigured"
    assert cond_summary(co, "Available") == ("False", "StorageNotConfigured")


def _user_pvc(k, name: str, modes: list[str]) -> None:
    k.create(core("persistentvolumeclaims", NS), {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
        "spec": {"accessModes": modes, "resources": {"requests": {"storage": "10Gi"}}}})


def test_rwo_claim_with_two_replicas_is_refused(sim, k):
    _user_pvc(k, "mine", ["ReadWriteOnce"])
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "replicas": 2, "rolloutStrategy": "Recreate",
                              "storage": {"pvc": {"claim": "mine"}}}})
    msg = "cannot use ReadWriteOnce access mode with more than one replica of the image registry"
    cfg = wait_config(sim, k, lambda c: progressing_error(c) is not None, what="RWO error")
    assert progressing_error(cfg) == f"Unable to apply resources: {msg}"
    assert cond_summary(cfg, "StorageExists") == ("False", "PVC Issues Found")
    assert cond(cfg, "StorageExists")["message"] == msg
    # non-permanent: not Degraded by itself
    assert cond(cfg, "Degraded")["status"] == "False"
    assert k.get(deployment()) is None


def test_rwo_claim_with_rolling_update_is_refused_then_recreate_accepted(sim, k):
    _user_pvc(k, "mine", ["ReadWriteOnce"])
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "replicas": 1, "rolloutStrategy": "RollingUpdate",
                              "storage": {"pvc": {"claim": "mine"}}}})
    cfg = wait_config(sim, k, lambda c: progressing_error(c) is not None, what="RWO rollout error")
    assert progressing_error(cfg) == ("Unable to apply resources: cannot use ReadWriteOnce access mode with "
                                      "RollingUpdate rollout strategy")
    k.merge(CONFIG, {"spec": {"rolloutStrategy": "Recreate"}})
    cfg = wait_config(sim, k, registry_ready, what="ready with Recreate")
    assert cfg["spec"]["storage"]["managementState"] == "Unmanaged"
    assert cfg["status"]["storageManaged"] is False
    assert cond_summary(cfg, "StorageExists") == ("True", "PVC Exists")
    assert k.get(deployment())["spec"]["strategy"] == {"type": "Recreate"}
    # an accepted RWO claim is not re-checked when replicas grow (§4)
    k.merge(CONFIG, {"spec": {"replicas": 2}})
    cfg = wait_config(sim, k, lambda c: registry_ready(c) and k.get(deployment())["spec"]["replicas"] == 2,
                      what="scaled to 2")
    assert progressing_error(cfg) is None


def test_missing_claim_and_foreign_default_claim(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"pvc": {"claim": "nope"}}}})
    cfg = wait_config(sim, k, lambda c: progressing_error(c) is not None, what="missing claim")
    assert progressing_error(cfg) == 'Unable to apply resources: persistentvolumeclaims "nope" not found'
    # a default-named claim the operator does not own
    _user_pvc(k, "image-registry-storage", ["ReadWriteMany"])
    k.merge(CONFIG, {"spec": {"storage": {"pvc": {"claim": ""}}}})
    cfg = wait_config(sim, k, lambda c: cond(c, "StorageExists").get("reason") == "PVC Already Exists",
                      what="foreign default claim")
    assert progressing_error(cfg) == ("Unable to apply resources: could not create default PVC, it already exists "
                                      "and is not owned by the operator")


def test_emptydir_accepts_any_replica_count(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "replicas": 3, "storage": {"emptyDir": {}}}})
    cfg = wait_config(sim, k, registry_ready, what="emptyDir x3 ready")
    assert cond_summary(cfg, "StorageExists") == ("True", "Creation Successful")
    dep = k.get(deployment())
    assert dep["spec"]["replicas"] == 3
    assert dep["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 2, "maxSurge": "25%"}
    assert cfg["status"]["readyReplicas"] == 3


def test_two_replicas_get_anti_affinity_and_pdb(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "replicas": 2, "storage": {"emptyDir": {}}}})
    wait_config(sim, k, registry_ready)
    dep = k.get(deployment())
    anti = dep["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    assert anti["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"] == "kubernetes.io/hostname"
    assert dep["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 1, "maxSurge": 1}
    assert k.get(apis("policy", "poddisruptionbudgets", NS, "image-registry"))["spec"]["minAvailable"] == 1


def test_switching_backends(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}}})
    wait_config(sim, k, registry_ready)
    gen1 = k.get(deployment())["metadata"]["generation"]
    # two backends at once is an error
    k.merge(CONFIG, {"spec": {"storage": {"pvc": {"claim": ""}}}})
    cfg = wait_config(sim, k, lambda c: progressing_error(c) is not None, what="two backends")
    assert progressing_error(cfg) == ("Unable to apply resources: exactly one storage type should be configured at "
                                      "the same time, got 2: [emptyDir pvc]")
    k.merge(CONFIG, {"spec": {"storage": {"emptyDir": None}}})
    cfg = wait_config(sim, k, lambda c: registry_ready(c) and "pvc" in c["status"]["storage"], what="on pvc")
    assert "emptyDir" not in cfg["status"]["storage"]
    dep = k.get(deployment())
    assert dep["metadata"]["generation"] > gen1
    vols = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
    assert vols["registry-storage"] == {"name": "registry-storage",
                                        "persistentVolumeClaim": {"claimName": "image-registry-storage"}}


def test_spec_options_reach_the_deployment(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}, "readOnly": True,
                              "disableRedirect": True, "logLevel": "Debug",
                              "nodeSelector": {"node-role.kubernetes.io/infra": ""},
                              "tolerations": [{"key": "infra", "operator": "Exists", "effect": "NoSchedule"}],
                              "resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
                              "proxy": {"http": "http://proxy.example.test:3128", "noProxy": ".example.test"},
                              "requests": {"read": {"maxRunning": 5, "maxInQueue": 10}}}})
    wait_config(sim, k, registry_ready)
    dep = k.get(deployment())
    env = env_of(dep)
    assert env["REGISTRY_STORAGE_MAINTENANCE_READONLY"] == "{enabled: true}"
    assert env["REGISTRY_STORAGE_REDIRECT_DISABLE"] == "true"
    assert env["REGISTRY_LOG_LEVEL"] == "debug"
    assert env["HTTP_PROXY"] == "http://proxy.example.test:3128" and env["NO_PROXY"] == ".example.test"
    assert env["REGISTRY_OPENSHIFT_REQUESTS_READ_MAXRUNNING"] == "5"
    assert env["REGISTRY_OPENSHIFT_REQUESTS_READ_MAXINQUEUE"] == "10"
    pod = dep["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"node-role.kubernetes.io/infra": "", "kubernetes.io/os": "linux"}
    assert pod["tolerations"] == [{"key": "infra", "operator": "Exists", "effect": "NoSchedule"}]
    assert "topologySpreadConstraints" not in pod       # a nodeSelector disables the default spread
    assert pod["containers"][0]["resources"] == {"requests": {"cpu": "1", "memory": "1Gi"}}


def test_s3_user_secret_keys(simulator_factory):
    sim = simulator_factory("aws", platform="aws", controller_delay=0.02)
    k = Kube(sim)
    wait_config(sim, k, registry_ready)
    user_secret = core("secrets", NS)
    k.create(user_secret, {"apiVersion": "v1", "kind": "Secret",
                           "metadata": {"name": "image-registry-private-configuration-user"},
                           "stringData": {"REGISTRY_STORAGE_S3_ACCESSKEY": "AKIAUSER"}})
    msg = ('secret "openshift-image-registry/image-registry-private-configuration-user" does not contain required '
           'key "REGISTRY_STORAGE_S3_SECRETKEY"')
    cfg = wait_config(sim, k, lambda c: progressing_error(c) is not None, what="missing user key")
    assert progressing_error(cfg) == f"Unable to apply resources: {msg}"
    assert cond(cfg, "Degraded")["status"] == "False"
    k.merge(core("secrets", NS, "image-registry-private-configuration-user"),
            {"stringData": {"REGISTRY_STORAGE_S3_SECRETKEY": "user-secret"}})
    wait_config(sim, k, lambda c: registry_ready(c) and progressing_error(c) is None, what="ready with user keys")
    priv = wait_for(sim, lambda: k.get(core("secrets", NS, "image-registry-private-configuration")),
                    until=lambda s: "AKIAUSER" in unb64(s["data"]["credentials"]),
                    what="user keys in private config")
    creds = unb64(priv["data"]["credentials"])
    assert creds == "[default]\naws_access_key_id = AKIAUSER\naws_secret_access_key = user-secret\n"


def test_removed_teardown(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "defaultRoute": True,
                              "storage": {"pvc": {"claim": ""}}}})
    wait_config(sim, k, registry_ready)
    wait_for(sim, lambda: k.get(apis("route.openshift.io", "routes", NS, "default-route")), what="route")
    k.merge(CONFIG, {"spec": {"managementState": "Removed"}})
    cfg = wait_config(sim, k, lambda c: cond_summary(c, "Progressing") == ("False", "Removed"), what="removed")
    assert cond_summary(cfg, "Available") == ("True", "Removed")
    assert cond_summary(cfg, "Degraded") == ("False", "Removed")
    assert cond_summary(cfg, "Removed") == ("True", "Removed")
    assert cfg["status"]["storage"] == {}
    gone = [apis("rbac.authorization.k8s.io", "clusterroles", name="system:registry"),
            apis("rbac.authorization.k8s.io", "clusterrolebindings", name="registry-registry-role"),
            core("serviceaccounts", NS, "registry"), core("secrets", NS, "installation-pull-secrets"),
            core("secrets", NS, "image-registry-private-configuration"), core("services", NS, "image-registry"),
            deployment(), apis("policy", "poddisruptionbudgets", NS, "image-registry"),
            apis("networking.k8s.io", "networkpolicies", NS, "image-registry-networkpolicy"),
            apis("route.openshift.io", "routes", NS, "default-route"),
            PVC]                              # owned by the operator (storage Managed)
    for path in gone:
        assert k.get(path) is None, path
    kept = [apis("apps", "daemonsets", NS, "node-ca"), core("configmaps", NS, "image-registry-certificates"),
            core("configmaps", "openshift-config-managed", "image-registry-ca"),
            apis("batch", "cronjobs", NS, "image-pruner"), core("serviceaccounts", NS, "pruner"),
            core("configmaps", NS, "serviceca")]
    for path in kept:
        assert k.get(path) is not None, path
    img = wait_for(sim, lambda: k.get(IMAGES),
                   until=lambda i: "internalRegistryHostname" not in (i.get("status") or {}),
                   what="internal hostname cleared")
    assert "externalRegistryHostnames" not in img["status"]


def test_removed_keeps_user_claim(sim, k):
    _user_pvc(k, "mine", ["ReadWriteMany"])
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"pvc": {"claim": "mine"}}}})
    wait_config(sim, k, registry_ready)
    k.merge(CONFIG, {"spec": {"managementState": "Removed"}})
    wait_config(sim, k, lambda c: cond_summary(c, "Progressing") == ("False", "Removed"))
    assert k.get(core("persistentvolumeclaims", NS, "mine")) is not None


def test_unmanaged_conditions_and_hands_off(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}}})
    wait_config(sim, k, registry_ready)
    k.merge(CONFIG, {"spec": {"managementState": "Unmanaged"}})
    msg = "The registry configuration is set to unmanaged mode"
    cfg = wait_config(sim, k, lambda c: cond(c, "Available").get("reason") == "Unmanaged", what="unmanaged")
    for ctype, status in (("Available", "True"), ("Progressing", "False"), ("Degraded", "False")):
        assert cond_summary(cfg, ctype) == (status, "Unmanaged")
        assert cond(cfg, ctype)["message"] == msg
    assert cond(cfg, "Removed")["status"] == "False"
    # operands are left alone: a hand edit of the Deployment stays
    k.merge(deployment(), {"spec": {"replicas": 4}})
    k.delete(core("services", NS, "image-registry"))
    sim.wait_idle()
    assert k.get(deployment())["spec"]["replicas"] == 4
    assert k.get(core("services", NS, "image-registry")) is None
    # back to Managed: the operator restores what it owns
    k.merge(CONFIG, {"spec": {"managementState": "Managed"}})
    wait_config(sim, k, lambda c: registry_ready(c) and k.get(deployment())["spec"]["replicas"] == 1,
                what="managed again")
    assert k.get(core("services", NS, "image-registry")) is not None


def test_deleting_config_resets_to_defaults(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "replicas": 3, "storage": {"emptyDir": {}}}})
    old = wait_config(sim, k, registry_ready)
    code, body = k.delete(CONFIG)
    assert code == 200
    assert body["metadata"]["deletionTimestamp"]          # the finalizer holds it for the teardown
    cfg = wait_config(sim, k, lambda c: c["metadata"]["uid"] != old["metadata"]["uid"]
                      and cond_summary(c, "Progressing") == ("False", "Removed"), what="recreated default")
    assert cfg["spec"]["managementState"] == "Removed"
    assert cfg["spec"]["replicas"] == 1
    assert cfg["spec"]["storage"] == {}
    assert k.get(deployment()) is None


def test_verification_failures_are_permanent(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}},
                              "routes": [{"name": "default-route"}]}})
    cfg = wait_config(sim, k, lambda c: cond(c, "Degraded").get("reason") == "VerificationFailed",
                      what="reserved route name")
    assert cond_summary(cfg, "Available") == ("False", "VerificationFailed")
    assert cond_summary(cfg, "Progressing") == ("False", "Error")
    k.merge(CONFIG, {"spec": {"routes": [{"name": "a"}, {"name": "a"}]}})
    cfg = wait_config(sim, k, lambda c: "duplication" in cond(c, "Degraded").get("message", ""),
                      what="duplicate route names")
    assert cond_summary(cfg, "Degraded") == ("True", "VerificationFailed")


def test_unavailable_deployment_then_degraded_after_five_minutes(sim, k):
    clock = {"t": sim.config.clock()}
    sim.config.clock = lambda: clock["t"]
    sim.config.unavailable_workloads = {f"{NS}/image-registry"}
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}}})
    cfg = wait_config(sim, k, lambda c: cond(c, "Available").get("reason") == "NoReplicasAvailable",
                      what="no replicas available")
    assert cond_summary(cfg, "Available") == ("False", "NoReplicasAvailable")
    assert cond_summary(cfg, "Progressing") == ("True", "DeploymentNotCompleted")
    assert cond(cfg, "Degraded")["status"] == "False"
    clock["t"] += 301
    k.merge(CONFIG, {"metadata": {"annotations": {"test/poke": "1"}}})       # any event re-syncs
    cfg = wait_config(sim, k, lambda c: cond(c, "Degraded").get("status") == "True", what="Degraded Unavailable")
    assert cond_summary(cfg, "Degraded") == ("True", "Unavailable")
    assert cond(cfg, "Degraded")["message"] == "The deployment does not have available replicas"
    # it recovers once the deployment becomes available
    sim.config.unavailable_workloads = set()
    k.merge(deployment(), {"metadata": {"annotations": {"test/poke": "1"}}})
    wait_config(sim, k, registry_ready, what="recovered")


def test_progress_deadline_exceeded_degrades(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}}})
    wait_config(sim, k, registry_ready)
    k.merge(deployment(), {"metadata": {"annotations": {"simulator.ocp.registry/unavailable": "deadline"}}})
    cfg = wait_config(sim, k, lambda c: cond(c, "Degraded").get("status") == "True", what="deadline")
    assert cond_summary(cfg, "Degraded") == ("True", "ProgressDeadlineExceeded")
    assert cond(cfg, "Degraded")["message"].startswith("Registry deployment has timed out progressing: ReplicaSet")
    assert cond_summary(cfg, "Progressing") == ("True", "DeploymentNotCompleted")


def test_lasttransitiontime_moves_only_on_flips(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}}})
    cfg = wait_config(sim, k, registry_ready)
    before = {c["type"]: c["lastTransitionTime"] for c in cfg["status"]["conditions"]}
    clock = {"t": sim.config.clock() + 3600}
    sim.config.clock = lambda: clock["t"]
    k.merge(CONFIG, {"spec": {"replicas": 2}})        # a change that keeps every status
    cfg = wait_config(sim, k, lambda c: registry_ready(c) and c["status"]["readyReplicas"] == 2)
    after = {c["type"]: c["lastTransitionTime"] for c in cfg["status"]["conditions"]}
    assert after["Available"] == before["Available"]
    assert after["Degraded"] == before["Degraded"]


def test_failed_teardown_keeps_the_finalizer(sim, k, monkeypatch):
    from ansible_collections.ocp.registry.tests.simulator.errors import StatusError
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}}})
    old = wait_config(sim, k, registry_ready)
    real_delete = sim.api.delete

    def failing_delete(rt, namespace, name, *args, **kwargs):
        if getattr(rt, "plural", None) == "deployments":
            raise StatusError(500, "InternalError", "Internal error occurred: etcdserver: request timed out")
        return real_delete(rt, namespace, name, *args, **kwargs)
    monkeypatch.setattr(sim.api, "delete", failing_delete)
    k.delete(CONFIG)
    cfg = wait_config(sim, k, lambda c: cond(c, "Degraded").get("reason") == "RemoveFailed", what="RemoveFailed")
    assert cfg["metadata"]["uid"] == old["metadata"]["uid"]
    assert cfg["metadata"]["finalizers"] == ["imageregistry.operator.openshift.io/finalizer"]
    assert cond(cfg, "Degraded")["status"] == "True"
    assert "etcdserver: request timed out" in cond(cfg, "Degraded")["message"]
    monkeypatch.setattr(sim.api, "delete", real_delete)
    k.merge(CONFIG, {"metadata": {"annotations": {"test/poke": "1"}}})     # an event instead of the backoff
    wait_config(sim, k, lambda c: c["metadata"]["uid"] != old["metadata"]["uid"]
                and cond_summary(c, "Progressing") == ("False", "Removed"), what="teardown retried, CR recreated")
    assert k.get(deployment()) is None


def test_steady_state_writes_nothing(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "defaultRoute": True, "storage": {"pvc": {"claim": ""}}}})
    wait_config(sim, k, registry_ready)
    wait_for(sim, lambda: (k.get(IMAGES).get("status") or {}).get("externalRegistryHostnames"))
    paths = [CONFIG, CO, IMAGES, deployment(), core("services", NS, "image-registry"), PVC,
             apis("route.openshift.io", "routes", NS, "default-route"), apis("apps", "daemonsets", NS, "node-ca"),
             apis("batch", "cronjobs", NS, "image-pruner"), core("configmaps", NS, "image-registry-certificates"),
             "/apis/imageregistry.operator.openshift.io/v1/imagepruners/cluster"]
    before = {p: k.get(p)["metadata"]["resourceVersion"] for p in paths}
    # every controller re-syncs everything it owns
    for ctl in sim.manager.controllers:
        for key in ctl.resync_keys():
            sim.manager.enqueue(ctl, key, 0)
    assert sim.wait_idle(30)
    after = {p: k.get(p)["metadata"]["resourceVersion"] for p in paths}
    assert after == before


def test_pull_secret_changes_propagate(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}}})
    wait_config(sim, k, registry_ready)
    new = b64('{"auths":{"mirror.example.test":{"auth":"' + b64("u:p") + '"}}}')
    k.merge(core("secrets", "openshift-config", "pull-secret"), {"data": {".dockerconfigjson": new}})
    wait_for(sim, lambda: k.get(core("secrets", NS, "installation-pull-secrets"))["data"][".dockerconfigjson"] == new,
             what="pull secret copied")


def test_single_replica_topology_caps_bootstrap_replicas(simulator_factory):
    sim = simulator_factory("sno", platform="aws", controller_delay=0.02)
    k = Kube(sim)
    old = wait_config(sim, k, registry_ready)
    assert old["spec"]["replicas"] == 2
    k.merge("/apis/config.openshift.io/v1/infrastructures/cluster/status",
            {"status": {"infrastructureTopology": "SingleReplica"}})
    k.delete(CONFIG)
    cfg = wait_config(sim, k, lambda c: c["metadata"]["uid"] != old["metadata"]["uid"] and registry_ready(c),
                      what="re-bootstrapped")
    assert cfg["spec"]["replicas"] == 1
    # the bucket the operator created is removed with the old CR and created again
    assert cond_summary(cfg, "StorageExists") == ("True", "Creation Successful")


@pytest.mark.parametrize("backend,partial,rest", [
    ("gcs", {}, {"REGISTRY_STORAGE_GCS_KEYFILE": '{"type": "service_account"}'}),
    ("azure", {"REGISTRY_STORAGE_AZURE_ACCOUNTKEY": ""}, {"REGISTRY_STORAGE_AZURE_ACCOUNTKEY": "a2V5"}),
    ("swift", {"REGISTRY_STORAGE_SWIFT_USERNAME": "u"}, {"REGISTRY_STORAGE_SWIFT_PASSWORD": "p"}),
    ("ibmcos", {}, {"REGISTRY_STORAGE_IBMCOS_IAMAPIKEY": "k"}),
])
def test_cloud_backend_user_secret_keys(sim, k, backend, partial, rest):
    # baremetal has no installer-cloud-credentials: without a user secret the credentials are missing
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {backend: {}}}})
    cfg = wait_config(sim, k, lambda c: progressing_error(c) is not None, what="no credentials")
    assert progressing_error(cfg) == (
        'Unable to apply resources: unable to get cluster minted credentials '
        '"openshift-image-registry/installer-cloud-credentials": secrets "installer-cloud-credentials" not found')
    secret = core("secrets", NS, "image-registry-private-configuration-user")
    k.create(core("secrets", NS), {"apiVersion": "v1", "kind": "Secret",
                                   "metadata": {"name": "image-registry-private-configuration-user"},
                                   "stringData": partial})
    missing = next(iter(rest))
    cfg = wait_config(sim, k, lambda c: "does not contain required key" in (progressing_error(c) or ""),
                      what="missing key")
    assert progressing_error(cfg) == (
        'Unable to apply resources: secret "openshift-image-registry/image-registry-private-configuration-user" '
        f'does not contain required key "{missing}"')
    k.merge(secret, {"stringData": rest})
    cfg = wait_config(sim, k, lambda c: registry_ready(c) and progressing_error(c) is None, what="ready")
    assert cfg["spec"]["storage"]["managementState"] == "Managed"
    name_field = "bucket" if backend in ("gcs", "ibmcos") else "container"
    assert cfg["spec"]["storage"][backend][name_field].startswith("sim-x7k2p-image-registry-")
    assert len(cfg["spec"]["storage"][backend][name_field]) <= 62
    env = env_of(k.get(deployment()))
    assert env["REGISTRY_STORAGE"] == {"gcs": "gcs", "azure": "azure", "swift": "swift", "ibmcos": "s3"}[backend]


def test_co_version_published_only_after_rollout(sim, k):
    def co_version():
        co = k.get(CO)
        return next((v["version"] for v in (co.get("status") or {}).get("versions") or []
                     if v["name"] == "operator"), None)
    assert wait_for(sim, lambda: co_version() == "4.20.0", what="Removed publishes RELEASE_VERSION")
    sim.config.release_version = "4.21.0"
    sim.config.unavailable_workloads = {f"{NS}/image-registry"}
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}}})
    wait_config(sim, k, lambda c: cond(c, "Available").get("reason") == "NoReplicasAvailable")
    assert k.get(deployment())["metadata"]["annotations"]["release.openshift.io/version"] == "4.21.0"
    assert co_version() == "4.20.0"                 # not yet: the rollout is not complete
    sim.config.unavailable_workloads = set()
    k.merge(deployment(), {"metadata": {"annotations": {"test/poke": "1"}}})
    wait_config(sim, k, registry_ready)
    assert wait_for(sim, lambda: co_version() == "4.21.0", what="new version published")


def test_kubernetes_client_drives_the_operator(sim, k):
    from ansible_collections.ocp.registry.tests.simulator.tests.core_helpers import dynamic
    dyn = dynamic(sim)
    configs = dyn.resources.get(api_version="imageregistry.operator.openshift.io/v1", kind="Config")
    configs.patch(name="cluster", body={"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}}},
                  content_type="application/merge-patch+json")

    def ready():
        cfg = configs.get(name="cluster").to_dict()
        return cfg if registry_ready(cfg) else None
    cfg = wait_for(sim, ready, what="ready through the kubernetes client")
    assert cfg["status"]["storage"] == {"emptyDir": {}, "managementState": "Managed"}
    cos = dyn.resources.get(api_version="config.openshift.io/v1", kind="ClusterOperator")
    wait_for(sim, lambda: cond(cos.get(name="image-registry").to_dict(), "Available").get("reason") == "Ready")


def test_negative_replicas_fail_verification(sim, k):
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}, "replicas": -1}})
    cfg = wait_config(sim, k, lambda c: cond(c, "Degraded").get("reason") == "VerificationFailed",
                      what="negative replicas")
    assert cond_summary(cfg, "Available") == ("False", "VerificationFailed")
    assert cond(cfg, "Available")["message"] == "Error: replicas must be greater than or equal to 0"
    assert k.get(deployment()) is None


def test_node_ca_apply_failures_degrade_after_two_minutes(sim, k, monkeypatch):
    from ansible_collections.ocp.registry.tests.simulator.errors import StatusError
    clock = {"t": sim.config.clock()}
    sim.config.clock = lambda: clock["t"]
    real_create = sim.api.create

    def failing_create(rt, namespace, obj, *args, **kwargs):
        if getattr(rt, "plural", None) == "daemonsets":
            raise StatusError(500, "InternalError", "Internal error occurred: admission webhook timed out")
        return real_create(rt, namespace, obj, *args, **kwargs)
    monkeypatch.setattr(sim.api, "create", failing_create)
    k.delete(apis("apps", "daemonsets", NS, "node-ca"))
    cfg = wait_config(sim, k, lambda c: cond(c, "NodeCADaemonAvailable").get("reason") == "NotFound")
    assert cond(cfg, "NodeCADaemonControllerDegraded")["status"] == "False"      # within the 2-minute grace
    clock["t"] += 121
    ctl = next(c for c in sim.manager.controllers if c.name == "node-ca")
    sim.manager.enqueue(ctl, "node-ca", 0)
    cfg = wait_config(sim, k, lambda c: cond(c, "NodeCADaemonControllerDegraded").get("status") == "True")
    assert cond(cfg, "NodeCADaemonControllerDegraded")["reason"] == "Error"

    def co_degraded():
        co = k.get(CO)
        return co if cond(co, "Degraded").get("status") == "True" else None
    co = wait_for(sim, co_degraded, what="ClusterOperator Degraded")
    assert cond(co, "Degraded")["reason"] == "NodeCADaemonControllerError::Removed"
    assert ("NodeCADaemonControllerDegraded: Internal error occurred: admission webhook timed out"
            in cond(co, "Degraded")["message"].split("\n"))
    assert cond_summary(co, "Available") == ("False", "NodeCADaemonNotFound::Removed")
    monkeypatch.setattr(sim.api, "create", real_create)
    sim.manager.enqueue(ctl, "node-ca", 0)
    wait_config(sim, k, lambda c: cond(c, "NodeCADaemonControllerDegraded").get("status") == "False"
                and cond(c, "NodeCADaemonAvailable").get("status") == "True", what="node-ca back")


def test_removed_deletes_only_buckets_the_operator_created(simulator_factory):
    sim = simulator_factory("aws2", platform="aws", controller_delay=0.02)
    ctl = next(c for c in sim.manager.controllers if c.name == "image-registry-operator")
    ctl.cloud.create("s3", "team-bucket")
    k = Kube(sim)
    cfg = wait_config(sim, k, registry_ready)
    own = cfg["spec"]["storage"]["s3"]["bucket"]
    assert ctl.cloud.exists("s3", own)
    # the operator-created bucket goes with Removed
    k.merge(CONFIG, {"spec": {"managementState": "Removed"}})
    wait_config(sim, k, lambda c: cond_summary(c, "Progressing") == ("False", "Removed"))
    assert not ctl.cloud.exists("s3", own)
    # a user bucket is used Unmanaged and survives Removed
    k.merge(CONFIG, {"spec": {"managementState": "Managed", "storage": {"s3": {"bucket": "team-bucket"}}}})
    cfg = wait_config(sim, k, lambda c: registry_ready(c) and c["status"]["storage"].get("s3", {}).get("bucket")
                      == "team-bucket")
    assert cfg["spec"]["storage"]["managementState"] == "Unmanaged" and cfg["status"]["storageManaged"] is False
    assert cond_summary(cfg, "StorageExists") == ("True", "S3 Bucket Exists")
    k.merge(CONFIG, {"spec": {"managementState": "Removed"}})
    wait_config(sim, k, lambda c: cond_summary(c, "Progressing") == ("False", "Removed"))
    assert ctl.cloud.exists("s3", "team-bucket")
