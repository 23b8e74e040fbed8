"""ensure.py: managed-field comparison, merge patches, check mode, diff, redaction, conflicts, batches."""
from __future__ import annotations

import base64

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import errors
from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.api import ApiClient, RetryPolicy
from ansible_collections.ocp.registry.plugins.module_utils.ensure import (
    ABSENT,
    REMOVE,
    apply_patch,
    compute_patch,
    ensure_absent,
    ensure_many_present,
    ensure_present,
    managed_view,
    strip_remove,
)
from ansible_collections.ocp.registry.plugins.module_utils.kubeconfig import ConnectionConfig
from ansible_collections.ocp.registry.plugins.module_utils.redact import MARKER
from ansible_collections.ocp.registry.tests.unit.plugins.module_utils.fake_api import FakeApi, MiniStore

NS_IS = "/apis/image.openshift.io/v1/namespaces/demo/imagestreams"
NS_SECRETS = "/api/v1/namespaces/demo/secrets"


def b64(text):
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def env(tmp_path):
    store = MiniStore()
    server = FakeApi(str(tmp_path), handler=store).start()
    cfg = ConnectionConfig(server.url)
    cfg.token = "t0ken-abcdef"
    cfg.ca_file = server.ca_path
    client = ApiClient(cfg, retry=RetryPolicy(attempts=3, base=0.01, cap=0.01), sleep=lambda s: None)
    yield store, server, client
    client.close()
    server.stop()


def imagestream(**spec):
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
            "metadata": {"name": "app", "namespace": "demo"}, "spec": spec}


# ------------------------------------------------------------------------------------------------ pure functions

PATCHES = [
    # live, desired, expected patch
    ({"a": 1}, {"a": 1}, {}),
    ({"a": 1}, {"a": 2}, {"a": 2}),
    ({"a": 1, "b": 2}, {"a": 1}, {}),                                   # unmanaged keys untouched
    ({"s": {"x": 1, "y": 2}}, {"s": {"x": 1}}, {}),                     # recursive, unmanaged inner key
    ({"s": {"x": 1, "y": 2}}, {"s": {"x": 3}}, {"s": {"x": 3}}),
    ({"l": [1, 2, 3]}, {"l": [1, 2]}, {"l": [1, 2]}),                   # lists whole
    ({"l": [{"a": 1, "b": 2}]}, {"l": [{"a": 1}]}, {"l": [{"a": 1}]}),
    ({"a": 1}, {"a": REMOVE}, {"a": None}),                             # explicit removal
    ({}, {"a": REMOVE}, {}),                                            # nothing to remove
    ({"s": {"x": 1}}, {"s": {"x": REMOVE, "y": 2}}, {"s": {"x": None, "y": 2}}),
    ({}, {"s": {"x": 1, "gone": REMOVE}}, {"s": {"x": 1}}),            # new dict: sentinel dropped
    ({"s": "str"}, {"s": {"x": 1}}, {"s": {"x": 1}}),                  # type change
    ({"a": None}, {"a": None}, {}),
    ({"a": 0}, {"a": False}, {"a": False}),                            # bool is not int
    ({"a": [1]}, {"a": [True]}, {"a": [True]}),
    ({"a": {"b": 1.0}}, {"a": {"b": 1}}, {}),
    ({"a": "1"}, {"a": 1}, {"a": 1}),
    ({}, {"spec": {}}, {}),                                             # empty dict manages nothing
    ({}, {"spec": {"a": {}}}, {}),
    ({}, {"spec": {"a": {"b": 1}}}, {"spec": {"a": {"b": 1}}}),
]


@pytest.mark.parametrize("live,desired,expected", PATCHES)
def test_compute_patch(live, desired, expected):
    patch = compute_patch(live, desired)
    assert patch == expected
    if patch:  # applying the patch reaches the desired managed state
        assert compute_patch(apply_patch(live, patch), desired) == {}


def test_strip_remove_and_managed_view():
    assert strip_remove({"a": REMOVE, "b": {"c": REMOVE, "d": [1]}}) == {"b": {"d": [1]}}
    live = {"metadata": {"name": "x", "uid": "u"}, "spec": {"a": 1, "b": 2}, "status": {"s": 1}}
    assert managed_view(live, {"metadata": {"name": "x"}, "spec": {"a": 9}}) == {"metadata": {"name": "x"},
                                                                                 "spec": {"a": 1}}
    assert managed_view(None, {"a": 1}) is None


# ------------------------------------------------------------------------------------------------ ensure_present

def test_create_then_noop_is_one_get(env):
    store, server, client = env
    first = ensure_present(client, R.IMAGESTREAM, imagestream(lookupPolicy={"local": True}))
    assert first["changed"] is True and first["before"] is None
    assert first["object"]["metadata"]["resourceVersion"] == "1"
    assert server.methods() == ["GET", "POST"]
    server.requests.clear()
    second = ensure_present(client, R.IMAGESTREAM, imagestream(lookupPolicy={"local": True}))
    assert second["changed"] is False
    assert server.methods() == ["GET"]  # a no-op is exactly one GET, no write
    assert second["before"] == second["after"]


def test_update_patches_only_differences_with_resource_version(env):
    store, server, client = env
    store.put(NS_IS, dict(imagestream(lookupPolicy={"local": False}, tags=[{"name": "a"}]),
                          metadata={"name": "app", "namespace": "demo", "labels": {"keep": "me"}}))
    result = ensure_present(client, R.IMAGESTREAM, imagestream(lookupPolicy={"local": True}), diff=True)
    assert result["changed"] is True
    patch = server.requests[-1].json()
    assert server.methods() == ["GET", "PATCH"]
    assert server.requests[-1].headers["Content-Type"] == "application/merge-patch+json"
    assert patch == {"spec": {"lookupPolicy": {"local": True}}, "metadata": {"resourceVersion": "1"}}
    assert result["object"]["spec"]["tags"] == [{"name": "a"}]           # unmanaged kept
    assert result["object"]["metadata"]["labels"] == {"keep": "me"}
    assert result["diff"]["before"]["spec"] == {"lookupPolicy": {"local": False}}
    assert result["diff"]["after"]["spec"] == {"lookupPolicy": {"local": True}}


def test_remove_sentinel_deletes_key(env):
    store, server, client = env
    store.put(NS_IS, dict(imagestream(), metadata={"name": "app", "namespace": "demo",
                                                   "annotations": {"old": "x", "keep": "y"}}))
    desired = imagestream()
    desired["metadata"]["annotations"] = {"old": REMOVE}
    result = ensure_present(client, R.IMAGESTREAM, desired)
    assert result["changed"] is True
    assert result["object"]["metadata"]["annotations"] == {"keep": "y"}
    again = ensure_present(client, R.IMAGESTREAM, desired)
    assert again["changed"] is False


@pytest.mark.parametrize("exists", [False, True])
def test_check_mode_writes_nothing_and_predicts(env, exists):
    store, server, client = env
    if exists:
        store.put(NS_IS, imagestream(lookupPolicy={"local": False}))
    result = ensure_present(client, R.IMAGESTREAM, imagestream(lookupPolicy={"local": True}), check_mode=True,
                            diff=True)
    assert result["changed"] is True
    assert server.methods() == ["GET"]
    assert result["object"]["spec"]["lookupPolicy"] == {"local": True}
    assert result["diff"]["after"]["spec"]["lookupPolicy"] == {"local": True}
    stored = store.objects.get(NS_IS + "/app")
    assert (stored is not None) is exists
    if exists:
        assert stored["spec"]["lookupPolicy"] == {"local": False}


def test_callable_desired_sees_live_object(env):
    store, server, client = env
    store.put(NS_IS, imagestream(tags=[{"name": "a"}]))
    seen = []

    def desired(live):
        seen.append(live)
        tags = list((live or {}).get("spec", {}).get("tags", [])) + [{"name": "b"}]
        return imagestream(tags=tags)
    result = ensure_present(client, R.IMAGESTREAM, desired, name="app", namespace="demo")
    assert [t["name"] for t in result["object"]["spec"]["tags"]] == ["a", "b"]
    assert seen[0]["spec"]["tags"] == [{"name": "a"}]


def test_server_metadata_in_desired_is_ignored(env):
    store, server, client = env
    live = store.put(NS_IS, imagestream(lookupPolicy={"local": True}))
    desired = imagestream(lookupPolicy={"local": True})
    desired["metadata"].update(resourceVersion="999", uid="x", creationTimestamp="2020-01-01T00:00:00Z", generation=7)
    assert ensure_present(client, R.IMAGESTREAM, desired)["changed"] is False
    assert store.objects[NS_IS + "/app"]["metadata"]["resourceVersion"] == live["metadata"]["resourceVersion"]
    assert server.methods() == ["GET"]


def test_callable_needs_name(env):
    client = env[2]
    with pytest.raises(errors.RegistryError, match="needs name"):
        ensure_present(client, R.IMAGESTREAM, lambda live: {})


@pytest.mark.parametrize("bumps,expect_patches", [(1, 2), (2, 3)])
def test_conflict_is_retried_with_fresh_read(env, bumps, expect_patches):
    store, server, client = env
    store.put(NS_IS, imagestream(lookupPolicy={"local": False}))
    state = {"left": bumps}

    def before(req):
        if req.method == "PATCH" and state["left"]:
            state["left"] -= 1
            store.bump(req.path)  # a concurrent writer moved the object
        return None
    store.before = before
    result = ensure_present(client, R.IMAGESTREAM, imagestream(lookupPolicy={"local": True}))
    assert result["changed"] is True
    assert server.methods().count("PATCH") == expect_patches
    assert server.methods().count("GET") == expect_patches
    assert store.objects[NS_IS + "/app"]["spec"]["lookupPolicy"] == {"local": True}


def test_conflict_forever_is_bounded(env):
    store, server, client = env
    store.put(NS_IS, imagestream(lookupPolicy={"local": False}))

    def before(req):
        if req.method == "PATCH":
            store.bump(req.path)
        return None
    store.before = before
    with pytest.raises(errors.Conflict):
        ensure_present(client, R.IMAGESTREAM, imagestream(lookupPolicy={"local": True}), attempts=3)
    assert server.methods().count("PATCH") == 3


def test_live_given_saves_the_first_read(env):
    """live= (an object already read, or ABSENT for "read and missing") makes the first round request-free."""
    store, server, client = env
    result = ensure_present(client, R.IMAGESTREAM, imagestream(lookupPolicy={"local": True}), live=ABSENT)
    assert result["changed"] is True and server.methods() == ["POST"]
    server.requests.clear()
    live = client.get(R.IMAGESTREAM, "app", "demo")
    server.requests.clear()
    result = ensure_present(client, R.IMAGESTREAM, imagestream(lookupPolicy={"local": True}), live=live)
    assert result["changed"] is False and server.methods() == []
    result = ensure_present(client, R.IMAGESTREAM, imagestream(lookupPolicy={"local": False}), live=live)
    assert result["changed"] is True and server.methods() == ["PATCH"]
    server.requests.clear()
    # ABSENT but someone created it meanwhile: AlreadyExists, then a fresh read and a compare
    result = ensure_present(client, R.IMAGESTREAM, imagestream(lookupPolicy={"local": False}), live=ABSENT)
    assert result["changed"] is False and server.methods() == ["POST", "GET"]


def test_create_race_already_exists_rereads(env):
    store, server, client = env
    state = {"first": True}

    def before(req):
        if req.method == "POST" and state["first"]:
            state["first"] = False
            store.put(NS_IS, imagestream(lookupPolicy={"local": True}))  # someone else created it
        return None
    store.before = before
    result = ensure_present(client, R.IMAGESTREAM, imagestream(lookupPolicy={"local": True}))
    assert result["changed"] is False
    assert server.methods() == ["GET", "POST", "GET"]


def test_missing_name_or_namespace_is_input_error(env):
    server, client = env[1:]
    with pytest.raises(errors.InputError) as info:
        ensure_present(client, R.IMAGESTREAM, {"metadata": {"name": "x"}})
    assert info.value.option == "namespace"
    assert server.count() == 0


# ------------------------------------------------------------------------------------------------ secrets

def secret(**data):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "demo"},
            "type": "Opaque", "data": {k: b64(v) for k, v in data.items()}}


def test_secret_diff_redacted_but_shows_change(env):
    store, server, client = env
    store.put(NS_SECRETS, secret(password="old-password"))
    result = ensure_present(client, R.SECRET, secret(password="new-password"), diff=True, secret_paths=("data",))
    assert result["changed"] is True
    before = result["diff"]["before"]["data"]["password"]
    after = result["diff"]["after"]["data"]["password"]
    assert before.startswith(MARKER) and after.startswith(MARKER)
    assert before != after                                # a changed value shows as changed
    text = repr(result)
    for leak in ("old-password", "new-password", b64("old-password"), b64("new-password")):
        assert leak not in text
    same = ensure_present(client, R.SECRET, secret(password="new-password"), diff=True, secret_paths=("data",))
    assert same["changed"] is False
    assert same["diff"]["before"] == same["diff"]["after"]


def test_secret_check_mode_create_is_redacted(env):
    server, client = env[1:]
    result = ensure_present(client, R.SECRET, secret(token="abcdefgh"), check_mode=True, diff=True,
                            secret_paths=("data", "stringData"))
    assert server.methods() == ["GET"]
    assert "abcdefgh" not in repr(result) and b64("abcdefgh") not in repr(result)
    assert list(result["object"]["data"]) == ["token"]  # keys stay visible


# ------------------------------------------------------------------------------------------------ absent

@pytest.mark.parametrize("exists,check_mode,methods", [
    (True, False, ["GET", "DELETE"]),
    (True, True, ["GET"]),
    (False, False, ["GET"]),
    (False, True, ["GET"]),
])
def test_ensure_absent(env, exists, check_mode, methods):
    store, server, client = env
    if exists:
        store.put(NS_SECRETS, secret(password="pw-123456"))
    result = ensure_absent(client, R.SECRET, "creds", "demo", check_mode=check_mode, diff=True,
                           secret_paths=("data",))
    assert result["changed"] is exists
    assert server.methods() == methods
    assert (NS_SECRETS + "/creds" in store.objects) is (exists and check_mode)
    assert "pw-123456" not in repr(result) and b64("pw-123456") not in repr(result)


# ------------------------------------------------------------------------------------------------ batch

def test_many_present_one_list_and_writes_only_differences(env):
    store, server, client = env
    for name, local in (("a", True), ("b", False)):
        store.put(NS_IS, {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
                          "metadata": {"name": name, "namespace": "demo"}, "spec": {"lookupPolicy": {"local": local}}})

    def want(name):
        return {"metadata": {"name": name, "namespace": "demo"}, "spec": {"lookupPolicy": {"local": True}}}
    results = ensure_many_present(client, R.IMAGESTREAM, "demo", [want("a"), want("b"), ("c", lambda live: want("c"))])
    assert [r["changed"] for r in results] == [False, True, True]
    assert server.methods() == ["GET", "PATCH", "POST"]        # one LIST, then only the writes
    assert server.requests[0].path == NS_IS
    server.requests.clear()
    again = ensure_many_present(client, R.IMAGESTREAM, "demo", [want("a"), want("b"), want("c")])
    assert [r["changed"] for r in again] == [False, False, False]
    assert server.methods() == ["GET"]


def test_many_present_check_mode_and_duplicates(env):
    server, client = env[1:]
    results = ensure_many_present(client, R.IMAGESTREAM, "demo",
                                  [{"metadata": {"name": "x", "namespace": "demo"}}], check_mode=True)
    assert results[0]["changed"] is True and server.methods() == ["GET"]
    with pytest.raises(errors.InputError, match="repeated: x"):
        ensure_many_present(client, R.IMAGESTREAM, "demo", [{"metadata": {"name": "x", "namespace": "demo"}}] * 2)
