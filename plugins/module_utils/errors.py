# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Typed errors of the client layer; ``RegistryError.to_fail_kwargs()`` is the one error path."""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "RegistryError",
    "InputError",
    "ConnectionConfigError",
    "ApiError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "MethodNotAllowed",
    "Conflict",
    "Gone",
    "Invalid",
    "UnsupportedMediaType",
    "TooManyRequests",
    "ServerError",
    "ApiTimeout",
    "error_for_status",
]


class RegistryError(Exception):
    """Base of every expected error; carries a user-facing ``msg``.

    ``extra`` holds the further ``fail_json`` keys (None values are left out); subclasses put their own
    fields there too, so ``to_fail_kwargs`` is written once.
    """

    def __init__(self, msg: str, **extra: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.extra = dict(extra)

    def to_fail_kwargs(self) -> dict:
        """Keyword arguments for ``AnsibleModule.fail_json``."""
        kwargs = {"msg": self.msg}
        kwargs.update((key, value) for key, value in self.extra.items() if value is not None)
        return kwargs

    def __str__(self) -> str:
        return self.msg


class InputError(RegistryError):
    """Bad module input, found before anything was written; ``option`` names the option."""

    def __init__(self, msg: str, option: str | None = None, **extra: Any) -> None:
        super().__init__(msg, option=option or None, **extra)
        self.option = option


class ConnectionConfigError(RegistryError):
    """The kubeconfig, the auth options or the transport settings cannot be used."""


class ApiError(RegistryError):
    """An error answer from the API server (a ``Status`` object when the server sent one)."""

    status: int = 0

    def __init__(
        self,
        msg: str,
        status: int | None = None,
        reason: str | None = None,
        message: str | None = None,
        causes: list | None = None,
        target: str | None = None,
        details: dict | None = None,
        retry_after: float | None = None,
    ) -> None:
        status = self.status if status is None else status
        super().__init__(msg, status=status, reason=reason or None, causes=causes or None, target=target or None)
        self.status = status
        self.reason = reason
        self.message = message
        self.causes = causes or []
        self.target = target
        self.details = details or {}
        self.retry_after = retry_after


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class MethodNotAllowed(ApiError):
    status = 405


class Conflict(ApiError):
    """409: ``reason`` is ``AlreadyExists`` (create) or ``Conflict`` (stale resourceVersion)."""

    status = 409

    @property
    def already_exists(self) -> bool:
        return self.reason == "AlreadyExists"


class Gone(ApiError):
    status = 410


class Invalid(ApiError):
    """422: ``causes`` lists ``{field, reason, message}``."""

    status = 422


class UnsupportedMediaType(ApiError):
    status = 415


class ServerError(ApiError):
    """5xx after the retries ran out."""

    status = 500


class TooManyRequests(ServerError):
    """429 still returned after the retries ran out (also a ServerError for callers)."""

    status = 429


class ApiTimeout(RegistryError):
    """A request timed out, or a wait ran out of time (``conditions``/``last`` when known)."""

    def __init__(self, msg: str, conditions: list | None = None, last: Any = None, target: str | None = None) -> None:
        super().__init__(msg, conditions=conditions, last_state=last, target=target or None)
        self.conditions = conditions
        self.last = last
        self.target = target


_BY_STATUS = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    410: Gone,
    415: UnsupportedMediaType,
    422: Invalid,
    429: TooManyRequests,
}

_VERBS = {"GET": "read", "POST": "create", "PUT": "replace", "PATCH": "patch", "DELETE": "delete"}


def _format_causes(causes: list) -> str:
    parts = []
    for cause in causes[:10]:
        field = cause.get("field")
        text = cause.get("message") or cause.get("reason") or ""
        parts.append("%s: %s" % (field, text) if field else text)
    return "; ".join(p for p in parts if p)


def error_for_status(
    status: int,
    body: bytes | str | dict | None,
    target: str | None = None,
    method: str | None = None,
    retry_after: float | None = None,
) -> ApiError:
    """Build the typed error for an HTTP error answer, parsing a ``Status`` body when there is one."""
    parsed: dict = {}
    if isinstance(body, dict):
        parsed = body
    elif body:
        try:
            loaded = json.loads(body)
            if isinstance(loaded, dict):
                parsed = loaded
        except ValueError:
            parsed = {}
    reason = parsed.get("reason") if parsed.get("kind") == "Status" else None
    message = parsed.get("message") if parsed.get("kind") == "Status" else None
    details = parsed.get("details") if isinstance(parsed.get("details"), dict) else {}
    causes = [c for c in (details.get("causes") or []) if isinstance(c, dict)]
    if message is None and body and not parsed:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        message = text.strip()[:500] or None
    if status >= 500:
        cls = ServerError
    else:
        cls = _BY_STATUS.get(status, ApiError)
    action = _VERBS.get((method or "").upper(), "access")
    what = target or "the API"
    msg = "Failed to %s %s: HTTP %d" % (action, what, status)
    if reason:
        msg += " %s" % reason
    if message:
        msg += ": %s" % message
    cause_text = _format_causes(causes)
    if cause_text and cause_text not in (message or ""):
        msg += " (%s)" % cause_text
    return cls(msg, status=status, reason=reason, message=message, causes=causes, target=target,
               details=details, retry_after=retry_after)
