# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Typed errors of the client layer; ``RegistryError.to_fail_kwargs()`` is the one error path."""

from __future__ import annotations

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
