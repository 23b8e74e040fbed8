"""redact.py: markers, path redaction, string scrubbing, kubeconfig secrets."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.redact import (
    MARKER,
    is_redacted,
    kubeconfig_secrets,
    normalize_path,
    redact_paths,
    redact_value,
    scrub_strings,
)


def test_marker_is_stable_per_value_and_hides_it():
    assert redact_value("hunter22") == redact_value("hunter22")
    assert redact_value("hunter22") != redact_value("hunter23")
    assert "hunter22" not in redact_value("hunter22") and is_redacted(redact_value("hunter22"))
    assert redact_value({"a": 1}) == redact_value({"a": 1})
    assert redact_value(b"x") == redact_value("x")


@pytest.mark.parametrize("spec,expected", [
    ("data", ("data",)), ("spec.auth.password", ("spec", "auth", "password")), (("a", "b"), ("a", "b")),
])
def test_normalize_path(spec, expected):
    assert normalize_path(spec) == expected


def test_redact_paths_dict_values_and_leaves():
    obj = {"data": {"user": "dXNlcg==", "pass": "cGFzcw==", "none": None}, "spec": {"auth": {"password": "pw"}},
           "keep": "visible"}
    out = redact_paths(obj, ("data", "spec.auth.password", "missing.path", "keep.deeper"))
    assert set(out["data"]) == {"user", "pass", "none"} and out["data"]["none"] is None
    assert all(is_redacted(v) for k, v in out["data"].items() if k != "none")
    assert is_redacted(out["spec"]["auth"]["password"]) and out["keep"] == "visible"
    assert obj["data"]["user"] == "dXNlcg=="  # input untouched
    assert redact_paths(None, ("data",)) is None
    assert redact_paths(obj, ()) == obj
    listed = redact_paths([{"data": {"a": "x"}}, {"data": {"a": "y"}}], ("data",))
    assert all(is_redacted(i["data"]["a"]) for i in listed)


def test_scrub_strings():
    obj = {"msg": "token abcdef123 failed", "list": ["abcdef123", 5, None], "nested": {"k": ("abcdef123",)}}
    out = scrub_strings(obj, {"abcdef123", "", None, "ab"})  # too short values are ignored
    assert out == {"msg": "token %s failed" % MARKER, "list": [MARKER, 5, None], "nested": {"k": [MARKER]}}
    assert scrub_strings(obj, set()) is obj


def test_kubeconfig_secrets():
    kc = {"users": [
        {"name": "a", "user": {"token": "tok-1", "client-key-data": "S0VZ", "username": "bob", "password": "pw-1"}},
        {"name": "b", "user": {"auth-provider": {"name": "oidc", "config": {"id-token": "idt", "refresh-token": "rt",
                                                                            "client-id": "public-id"}}}},
        {"name": "c", "user": {"exec": {"command": "x", "env": [{"name": "K", "value": "long-secret-value"},
                                                                {"name": "S", "value": "short"}]}}},
        {"name": "d"}, "junk",
    ]}
    assert kubeconfig_secrets(kc) == {"tok-1", "S0VZ", "pw-1", "idt", "rt", "long-secret-value"}
    assert kubeconfig_secrets("/path/to/config") == set()
