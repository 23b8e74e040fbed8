"""Trigger annotation helpers: fieldPath per kind and the silent failure modes (image-api.md section 6)."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import trigger as T

DEPLOY = {"spec": {"template": {"spec": {"containers": [{"name": "web"}, {"name": "side"}],
                                         "initContainers": [{"name": "init"}]}}}}
CRON = {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job"}]}}}}}}


@pytest.mark.parametrize("kind,container,init,expected", [
    ("Deployment", "web", False, 'spec.template.spec.containers[?(@.name=="web")].image'),
    ("StatefulSet", "web", False, 'spec.template.spec.containers[?(@.name=="web")].image'),
    ("DaemonSet", "init", True, 'spec.template.spec.initContainers[?(@.name=="init")].image'),
    ("CronJob", "job", False, 'spec.jobTemplate.spec.template.spec.containers[?(@.name=="job")].image'),
])
def test_field_path(kind, container, init, expected):
    assert T.field_path(kind, container, init) == expected


GOOD = {"from": {"kind": "ImageStreamTag", "name": "ubi:8"},
        "fieldPath": 'spec.template.spec.containers[?(@.name=="web")].image'}


@pytest.mark.parametrize("entry,kind,obj,container,needle", [
    (GOOD, "Deployment", DEPLOY, "web", None),
    (dict(GOOD, fieldPath="spec.template.spec.containers[1].image"), "Deployment", DEPLOY, "side", None),
    (dict(GOOD, pause="false"), "Deployment", DEPLOY, "web", "'pause' is unknown"),
    (dict(GOOD, paused="false"), "Deployment", DEPLOY, "web", "not a boolean"),
    (dict(GOOD, **{"from": {"kind": "ImageStreamTag", "name": "ubi"}}), "Deployment", DEPLOY, "web", "has no ':'"),
    (dict(GOOD, **{"from": {"kind": "DockerImage", "name": "a:b"}}), "Deployment", DEPLOY, "web", "only ImageStreamTag"),
    (dict(GOOD, **{"from": {"kind": "ImageStreamTag", "name": "a:b", "apiVersion": "v1"}}), "Deployment", DEPLOY,
     "web", "apiVersion"),
    (dict(GOOD, fieldPath="spec.containers[0].image"), "Deployment", DEPLOY, None, "does not start with"),
    (GOOD, "CronJob", CRON, None, "does not start with"),
    (dict(GOOD, fieldPath="spec.template.spec.containers[?(@.name == 'web')].image"), "Deployment", DEPLOY, None,
     "selector"),
    (dict(GOOD, fieldPath='spec.template.spec.containers[?(@.name=="nope")].image'), "Deployment", DEPLOY, None,
     "does not have"),
    (dict(GOOD, fieldPath="spec.template.spec.containers[5].image"), "Deployment", DEPLOY, None, "no containers[5]"),
    (dict(GOOD, fieldPath='spec.template.spec.containers[?(@.name=="web")].name'), "Deployment", DEPLOY, None,
     "must end in"),
])
def test_check_entry(entry, kind, obj, container, needle):
    got, problems = T.check_entry(entry, kind, obj)
    assert got == container
    if needle is None:
        assert problems == []
    else:
        assert any(needle in p for p in problems), problems


@pytest.mark.parametrize("raw,n,broken", [
    (None, 0, False), ("", 0, False), ("[]", 0, False), ('[{"a":1}]', 1, False), ("{}", 0, True), ("[", 0, True),
])
def test_parse_annotation(raw, n, broken):
    obj = {"metadata": {"annotations": {T.ANNOTATION: raw} if raw is not None else {}}}
    entries, problem = T.parse_annotation(obj)
    assert len(entries) == n
    assert bool(problem) is broken
