"""errors.py: typed errors built from Status bodies and their fail_json kwargs."""
from __future__ import annotations

import json

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import api_errors, errors


def status(code, reason, message, causes=None):
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code, "reason": reason,
            "message": message}
    if causes is not None:
        body["details"] = {"name": "app", "kind": "imagestreams", "causes": causes}
    return json.dumps(body).encode()


@pytest.mark.parametrize("code,cls", [
    (400, errors.BadRequest), (401, errors.Unauthorized), (403, errors.Forbidden), (404, errors.NotFound),
    (405, errors.MethodNotAllowed), (409, errors.Conflict), (410, errors.Gone), (415, errors.UnsupportedMediaType),
    (422, errors.Invalid), (429, errors.TooManyRequests), (500, errors.ServerError), (502, errors.ServerError),
    (503, errors.ServerError), (504, errors.ServerError), (599, errors.ServerError), (418, errors.ApiError),
])
def test_class_per_status(code, cls):
    exc = api_errors.error_for_status(code, status(code, "R", "m"), target="ImageStream demo/app", method="GET")
    assert exc.__class__ is cls and exc.status == code
    assert isinstance(exc, errors.RegistryError)


@pytest.mark.parametrize("method,verb", [("GET", "read"), ("POST", "create"), ("PUT", "replace"),
                                         ("PATCH", "patch"), ("DELETE", "delete"), (None, "access")])
def test_message_names_action_object_reason_and_causes(method, verb):
    causes = [{"field": "spec.tags[0].name", "reason": "FieldValueRequired", "message": "Required value"},
              {"reason": "FieldValueInvalid", "message": "no field"}]
    exc = api_errors.error_for_status(422, status(422, "Invalid", 'ImageStream "app" is invalid', causes),
                                      target="ImageStream demo/app", method=method)
    assert exc.msg.startswith("Failed to %s ImageStream demo/app: HTTP 422 Invalid" % verb)
    assert 'ImageStream "app" is invalid' in exc.msg
    assert "spec.tags[0].name: Required value; no field" in exc.msg
    kwargs = exc.to_fail_kwargs()
    assert kwargs == {"msg": exc.msg, "status": 422, "reason": "Invalid", "causes": causes,
                      "target": "ImageStream demo/app"}


@pytest.mark.parametrize("body,expected", [
    (b"", "HTTP 503"),
    (b"upstream connect error", "upstream connect error"),
    (b"{not json", "{not json"),
    ({"kind": "Status", "reason": "NotFound", "message": "gone"}, "NotFound: gone"),
    (json.dumps({"kind": "Other", "message": "x"}), "HTTP 503"),
])
def test_bodies_that_are_not_status(body, expected):
    exc = api_errors.error_for_status(503, body)
    assert expected in exc.msg and "the API" in exc.msg


def test_conflict_kinds():
    assert api_errors.error_for_status(409, status(409, "AlreadyExists", "x")).already_exists is True
    assert api_errors.error_for_status(409, status(409, "Conflict", "x")).already_exists is False


def test_input_error_names_option():
    exc = errors.InputError("tags[0].from must be set", option="tags")
    assert exc.to_fail_kwargs() == {"msg": "tags[0].from must be set", "option": "tags"}
    assert str(exc) == "tags[0].from must be set"


def test_registry_error_extra_and_timeout():
    assert errors.RegistryError("m", hint="x", none=None).to_fail_kwargs() == {"msg": "m", "hint": "x"}
    exc = errors.ApiTimeout("t", conditions=[], last={"a": 1}, target="Config cluster")
    assert exc.to_fail_kwargs() == {"msg": "t", "conditions": [], "last_state": {"a": 1}, "target": "Config cluster"}
