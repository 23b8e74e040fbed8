"""Unit tests for module_utils/labels.py: label keys, values and the label selector grammar."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import labels
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError


@pytest.mark.parametrize("text", [
    "a=b", "a==b", "a!=b", "a", "!a", "a in (x,y)", "a notin (x)", "a=b,c in (d, e),!f", "example.com/app=web",
    "a=", "a>3", "a<-1", " a = b ", "app.kubernetes.io/name in (web)",
])
def test_valid_selectors(text):
    labels.validate_selector(text, "label_selectors")


@pytest.mark.parametrize("text,reason", [
    ("a=b=c", "between requirements"),
    ("a b", "unexpected 'b'"),
    ("=b", "expected a label key"),
    ("a in ()", "empty set"),
    ("a in x", "expected '('"),
    ("a in (x", "in the set of"),
    ("!a=b", "takes no operator"),
    ("a=b,", "expected a label key"),
    ("Bad_/x=y", "prefix"),
    ("a=-x", "value '-x'"),
    ("a>b", "integer"),
    ("-a=b", "key '-a'"),
    ("a=" + "x" * 64, "63"),
])
def test_invalid_selectors_name_the_option(text, reason):
    with pytest.raises(InputError) as err:
        labels.validate_selector(text, "label_selectors")
    assert err.value.option == "label_selectors"
    assert str(err.value.msg).startswith("label_selectors: ")
    assert reason in err.value.msg


@pytest.mark.parametrize("key,ok", [
    ("app", True), ("example.com/app", True), ("A_b.c-d", True), ("/app", False), ("Example.com/app", False),
    ("bad key!", False), ("x" * 63, True), ("x" * 64, False), ("a/b/c", False),
])
def test_key_problem(key, ok):
    assert (labels.key_problem(key) is None) is ok


def test_value_problem():
    assert labels.value_problem("") is None
    assert labels.value_problem("v1.2_x-y") is None
    assert labels.value_problem("has space")
