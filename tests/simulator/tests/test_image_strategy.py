"""image.openshift.io rules of the simulator, exercised in process through the internal ApiServer.

Each test builds its own ApiServer with only the image group registered (no HTTP, no controllers), so
the rules of image-api.md sections 1, 2 and 5 are checked one by one.
"""
import copy

import pytest

from ansible_collections.ocp.registry.tests.simulator import catalog
from ansible_collections.ocp.registry.tests.simulator.apis import image as im
from ansible_collections.ocp.registry.tests.simulator.apiserver import ApiServer
from ansible_collections.ocp.registry.tests.simulator.errors import StatusError

NS = "demo"
IS = im.IMAGESTREAMS
HOST = "image-registry.openshift-image-registry.svc:5000"
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64


@pytest.fixture
def api():
    a = ApiServer()
    im.register(a)
    for ns in (NS, "other", "openshift-config"):
        a.create(catalog.get("", "namespaces"), None, {"metadata": {"name": ns}})
    return a


def stream(api, name="app", tags=(), ns=NS, **spec):
    body = {"metadata": {"name": name}, "spec": dict(spec)}
    if tags:
        body["spec"]["tags"] = [copy.deepcopy(t) for t in tags]
    return api.create(IS, ns, body)


def docker_tag(name, ref, **kw):
    t = {"name": name, "from": {"kind": "DockerImage", "name": ref}}
    t.update(kw)
    return t


def push_event(api, name, tag, ref, digest, ns=NS):
    """Record an image on a tag like the integrated registry does (imagestreammappings)."""
    api.create(im.ISMAPPINGS, ns, {"metadata": {"name": name}, "tag": tag, "image": {
        "metadata": {"name": digest}, "dockerImageReference": ref,
        "dockerImageMetadata": {"Architecture": "amd64"}}})
    return api.get(IS, ns, name)


def tag_of(obj, name):
    return im.find_spec_tag(obj, name)


def items(obj, tag):
    st = im.find_status_tag(obj, tag)
    return (st or {}).get("items") or []


def causes_of(exc):
    return {(c["field"], c["reason"]) for c in exc.value.details["causes"]}


# ---------------------------------------------------------------------------------------------- create
def test_create_sets_generations_defaults_and_repository(api):
    s = stream(api, tags=[docker_tag("latest", "quay.io/ns/app:1")])
    assert s["metadata"]["generation"] == 1
    t = tag_of(s, "latest")
    assert t["generation"] == 1
    assert t["importPolicy"] == {"importMode": "Legacy"}
    assert t["referencePolicy"] == {"type": "Source"}
    assert t["annotations"] is None
    assert s["spec"]["lookupPolicy"] == {"local": False}
    assert s["status"]["dockerImageRepository"] == f"{HOST}/{NS}/app"
    assert "publicDockerImageRepository" not in s["status"]
    # a non-reference DockerImage tag is left to the import controller: no status yet
    assert items(s, "latest") == []


def test_public_repository_follows_image_config(api):
    cfg_rt = catalog.get("config.openshift.io", "images")
    api.create(cfg_rt, None, {"metadata": {"name": "cluster"}, "spec": {}})
    live = api.get(cfg_rt, None, "cluster")
    live["status"] = {"internalRegistryHostname": "internal.example:5000",
                      "externalRegistryHostnames": ["registry.apps.example.test", "second.example.test"]}
    api.update(cfg_rt, None, "cluster", live, subresource="status")
    s = stream(api)
    assert s["status"]["dockerImageRepository"] == f"internal.example:5000/{NS}/app"
    assert s["status"]["publicDockerImageRepository"] == f"registry.apps.example.test/{NS}/app"


def test_create_ignores_client_status(api):
    s = api.create(IS, NS, {"metadata": {"name": "app"}, "status": {"tags": [
        {"tag": "x", "items": [{"dockerImageReference": "a/b@" + D1, "image": D1, "generation": 1}]}]}})
    assert items(s, "x") == []


@pytest.mark.parametrize("name", ["App", "a..b", "-a", "a_", "UPPER"])
def test_invalid_stream_names(api, name):
    with pytest.raises(StatusError) as e:
        api.create(IS, NS, {"metadata": {"name": name}})
    assert e.value.code == 422


def test_tag_validation(api):
    with pytest.raises(StatusError) as e:
        stream(api, tags=[
            {"name": "a", "from": {"kind": "ImageStreamTag", "name": "b"}, "importPolicy": {"scheduled": True}},
            {"name": "b", "from": {"kind": "Pod", "name": "x"}},
            {"name": "c", "from": {"kind": "DockerImage", "name": "quay.io/x/y:1"},
             "importPolicy": {"importMode": "Sometimes"}, "referencePolicy": {"type": "Remote"}},
            {"name": "d", "from": {"kind": "DockerImage", "name": ""}},
            {"name": "e", "from": {"kind": "DockerImage", "name": "Not A Ref"}},
        ])
    assert e.value.code == 422
    got = causes_of(e)
    assert ("spec.tags[a].importPolicy.scheduled", "FieldValueInvalid") in got
    assert ("spec.tags[b].from.kind", "FieldValueInvalid") in got
    assert ("spec.tags[c].importPolicy.importMode", "FieldValueNotSupported") in got
    assert ("spec.tags[c].referencePolicy.type", "FieldValueNotSupported") in got
    assert ("spec.tags[d].from.name", "FieldValueRequired") in got
    assert ("spec.tags[e].from.name", "FieldValueInvalid") in got


def test_scheduled_allowed_for_docker_image(api):
    s = stream(api, tags=[docker_tag("latest", "quay.io/x/y:1", importPolicy={"scheduled": True})])
    assert tag_of(s, "latest")["importPolicy"] == {"scheduled": True, "importMode": "Legacy"}


def test_repository_with_tag_is_invalid(api):
    with pytest.raises(StatusError) as e:
        stream(api, dockerImageRepository="quay.io/x/y:1")
    assert ("spec.dockerImageRepository", "FieldValueInvalid") in causes_of(e)


# ---------------------------------------------------------------------------------------------- update
def test_update_generation_rules(api):
    s = stream(api, tags=[docker_tag("a", "quay.io/x/a:1"), docker_tag("b", "quay.io/x/b:1")])
    # no spec change: generation stays
    same = api.update(IS, NS, "app", copy.deepcopy(s))
    assert same["metadata"]["generation"] == 1
    # change a's source: stream generation 2, a gets 2, b keeps 1
    body = copy.deepcopy(same)
    tag_of(body, "a")["from"]["name"] = "quay.io/x/a:2"
    s2 = api.update(IS, NS, "app", body)
    assert s2["metadata"]["generation"] == 2
    assert tag_of(s2, "a")["generation"] == 2
    assert tag_of(s2, "b")["generation"] == 1
    # users cannot set an arbitrary generation: it is put back
    body = copy.deepcopy(s2)
    tag_of(body, "b")["generation"] = 99
    s3 = api.update(IS, NS, "app", body)
    assert tag_of(s3, "b")["generation"] == 1
    assert s3["metadata"]["generation"] == 2
    # nil keeps the old value
    body = copy.deepcopy(s3)
    del tag_of(body, "a")["generation"]
    s4 = api.update(IS, NS, "app", body)
    assert tag_of(s4, "a")["generation"] == 2
    assert s4["metadata"]["generation"] == 2
    # 0 means re-import: the tag gets the new stream generation
    body = copy.deepcopy(s4)
    tag_of(body, "b")["generation"] = 0
    s5 = api.update(IS, NS, "app", body)
    assert s5["metadata"]["generation"] == 3
    assert tag_of(s5, "b")["generation"] == 3
    assert tag_of(s5, "a")["generation"] == 2
    # a new tag gets the new generation too; an annotation-only change bumps only the stream
    body = copy.deepcopy(s5)
    body["spec"]["tags"].append(docker_tag("c", "quay.io/x/c:1"))
    s6 = api.update(IS, NS, "app", body)
    assert (s6["metadata"]["generation"], tag_of(s6, "c")["generation"]) == (4, 4)
    body = copy.deepcopy(s6)
    tag_of(body, "a")["annotations"] = {"note": "x"}
    s7 = api.update(IS, NS, "app", body)
    assert s7["metadata"]["generation"] == 5
    assert tag_of(s7, "a")["generation"] == 2


def test_status_ignored_on_main_update(api):
    s = push_event(api, "app", "latest", "quay.io/x/app@" + D1, D1)
    body = copy.deepcopy(s)
    body["status"]["tags"] = []
    out = api.update(IS, NS, "app", body)
    assert [e["image"] for e in items(out, "latest")] == [D1]


def test_status_update_ignores_spec_and_fills_generation(api):
    s = stream(api, tags=[docker_tag("latest", "quay.io/x/app:1")])
    body = copy.deepcopy(s)
    body["spec"]["tags"] = []
    body["status"]["tags"] = [{"tag": "latest", "items": [
        {"created": "2026-01-01T00:00:00Z", "dockerImageReference": "quay.io/x/app@" + D1, "image": D1,
         "generation": 0}]}]
    out = api.update(IS, NS, "app", body, subresource="status")
    assert tag_of(out, "latest") is not None
    assert items(out, "latest")[0]["generation"] == tag_of(out, "latest")["generation"] == 1


def test_reference_docker_image_tag_gets_event(api):
    s = stream(api, tags=[docker_tag("ext", "quay.io/x/y:1", reference=True)])
    ev = items(s, "ext")
    assert len(ev) == 1
    assert ev[0]["dockerImageReference"] == "quay.io/x/y:1"
    assert ev[0]["image"] == ""
    assert ev[0]["generation"] == 1


# ------------------------------------------------------------------------------------------ resolution
def test_same_stream_tracking_multi_level(api):
    stream(api, tags=[{"name": "b", "from": {"kind": "ImageStreamTag", "name": "a"}},
                      {"name": "c", "from": {"kind": "ImageStreamTag", "name": "app:b"}}])
    s = push_event(api, "app", "a", "quay.io/x/app@" + D1, D1)
    assert items(s, "b")[0]["image"] == D1
    assert items(s, "c")[0]["image"] == D1
    s = push_event(api, "app", "a", "quay.io/x/app@" + D2, D2)
    assert [e["image"] for e in items(s, "b")] == [D2, D1]
    assert [e["image"] for e in items(s, "c")] == [D2, D1]


def test_cross_namespace_istag_and_internal_rewrite(api):
    push_event(api, "base", "1.0", f"{HOST}/other/base@{D1}", D1, ns="other")
    src = {"kind": "ImageStreamTag", "name": "base:1.0", "namespace": "other"}
    s = stream(api, tags=[{"name": "prod", "from": dict(src)}, {"name": "ref", "reference": True, "from": dict(src)}])
    # not a reference tag: the internal path of the source stream is rewritten to this stream's
    assert items(s, "prod")[0]["dockerImageReference"] == f"{HOST}/{NS}/app@{D1}"
    assert items(s, "prod")[0]["image"] == D1
    assert items(s, "ref")[0]["dockerImageReference"] == f"{HOST}/other/base@{D1}"


def test_cross_namespace_source_tag_without_image_is_fine(api):
    stream(api, "base", ns="other", tags=[docker_tag("1.0", "quay.io/x/base:1.0")])
    src = {"kind": "ImageStreamTag", "name": "base:1.0", "namespace": "other"}
    s = stream(api, tags=[{"name": "prod", "from": src}])
    assert items(s, "prod") == []


def test_unknown_source_stream_is_invalid(api):
    with pytest.raises(StatusError) as e:
        stream(api, tags=[{"name": "prod", "from": {"kind": "ImageStreamTag", "name": "nope:1"}}])
    assert e.value.code == 422
    assert ("spec.tags[prod].from.name", "FieldValueNotFound") in causes_of(e)


def test_image_stream_image_source(api):
    push_event(api, "base", "1.0", "quay.io/x/base@" + D1, D1, ns="other")
    pinned = {"kind": "ImageStreamImage", "name": "base@" + D1, "namespace": "other"}
    s = stream(api, tags=[{"name": "pinned", "from": pinned}])
    assert items(s, "pinned")[0]["image"] == D1
    with pytest.raises(StatusError) as e:
        stream(api, "bad", tags=[{"name": "p", "from": dict(pinned, name="base@" + D2)}])
    assert e.value.code == 422


# ---------------------------------------------------------------------------------------- history merge
def _s(*events, conditions=None):
    st = {"tag": "t", "items": [dict(e) for e in events]}
    if conditions:
        st["conditions"] = conditions
    return {"metadata": {"name": "s", "namespace": NS}, "status": {"tags": [st]}}


def _ev(ref, image, gen):
    return {"created": "2026-01-01T00:00:00Z", "dockerImageReference": ref, "image": image, "generation": gen}


COND = [{"type": "ImportSuccess", "status": "False", "reason": "NotFound", "message": "x", "generation": 1}]


def test_merge_identical_is_no_change():
    s = _s(_ev("r@" + D1, D1, 1), conditions=COND)
    assert im.add_tag_event(s, "t", _ev("r@" + D1, D1, 1)) is False
    assert im.find_status_tag(s, "t")["conditions"] == COND


def test_merge_same_ref_and_image_collapses_generation():
    s = _s(_ev("r@" + D1, D1, 1), conditions=COND)
    assert im.add_tag_event(s, "t", _ev("r@" + D1, D1, 3)) is True
    st = im.find_status_tag(s, "t")
    assert [(e["image"], e["generation"]) for e in st["items"]] == [(D1, 3)]
    assert "conditions" not in st


def test_merge_same_ref_replaces_image():
    s = _s(_ev("quay.io/x/y:1", D1, 1))
    assert im.add_tag_event(s, "t", _ev("quay.io/x/y:1", D2, 2))
    assert [(e["dockerImageReference"], e["image"], e["generation"])
            for e in im.find_status_tag(s, "t")["items"]] == [("quay.io/x/y:1", D2, 2)]


def test_merge_same_image_replaces_reference():
    s = _s(_ev("a/b@" + D1, D1, 1))
    assert im.add_tag_event(s, "t", _ev("c/d@" + D1, D1, 2))
    assert [(e["dockerImageReference"], e["generation"]) for e in im.find_status_tag(s, "t")["items"]] == \
        [("c/d@" + D1, 2)]


def test_merge_different_prepends():
    s = _s(_ev("a/b@" + D1, D1, 1), conditions=COND)
    assert im.add_tag_event(s, "t", _ev("a/b@" + D2, D2, 2))
    st = im.find_status_tag(s, "t")
    assert [e["image"] for e in st["items"]] == [D2, D1]
    assert "conditions" not in st


def test_merge_into_missing_tag():
    s = {"metadata": {"name": "s"}, "status": {}}
    assert im.add_tag_event(s, "new", _ev("a/b@" + D3, D3, 1))
    assert im.latest_event(s, "new")["image"] == D3


# ----------------------------------------------------------------------------------- imagestreamtags
def test_istag_name_without_colon_is_bad_request(api):
    stream(api)
    with pytest.raises(StatusError) as e:
        api.get(im.ISTAGS, NS, "app")
    assert e.value.code == 400


def test_istag_not_found_when_spec_tag_has_no_image(api):
    stream(api, tags=[docker_tag("latest", "quay.io/x/app:1")])
    with pytest.raises(StatusError) as e:
        api.get(im.ISTAGS, NS, "app:latest")
    assert e.value.code == 404
    with pytest.raises(StatusError) as e:
        api.get(im.ISTAGS, NS, "missing:latest")
    assert e.value.code == 404


def test_istag_view(api):
    stream(api, tags=[docker_tag("latest", "quay.io/x/app:1", annotations={"a": "b"},
                                 referencePolicy={"type": "Local"})])
    s = push_event(api, "app", "latest", "quay.io/x/app@" + D1, D1)
    ist = api.get(im.ISTAGS, NS, "app:latest")
    assert ist["kind"] == "ImageStreamTag"
    assert ist["metadata"]["resourceVersion"] == s["metadata"]["resourceVersion"]
    assert ist["metadata"]["uid"] == s["metadata"]["uid"]
    assert ist["metadata"]["annotations"] == {"a": "b"}
    assert ist["tag"]["name"] == "latest"
    assert ist["image"]["metadata"]["name"] == D1
    assert ist["image"]["metadata"]["annotations"]["a"] == "b"
    # Local reference policy: consumers pull through the integrated registry
    assert ist["image"]["dockerImageReference"] == f"{HOST}/{NS}/app@{D1}"
    assert "dockerImageManifest" not in ist["image"]
    listed = api.list(im.ISTAGS, NS)["items"]
    assert [i["metadata"]["name"] for i in listed] == ["app:latest"]


def test_istag_status_only_tag_has_null_tag(api):
    push_event(api, "pushed", "v1", f"{HOST}/{NS}/pushed@{D1}", D1)
    ist = api.get(im.ISTAGS, NS, "pushed:v1")
    assert ist["tag"] is None
    assert ist["image"]["dockerImageReference"] == f"{HOST}/{NS}/pushed@{D1}"


def test_istag_create_creates_stream_and_conflicts(api):
    out = api.create(im.ISTAGS, NS, {"metadata": {"name": "new:1"},
                                     "tag": {"from": {"kind": "DockerImage", "name": "quay.io/x/new:1"}}})
    assert out["metadata"]["name"] == "new:1"
    s = api.get(IS, NS, "new")
    assert tag_of(s, "1")["from"]["name"] == "quay.io/x/new:1"
    with pytest.raises(StatusError) as e:
        api.create(im.ISTAGS, NS, {"metadata": {"name": "new:1"},
                                   "tag": {"from": {"kind": "DockerImage", "name": "quay.io/x/new:2"}}})
    assert e.value.code == 409 and e.value.reason == "AlreadyExists"


def test_istag_update_rules(api):
    s = stream(api, tags=[docker_tag("latest", "quay.io/x/app:1")])
    body = {"metadata": {"name": "app:latest", "resourceVersion": s["metadata"]["resourceVersion"]},
            "tag": {"from": {"kind": "DockerImage", "name": "quay.io/x/app:2"}}}
    api.update(im.ISTAGS, NS, "app:latest", body)
    s2 = api.get(IS, NS, "app")
    assert tag_of(s2, "latest")["from"]["name"] == "quay.io/x/app:2"
    assert tag_of(s2, "latest")["generation"] == s2["metadata"]["generation"] == 2
    # stale resourceVersion: Conflict
    with pytest.raises(StatusError) as e:
        api.update(im.ISTAGS, NS, "app:latest", body)
    assert e.value.code == 409
    # no spec tag and no body.tag: BadRequest
    with pytest.raises(StatusError) as e:
        api.update(im.ISTAGS, NS, "app:none", {"metadata": {"name": "app:none"}})
    assert e.value.code == 400
    # blind update (no resourceVersion) may create a new tag
    api.update(im.ISTAGS, NS, "app:other", {"metadata": {"name": "app:other"},
                                            "tag": {"from": {"kind": "ImageStreamTag", "name": "latest"}}})
    assert tag_of(api.get(IS, NS, "app"), "other") is not None
    # tag.name must match
    with pytest.raises(StatusError) as e:
        api.update(im.ISTAGS, NS, "app:other", {"metadata": {"name": "app:other"},
                                                "tag": {"name": "x", "from": {"kind": "ImageStreamTag",
                                                                              "name": "latest"}}})
    assert e.value.code == 422


def test_istag_delete_removes_spec_and_status(api):
    stream(api, tags=[docker_tag("latest", "quay.io/x/app:1"), docker_tag("keep", "quay.io/x/app:2")])
    push_event(api, "app", "latest", "quay.io/x/app@" + D1, D1)
    push_event(api, "app", "keep", "quay.io/x/app@" + D2, D2)
    out = api.delete(im.ISTAGS, NS, "app:latest")
    assert out["status"] == "Success"
    s = api.get(IS, NS, "app")
    assert tag_of(s, "latest") is None and im.find_status_tag(s, "latest") is None
    assert tag_of(s, "keep") is not None and items(s, "keep")
    with pytest.raises(StatusError) as e:
        api.delete(im.ISTAGS, NS, "app:latest")
    assert e.value.code == 404
    with pytest.raises(StatusError) as e:
        api.delete(im.ISTAGS, NS, "applatest")
    assert e.value.code == 400


def test_imagetag_view(api):
    stream(api, tags=[docker_tag("latest", "quay.io/x/app:1")])
    push_event(api, "app", "latest", "quay.io/x/app@" + D1, D1)
    it = api.get(im.IMAGETAGS, NS, "app:latest")
    assert it["spec"]["name"] == "latest"
    assert it["status"]["items"][0]["image"] == D1
    assert it["image"]["metadata"]["name"] == D1
    assert [i["metadata"]["name"] for i in api.list(im.IMAGETAGS, NS)["items"]] == ["app:latest"]


# ------------------------------------------------------------------ imagestreamimages, images, secrets
def test_imagestreamimage_get(api):
    push_event(api, "app", "latest", "quay.io/x/app@" + D1, D1)
    isimg = api.get(im.ISIMAGES, NS, "app@" + D1)
    assert isimg["kind"] == "ImageStreamImage"
    assert isimg["image"]["metadata"]["name"] == D1
    assert isimg["metadata"]["name"] == "app@" + D1
    with pytest.raises(StatusError) as e:
        api.get(im.ISIMAGES, NS, "app@" + D2)
    assert e.value.code == 404
    with pytest.raises(StatusError) as e:
        api.get(im.ISIMAGES, NS, "app")
    assert e.value.code == 400


def test_image_validation_and_defaults(api):
    img = api.create(im.IMAGES, None, {"metadata": {"name": D3}, "dockerImageReference": "quay.io/x/y@" + D3})
    assert img["dockerImageMetadataVersion"] == "1.0"
    assert "namespace" not in img["metadata"]
    with pytest.raises(StatusError) as e:
        api.create(im.IMAGES, None, {"metadata": {"name": D2}})
    assert e.value.code == 422


def test_imagestream_secrets_subresource(api):
    secrets = catalog.get("", "secrets")
    cfg = '{"auths": {}}'
    import base64
    b64 = base64.b64encode(cfg.encode()).decode()
    api.create(secrets, NS, {"metadata": {"name": "pull"}, "type": "kubernetes.io/dockerconfigjson",
                             "data": {".dockerconfigjson": b64}})
    api.create(secrets, NS, {"metadata": {"name": "old"}, "type": "kubernetes.io/dockercfg",
                             "data": {".dockercfg": base64.b64encode(b"{}").decode()}})
    api.create(secrets, NS, {"metadata": {"name": "hidden", "annotations": {im.ANN_EXCLUDE_SECRET: "true"}},
                             "type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": b64}})
    api.create(secrets, NS, {"metadata": {"name": "opaque"}, "type": "Opaque", "data": {"a": "Yg=="}})
    stream(api)
    out = api.get(IS, NS, "app", subresource="secrets")
    assert out["kind"] == "SecretList"
    assert sorted(s["metadata"]["name"] for s in out["items"]) == ["old", "pull"]


def test_tags_are_a_map_sorted_by_name_last_duplicate_wins(api):
    s = stream(api, tags=[docker_tag("zeta", "quay.io/x/z:1"), docker_tag("alpha", "quay.io/x/a:1"),
                          docker_tag("zeta", "quay.io/x/z:2", reference=True)])
    assert [t["name"] for t in s["spec"]["tags"]] == ["alpha", "zeta"]
    assert tag_of(s, "zeta")["from"]["name"] == "quay.io/x/z:2"
    s = push_event(api, "app", "b", "quay.io/x/b@" + D1, D1)
    assert [t["tag"] for t in s["status"]["tags"]] == ["b", "zeta"]


def test_istag_delete_of_a_tracking_tag(api):
    stream(api, tags=[{"name": "prod", "from": {"kind": "ImageStreamTag", "name": "latest"}}])
    push_event(api, "app", "latest", "quay.io/x/app@" + D1, D1)
    assert api.get(im.ISTAGS, NS, "app:prod")["image"]["metadata"]["name"] == D1
    api.delete(im.ISTAGS, NS, "app:prod")
    s = api.get(IS, NS, "app")
    assert tag_of(s, "prod") is None and im.find_status_tag(s, "prod") is None
    assert items(s, "latest")[0]["image"] == D1


@pytest.mark.parametrize("rt,body", [
    (IS, {"metadata": {"name": "t1"}, "spec": {"tags": "latest"}}),
    (IS, {"metadata": {"name": "t2"}, "spec": {"tags": [{"name": "a", "generation": "1"}]}}),
    (IS, {"metadata": {"name": "t3"}, "spec": {"lookupPolicy": {"local": "true"}}}),
    (im.ISIMPORTS, {"metadata": {"name": "t4"}, "spec": {"images": {"from": {}}}}),
    (im.ISIMPORTS, {"metadata": {"name": ["x"]}, "spec": {"images": []}}),
    (im.ISTAGS, {"metadata": {"name": "t5:x"}, "tag": {"from": "quay.io/a/b:1"}}),
    (im.ISMAPPINGS, {"metadata": {"name": "t6"}, "tag": 1, "image": {}}),
    (im.IMAGES, {"metadata": {"name": D1}, "dockerImageReference": "a/b@" + D1,
                 "dockerImageLayers": [{"name": "x", "size": "big"}]}),
])
def test_wrong_json_types_are_bad_requests(api, rt, body):
    with pytest.raises(StatusError) as e:
        api.create(rt, None if rt is im.IMAGES else NS, body)
    assert e.value.code == 400
    assert e.value.message.startswith("json: cannot unmarshal")


def test_null_list_elements_decode_to_zero_values(api):
    s = stream(api, tags=[docker_tag("a", "quay.io/x/a:1", reference=True)])
    body = copy.deepcopy(s)
    body["status"]["tags"].append(None)     # an empty NamedTagEventList: no items, so it is dropped
    out = api.update(IS, NS, "app", body, subresource="status")
    assert [t["tag"] for t in out["status"]["tags"]] == ["a"]
    with pytest.raises(StatusError) as e:   # a zero-value image spec has no DockerImage source
        api.create(im.ISIMPORTS, NS, {"metadata": {"name": "z"}, "spec": {"images": [None]}})
    assert ("spec.images[0].from.kind", "FieldValueInvalid") in causes_of(e)


def test_empty_tag_list_is_omitted_and_not_a_change(api):
    s = stream(api)
    assert "tags" not in s["spec"]
    body = copy.deepcopy(s)
    body["spec"]["tags"] = []
    out = api.update(IS, NS, "app", body)
    assert out["metadata"]["generation"] == 1
    assert out["metadata"]["resourceVersion"] == s["metadata"]["resourceVersion"]
