"""Table-driven tests of spec-tag building and merging (no API)."""
from __future__ import annotations

import copy

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import imagestream as IS
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError

D = "sha256:" + "b" * 64


def tag(**kw):
    base = {"name": "v1", "from_image": None, "from_tag": None, "from_digest": None, "from_namespace": None,
            "reference": False, "reference_policy": None, "scheduled": False, "import_mode": None,
            "insecure": False, "annotations": None}
    base.update(kw)
    return base


@pytest.mark.parametrize("params,expected_from", [
    (tag(from_image="quay.io/ns/app:v1"), {"kind": "DockerImage", "name": "quay.io/ns/app:v1"}),
    (tag(from_tag="v2"), {"kind": "ImageStreamTag", "name": "app:v2"}),
    (tag(from_tag="base:8"), {"kind": "ImageStreamTag", "name": "base:8"}),
    (tag(from_tag="other/base:8"), {"kind": "ImageStreamTag", "name": "base:8", "namespace": "other"}),
    (tag(from_tag="base:8", from_namespace="other"), {"kind": "ImageStreamTag", "name": "base:8", "namespace": "other"}),
    (tag(from_tag="me/base:8"), {"kind": "ImageStreamTag", "name": "base:8"}),
    (tag(from_digest=D), {"kind": "ImageStreamImage", "name": "app@" + D}),
    (tag(from_digest="base@" + D), {"kind": "ImageStreamImage", "name": "base@" + D}),
    (tag(from_image="http://reg.local:5000/a:b", insecure=True), {"kind": "DockerImage", "name": "reg.local:5000/a:b"}),
])
def test_spec_tag_sources(params, expected_from):
    ref = IS.spec_tag_from_params(params, "app", "me", "tags[0]")
    assert ref["from"] == expected_from
    assert ref["referencePolicy"] == {"type": "Source"}


@pytest.mark.parametrize("params,option,needle", [
    (tag(from_image="quay.io/ns/app:v1@" + D), "tags[0].from_image", "both a tag and a digest"),
    (tag(from_image="quay.io/NS/app"), "tags[0].from_image", "upper-case"),
    (tag(from_image="http://reg/a:b"), "tags[0].from_image", "insecure: true"),
    (tag(from_image="https://reg.io/a:b"), "tags[0].from_image", "no scheme"),
    (tag(from_tag="base"), None, None),  # bare tag = same stream, valid
    (tag(from_tag="v1"), "tags[0].from_tag", "cannot follow itself"),
    (tag(from_tag="base:8", scheduled=True), "tags[0].scheduled", "scheduled"),
    (tag(from_tag="base:8", insecure=True), "tags[0].insecure", "insecure"),
    (tag(from_image="quay.io/a:b", reference=True, insecure=True), "tags[0].insecure", "insecure"),
    (tag(from_digest="sha256:12"), "tags[0].from_digest", "not a digest"),
    (tag(name="-bad", from_image="quay.io/a:b"), "tags[0].name", "tag"),
    (tag(from_image="quay.io/a:b", from_namespace="x"), "tags[0].from_namespace", "from_namespace"),
])
def test_spec_tag_bad_input(params, option, needle):
    if option is None:
        IS.spec_tag_from_params(params, "app", "me", "tags[0]")
        return
    with pytest.raises(InputError) as err:
        IS.spec_tag_from_params(params, "app", "me", "tags[0]")
    assert err.value.option == option
    assert needle in err.value.msg


def _live(ref, **server):
    """What the server stores for a tag we wrote: defaults filled in, generation set."""
    out = copy.deepcopy(ref)
    out.setdefault("annotations", None)
    out["generation"] = 2
    out["importPolicy"].setdefault("importMode", "Legacy")
    out.update(server)
    return out


def test_merge_unchanged_returns_live_verbatim():
    want = [IS.spec_tag_from_params(tag(from_image="quay.io/ns/app:v1"), "app", "me")]
    live = [_live(want[0]), {"name": "other", "from": {"kind": "DockerImage", "name": "x/y:z"}, "generation": 1}]
    merged = IS.merge_tags(live, want)
    assert merged == live
    assert merged[0] is live[0]


def test_merge_changed_drops_generation_and_keeps_unlisted():
    want = [IS.spec_tag_from_params(tag(from_image="quay.io/ns/app:v2"), "app", "me")]
    live = [_live(IS.spec_tag_from_params(tag(from_image="quay.io/ns/app:v1"), "app", "me")),
            {"name": "other", "from": {"kind": "DockerImage", "name": "x/y:z"}}]
    merged = IS.merge_tags(live, want)
    assert merged[0]["from"]["name"] == "quay.io/ns/app:v2"
    assert "generation" not in merged[0]
    assert merged[0]["importPolicy"]["importMode"] == "Legacy"  # server default kept
    assert merged[1] is live[1]
    assert [t["name"] for t in IS.merge_tags(live, want, prune=True)] == ["v1"]


def test_merge_appends_new_tags():
    want = [IS.spec_tag_from_params(tag(name="v9", from_tag="v1"), "app", "me")]
    merged = IS.merge_tags([{"name": "v1", "from": {"kind": "DockerImage", "name": "a/b:c"}}], want)
    assert [t["name"] for t in merged] == ["v1", "v9"]


@pytest.mark.parametrize("change,due", [
    ({}, False),
    ({"from": {"kind": "DockerImage", "name": "quay.io/ns/app:v2"}}, True),
    ({"importPolicy": {"insecure": True, "scheduled": False}}, True),
    ({"importPolicy": {"insecure": False, "scheduled": True}}, False),
    ({"referencePolicy": {"type": "Local"}}, False),
    ({"reference": True}, False),
])
def test_tag_changed_for_import(change, due):
    base = _live(IS.spec_tag_from_params(tag(from_image="quay.io/ns/app:v1"), "app", "me"))
    new = copy.deepcopy(base)
    new.update(change)
    assert IS.tag_changed_for_import([base], new) is due


def test_new_docker_tag_is_due():
    ref = IS.spec_tag_from_params(tag(from_image="quay.io/ns/app:v1"), "app", "me")
    assert IS.tag_changed_for_import([], ref) is True


def test_stream_size_counts_shared_layers_once():
    from ansible_collections.ocp.registry.plugins.module_utils.imagestream_info import describe_stream, image_layers
    a = image_layers({"dockerImageLayers": [{"name": "l1", "size": 10}, {"name": "l2", "size": 5}]})
    b = image_layers({"dockerImageLayers": [{"name": "l1", "size": 10}, {"name": "l3", "size": 1}]})
    c = image_layers({"metadata": {"name": "sha256:c"}, "dockerImageMetadata": {"Size": 7}})
    assert image_layers({}) is None and image_layers(None) is None
    stream = {"metadata": {"name": "s"}, "spec": {"tags": []}, "status": {"tags": [
        {"tag": "x", "items": [{"image": "A"}, {"image": "B"}]}, {"tag": "y", "items": [{"image": "C"}]}]}}
    out = describe_stream(stream, {"A": a, "B": b, "C": c})
    assert out["size"] == 10 + 5 + 1 + 7
    assert [t["size"] for t in out["tags"]] == [15, 7]
    assert out["unique_images"] == 3
