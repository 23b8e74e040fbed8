# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Secret redaction for results and diffs."""

from __future__ import annotations

import copy
import hashlib
import hmac
import os
from typing import Any, Iterable

__all__ = [
    "MARKER",
    "redact_value",
    "redact_paths",
    "is_redacted",
    "scrub_strings",
    "kubeconfig_secrets",
    "normalize_path",
]

MARKER = "VALUE_REDACTED"

# Per-process random key: equal values give equal markers inside one run (so a diff shows a changed
# secret as changed), but the marker cannot be brute-forced offline back to a weak secret.
_KEY = os.urandom(32)


def redact_value(value: Any) -> str:
    """A fixed marker plus a keyed digest of the value, never the value itself."""
    if isinstance(value, (dict, list)):
        import json

        raw = json.dumps(value, sort_keys=True).encode("utf-8")
    elif isinstance(value, bytes):
        raw = value
    else:
        raw = str(value).encode("utf-8")
    digest = hmac.new(_KEY, raw, hashlib.sha256).hexdigest()[:12]
    return "%s (%s)" % (MARKER, digest)


def is_redacted(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(MARKER)


def normalize_path(spec: Any) -> tuple:
    """``"data"`` / ``"spec.auth.password"`` / ``("spec", "auth")`` -> tuple of keys."""
    if isinstance(spec, str):
        return tuple(spec.split("."))
    return tuple(spec)


def _redact_at(obj: Any, keys: tuple) -> None:
    if not isinstance(obj, dict) or not keys:
        return
    head, rest = keys[0], keys[1:]
    if head not in obj:
        return
    if rest:
        _redact_at(obj[head], rest)
        return
    value = obj[head]
    if isinstance(value, dict):
        obj[head] = {k: (v if v is None else redact_value(v)) for k, v in value.items()}
    elif value is not None:
        obj[head] = redact_value(value)


def redact_paths(obj: Any, paths: Iterable[Any]) -> Any:
    """A deep copy of ``obj`` with the values at ``paths`` replaced by markers.

    A path naming a dict (such as a Secret's ``data``) redacts each value of that dict, so key names stay
    visible. Objects in a ``List`` (``items``) are handled too.
    """
    paths = [normalize_path(p) for p in (paths or ())]
    if obj is None or not paths:
        return copy.deepcopy(obj)
    out = copy.deepcopy(obj)
    targets = out if isinstance(out, list) else [out]
    for target in targets:
        for keys in paths:
            _redact_at(target, keys)
    return out


def scrub_strings(obj: Any, secrets: Iterable[str]) -> Any:
    """Replace every occurrence of the given secret strings inside ``obj`` (deep copy)."""
    secrets = sorted({s for s in secrets if isinstance(s, str) and len(s) >= 4}, key=len, reverse=True)
    if not secrets:
        return obj

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            for secret in secrets:
                if secret in value:
                    value = value.replace(secret, MARKER)
            return value
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        return value

    return walk(obj)


_KUBECONFIG_SECRET_KEYS = (
    "token", "password", "client-key-data", "client-certificate-data", "id-token", "refresh-token",
    "access-token", "client-secret",
)


def kubeconfig_secrets(config: Any) -> set:
    """Secret strings found in a kubeconfig given as a dict (tokens, passwords, keys, exec env values)."""
    found: set = set()
    if not isinstance(config, dict):
        return found
    for entry in config.get("users") or []:
        user = (entry or {}).get("user") if isinstance(entry, dict) else None
        if not isinstance(user, dict):
            continue
        for key in _KUBECONFIG_SECRET_KEYS:
            if isinstance(user.get(key), str) and user[key]:
                found.add(user[key])
        provider = user.get("auth-provider")
        if isinstance(provider, dict) and isinstance(provider.get("config"), dict):
            for key, value in provider["config"].items():
                if isinstance(value, str) and value and key in _KUBECONFIG_SECRET_KEYS:
                    found.add(value)
        exec_conf = user.get("exec")
        if isinstance(exec_conf, dict):
            for env in exec_conf.get("env") or []:
                # env values are often harmless ("true", "us-east-1"): only long ones are treated as secrets
                if isinstance(env, dict) and isinstance(env.get("value"), str) and len(env["value"]) >= 8:
                    found.add(env["value"])
    return found
