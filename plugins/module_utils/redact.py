# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Secret redaction for results and diffs: values at known paths replaced by a keyed marker."""

from __future__ import annotations

import copy
import hashlib
import hmac
import os
from typing import Any, Iterable

# Re-exported: the scrubbing half is separate because every module run needs it and few need path redaction.
from ansible_collections.ocp.registry.plugins.module_utils.scrub import MARKER, kubeconfig_secrets, scrub_strings

__all__ = [
    "MARKER",
    "redact_value",
    "redact_paths",
    "is_redacted",
    "scrub_strings",
    "kubeconfig_secrets",
    "normalize_path",
]

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
