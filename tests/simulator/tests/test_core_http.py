"""Conformance of the simulator's HTTP surface, driven with raw HTTPS requests.

Each test asserts what kube-apiserver / openshift-apiserver answer: status codes, Status bodies,
headers, and the state visible afterwards.
"""
from __future__ import annotations

import base64
import json
import ssl
import urllib.parse

import pytest

from ansible_collections.ocp.registry.tests.simulator.tests.core_helpers import Raw

CFG = "/apis/imageregistry.operator.openshift.io/v1/configs"
CM = "/api/v1/namespaces/sandbox/configmaps"
DEPLOY = "/apis/apps/v1/namespaces/sandbox/deployments"


@pytest.fixture
def sim(simulator_factory):
    return simulator_factory("core", controllers=False)


@pytest.fixture
def raw(sim):
    r = Raw(sim)
    yield r
    r.close()


def _config(replicas=1, **spec):
    return {"apiVersion": "imageregistry.operator.openshift.io/v1", "kind": "Config",
            "metadata": {"name": "cluster"},
            "spec": dict({"replicas": replicas, "managementState": "Managed", "storage": {"emptyDir": {}}}, **spec)}


def _cm(name, labels=None, data=None):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}},
            "data": data or {"k": "v"}}


def _deployment(name="web"):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [
                                      {"name": "app", "image": "quay.io/x/app:1",
                                       "env": [{"name": "A", "value": "1"}],
                                       "ports": [{"containerPort": 8080}]},
                                      {"name": "side", "image": "quay.io/x/side:1"}]}}}}


# --- discovery and non-resource endpoints -----------------------------------------------------------
def test_discovery_documents(raw):
    code, _headers, body = raw.request("GET", "/api")
    assert code == 200 and body["kind"] == "APIVersions" and body["versions"] == ["v1"]
    code, _headers, groups = raw.request("GET", "/apis")
    names = {g["name"] for g in groups["groups"]}
    assert {"apps", "batch", "image.openshift.io", "route.openshift.io", "config.openshift.io",
            "imageregistry.operator.openshift.io", "apps.openshift.io", "rbac.authorization.k8s.io"} <= names
    code, _headers, res = raw.request("GET", "/apis/image.openshift.io/v1")
    by_name = {r["name"]: r for r in res["resources"]}
    assert by_name["imagestreams"]["shortNames"] == ["is"]
    assert by_name["imagestreams"]["namespaced"] is True
    assert by_name["imagestreams"]["singularName"] == "imagestream"
    assert {"imagestreams/status", "imagestreams/secrets", "imagestreams/layers"} <= set(by_name)
    assert by_name["imagestreamimports"]["verbs"] == ["create"]
    assert by_name["images"]["namespaced"] is False
    code, _headers, res = raw.request("GET", "/apis/apps/v1")
    scale = {r["name"]: r for r in res["resources"]}["deployments/scale"]
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")
    code, _headers, res = raw.request("GET", "/apis/imageregistry.operator.openshift.io/v1")
    cfg = {r["name"]: r for r in res["resources"]}["configs"]
    assert cfg["namespaced"] is False and cfg["kind"] == "Config" and "patch" in cfg["verbs"]
    code, _headers, grp = raw.request("GET", "/apis/route.openshift.io")
    assert code == 200 and grp["preferredVersion"]["groupVersion"] == "route.openshift.io/v1"


def test_version_health_and_unknown_paths(sim):
    anon = Raw(sim, token=None)
    code, _headers, ver = anon.request("GET", "/version")
    assert code == 200 and ver["major"] == "1" and ver["gitVersion"].startswith("v1.33")
    code, _headers, body = anon.request("GET", "/healthz")
    assert (code, body) == (200, "ok")
    code, _headers, body = anon.request("GET", "/readyz")
    assert code == 200
    assert anon.request("GET", "/apis/nosuch.example.com/v1/widgets")[0] == 401   # authentication comes first
    admin = Raw(sim)
    code, _headers, st = admin.request("GET", "/apis/nosuch.example.com/v1/widgets")
    assert code == 404 and st["reason"] == "NotFound"
    assert st["message"] == "the server could not find the requested resource"
    code, _headers, st = admin.request("GET", "/api/v1/namespaces/sandbox/widgets")
    assert code == 404


# --- CRUD, errors -------------------------------------------------------------------------------
def test_create_get_list_and_already_exists(raw):
    code, _headers, created = raw.request("POST", CM, _cm("one", {"app": "a"}))
    assert code == 201
    md = created["metadata"]
    assert md["namespace"] == "sandbox" and md["uid"] and md["resourceVersion"] and md["creationTimestamp"]
    code, _headers, got = raw.request("GET", f"{CM}/one")
    assert code == 200 and got["data"] == {"k": "v"} and got["metadata"]["uid"] == md["uid"]
    code, _headers, st = raw.request("POST", CM, _cm("one"))
    assert code == 409
    assert st == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                  "message": 'configmaps "one" already exists', "reason": "AlreadyExists",
                  "details": {"name": "one", "kind": "configmaps"}, "code": 409}
    code, _headers, lst = raw.request("GET", CM)
    assert lst["kind"] == "ConfigMapList" and [i["metadata"]["name"] for i in lst["items"]] == ["one"]
    assert int(lst["metadata"]["resourceVersion"]) >= int(md["resourceVersion"])


def test_not_found_shapes(raw):
    code, _headers, st = raw.request("GET", f"{CFG}/nothere")
    assert code == 404
    assert st["message"] == 'configs.imageregistry.operator.openshift.io "nothere" not found'
    assert st["details"] == {"name": "nothere", "group": "imageregistry.operator.openshift.io", "kind": "configs"}
    code, _headers, st = raw.request("POST", "/api/v1/namespaces/nope/configmaps", _cm("x"))
    assert code == 404 and st["message"] == 'namespaces "nope" not found'
    assert st["details"] == {"name": "nope", "kind": "namespaces"}
    code, _headers, st = raw.request("GET", "/api/v1/namespaces/nope/configmaps/x")      # reads: the object is missing
    assert code == 404 and st["message"] == 'configmaps "x" not found'
    code, _headers, lst = raw.request("GET", "/api/v1/namespaces/nope/configmaps")
    assert code == 200 and lst["items"] == []
    code, _headers, st = raw.request("PATCH", "/api/v1/namespaces/nope/configmaps/x", {"data": {}},
                                     "application/merge-patch+json")
    assert code == 404 and st["message"] == 'configmaps "x" not found'
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
    code, _headers, st = raw.request("PATCH", "/api/v1/namespaces/nope/configmaps/x", doc, "application/apply-patch+yaml")
    assert code == 404 and st["message"] == 'namespaces "nope" not found'
    assert raw.request("DELETE", "/api/v1/namespaces/nope/configmaps/x")[0] == 404


def test_method_not_allowed(raw):
    code, _headers, st = raw.request("PUT", CM, _cm("x"))
    assert code == 405 and st["reason"] == "MethodNotAllowed"
    code, _headers, st = raw.request("DELETE", "/apis/image.openshift.io/v1/namespaces/sandbox/imagestreamimports/x")
    assert code == 405


def test_invalid_name_is_422(raw):
    code, _headers, st = raw.request("POST", CM, _cm("Bad_Name"))
    assert code == 422 and st["reason"] == "Invalid"
    assert st["details"]["causes"][0]["field"] == "metadata.name"
    assert st["message"].startswith('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"')


def test_generate_name(raw):
    body = _cm("")
    body["metadata"] = {"generateName": "gen-"}
    code, _headers, created = raw.request("POST", CM, body)
    assert code == 201 and created["metadata"]["name"].startswith("gen-") and len(created["metadata"]["name"]) == 9


def test_namespace_mismatch_is_400(raw):
    body = _cm("x")
    body["metadata"]["namespace"] = "default"
    code, _headers, st = raw.request("POST", CM, body)
    assert code == 400 and st["reason"] == "BadRequest"


def test_stale_resource_version_conflicts(raw):
    _status, _headers, created = raw.request("POST", CM, _cm("c"))
    stale = created["metadata"]["resourceVersion"]
    created["data"] = {"k": "v2"}
    code, _headers, updated = raw.request("PUT", f"{CM}/c", created)
    assert code == 200 and updated["metadata"]["resourceVersion"] != stale
    created["data"] = {"k": "v3"}
    code, _headers, st = raw.request("PUT", f"{CM}/c", created)
    assert code == 409 and st["reason"] == "Conflict"
    assert st["message"] == ('Operation cannot be fulfilled on configmaps "c": the object has been modified; '
                             "please apply your changes to the latest version and try again")
    code, _headers, st = raw.request("PATCH", f"{CM}/c", {"metadata": {"resourceVersion": stale}, "data": {"k": "v4"}},
                                     "application/merge-patch+json")
    assert code == 409
    code, _headers, got = raw.request("GET", f"{CM}/c")
    assert got["data"] == {"k": "v2"}


def test_unconditional_put_allowed_for_builtin_but_not_crd(raw):
    raw.request("POST", CM, _cm("u"))
    body = _cm("u", data={"k": "new"})
    code, _headers, got = raw.request("PUT", f"{CM}/u", body)
    assert code == 200 and got["data"] == {"k": "new"}
    raw.request("POST", CFG, _config())
    code, _headers, st = raw.request("PUT", f"{CFG}/cluster", _config(replicas=2))
    assert code == 422
    assert st["details"]["causes"][0]["field"] == "metadata.resourceVersion"


def test_noop_update_keeps_resource_version(raw):
    _status, _headers, created = raw.request("POST", CM, _cm("same"))
    code, _headers, again = raw.request("PATCH", f"{CM}/same", {"data": {"k": "v"}}, "application/merge-patch+json")
    assert code == 200 and again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


# --- patches ------------------------------------------------------------------------------------
def test_json_patch_ops_and_failing_test(raw):
    raw.request("POST", CM, _cm("jp", data={"a": "1", "b": "2"}))
    ops = [{"op": "test", "path": "/data/a", "value": "1"},
           {"op": "copy", "from": "/data/a", "path": "/data/c"},
           {"op": "move", "from": "/data/b", "path": "/data/d"},
           {"op": "replace", "path": "/data/a", "value": "10"},
           {"op": "add", "path": "/metadata/labels", "value": {"x": "y"}},
           {"op": "remove", "path": "/data/c"}]
    code, _headers, got = raw.request("PATCH", f"{CM}/jp", ops, "application/json-patch+json")
    assert code == 200 and got["data"] == {"a": "10", "d": "2"} and got["metadata"]["labels"] == {"x": "y"}
    code, _headers, st = raw.request("PATCH", f"{CM}/jp", [{"op": "test", "path": "/data/a", "value": "nope"},
                                                           {"op": "replace", "path": "/data/a", "value": "x"}],
                                     "application/json-patch+json")
    # like kube-apiserver (NewGenericServerResponse): generic message, the json-patch error is not returned
    assert st == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                  "message": "the server rejected our request due to an error in our request",
                  "reason": "Invalid", "details": {}, "code": 422}
    code, _headers, st = raw.request("PATCH", f"{CM}/jp", [{"op": "remove", "path": "/data/missing"}],
                                     "application/json-patch+json")
    assert code == 422
    code, _headers, st = raw.request("PATCH", f"{CM}/jp", {"not": "a list"}, "application/json-patch+json")
    assert code == 400
    _status, _headers, got = raw.request("GET", f"{CM}/jp")
    assert got["data"] == {"a": "10", "d": "2"}


def test_strategic_merge_on_deployment(raw):
    code, _headers, dep = raw.request("POST", DEPLOY, _deployment())
    assert code == 201 and dep["metadata"]["generation"] == 1
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "env": [{"name": "B", "value": "2"}], "ports": [{"containerPort": 9090}]},
        {"name": "side", "$patch": "delete"},
        {"name": "new", "image": "quay.io/x/new:1"}]}}}}
    code, _headers, got = raw.request("PATCH", f"{DEPLOY}/web", patch, "application/strategic-merge-patch+json")
    assert code == 200
    containers = got["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["app", "new"]
    assert containers[0]["image"] == "quay.io/x/app:1"
    assert containers[0]["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert [p["containerPort"] for p in containers[0]["ports"]] == [8080, 9090]
    assert got["metadata"]["generation"] == 2
    replace = {"spec": {"template": {"spec": {"containers": [{"$patch": "replace"},
                                                             {"name": "only", "image": "i:1"}]}}}}
    code, _headers, got = raw.request("PATCH", f"{DEPLOY}/web", replace, "application/strategic-merge-patch+json")
    assert [c["name"] for c in got["spec"]["template"]["spec"]["containers"]] == ["only"]


def test_strategic_merge_on_crd_kind_is_415(raw):
    raw.request("POST", CFG, _config())
    code, _headers, st = raw.request("PATCH", f"{CFG}/cluster", {"spec": {"replicas": 2}},
                                     "application/strategic-merge-patch+json")
    assert code == 415 and st["reason"] == "UnsupportedMediaType"
    assert "application/merge-patch+json" in st["message"]
    _status, _headers, got = raw.request("GET", f"{CFG}/cluster")
    assert got["spec"]["replicas"] == 1


def test_unknown_patch_type_and_protobuf_are_415(raw):
    raw.request("POST", CM, _cm("pt"))
    code, _headers, st = raw.request("PATCH", f"{CM}/pt", {"data": {}}, "application/json")
    assert code == 415
    code, _headers, st = raw.request("POST", CM, b"k8s\x00\x0a", "application/vnd.kubernetes.protobuf")
    assert code == 415


def test_server_side_apply_creates_then_merges(raw):
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: '1'\n"
    code, _headers, got = raw.request("PATCH", f"{CM}/ssa?fieldManager=test", doc, "application/apply-patch+yaml")
    assert code == 201 and got["data"] == {"a": "1"}
    doc2 = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  labels: {x: y}\ndata:\n  b: '2'\n"
    code, _headers, got = raw.request("PATCH", f"{CM}/ssa?fieldManager=test&force=true", doc2,
                                      "application/apply-patch+yaml")
    assert code == 200 and got["data"] == {"a": "1", "b": "2"} and got["metadata"]["labels"] == {"x": "y"}


# --- CRD schema ---------------------------------------------------------------------------------
def test_crd_schema_violation_is_422_with_causes(raw):
    code, _headers, st = raw.request("POST", CFG, _config(rolloutStrategy="Foo"))
    assert code == 422
    assert st["message"] == ('Config.imageregistry.operator.openshift.io "cluster" is invalid: spec.rolloutStrategy: '
                             "Invalid value: \"Foo\": spec.rolloutStrategy in body should match "
                             "'^(RollingUpdate|Recreate)$'")
    assert st["details"] == {"name": "cluster", "group": "imageregistry.operator.openshift.io", "kind": "Config",
                             "causes": [{"reason": "FieldValueInvalid", "field": "spec.rolloutStrategy",
                                         "message": "Invalid value: \"Foo\": spec.rolloutStrategy in body should "
                                                    "match '^(RollingUpdate|Recreate)$'"}]}
    body = _config()
    del body["spec"]["replicas"]
    code, _headers, st = raw.request("POST", CFG, body)
    assert code == 422
    assert st["details"]["causes"] == [{"reason": "FieldValueRequired", "message": "Required value",
                                        "field": "spec.replicas"}]
    code, _headers, st = raw.request("POST", CFG, _config(replicas="two"))
    assert code == 422 and st["details"]["causes"][0]["reason"] == "FieldValueTypeInvalid"
    code, _headers, st = raw.request("POST", CFG, _config(logLevel="Loud"))
    assert code == 422 and st["details"]["causes"][0]["reason"] == "FieldValueNotSupported"
    code, _headers, _body = raw.request("GET", f"{CFG}/cluster")
    assert code == 404


def test_crd_pruning_and_defaulting(raw):
    body = _config()
    body["spec"]["notAField"] = True
    body["spec"]["storage"]["emptyDir"]["junk"] = 1
    code, _headers, got = raw.request("POST", CFG, body)
    assert code == 201
    assert "notAField" not in got["spec"] and got["spec"]["storage"]["emptyDir"] == {}
    assert got["spec"]["logLevel"] == "Normal" and got["spec"]["operatorLogLevel"] == "Normal"


def test_crd_cel_rule(raw):
    code, _headers, st = raw.request("POST", "/apis/config.openshift.io/v1/images", {
        "apiVersion": "config.openshift.io/v1", "kind": "Image", "metadata": {"name": "cluster"},
        "spec": {"registrySources": {"allowedRegistries": ["quay.io"], "blockedRegistries": ["docker.io"]}}})
    assert code == 422
    assert st["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": "spec.registrySources",
                                        "message": 'Invalid value: "object": Only one of blockedRegistries or '
                                                   "allowedRegistries may be set"}]


def test_patch_that_breaks_schema_is_rejected(raw):
    raw.request("POST", CFG, _config())
    code, _headers, st = raw.request("PATCH", f"{CFG}/cluster", {"spec": {"replicas": None}}, "application/merge-patch+json")
    assert code == 422 and st["details"]["causes"][0]["field"] == "spec.replicas"


# --- status subresource, generation -------------------------------------------------------------
def test_status_subresource_semantics(raw):
    body = _config()
    body["status"] = {"readyReplicas": 5}
    code, _headers, created = raw.request("POST", CFG, body)
    assert code == 201 and "status" not in created and created["metadata"]["generation"] == 1
    code, _headers, st_obj = raw.request("PATCH", f"{CFG}/cluster/status", {
        "spec": {"replicas": 7}, "status": {"storage": {"emptyDir": {}}, "storageManaged": True, "readyReplicas": 1}},
        "application/merge-patch+json")
    assert code == 200 and st_obj["status"]["readyReplicas"] == 1
    assert st_obj["spec"]["replicas"] == 1 and st_obj["metadata"]["generation"] == 1
    code, _headers, main = raw.request("PATCH", f"{CFG}/cluster", {
        "spec": {"replicas": 2}, "status": {"readyReplicas": 99}}, "application/merge-patch+json")
    assert main["spec"]["replicas"] == 2 and main["status"]["readyReplicas"] == 1
    assert main["metadata"]["generation"] == 2
    code, _headers, lab = raw.request("PATCH", f"{CFG}/cluster", {"metadata": {"labels": {"a": "b"}}},
                                      "application/merge-patch+json")
    assert lab["metadata"]["generation"] == 2 and lab["metadata"]["labels"] == {"a": "b"}
    lab["status"]["readyReplicas"] = 3
    code, _headers, put = raw.request("PUT", f"{CFG}/cluster/status", lab)
    assert code == 200 and put["status"]["readyReplicas"] == 3 and put["metadata"]["generation"] == 2
    code, _headers, st = raw.request("PATCH", f"{CFG}/cluster/status", {"status": {"storageManaged": "yes"}},
                                     "application/merge-patch+json")
    assert code == 422


def test_scale_subresource(raw):
    raw.request("POST", DEPLOY, _deployment())
    code, _headers, scale = raw.request("GET", f"{DEPLOY}/web/scale")
    assert code == 200 and scale["kind"] == "Scale" and scale["spec"]["replicas"] == 1
    assert scale["status"]["selector"] == "app=web"
    code, _headers, scale = raw.request("PATCH", f"{DEPLOY}/web/scale", {"spec": {"replicas": 3}},
                                        "application/merge-patch+json")
    assert code == 200 and scale["spec"]["replicas"] == 3
    _status, _headers, dep = raw.request("GET", f"{DEPLOY}/web")
    assert dep["spec"]["replicas"] == 3 and dep["metadata"]["generation"] == 2


# --- dry run, deletion, finalizers ---------------------------------------------------------------
def test_dry_run_writes_nothing(raw, sim):
    before = sim.store.resource_version
    code, _headers, got = raw.request("POST", f"{CM}?dryRun=All", _cm("dry"))
    assert code == 201 and got["metadata"]["name"] == "dry"
    assert raw.request("GET", f"{CM}/dry")[0] == 404
    raw.request("POST", CM, _cm("wet"))
    mid = sim.store.resource_version
    code, _headers, got = raw.request("PATCH", f"{CM}/wet?dryRun=All", {"data": {"k": "dry"}}, "application/merge-patch+json")
    assert code == 200 and got["data"] == {"k": "dry"}
    code, _headers, _body = raw.request("DELETE", f"{CM}/wet?dryRun=All")
    assert code == 200
    _status, _headers, live = raw.request("GET", f"{CM}/wet")
    assert live["data"] == {"k": "v"} and sim.store.resource_version == mid == before + 1
    code, _headers, st = raw.request("POST", f"{CFG}?dryRun=All", _config(rolloutStrategy="Foo"))
    assert code == 422


def test_delete_with_finalizers(raw):
    body = _cm("fin")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    raw.request("POST", CM, body)
    code, _headers, got = raw.request("DELETE", f"{CM}/fin")
    assert code == 200 and got["metadata"]["deletionTimestamp"]
    code, _headers, still = raw.request("GET", f"{CM}/fin")
    assert code == 200 and still["metadata"]["deletionTimestamp"]
    code, _headers, _body = raw.request("PATCH", f"{CM}/fin", {"metadata": {"finalizers": None}}, "application/merge-patch+json")
    assert code == 200
    assert raw.request("GET", f"{CM}/fin")[0] == 404


def test_namespace_delete_cascades_and_owner_gc(raw):
    raw.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tmp"}})
    raw.request("POST", "/api/v1/namespaces/tmp/configmaps", _cm("x"))
    _status, _headers, owner = raw.request("POST", CM, _cm("owner"))
    child = _cm("child")
    child["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
                                             "uid": owner["metadata"]["uid"]}]
    raw.request("POST", CM, child)
    assert raw.request("DELETE", "/api/v1/namespaces/tmp")[0] == 200
    assert raw.request("GET", "/api/v1/namespaces/tmp")[0] == 404
    assert raw.request("DELETE", f"{CM}/owner")[0] == 200
    assert raw.request("GET", f"{CM}/child")[0] == 404


def test_deletecollection_with_selector(raw):
    raw.request("POST", CM, _cm("d1", {"tier": "x"}))
    raw.request("POST", CM, _cm("d2", {"tier": "y"}))
    code, _headers, got = raw.request("DELETE", f"{CM}?labelSelector=tier%3Dx")
    assert code == 200 and [i["metadata"]["name"] for i in got["items"]] == ["d1"]
    _status, _headers, lst = raw.request("GET", CM)
    assert [i["metadata"]["name"] for i in lst["items"]] == ["d2"]


# --- selectors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("selector,expected", [
    ("app=a", ["a1"]), ("app==a", ["a1"]), ("app!=a", ["b1", "none"]), ("app in (a,b)", ["a1", "b1"]),
    ("app notin (a)", ["b1", "none"]), ("app", ["a1", "b1"]), ("!app", ["none"]), ("app=b,tier=web", ["b1"]),
])
def test_label_selectors(raw, selector, expected):
    raw.request("POST", CM, _cm("a1", {"app": "a"}))
    raw.request("POST", CM, _cm("b1", {"app": "b", "tier": "web"}))
    raw.request("POST", CM, _cm("none"))
    code, _headers, lst = raw.request("GET", f"{CM}?labelSelector={urllib.parse.quote(selector)}")
    assert code == 200 and [i["metadata"]["name"] for i in lst["items"]] == expected


def test_field_selectors(raw):
    raw.request("POST", CM, _cm("f1"))
    raw.request("POST", CM, _cm("f2"))
    _status, _headers, lst = raw.request("GET", f"{CM}?fieldSelector=metadata.name%3Df2")
    assert [i["metadata"]["name"] for i in lst["items"]] == ["f2"]
    _status, _headers, lst = raw.request("GET", f"{CM}?fieldSelector=metadata.name!%3Df2")
    assert [i["metadata"]["name"] for i in lst["items"]] == ["f1"]
    _status, _headers, lst = raw.request("GET", "/api/v1/configmaps?fieldSelector=metadata.namespace%3Dsandbox")
    assert {i["metadata"]["name"] for i in lst["items"]} == {"f1", "f2"}
    _status, _headers, lst = raw.request("GET", "/api/v1/namespaces?fieldSelector=status.phase%3DActive,metadata.name%3Dsandbox")
    assert [i["metadata"]["name"] for i in lst["items"]] == ["sandbox"]
    code, _headers, st = raw.request("GET", f"{CM}?fieldSelector=data.k%3Dv")
    assert code == 400 and st["message"] == "field label not supported: data.k"


# --- table output -------------------------------------------------------------------------------
def test_table_output(raw):
    raw.request("POST", CM, _cm("t1"))
    code, _headers, table = raw.request("GET", CM, headers={
        "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"})
    assert code == 200 and table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert table["rows"][0]["cells"][:2] == ["t1", 1]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    raw.request("POST", "/apis/config.openshift.io/v1/clusteroperators", {
        "apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {"name": "x"}, "spec": {}})
    raw.request("PATCH", "/apis/config.openshift.io/v1/clusteroperators/x/status", {"status": {
        "versions": [{"name": "operator", "version": "4.20.1"}],
        "conditions": [{"type": "Available", "status": "True", "lastTransitionTime": "2020-01-01T00:00:00Z"},
                       {"type": "Degraded", "status": "False", "lastTransitionTime": "2020-01-01T00:00:00Z"}]}},
                "application/merge-patch+json")
    code, _headers, table = raw.request("GET", "/apis/config.openshift.io/v1/clusteroperators?includeObject=Object",
                                        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "Version", "Available", "Progressing", "Degraded", "Since"]
    cells = table["rows"][0]["cells"]
    assert cells[:5] == ["x", "4.20.1", "True", "", "False"] and cells[5].endswith("d")
    assert table["rows"][0]["object"]["kind"] == "ClusterOperator"


# --- watch --------------------------------------------------------------------------------------
def _read_watch(sim, path, token=None):
    r = Raw(sim, token=token or "admin")
    code, headers, body = r.request("GET", path)
    r.close()
    if body is None:
        return code, headers, []
    events = [json.loads(line) for line in body.splitlines() if line.strip()] if isinstance(body, str) else [body]
    return code, headers, events


def test_watch_streams_added_then_changes(raw, sim):
    raw.request("POST", CM, _cm("w1"))
    _status, _headers, lst = raw.request("GET", CM)
    rv = lst["metadata"]["resourceVersion"]
    raw.request("POST", CM, _cm("w2"))
    raw.request("PATCH", f"{CM}/w1", {"data": {"k": "changed"}}, "application/merge-patch+json")
    raw.request("DELETE", f"{CM}/w2")
    code, headers, events = _read_watch(sim, f"{CM}?watch=1&resourceVersion={rv}&timeoutSeconds=1")
    assert code == 200 and headers.get("Transfer-Encoding") == "chunked"
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "w2"), ("MODIFIED", "w1"), ("DELETED", "w2")]
    code, _headers, events = _read_watch(sim, f"{CM}?watch=true&timeoutSeconds=1")
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "w1")]
    code, _headers, events = _read_watch(sim, f"{CM}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
                                              "&allowWatchBookmarks=true&timeoutSeconds=1")
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"]
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    code, _headers, events = _read_watch(sim, f"{CM}?watch=1&labelSelector=nomatch%3D1&timeoutSeconds=1")
    assert events == []
    raw.request("POST", CM, _cm("w3"))
    code, _headers, events = _read_watch(sim, f"{CM}/w3?watch=1&timeoutSeconds=1")
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "w3")]
    code, _headers, events = _read_watch(sim, "/api/v1/watch/namespaces/sandbox/configmaps/w1?timeoutSeconds=1")
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "w1")]


# --- authentication and authorization ------------------------------------------------------------
UNAUTHORIZED = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "Unauthorized", "reason": "Unauthorized", "code": 401}


def test_401_without_or_with_bad_token(sim):
    code, _headers, st = Raw(sim, token=None).request("GET", CM)
    assert (code, st) == (401, UNAUTHORIZED)
    code, _headers, st = Raw(sim, token="sha256~wrong").request("GET", CM)
    assert (code, st) == (401, UNAUTHORIZED)


def test_403_shapes_for_developer(sim):
    dev = Raw(sim, token=sim.developer_token)
    code, _headers, st = dev.request("PATCH", f"{CFG}/cluster", {"spec": {"replicas": 2}}, "application/merge-patch+json")
    assert code == 403
    assert st == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                  "message": 'configs.imageregistry.operator.openshift.io "cluster" is forbidden: User "developer" '
                             'cannot patch resource "configs" in API group "imageregistry.operator.openshift.io" '
                             "at the cluster scope",
                  "reason": "Forbidden",
                  "details": {"name": "cluster", "group": "imageregistry.operator.openshift.io", "kind": "configs"},
                  "code": 403}
    code, _headers, st = dev.request("GET", "/api/v1/namespaces/default/secrets")
    assert code == 403 and st["message"] == ('secrets is forbidden: User "developer" cannot list resource "secrets" '
                                             'in API group "" in the namespace "default"')
    code, _headers, st = dev.request("POST", CM, _cm("nope"))
    assert code == 403
    assert dev.request("GET", CM)[0] == 200
    assert dev.request("GET", f"{CM}/missing")[0] == 404


def test_impersonation(sim):
    admin = Raw(sim)
    code, _headers, st = admin.request("GET", "/api/v1/namespaces/default/secrets", headers={"Impersonate-User": "developer"})
    assert code == 403 and 'User "developer"' in st["message"]
    code, _headers, _body = admin.request("GET", CM, headers={"Impersonate-User": "developer"})
    assert code == 200
    code, _headers, _body = admin.request("GET", "/api/v1/namespaces/default/secrets",
                                          headers={"Impersonate-User": "someone", "Impersonate-Group": "system:masters"})
    assert code == 200
    dev = Raw(sim, token=sim.developer_token)
    code, _headers, st = dev.request("GET", CM, headers={"Impersonate-User": "admin"})
    assert code == 403
    assert st["message"] == ('users "admin" is forbidden: User "developer" cannot impersonate resource "users" in '
                             'API group "" at the cluster scope')


def test_client_certificate_auth(sim):
    cert = sim.issue_client_cert("alice", ("system:masters",))
    code, _headers, _body = Raw(sim, token=None, cert=cert).request("GET", "/api/v1/namespaces/default/secrets")
    assert code == 200
    cert = sim.issue_client_cert("bob")
    code, _headers, st = Raw(sim, token=None, cert=cert).request("GET", "/api/v1/namespaces/default/secrets")
    assert code == 403 and 'User "bob"' in st["message"]


def test_client_certificate_from_another_ca_is_rejected(sim, tmp_path):
    from ansible_collections.ocp.registry.tests.simulator import pki
    other = pki.CA("someone-else")
    cert, key = other.client_pair("mallory", ("system:masters",))
    (tmp_path / "c.crt").write_bytes(cert)
    (tmp_path / "c.key").write_bytes(key)
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        r = Raw(sim, token=None, cert=(str(tmp_path / "c.crt"), str(tmp_path / "c.key")))
        code, _headers, _body = r.request("GET", "/api/v1/namespaces/default/secrets")
        assert code == 401   # only reached if the TLS layer let it through: then it must not authenticate


def test_oauth_token_login(sim):
    anon = Raw(sim, token=None)
    code, _headers, meta = anon.request("GET", "/.well-known/oauth-authorization-server")
    assert code == 200 and meta["issuer"] == sim.url
    assert meta["authorization_endpoint"] == f"{sim.url}/oauth/authorize"
    assert meta["token_endpoint"] == f"{sim.url}/oauth/token"
    path = "/oauth/authorize?response_type=token&client_id=openshift-challenging-client"
    basic = "Basic " + base64.b64encode(f"admin:{sim.admin_password}".encode()).decode()
    code, headers, _body = anon.request("GET", path, headers={"Authorization": basic, "X-CSRF-Token": "1"})
    assert code == 302
    loc = headers["Location"]
    assert loc.startswith(f"{sim.url}/oauth/token/implicit#")
    frag = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).fragment)
    assert frag["token_type"] == ["Bearer"] and frag["expires_in"] == ["86400"]
    token = frag["access_token"][0]
    assert token.startswith("sha256~")
    assert Raw(sim, token=token).request("GET", "/api/v1/namespaces/default/secrets")[0] == 200
    bad = "Basic " + base64.b64encode(b"admin:wrong").decode()
    code, headers, _body = anon.request("GET", path, headers={"Authorization": bad})
    assert code == 401 and headers["WWW-Authenticate"].startswith("Basic")
    code, headers, _body = anon.request("GET", path)
    assert code == 401
    dev_basic = "Basic " + base64.b64encode(b"developer:developer").decode()
    code, headers, _body = anon.request("GET", path, headers={"Authorization": dev_basic})
    dev_token = urllib.parse.parse_qs(urllib.parse.urlsplit(headers["Location"]).fragment)["access_token"][0]
    assert Raw(sim, token=dev_token).request("GET", "/api/v1/namespaces/default/secrets")[0] == 403


def test_oauth_code_flow_with_pkce(sim):
    import hashlib
    anon = Raw(sim, token=None)
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    basic = "Basic " + base64.b64encode(f"admin:{sim.admin_password}".encode()).decode()
    redirect = f"{sim.url}/oauth/token/implicit"
    q = urllib.parse.urlencode({"response_type": "code", "client_id": "openshift-challenging-client",
                                "code_challenge": challenge, "code_challenge_method": "S256",
                                "redirect_uri": redirect})
    code, headers, _body = anon.request("GET", f"/oauth/authorize?{q}", headers={"Authorization": basic})
    assert code == 302
    auth_code = urllib.parse.parse_qs(urllib.parse.urlsplit(headers["Location"]).query)["code"][0]
    form = urllib.parse.urlencode({"grant_type": "authorization_code", "code": auth_code, "redirect_uri": redirect,
                                   "client_id": "openshift-challenging-client", "code_verifier": "wrong"})
    code, _headers, body = anon.request("POST", "/oauth/token", form, "application/x-www-form-urlencoded")
    assert code == 400
    code, headers, _body = anon.request("GET", f"/oauth/authorize?{q}", headers={"Authorization": basic})
    auth_code = urllib.parse.parse_qs(urllib.parse.urlsplit(headers["Location"]).query)["code"][0]
    form = form.replace("code_verifier=wrong", f"code_verifier={verifier}").replace(
        form.split("code=")[1].split("&")[0], auth_code)
    code, _headers, body = anon.request("POST", "/oauth/token", form, "application/x-www-form-urlencoded")
    assert code == 200 and body["token_type"] == "Bearer"
    assert Raw(sim, token=body["access_token"]).request("GET", CM)[0] == 200


def test_whoami_and_token_logout(sim):
    import hashlib
    dev = Raw(sim, token=sim.developer_token)
    code, _headers, me = dev.request("GET", "/apis/user.openshift.io/v1/users/~")
    assert code == 200 and me["kind"] == "User" and me["metadata"]["name"] == "developer"
    assert dev.request("GET", "/apis/user.openshift.io/v1/users/admin")[0] == 403
    anon = Raw(sim, token=None)
    basic = "Basic " + base64.b64encode(b"developer:developer").decode()
    _status, headers, _body = anon.request("GET", "/oauth/authorize?response_type=token&client_id=openshift-challenging-client",
                                           headers={"Authorization": basic})
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(headers["Location"]).fragment)["access_token"][0]
    raw_part = token[len("sha256~"):]
    name = "sha256~" + base64.urlsafe_b64encode(hashlib.sha256(raw_part.encode()).digest()).decode().rstrip("=")
    mine = Raw(sim, token=token)
    assert mine.request("GET", CM)[0] == 200
    code, _headers, st = mine.request("DELETE", f"/apis/oauth.openshift.io/v1/useroauthaccesstokens/{name}",
                                      {"apiVersion": "oauth.openshift.io/v1", "kind": "DeleteOptions",
                                       "gracePeriodSeconds": 0})
    assert code == 200 and st["status"] == "Success"
    assert Raw(sim, token=token).request("GET", CM)[0] == 401
    code, _headers, _body = Raw(sim).request("DELETE", f"/apis/oauth.openshift.io/v1/useroauthaccesstokens/{name}")
    assert code == 404


def test_field_validation_strict_on_crd_kinds(raw):
    body = _config()
    body["spec"]["junk"] = 1
    body["spec"]["storage"]["emptyDir"]["more"] = 2
    code, _headers, st = raw.request("POST", f"{CFG}?fieldValidation=Strict", body)
    assert code == 400 and st["reason"] == "BadRequest"
    assert st["message"] == ('Config in version "v1" cannot be handled as a Config: strict decoding error: '
                             'unknown field "spec.junk", unknown field "spec.storage.emptyDir.more"')
    code, _headers, got = raw.request("POST", f"{CFG}?fieldValidation=Ignore", body)
    assert code == 201 and "junk" not in got["spec"]
    code, _headers, st = raw.request("PATCH", f"{CFG}/cluster?fieldValidation=Strict", {"spec": {"nope": True}},
                                     "application/merge-patch+json")
    assert code == 400 and 'unknown field "spec.nope"' in st["message"]


def test_concurrent_optimistic_writers_lose_no_update(sim, raw):
    import threading
    raw.request("POST", CM, _cm("counter", data={"n": "0"}))
    workers, per_worker = 6, 5
    failures = []

    def work():
        r = Raw(sim)
        try:
            done = 0
            while done < per_worker:
                _status, _headers, obj = r.request("GET", f"{CM}/counter")
                n = int(obj["data"]["n"])
                code, _headers, _body = r.request("PATCH", f"{CM}/counter", {
                    "metadata": {"resourceVersion": obj["metadata"]["resourceVersion"]},
                    "data": {"n": str(n + 1)}}, "application/merge-patch+json")
                if code == 200:
                    done += 1
                elif code != 409:
                    failures.append(code)
                    return
        finally:
            r.close()

    threads = [threading.Thread(target=work) for _worker in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == [] and not any(t.is_alive() for t in threads)
    _status, _headers, final = raw.request("GET", f"{CM}/counter")
    assert final["data"]["n"] == str(workers * per_worker)


@pytest.mark.parametrize("labels,annotations,ok", [
    ({"app": "web", "example.com/tier": "front-end_1.0", "empty": ""}, {"example.com/any": "free text !"}, True),
    ({"bad key": "x"}, None, False),
    ({"app": "bad value!"}, None, False),
    ({"app": "x" * 64}, None, False),
    ({"Bad_Prefix.com/x": "y"}, None, False),
    (None, {"a/b/c": "x"}, False),
    (None, {"big": "x" * (256 * 1024 + 1)}, False),
])
def test_object_meta_validation(raw, labels, annotations, ok):
    body = _cm("meta")
    body["metadata"]["labels"] = labels
    if annotations is not None:
        body["metadata"]["annotations"] = annotations
    code, _headers, st = raw.request("POST", CM, body)
    assert code == (201 if ok else 422), st
    if not ok:
        assert st["details"]["causes"][0]["field"] in ("metadata.labels", "metadata.annotations")


def test_list_pagination_with_limit_and_continue(raw):
    for i in range(5):
        raw.request("POST", CM, _cm(f"p{i}"))
    names, token, pages = [], None, 0
    while True:
        q = "limit=2" + (f"&continue={token}" if token else "")
        code, _headers, page = raw.request("GET", f"{CM}?{q}")
        assert code == 200 and len(page["items"]) <= 2
        pages += 1
        names += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue")
        if not token:
            assert "remainingItemCount" not in page["metadata"]
            break
        assert page["metadata"]["remainingItemCount"] == 5 - len(names)
    assert names == [f"p{i}" for i in range(5)] and pages == 3
    code, _headers, st = raw.request("GET", f"{CM}?limit=2&continue=garbage")
    assert code == 400 and st["reason"] == "BadRequest"


def test_put_creates_rbac_objects_but_not_others(raw):
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "reader"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]}
    code, _headers, got = raw.request("PUT", "/apis/rbac.authorization.k8s.io/v1/namespaces/sandbox/roles/reader", role)
    assert code == 201 and got["metadata"]["uid"]
    code, _headers, _body = raw.request("PUT", "/apis/rbac.authorization.k8s.io/v1/namespaces/sandbox/roles/reader", role)
    assert code == 200
    code, _headers, st = raw.request("PUT", f"{CM}/absent", _cm("absent"))
    assert code == 404 and st["message"] == 'configmaps "absent" not found'


def test_unknown_fields_warn_by_default_and_fail_when_strict(raw):
    body = _cm("unk")
    body["junk"] = 1
    code, headers, got = raw.request("POST", CM, body)
    assert code == 201 and "junk" not in got
    assert headers["Warning"] == '299 - "unknown field \\"junk\\""'
    body["metadata"]["name"] = "unk2"
    code, _headers, st = raw.request("POST", f"{CM}?fieldValidation=Strict", body)
    assert code == 400
    assert st["message"] == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
                             'unknown field "junk"')
    code, headers, _body = raw.request("POST", f"{CM}?fieldValidation=Ignore", body)
    assert code == 201 and "Warning" not in headers
    cfg = _config()
    cfg["spec"]["bogus"] = True
    code, headers, got = raw.request("POST", CFG, cfg)
    assert code == 201 and "bogus" not in got["spec"] and "spec.bogus" in headers["Warning"]
    code, headers, _body = raw.request("GET", f"{CM}/unk")
    assert "Warning" not in headers


def test_delete_options_preconditions_and_dry_run(raw):
    _status, _headers, obj = raw.request("POST", CM, _cm("pre"))
    code, _headers, st = raw.request("DELETE", f"{CM}/pre", {"kind": "DeleteOptions", "apiVersion": "v1",
                                                             "preconditions": {"resourceVersion": "1"}})
    assert code == 409 and st["reason"] == "Conflict"
    assert st["message"] == ('Operation cannot be fulfilled on configmaps "pre": Precondition failed: ResourceVersion '
                             f'in precondition: 1, ResourceVersion in object meta: {obj["metadata"]["resourceVersion"]}')
    code, _headers, st = raw.request("DELETE", f"{CM}/pre", {"preconditions": {"uid": "other"}})
    assert code == 409 and "UID in precondition: other" in st["message"]
    assert raw.request("DELETE", f"{CM}/pre", {"dryRun": ["All"]})[0] == 200
    assert raw.request("GET", f"{CM}/pre")[0] == 200
    code, _headers, _body = raw.request("DELETE", f"{CM}/pre", {"propagationPolicy": "Foreground", "preconditions": {
        "uid": obj["metadata"]["uid"], "resourceVersion": obj["metadata"]["resourceVersion"]}})
    assert code == 200 and raw.request("GET", f"{CM}/pre")[0] == 404


def test_create_with_resource_version_is_500_like_etcd3_storage(raw):
    body = _cm("rv")
    body["metadata"]["resourceVersion"] = "12"
    code, _headers, st = raw.request("POST", CM, body)
    assert code == 500 and st["reason"] == "InternalError"
    assert st["message"] == "Internal error occurred: resourceVersion should not be set on objects to be created"
