# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Keep secret strings out of results and messages: the marker, scrubbing, secrets found in a kubeconfig.

Every module run scrubs its result; path-based redaction of objects (redact.py) is loaded only by the
modules that need it.
"""

from __future__ import annotations

from typing import Any, Iterable

__all__ = ["MARKER", "scrub_strings", "kubeconfig_secrets"]

MARKER = "VALUE_REDACTED"


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
