"""Conformance with real clients: the kubernetes Python client (typed and dynamic) and kubectl."""
from __future__ import annotations

import json
import subprocess

import pytest

from ansible_collections.ocp.registry.tests.simulator.tests.core_helpers import (
    KUBECTL, api_client, dynamic, kubectl)

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client as kclient  # noqa: E402
from kubernetes import watch as kwatch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402
from kubernetes.dynamic.exceptions import (  # noqa: E402
    ConflictError, ForbiddenError, NotFoundError, UnprocessibleEntityError)


@pytest.fixture
def sim(simulator_factory):
    return simulator_factory("clients", controllers=False)


def _cm(name, labels=None):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}},
            "data": {"k": "v"}}


CONFIG = {"apiVersion": "imageregistry.operator.openshift.io/v1", "kind": "Config", "metadata": {"name": "cluster"},
          "spec": {"replicas": 1, "managementState": "Managed", "storage": {"emptyDir": {}}}}


# --- typed client --------------------------------------------------------------------------------
def test_core_v1_api(sim):
    core = kclient.CoreV1Api(api_client(sim))
    nodes = core.list_node()
    names = [n.metadata.name for n in nodes.items]
    assert names == ["master-0", "master-1", "master-2", "worker-0", "worker-1"]
    workers = core.list_node(label_selector="node-role.kubernetes.io/worker")
    assert [n.metadata.name for n in workers.items] == ["worker-0", "worker-1"]
    core.create_namespaced_config_map("sandbox", _cm("one", {"tier": "a"}))
    core.create_namespaced_config_map("sandbox", _cm("two", {"tier": "b"}))
    got = core.read_namespaced_config_map("one", "sandbox")
    assert got.data == {"k": "v"}
    listed = core.list_namespaced_config_map("sandbox", label_selector="tier in (b)")
    assert [c.metadata.name for c in listed.items] == ["two"]
    listed = core.list_namespaced_config_map("sandbox", field_selector="metadata.name=one")
    assert [c.metadata.name for c in listed.items] == ["one"]
    patched = core.patch_namespaced_config_map("one", "sandbox", {"data": {"k": "v2"}})
    assert patched.data == {"k": "v2"}
    with pytest.raises(ApiException) as e:
        core.read_namespaced_config_map("missing", "sandbox")
    assert e.value.status == 404 and json.loads(e.value.body)["reason"] == "NotFound"
    with pytest.raises(ApiException) as e:
        core.create_namespaced_config_map("sandbox", _cm("one"))
    assert e.value.status == 409 and json.loads(e.value.body)["reason"] == "AlreadyExists"
    with pytest.raises(ApiException) as e:
        core.create_namespaced_config_map("nowhere", _cm("x"))
    assert e.value.status == 404
    ns = core.read_namespace("openshift-image-registry")
    assert ns.metadata.annotations["openshift.io/sa.scc.supplemental-groups"] == "1000430000/10000"
    core.delete_namespaced_config_map("two", "sandbox")
    assert [c.metadata.name for c in core.list_namespaced_config_map("sandbox").items] == ["one"]


def test_typed_watch(sim):
    core = kclient.CoreV1Api(api_client(sim))
    core.create_namespaced_config_map("sandbox", _cm("w"))
    rv = core.list_namespaced_config_map("sandbox").metadata.resource_version
    core.patch_namespaced_config_map("w", "sandbox", {"data": {"k": "changed"}})
    events = []
    for ev in kwatch.Watch().stream(core.list_namespaced_config_map, "sandbox", resource_version=rv,
                                    timeout_seconds=1):
        events.append((ev["type"], ev["object"].metadata.name, ev["object"].data["k"]))
    assert events == [("MODIFIED", "w", "changed")]


def test_typed_client_with_restricted_context(sim):
    core = kclient.CoreV1Api(api_client(sim, context="restricted"))
    assert core.list_namespaced_config_map("sandbox").items == []
    with pytest.raises(ApiException) as e:
        core.list_namespaced_secret("default")
    assert e.value.status == 403


# --- dynamic client --------------------------------------------------------------------------------
def test_dynamic_client_crd_kinds(sim):
    dyn = dynamic(sim)
    configs = dyn.resources.get(api_version="imageregistry.operator.openshift.io/v1", kind="Config")
    assert configs.namespaced is False
    created = configs.create(body=CONFIG)
    assert created.metadata.generation == 1
    got = configs.get(name="cluster")
    assert got.spec.replicas == 1
    patched = configs.patch(name="cluster", body={"spec": {"replicas": 2}},
                            content_type="application/merge-patch+json")
    assert patched.spec.replicas == 2 and patched.metadata.generation == 2
    patched = configs.patch(name="cluster", body=[{"op": "replace", "path": "/spec/replicas", "value": 3}],
                            content_type="application/json-patch+json")
    assert patched.spec.replicas == 3
    with pytest.raises(UnprocessibleEntityError) as e:
        configs.patch(name="cluster", body={"spec": {"rolloutStrategy": "Foo"}},
                      content_type="application/merge-patch+json")
    body = json.loads(e.value.body)
    assert body["details"]["causes"][0]["field"] == "spec.rolloutStrategy"
    stale = got.to_dict()
    stale["spec"]["replicas"] = 9
    with pytest.raises(ConflictError):
        configs.replace(body=stale)
    with pytest.raises(UnprocessibleEntityError):
        configs.patch(name="cluster", body=[{"op": "test", "path": "/spec/replicas", "value": 1}],
                      content_type="application/json-patch+json")
    status = configs.status.patch(name="cluster", body={"status": {"storage": {"emptyDir": {}},
                                                                   "storageManaged": True, "readyReplicas": 1}},
                                  content_type="application/merge-patch+json")
    assert status.status.readyReplicas == 1 and status.metadata.generation == 3
    applied = dyn.server_side_apply(configs, body={**CONFIG, "spec": {**CONFIG["spec"], "replicas": 4}},
                                    field_manager="test", force_conflicts=True)
    assert applied.spec.replicas == 4
    dry = configs.patch(name="cluster", body={"spec": {"replicas": 6}}, content_type="application/merge-patch+json",
                        dry_run="All")
    assert dry.spec.replicas == 6 and configs.get(name="cluster").spec.replicas == 4


def test_dynamic_client_openshift_and_builtin_kinds(sim):
    dyn = dynamic(sim)
    infra = dyn.resources.get(api_version="config.openshift.io/v1", kind="Infrastructure").get(name="cluster")
    assert infra.status.platformStatus.type == "BareMetal"
    assert infra.status.infrastructureName == "sim-x7k2p"
    assert infra.status.infrastructureTopology == "HighlyAvailable"
    deps = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    deps.create(namespace="sandbox", body={
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}, "spec": {
            "containers": [{"name": "c", "image": "i:1", "env": [{"name": "X", "value": "1"}]}]}}}})
    patched = deps.patch(namespace="sandbox", name="web", content_type="application/strategic-merge-patch+json",
                         body={"spec": {"template": {"spec": {"containers": [
                             {"name": "c", "env": [{"name": "Y", "value": "2"}]}]}}}})
    assert [e["name"] for e in patched.spec.template.spec.containers[0].env] == ["X", "Y"]
    with pytest.raises(NotFoundError):
        deps.get(namespace="sandbox", name="nope")
    configs = dyn.resources.get(api_version="imageregistry.operator.openshift.io/v1", kind="Config")
    dev = dynamic(sim, context="restricted")
    dev_configs = dev.resources.get(api_version="imageregistry.operator.openshift.io/v1", kind="Config")
    configs.create(body=CONFIG)
    with pytest.raises(ForbiddenError) as e:
        dev_configs.patch(name="cluster", body={"spec": {"replicas": 2}}, content_type="application/merge-patch+json")
    assert json.loads(e.value.body)["message"].startswith(
        'configs.imageregistry.operator.openshift.io "cluster" is forbidden: User "developer" cannot patch')


@pytest.mark.parametrize("platform,ptype,extra", [
    ("aws", "AWS", ("aws", "region", "us-east-1")),
    ("gcp", "GCP", ("gcp", "projectID", None)),
    ("azure", "Azure", ("azure", "resourceGroupName", None)),
    ("vsphere", "VSphere", None), ("none", "None", None), ("openstack", "OpenStack", None),
    ("ibmcloud", "IBMCloud", None), ("libvirt", "Libvirt", None),
])
def test_platforms(simulator_factory, platform, ptype, extra):
    sim = simulator_factory(platform, platform=platform, controllers=False)
    infra = dynamic(sim).resources.get(api_version="config.openshift.io/v1", kind="Infrastructure").get(name="cluster")
    assert infra.status.platformStatus.type == ptype and infra.spec.platformSpec.type == ptype
    if extra:
        value = infra.status.platformStatus[extra[0]][extra[1]]
        assert value and (extra[2] is None or value == extra[2])


# --- kubectl -----------------------------------------------------------------------------------------
DEPLOYMENT_YAML = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: sandbox, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: "quay.io/x/y:1", env: [{name: A, value: "1"}]}]
"""
CONFIG_YAML = """
apiVersion: imageregistry.operator.openshift.io/v1
kind: Config
metadata: {name: cluster}
spec: {replicas: 1, managementState: Managed, storage: {emptyDir: {}}}
"""


def test_kubectl_api_resources_and_get(sim):
    out = kubectl(sim, "api-resources", "-o", "wide").stdout
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "is" in rows["imagestreams"].split() and "ImageStream" in rows["imagestreams"]
    assert "Config" in rows["configs"] and "false" in rows["configs"].split()
    assert "co" in rows["clusteroperators"].split()
    nodes = kubectl(sim, "get", "nodes", "-l", "node-role.kubernetes.io/master", "-o", "name").stdout.split()
    assert nodes == ["node/master-0", "node/master-1", "node/master-2"]
    ns = kubectl(sim, "get", "ns", "--field-selector", "metadata.name=sandbox", "-o",
                 "jsonpath={.items[*].metadata.name}").stdout
    assert ns == "sandbox"
    assert "sandbox" in kubectl(sim, "get", "ns").stdout
    platform = kubectl(sim, "get", "infrastructure", "cluster", "-o",
                       "jsonpath={.status.platformStatus.type}").stdout
    assert platform == "BareMetal"


def test_kubectl_apply_patch_and_errors(sim):
    assert "created" in kubectl(sim, "apply", "-f", "-", input=DEPLOYMENT_YAML).stdout
    assert "configured" in kubectl(sim, "apply", "-f", "-", input=DEPLOYMENT_YAML.replace('"1"}]', '"2"}]')).stdout
    env = kubectl(sim, "get", "deploy", "web", "-n", "sandbox", "-o",
                  "jsonpath={.spec.template.spec.containers[0].env[0].value}").stdout
    assert env == "2"
    assert "unchanged" in kubectl(sim, "apply", "-f", "-", input=DEPLOYMENT_YAML.replace('"1"}]', '"2"}]')).stdout
    assert "created" in kubectl(sim, "apply", "-f", "-", input=CONFIG_YAML).stdout
    assert "serverside-applied" in kubectl(sim, "apply", "--server-side", "-f", "-",
                                           input=CONFIG_YAML.replace("replicas: 1", "replicas: 3")).stdout
    proc = kubectl(sim, "patch", "configs.imageregistry.operator.openshift.io", "cluster", "-p",
                   '{"spec":{"replicas":4}}', check=False)
    assert proc.returncode != 0 and "application/strategic-merge-patch+json is not supported" in proc.stderr
    kubectl(sim, "patch", "configs.imageregistry.operator.openshift.io", "cluster", "--type", "merge", "-p",
            '{"spec":{"replicas":4}}')
    kubectl(sim, "patch", "configs.imageregistry.operator.openshift.io", "cluster", "--type", "json", "-p",
            '[{"op":"replace","path":"/spec/logLevel","value":"Debug"}]')
    got = json.loads(kubectl(sim, "get", "configs.imageregistry.operator.openshift.io", "cluster", "-o",
                             "json").stdout)
    assert got["spec"]["replicas"] == 4 and got["spec"]["logLevel"] == "Debug"
    proc = kubectl(sim, "patch", "configs.imageregistry.operator.openshift.io", "cluster", "--type", "merge", "-p",
                   '{"spec":{"rolloutStrategy":"Foo"}}', check=False)
    assert proc.returncode != 0
    assert 'spec.rolloutStrategy: Invalid value: "Foo"' in proc.stderr
    kubectl(sim, "patch", "deploy", "web", "-n", "sandbox", "-p",
            '{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"quay.io/x/y:2"}]}}}}')
    image = kubectl(sim, "get", "deploy", "web", "-n", "sandbox", "-o",
                    "jsonpath={.spec.template.spec.containers[0].image}{.metadata.generation}").stdout
    assert image == "quay.io/x/y:23"   # generation: create 1, env change 2, image 3
    kubectl(sim, "scale", "deploy", "web", "-n", "sandbox", "--replicas", "3")
    assert kubectl(sim, "get", "deploy", "web", "-n", "sandbox", "-o", "jsonpath={.spec.replicas}").stdout == "3"
    proc = kubectl(sim, "get", "cm", "-n", "default", context="restricted", check=False)
    assert proc.returncode != 0 and ('User "developer" cannot list resource "configmaps" in API group "" in the '
                                     'namespace "default"') in proc.stderr
    proc = kubectl(sim, "get", "cm", "missing", "-n", "sandbox", check=False)
    assert proc.returncode != 0 and 'configmaps "missing" not found' in proc.stderr
    proc = kubectl(sim, "apply", "--dry-run=server", "-f", "-", input=DEPLOYMENT_YAML.replace("web", "drydep"))
    assert kubectl(sim, "get", "deploy", "drydep", "-n", "sandbox", check=False).returncode != 0
    assert "deleted" in kubectl(sim, "delete", "deploy", "web", "-n", "sandbox").stdout


def test_kubectl_wait_uses_watch(sim):
    kubectl(sim, "apply", "-f", "-", input="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flag, namespace: "
                                           "sandbox}\ndata: {ready: 'no'}\n")
    env = {"KUBECONFIG": sim.kubeconfig, "HOME": sim.state_dir, "PATH": "/usr/bin:/bin"}
    waiter = subprocess.Popen([KUBECTL, "wait", "-n", "sandbox", "cm/flag", "--for=jsonpath={.data.ready}=yes",
                               "--timeout=60s"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        kubectl(sim, "patch", "cm", "flag", "-n", "sandbox", "--type", "merge", "-p", '{"data":{"ready":"yes"}}')
        out, err = waiter.communicate(timeout=60)
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.communicate()
    assert waiter.returncode == 0, err
    assert "condition met" in out


def test_kubectl_typed_generators_send_protobuf(sim):
    kubectl(sim, "create", "namespace", "gen")
    kubectl(sim, "create", "configmap", "c1", "-n", "gen", "--from-literal=a=b", "--from-literal=c=d")
    kubectl(sim, "create", "secret", "docker-registry", "pull", "-n", "gen", "--docker-server=quay.io",
            "--docker-username=u", "--docker-password=p")
    kubectl(sim, "create", "serviceaccount", "bot", "-n", "gen")
    cm = json.loads(kubectl(sim, "get", "cm", "c1", "-n", "gen", "-o", "json").stdout)
    assert cm["data"] == {"a": "b", "c": "d"}
    secret = json.loads(kubectl(sim, "get", "secret", "pull", "-n", "gen", "-o", "json").stdout)
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    import base64
    auths = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))["auths"]
    assert auths["quay.io"]["username"] == "u" and auths["quay.io"]["password"] == "p"
    assert kubectl(sim, "get", "sa", "bot", "-n", "gen", "-o", "name").stdout.strip() == "serviceaccount/bot"
    proc = kubectl(sim, "create", "deployment", "d1", "-n", "gen", "--image=nginx", check=False)
    assert proc.returncode != 0 and "unknown format" in proc.stderr      # protobuf for other kinds: 415


def test_kubectl_auth_whoami_and_can_i(sim):
    out = kubectl(sim, "auth", "whoami", "-o", "json").stdout
    assert json.loads(out)["status"]["userInfo"]["username"] == "admin"
    out = kubectl(sim, "auth", "whoami", "-o", "json", context="restricted").stdout
    assert json.loads(out)["status"]["userInfo"]["username"] == "developer"
    assert kubectl(sim, "auth", "can-i", "patch", "configs.imageregistry.operator.openshift.io").stdout.strip() == "yes"
    proc = kubectl(sim, "auth", "can-i", "patch", "configs.imageregistry.operator.openshift.io",
                   context="restricted", check=False)
    assert proc.returncode == 1 and proc.stdout.strip() == "no"
    assert kubectl(sim, "auth", "can-i", "list", "pods", "-n", "sandbox",
                   context="restricted").stdout.strip() == "yes"
    proc = kubectl(sim, "auth", "can-i", "list", "pods", "-n", "default", context="restricted", check=False)
    assert proc.stdout.strip() == "no"
