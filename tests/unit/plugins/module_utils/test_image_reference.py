"""Table-driven tests of image reference parsing (pull specs, stream:tag, stream@digest)."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError
from ansible_collections.ocp.registry.plugins.module_utils import image_reference as ir
from ansible_collections.ocp.registry.plugins.module_utils import stream_reference as sr

D = "sha256:" + "a" * 64

GOOD_SPECS = [
    ("quay.io/ns/repo:tag", ("quay.io", "ns/repo", "tag", None)),
    ("registry.example.com:5000/ns/repo@" + D, ("registry.example.com:5000", "ns/repo", None, D)),
    ("127.0.0.1:5443/demo/app:latest", ("127.0.0.1:5443", "demo/app", "latest", None)),
    ("localhost/app", ("localhost", "app", None, None)),
    ("openshift/deployment-example@" + D, ("", "openshift/deployment-example", None, D)),
    ("docker.io/openshift/deployment-example:v1", ("docker.io", "openshift/deployment-example", "v1", None)),
    ("busybox", ("", "busybox", None, None)),
    ("a/b/c/d_e__f-g.h:1.0-rc_1", ("", "a/b/c/d_e__f-g.h", "1.0-rc_1", None)),
    ("[::1]:5000/app:v1", ("[::1]:5000", "app", "v1", None)),
]

BAD_SPECS = [
    ("", "empty"),
    ("quay.io/ns/repo:tag@" + D, "both a tag and a digest"),
    ("quay.io/NS/repo:tag", "upper-case"),
    ("quay.io/ns/repo:", "not a valid tag"),
    ("quay.io/ns/repo:-bad", "not a valid tag"),
    ("quay.io/ns/repo@sha256:abc", "not a digest"),
    ("quay.io/ns/repo@sha256:" + "A" * 64, "64 lowercase"),
    ("https://quay.io/ns/repo:tag", "no scheme"),
    ("quay.io//repo", "path component"),
    ("bad_host.io/ns/repo", "registry host"),
    (" quay.io/ns/repo", "whitespace"),
    ("quay.io/", "empty"),
]


@pytest.mark.parametrize("spec,expected", GOOD_SPECS)
def test_parse_pull_spec_good(spec, expected):
    ref = ir.parse_pull_spec(spec)
    assert tuple(ref) == expected
    assert str(ref) == spec


@pytest.mark.parametrize("spec,needle", BAD_SPECS)
def test_parse_pull_spec_bad(spec, needle):
    with pytest.raises(InputError) as err:
        ir.parse_pull_spec(spec, option="tags[0].from_image")
    assert needle in err.value.msg
    assert err.value.option == "tags[0].from_image"
    assert err.value.msg.startswith("tags[0].from_image:")


def test_scheme_allowed_when_asked():
    assert ir.parse_pull_spec("http://reg.local:5000/a:b", allow_scheme=True).registry == "reg.local:5000"


def test_with_digest():
    ref = ir.parse_pull_spec("quay.io/ns/repo:8")
    assert ref.with_digest(D) == "quay.io/ns/repo@" + D
    assert ref.name == "quay.io/ns/repo"


@pytest.mark.parametrize("value,kwargs,expected", [
    ("app:v1", {}, (None, "app", "v1")),
    ("other/app:v1", {"default_namespace": "me"}, ("other", "app", "v1")),
    ("app:v1", {"default_namespace": "me"}, ("me", "app", "v1")),
    ("v1", {"default_stream": "app"}, (None, "app", "v1")),
])
def test_parse_stream_tag_good(value, kwargs, expected):
    assert tuple(sr.parse_stream_tag(value, **kwargs)) == expected


@pytest.mark.parametrize("value,needle", [
    ("app", "has no ':'"),
    ("app@" + D, "contains a digest"),
    ("App:v1", "lowercase"),
    ("a/b/c:v1", "[namespace/]stream"),
    ("app:", "a tag is"),
    ("", "empty"),
])
def test_parse_stream_tag_bad(value, needle):
    with pytest.raises(InputError) as err:
        sr.parse_stream_tag(value, option="from_tag")
    assert needle in err.value.msg


@pytest.mark.parametrize("value,expected", [
    (D, (None, None, D)),
    ("app@" + D, (None, "app", D)),
    ("ns/app@" + D, ("ns", "app", D)),
])
def test_parse_stream_image_good(value, expected):
    assert tuple(sr.parse_stream_image(value)) == expected


@pytest.mark.parametrize("value,needle", [
    ("app@sha256:12", "not a digest"),
    ("app:v1@" + D, "both a tag and a digest"),
    ("latest", "not a digest"),
])
def test_parse_stream_image_bad(value, needle):
    with pytest.raises(InputError) as err:
        sr.parse_stream_image(value)
    assert needle in err.value.msg


@pytest.mark.parametrize("value,ok", [("my-app", True), ("a.b_c", True), ("My", False), ("-a", False), ("", False),
                                      ("a" * 256, False)])
def test_validate_name(value, ok):
    if ok:
        assert ir.validate_name(value) == value
    else:
        with pytest.raises(InputError):
            ir.validate_name(value)
