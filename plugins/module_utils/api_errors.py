# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Turn an HTTP error answer (a ``Status`` body, or any text) into the typed exception from errors.py.

Only a run that gets an error answer needs this, so it is kept out of errors.py (imported by every run).
"""

from __future__ import annotations

import json

from ansible_collections.ocp.registry.plugins.module_utils.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    Invalid,
    MethodNotAllowed,
    NotFound,
    ServerError,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
)

__all__ = ["error_for_status"]

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
