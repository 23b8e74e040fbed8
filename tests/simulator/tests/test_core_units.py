"""Unit tests of the simulator core pieces: patch formats, selectors, schema, CEL, store, controller manager."""
from __future__ import annotations

import threading

import pytest

from ansible_collections.ocp.registry.tests.simulator import (
    apiserver, catalog, cel, errors, patch, schema, selectors, store)
from ansible_collections.ocp.registry.tests.simulator.config import SimConfig
from ansible_collections.ocp.registry.tests.simulator.controllers.manager import (
    Controller, ControllerManager, Requeue)


# --- merge patch (RFC 7386 appendix A examples) ---------------------------------------------------
@pytest.mark.parametrize("target,p,expected", [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
])
def test_merge_patch_rfc7386(target, p, expected):
    assert patch.merge_patch(target, p) == expected


# --- JSON patch (RFC 6902) ---------------------------------------------------------------------------
def test_json_patch_rfc6902_examples():
    assert patch.json_patch({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}]) == \
        {"foo": "bar", "baz": "qux"}
    assert patch.json_patch({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}]) == \
        {"foo": ["bar", "qux", "baz"]}
    assert patch.json_patch({"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": "x"}]) == {"foo": ["bar", "x"]}
    assert patch.json_patch({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
                            [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}]) == \
        {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}
    assert patch.json_patch({"a/b": 1, "m~n": 2}, [{"op": "remove", "path": "/a~1b"},
                                                   {"op": "replace", "path": "/m~0n", "value": 3}]) == {"m~n": 3}
    assert patch.json_patch({"a": [1, 2]}, [{"op": "copy", "from": "/a", "path": "/b"}]) == {"a": [1, 2], "b": [1, 2]}
    doc = {"a": 1}
    patch.json_patch(doc, [{"op": "replace", "path": "/a", "value": 2}])
    assert doc == {"a": 1}                                  # input untouched


@pytest.mark.parametrize("ops,code", [
    ([{"op": "test", "path": "/a", "value": 2}], 422),
    ([{"op": "remove", "path": "/nope"}], 422),
    ([{"op": "replace", "path": "/nope", "value": 1}], 422),
    ([{"op": "add", "path": "/x/y", "value": 1}], 422),
    ([{"op": "move", "from": "/a", "path": "/a/b"}], 422),
    ([{"op": "frobnicate", "path": "/a"}], 422),
    ([{"path": "/a"}], 400),
    ({"op": "add"}, 400),
])
def test_json_patch_errors(ops, code):
    with pytest.raises(errors.StatusError) as e:
        patch.json_patch({"a": 1}, ops)
    assert e.value.code == code


def test_json_patch_failure_detail_is_kept_for_diagnostics():
    with pytest.raises(errors.StatusError) as e:
        patch.json_patch({"a": 1}, [{"op": "test", "path": "/a", "value": 2}])
    assert e.value.detail == "testing value /a failed: test failed"
    assert e.value.to_status()["details"] == {}


# --- strategic merge -------------------------------------------------------------------------------------
DEPLOY = catalog.get("apps", "deployments")
SERVICE = catalog.get("", "services")
IS = catalog.get("image.openshift.io", "imagestreams")


def test_strategic_merge_keys_and_directives():
    live = {"spec": {"template": {"spec": {
        "containers": [{"name": "a", "image": "1", "volumeMounts": [{"mountPath": "/x", "name": "v"}]}],
        "volumes": [{"name": "v", "emptyDir": {}}, {"name": "w", "emptyDir": {}}],
        "tolerations": [{"key": "k1"}]}}}, "metadata": {"finalizers": ["f1"]}}
    p = {"spec": {"template": {"spec": {
        "containers": [{"name": "a", "volumeMounts": [{"mountPath": "/y", "name": "w"}]}],
        "volumes": [{"name": "w", "$patch": "delete"}],
        "tolerations": [{"key": "k2"}]}}}, "metadata": {"finalizers": ["f2"]}}
    out = patch.strategic_merge(live, p, DEPLOY.merge_key)
    spec = out["spec"]["template"]["spec"]
    assert spec["containers"][0]["image"] == "1"
    assert [m["mountPath"] for m in spec["containers"][0]["volumeMounts"]] == ["/x", "/y"]
    assert [v["name"] for v in spec["volumes"]] == ["v"]
    assert spec["tolerations"] == [{"key": "k2"}]                    # no merge key: replaced
    assert out["metadata"]["finalizers"] == ["f1", "f2"]             # primitive merge list
    out = patch.strategic_merge(out, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["f1"]}}, DEPLOY.merge_key)
    assert out["metadata"]["finalizers"] == ["f2"]
    out = patch.strategic_merge(out, {"spec": {"$patch": "replace", "x": 1}}, DEPLOY.merge_key)
    assert out["spec"] == {"x": 1}


def test_strategic_merge_keys_depend_on_type_and_path():
    svc = patch.strategic_merge({"spec": {"ports": [{"port": 80, "name": "http"}]}},
                                {"spec": {"ports": [{"port": 443, "name": "https"}]}}, SERVICE.merge_key)
    assert [p["port"] for p in svc["spec"]["ports"]] == [80, 443]
    stream = {"spec": {"tags": [{"name": "a", "from": {"name": "x"}}]},
              "status": {"tags": [{"tag": "a", "items": []}]}}
    out = patch.strategic_merge(stream, {"spec": {"tags": [{"name": "b"}]}, "status": {"tags": [{"tag": "b"}]}},
                                IS.merge_key)
    assert [t["name"] for t in out["spec"]["tags"]] == ["a", "b"]
    assert [t["tag"] for t in out["status"]["tags"]] == ["a", "b"]
    with pytest.raises(errors.StatusError) as e:
        patch.strategic_merge(stream, {"spec": {"tags": [{"from": {}}]}}, IS.merge_key)
    assert e.value.code == 400


# --- selectors --------------------------------------------------------------------------------------
def test_label_selector_parsing():
    sel = selectors.parse_label_selector("env in (prod, staging),tier!=db,!legacy,app")
    assert sel({"env": "prod", "app": "x"}) is True
    assert sel({"env": "prod", "app": "x", "legacy": "1"}) is False
    assert sel({"env": "dev", "app": "x"}) is False
    assert sel({"env": "prod", "tier": "db", "app": "x"}) is False
    with pytest.raises(errors.StatusError):
        selectors.parse_label_selector("a in b")


# --- CEL --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rule,self_value,old,expected", [
    ("self >= oldSelf", 3, 2, True),
    ("self >= oldSelf", 1, 2, False),
    ("has(self.a) ? !has(self.b) : true", {"a": 1, "b": 2}, None, False),
    ("has(self.a) ? !has(self.b) : true", {"b": 2}, None, True),
    ("!(has(self.x) && has(self.y))", {"x": 1}, None, True),
    ("self.lowerAscii() != 'cookie'", "Cookie", None, False),
    ("self.all(k, k.v == 'a' || k.v.matches('^b+$'))", [{"v": "a"}, {"v": "bbb"}], None, True),
    ("self.exists(k, k == 2) && size(self) == 3", [1, 2, 3], None, True),
])
def test_cel_subset(rule, self_value, old, expected):
    prog = cel.compile_rule(rule)
    assert (prog.eval(self_value, old) if prog.uses_old else prog.eval(self_value)) is expected


def test_cel_unsupported_is_reported():
    with pytest.raises(cel.Unsupported):
        cel.compile_rule("self.quantity().isGreaterThan(1)")


def test_all_crd_rules_compile():
    """Every x-kubernetes-validations rule in the shared CRDs is within the modelled CEL subset."""
    cfg = SimConfig()
    rules = []

    def walk(node):
        if isinstance(node, dict):
            rules.extend(r["rule"] for r in node.get("x-kubernetes-validations") or [])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for rt in catalog.RESOURCE_TYPES:
        if rt.crd:
            sch = schema.for_type(rt, cfg.crd_dir)
            assert sch is not None, rt.crd
            walk(sch.schema)
    assert len(set(rules)) >= 12
    for rule in set(rules):
        cel.compile_rule(rule)          # raises cel.Unsupported for anything outside the subset


def test_config_transition_rule_and_route_defaults():
    api = apiserver.ApiServer()
    api.create(("", "namespaces"), None, {"metadata": {"name": "d"}})
    route = api.create(("route.openshift.io", "routes"), "d", {
        "metadata": {"name": "r"}, "spec": {"to": {"name": "svc"}, "tls": {"termination": "edge"}}})
    assert route["spec"]["to"] == {"kind": "Service", "name": "svc", "weight": 100}
    with pytest.raises(errors.StatusError) as e:
        api.create(("route.openshift.io", "routes"), "d", {"metadata": {"name": "bad"}, "spec": {}})
    assert e.value.code == 422 and e.value.details["causes"][0]["field"] == "spec.to"


# --- store ------------------------------------------------------------------------------------------
def test_store_persistence(tmp_path):
    s = store.Store()
    s.put(("", "configmaps"), {"metadata": {"name": "a", "namespace": "n", "resourceVersion": "7"}})
    s.save(str(tmp_path / "x.json"))
    s2 = store.Store()
    assert s2.load(str(tmp_path / "missing.json")) is False
    assert s2.load(str(tmp_path / "x.json")) is True
    assert s2.get(("", "configmaps"), "n", "a")["metadata"]["resourceVersion"] == "7"
    assert s2.next_rv() == "8"


# --- api server odds and ends ---------------------------------------------------------------------------
def test_virtual_type_without_handler_is_503_and_registration_works():
    api = apiserver.ApiServer()
    api.create(("", "namespaces"), None, {"metadata": {"name": "d"}})
    with pytest.raises(errors.StatusError) as e:
        api.get(("image.openshift.io", "imagestreamtags"), "d", "a:b")
    assert e.value.code in (503, 404)

    class Handler(apiserver.VirtualHandler):
        def get(self, ctx, namespace, name):
            return {"kind": "ImageStreamTag", "metadata": {"name": name, "namespace": namespace},
                    "user": ctx.user.name}

    api.register_virtual(("image.openshift.io", "imagestreamtags"), Handler())
    assert api.get(("image.openshift.io", "imagestreamtags"), "d", "a:b")["user"] == "system:admin"
    with pytest.raises(errors.StatusError) as e:
        api.create(("image.openshift.io", "imagestreamtags"), "d", {})
    assert e.value.code == 405


def test_strategy_hooks_run_in_order():
    calls = []

    class S(apiserver.Strategy):
        def prepare_create(self, ctx, obj):
            calls.append("prepare_create")
            obj.setdefault("data", {})["defaulted"] = "yes"

        def prepare_update(self, ctx, new, old):
            calls.append("prepare_update")

        def validate(self, ctx, obj, old=None):
            calls.append("validate")
            if obj.get("data", {}).get("bad"):
                return [errors.invalid_value("data.bad", obj["data"]["bad"], "must not be set")]
            return []

        def decorate(self, ctx, obj):
            obj.setdefault("metadata", {}).setdefault("annotations", {})["decorated"] = "1"

        def after_write(self, ctx, obj, old):
            calls.append(("after_write", obj is None, old is None))

    api = apiserver.ApiServer()
    api.register_strategy(("", "configmaps"), S())
    api.create(("", "namespaces"), None, {"metadata": {"name": "d"}})
    got = api.create(("", "configmaps"), "d", {"metadata": {"name": "c"}})
    assert got["data"] == {"defaulted": "yes"} and got["metadata"]["annotations"] == {"decorated": "1"}
    assert "decorated" not in (api.store.get(("", "configmaps"), "d", "c")["metadata"].get("annotations") or {})
    with pytest.raises(errors.StatusError) as e:
        api.patch(("", "configmaps"), "d", "c", "merge", {"data": {"bad": "x"}})
    assert e.value.message == 'ConfigMap "c" is invalid: data.bad: Invalid value: "x": must not be set'
    api.delete(("", "configmaps"), "d", "c")
    assert calls == ["prepare_create", "validate", ("after_write", False, True), "prepare_update", "validate",
                     ("after_write", True, False)]


# --- controller manager ---------------------------------------------------------------------------------
def test_controller_manager_queue_coalescing_requeue_and_idle():
    api = apiserver.ApiServer(config=SimConfig(controller_delay=0.01))
    seen = []
    attempts = {"n": 0}
    follow_data = []
    lock = threading.Lock()

    class Ctl(Controller):
        name = "test"
        watches = [("", "configmaps")]

        def sync(self, ctx, key):
            with lock:
                seen.append(key)
            if key == ("d", "retry"):
                attempts["n"] += 1
                if attempts["n"] < 3:
                    raise Requeue(0.01)
            if key == ("d", "writer"):
                ctx.api.patch(("", "configmaps"), "d", "follow", "merge", {"data": {"x": "1"}})
            if key == ("d", "follow"):
                follow_data.append(ctx.api.get(("", "configmaps"), "d", "follow").get("data"))

    mgr = ControllerManager(api)
    mgr.add(Ctl())
    api.create(("", "namespaces"), None, {"metadata": {"name": "d"}})
    for name in ("retry", "writer", "follow"):
        api.create(("", "configmaps"), "d", {"metadata": {"name": name}})
    api.patch(("", "configmaps"), "d", "retry", "merge", {"data": {"y": "1"}})   # coalesced with the create
    mgr.start()
    try:
        assert mgr.wait_idle(10)
    finally:
        mgr.stop()
    assert attempts["n"] == 3
    assert seen.count(("d", "writer")) == 1
    # the writer's change to "follow" is seen by a sync that runs after it (a pending key is coalesced)
    assert follow_data[-1] == {"x": "1"}
    assert mgr.errors == []


def test_controller_errors_are_recorded_and_retried():
    api = apiserver.ApiServer(config=SimConfig(controller_delay=0.0))
    runs = []

    class Boom(Controller):
        name = "boom"
        watches = [("", "namespaces")]

        def sync(self, ctx, key):
            runs.append(key)
            if len(runs) == 1:
                raise RuntimeError("first run fails")

    mgr = ControllerManager(api)
    mgr.add(Boom())
    mgr.start()
    try:
        api.create(("", "namespaces"), None, {"metadata": {"name": "x"}})
        done = threading.Event()
        for _attempt in range(300):
            if len(runs) >= 2:
                done.set()
                break
            mgr.wait_idle(0.05)
            threading.Event().wait(0.01)
        assert done.is_set()
    finally:
        mgr.stop()
    assert mgr.errors[0][0] == "boom" and "first run fails" in mgr.errors[0][2]


def test_periodic_resync_reads_the_api():
    api = apiserver.ApiServer(config=SimConfig(controller_delay=0.0))
    api.create(("", "namespaces"), None, {"metadata": {"name": "r"}})
    synced = threading.Event()

    class Periodic(Controller):
        name = "periodic"
        watches = []
        resync_period = 0.01

        def resync_keys(self):
            return [n["metadata"]["name"] for n in api.list(("", "namespaces"))["items"]]

        def sync(self, ctx, key):
            if key == "r":
                synced.set()

    mgr = ControllerManager(api)
    mgr.add(Periodic())
    mgr.start()
    try:
        assert synced.wait(10)
    finally:
        mgr.stop()


def test_table_jsonpath_and_age():
    from ansible_collections.ocp.registry.tests.simulator import tables
    import datetime
    obj = {"status": {"conditions": [{"type": "A", "status": "True"}, {"type": "B", "status": "False"}],
                      "ingress": [{"host": "h"}]}}
    assert tables.jsonpath(obj, '.status.conditions[?(@.type=="B")].status') == "False"
    assert tables.jsonpath(obj, ".status.ingress[0].host") == "h"
    assert tables.jsonpath(obj, ".status.ingress[3].host") is None
    now = datetime.datetime(2026, 1, 3, tzinfo=datetime.timezone.utc)
    assert tables.age("2026-01-02T23:59:15Z", now) == "45s"
    assert tables.age("2026-01-02T23:55:50Z", now) == "4m10s"
    assert tables.age("2026-01-02T19:00:00Z", now) == "5h"
    assert tables.age("2025-12-30T00:00:00Z", now) == "4d"
    assert tables.age(None) == "<unknown>"


def test_watch_from_a_compacted_resource_version_is_410():
    import collections
    api = apiserver.ApiServer()
    api._history = collections.deque(maxlen=3)
    api.create(("", "namespaces"), None, {"metadata": {"name": "d"}})
    for i in range(6):
        api.create(("", "configmaps"), "d", {"metadata": {"name": f"c{i}"}})
    w = api.watch(("", "configmaps"), "d", resource_version="2")
    ev = w.next(1)
    assert ev[0] == "ERROR" and ev[1]["code"] == 410 and ev[1]["reason"] == "Expired"
    w.close()
    w = api.watch(("", "configmaps"), "d", resource_version=str(api.store.resource_version - 1))
    ev = w.next(1)
    assert ev[0] == "ADDED" and ev[1]["metadata"]["name"] == "c5"
    w.close()


@pytest.mark.parametrize("group,version,plural,kind,namespaced,subs,short", [
    ("", "v1", "namespaces", "Namespace", False, {"status"}, ["ns"]),
    ("", "v1", "secrets", "Secret", True, set(), []),
    ("", "v1", "configmaps", "ConfigMap", True, set(), ["cm"]),
    ("", "v1", "services", "Service", True, {"status"}, ["svc"]),
    ("", "v1", "serviceaccounts", "ServiceAccount", True, set(), ["sa"]),
    ("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, {"status"}, ["pvc"]),
    ("", "v1", "events", "Event", True, set(), ["ev"]),
    ("", "v1", "nodes", "Node", False, {"status"}, ["no"]),
    ("", "v1", "pods", "Pod", True, {"status"}, ["po"]),
    ("apps", "v1", "deployments", "Deployment", True, {"status", "scale"}, ["deploy"]),
    ("apps", "v1", "statefulsets", "StatefulSet", True, {"status", "scale"}, ["sts"]),
    ("apps", "v1", "daemonsets", "DaemonSet", True, {"status"}, ["ds"]),
    ("apps", "v1", "replicasets", "ReplicaSet", True, {"status", "scale"}, ["rs"]),
    ("batch", "v1", "cronjobs", "CronJob", True, {"status"}, ["cj"]),
    ("batch", "v1", "jobs", "Job", True, {"status"}, []),
    ("rbac.authorization.k8s.io", "v1", "roles", "Role", True, set(), []),
    ("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True, set(), []),
    ("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False, set(), []),
    ("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False, set(), []),
    ("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, set(), ["sc"]),
    ("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, {"status"}, ["pdb"]),
    ("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, set(), ["netpol"]),
    ("route.openshift.io", "v1", "routes", "Route", True, {"status"}, []),
    ("image.openshift.io", "v1", "imagestreams", "ImageStream", True, {"status", "secrets", "layers"}, ["is"]),
    ("image.openshift.io", "v1", "imagestreamtags", "ImageStreamTag", True, set(), ["istag"]),
    ("image.openshift.io", "v1", "imagestreamimports", "ImageStreamImport", True, set(), []),
    ("image.openshift.io", "v1", "imagestreamimages", "ImageStreamImage", True, set(), ["isimage"]),
    ("image.openshift.io", "v1", "images", "Image", False, set(), []),
    ("image.openshift.io", "v1", "imagetags", "ImageTag", True, set(), ["itag"]),
    ("imageregistry.operator.openshift.io", "v1", "configs", "Config", False, {"status"}, []),
    ("imageregistry.operator.openshift.io", "v1", "imagepruners", "ImagePruner", False, {"status"}, []),
    ("config.openshift.io", "v1", "images", "Image", False, {"status"}, []),
    ("config.openshift.io", "v1", "clusteroperators", "ClusterOperator", False, {"status"}, ["co"]),
    ("config.openshift.io", "v1", "infrastructures", "Infrastructure", False, {"status"}, []),
    ("config.openshift.io", "v1", "proxies", "Proxy", False, {"status"}, []),
    ("config.openshift.io", "v1", "apiservers", "APIServer", False, {"status"}, []),
    ("config.openshift.io", "v1", "clusterversions", "ClusterVersion", False, {"status"}, []),
    ("apps.openshift.io", "v1", "deploymentconfigs", "DeploymentConfig", True, {"status"}, ["dc"]),
])
def test_catalog_discovery_data(group, version, plural, kind, namespaced, subs, short):
    rt = catalog.lookup(group, version, plural)
    assert rt is not None and rt.kind == kind and rt.namespaced is namespaced
    entries = rt.discovery()
    assert entries[0]["name"] == plural and entries[0]["singularName"] == kind.lower()
    assert entries[0].get("shortNames", []) == short
    assert subs <= {e["name"].split("/", 1)[1] for e in entries[1:]}
    for e in entries[1:]:
        if e["name"].endswith("/status"):
            assert e["kind"] == kind and e["verbs"] == ["get", "patch", "update"]
    assert catalog.by_kind(rt.api_version, kind) is rt


@pytest.mark.parametrize("spec,message", [
    ({"tls": {"termination": "passthrough"}, "httpHeaders": {"actions": {"response": [
        {"name": "X-A", "action": {"type": "Set", "set": {"value": "v"}}}]}}},
     "header actions are not permitted when tls termination is passthrough."),
    ({"tls": {"termination": "edge"}, "httpHeaders": {"actions": {"response": [
        {"name": "X-A", "action": {"type": "Set"}}]}}},
     "set is required when type is Set, and forbidden otherwise"),
    ({"tls": {"termination": "edge"}, "httpHeaders": {"actions": {"request": [
        {"name": "Cookie", "action": {"type": "Delete"}}]}}},
     "cookie header may not be modified via header actions"),
    ({"tls": {"termination": "edge"}, "httpHeaders": {"actions": {"response": [
        {"name": "X-A", "action": {"type": "Set", "set": {"value": "%[bad.fetch]"}}}]}}},
     "Either the header value provided is not in correct format"),
    ({"tls": {"termination": "edge", "certificate": "c", "externalCertificate": {"name": "s"}}},
     "cannot have both spec.tls.certificate and spec.tls.externalCertificate"),
    ({"tls": {"termination": "edge"}, "httpHeaders": {"actions": {"response": [
        {"name": "X-A", "action": {"type": "Set", "set": {"value": "%[res.hdr(X-B),lower]"}}}]}}}, None),
])
def test_route_cel_rules(spec, message):
    api = apiserver.ApiServer()
    api.create(("", "namespaces"), None, {"metadata": {"name": "d"}})
    body = {"metadata": {"name": "r"}, "spec": dict({"to": {"name": "svc"}}, **spec)}
    if message is None:
        api.create(("route.openshift.io", "routes"), "d", body)
        return
    with pytest.raises(errors.StatusError) as e:
        api.create(("route.openshift.io", "routes"), "d", body)
    assert e.value.code == 422 and message in e.value.message


def test_config_transition_rule_self_ge_old_self():
    """configs status.latestAvailableRevision has `self >= oldSelf`: checked on updates only."""
    api = apiserver.ApiServer()
    cfgs = ("imageregistry.operator.openshift.io", "configs")
    api.create(cfgs, None, {"metadata": {"name": "cluster"}, "spec": {"replicas": 1}})
    status = {"storage": {}, "storageManaged": False, "latestAvailableRevision": 3}
    api.patch(cfgs, None, "cluster", "merge", {"status": status}, subresource="status")
    got = api.patch(cfgs, None, "cluster", "merge", {"status": {"latestAvailableRevision": 4}}, subresource="status")
    assert got["status"]["latestAvailableRevision"] == 4
    with pytest.raises(errors.StatusError) as e:
        api.patch(cfgs, None, "cluster", "merge", {"status": {"latestAvailableRevision": 2}}, subresource="status")
    assert e.value.code == 422
    assert e.value.details["causes"][0] == {"reason": "FieldValueInvalid", "field": "status.latestAvailableRevision",
                                            "message": 'Invalid value: "integer": must only increase'}
