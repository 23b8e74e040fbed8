"""StatusError and constructors whose Status bodies match kube-apiserver's (k8s.io/apimachinery errors)."""
from __future__ import annotations

import json
from typing import Any, Iterable


class StatusError(Exception):
    """An API error carrying a metav1.Status body."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def to_status(self) -> dict:
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            status["details"] = self.details
        status["code"] = self.code
        return status

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"StatusError({self.code}, {self.reason!r}, {self.message!r})"


def _qualified(rt) -> str:
    """`configs.imageregistry.operator.openshift.io` or plain `secrets` for the core group."""
    return f"{rt.plural}.{rt.group}" if rt.group else rt.plural


def _details(rt, name: str | None, kind: str | None = None, causes: list | None = None) -> dict:
    d: dict[str, Any] = {}
    if name:
        d["name"] = name
    if rt is not None and rt.group:
        d["group"] = rt.group
    d["kind"] = kind if kind is not None else (rt.plural if rt is not None else "")
    if causes:
        d["causes"] = causes
    return d


def not_found(rt, name: str) -> StatusError:
    return StatusError(404, "NotFound", f'{_qualified(rt)} "{name}" not found', _details(rt, name))


def namespace_not_found(name: str) -> StatusError:
    return StatusError(404, "NotFound", f'namespaces "{name}" not found', {"name": name, "kind": "namespaces"})


def path_not_found() -> StatusError:
    return StatusError(404, "NotFound", "the server could not find the requested resource", {})


def already_exists(rt, name: str) -> StatusError:
    return StatusError(409, "AlreadyExists", f'{_qualified(rt)} "{name}" already exists', _details(rt, name))


def conflict(rt, name: str,
             why: str = "the object has been modified; please apply your changes to the latest version and try again") -> StatusError:
    return StatusError(409, "Conflict", f'Operation cannot be fulfilled on {_qualified(rt)} "{name}": {why}',
                       _details(rt, name))


def cause(field: str, reason: str, message: str) -> dict:
    return {"reason": reason, "message": message, "field": field}


def _fmt(value: Any) -> str:
    """Render a value like Go's field.Invalid does (%q for strings, %v otherwise)."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def invalid_value(field: str, value: Any, detail: str) -> dict:
    msg = f"Invalid value: {_fmt(value)}"
    if detail:
        msg += f": {detail}"
    return cause(field, "FieldValueInvalid", msg)


def required_value(field: str, detail: str = "") -> dict:
    return cause(field, "FieldValueRequired", "Required value" + (f": {detail}" if detail else ""))


def unsupported_value(field: str, value: Any, supported: Iterable[Any]) -> dict:
    sup = ", ".join(_fmt(v) for v in supported)
    return cause(field, "FieldValueNotSupported", f"Unsupported value: {_fmt(value)}: supported values: {sup}")


def type_invalid(field: str, value: Any, detail: str) -> dict:
    return cause(field, "FieldValueTypeInvalid", f"Invalid value: {_fmt(value)}: {detail}")


def duplicate_value(field: str, value: Any) -> dict:
    return cause(field, "FieldValueDuplicate", f"Duplicate value: {_fmt(value)}")


def forbidden_field(field: str, detail: str) -> dict:
    return cause(field, "FieldValueForbidden", f"Forbidden: {detail}")


def too_long(field: str, value: Any, limit: int) -> dict:
    return cause(field, "FieldValueTooLong", f"Too long: may not be more than {limit} bytes")


def too_many(field: str, actual: int, limit: int) -> dict:
    return cause(field, "FieldValueTooMany", f"Too many: {actual}: must have at most {limit} items")


def invalid(rt, name: str, causes: list[dict]) -> StatusError:
    """422 Invalid: `Kind.group "name" is invalid: field: message[, ...]`."""
    kind_q = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
    parts = [f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes]
    summary = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    return StatusError(422, "Invalid", f'{kind_q} "{name}" is invalid: {summary}',
                       _details(rt, name, kind=rt.kind, causes=causes))


def unprocessable(message: str) -> StatusError:
    """422 for a JSON patch op that cannot be applied (failed `test`, missing path).

    kube-apiserver builds it with NewGenericServerResponse(422, ..., isUnexpectedResponse=false), which
    drops the json-patch library's message: the body has empty details. The message is kept on the
    exception (`.detail`) for the simulator's own diagnostics only.
    """
    err = StatusError(422, "Invalid", "the server rejected our request due to an error in our request", {})
    err.detail = message
    return err


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def unauthorized() -> StatusError:
    return StatusError(401, "Unauthorized", "Unauthorized")


def forbidden(rt, name: str | None, user: str, verb: str, namespace: str | None,
              subresource: str | None = None) -> StatusError:
    res = rt.plural + (f"/{subresource}" if subresource else "")
    head = f'{_qualified(rt)} "{name}"' if name else _qualified(rt)
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    msg = (f'{head} is forbidden: User "{user}" cannot {verb} resource "{res}" '
           f'in API group "{rt.group}" {where}')
    return StatusError(403, "Forbidden", msg, _details(rt, name))


def forbidden_message(message: str, details: dict | None = None) -> StatusError:
    return StatusError(403, "Forbidden", message, details if details is not None else {})


def method_not_allowed() -> StatusError:
    return StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
                       {})


def unsupported_media_type(content_type: str,
                           accepted: Iterable[str] = ("application/json-patch+json",
                                                      "application/merge-patch+json",
                                                      "application/apply-patch+yaml")) -> StatusError:
    return StatusError(415, "UnsupportedMediaType",
                       f"the body of the request was in an unknown format - accepted media types include: "
                       f"{', '.join(accepted)}", {})


def not_acceptable() -> StatusError:
    return StatusError(406, "NotAcceptable", "only the following media types are accepted: application/json, "
                       "application/yaml, application/vnd.kubernetes.protobuf", {})


def gone(message: str) -> StatusError:
    return StatusError(410, "Expired", message)


def too_many_requests(retry_after: int | None = None) -> StatusError:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    details = {"retryAfterSeconds": retry_after} if retry_after is not None else {}
    return StatusError(429, "TooManyRequests", "the server has received too many requests and has asked us "
                       "to try again later", details, headers)


def internal_error(message: str) -> StatusError:
    return StatusError(500, "InternalError", f"Internal error occurred: {message}",
                       {"causes": [{"message": message}]})


_GENERIC = {
    400: ("BadRequest", "the server rejected our request for an unknown reason"),
    401: ("Unauthorized", "Unauthorized"),
    403: ("Forbidden", "forbidden: injected fault"),
    404: ("NotFound", "the server could not find the requested resource"),
    405: ("MethodNotAllowed", "the server does not allow this method on the requested resource"),
    409: ("Conflict", "the server reported a conflict"),
    410: ("Expired", "the resource version is too old"),
    415: ("UnsupportedMediaType", "the body of the request was in an unknown format"),
    422: ("Invalid", "the server rejected our request due to an error in our request"),
    500: ("InternalError", "Internal error occurred: injected fault"),
    502: ("InternalError", "an error on the server (\"Bad Gateway\") has prevented the request from succeeding"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    504: ("Timeout", "Timeout: request did not complete within requested timeout - context deadline exceeded"),
}


def from_code(code: int, retry_after: int | None = None, message: str | None = None) -> StatusError:
    """A Status for an injected fault with the given HTTP code, worded like the real server's."""
    if code == 429:
        err = too_many_requests(retry_after)
        if message:
            err.message = message
        return err
    reason, default = _GENERIC.get(code, ("InternalError" if code >= 500 else "Unknown",
                                          f"the server responded with the status code {code} but did not return "
                                          "more information"))
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    details = {"retryAfterSeconds": retry_after} if retry_after is not None else {}
    return StatusError(code, reason, message or default, details, headers)
