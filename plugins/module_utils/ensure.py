# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Write only on difference: compare managed fields, merge-patch what differs, check mode, diff, redaction.

Only keys present in the desired skeleton are managed; dicts are compared recursively and lists as whole
values. A key set to ``REMOVE`` is deleted from the live object (a ``null`` in the merge patch).
"""

from __future__ import annotations

import copy
from typing import Any, Iterable

from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.errors import Conflict, InputError, RegistryError
from ansible_collections.ocp.registry.plugins.module_utils.redact import redact_paths

__all__ = [
    "REMOVE",
    "ABSENT",
    "Required",
    "ensure_present",
    "ensure_absent",
    "ensure_many_present",
    "compute_patch",
    "apply_patch",
    "managed_view",
    "strip_remove",
    "CONFLICT_ATTEMPTS",
]

CONFLICT_ATTEMPTS = 5


class _Remove:
    """Sentinel: "this key must not exist"."""

    _instance = None

    def __new__(cls) -> "_Remove":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "REMOVE"

    def __deepcopy__(self, memo: dict) -> "_Remove":
        return self

    def __copy__(self) -> "_Remove":
        return self


REMOVE = _Remove()


class _Absent:
    """Sentinel for ``live=``: "already read, and it does not exist" (None means "not read")."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


class Required(dict):
    """A desired dict whose key must exist on the object even when it names no field.

    A plain empty dict manages nothing; ``Required({})`` makes the key's presence itself the managed
    value (``storage: {emptyDir: {}}`` selects a backend). Named fields are still compared one by one.
    """


Desired = Any  # dict skeleton, or callable(live_or_None) -> dict skeleton

_SERVER_METADATA = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink",
                    "deletionTimestamp", "deletionGracePeriodSeconds")


def strip_remove(desired: Any) -> Any:
    """The skeleton without REMOVE keys (what a create sends)."""
    if isinstance(desired, dict):
        return {k: strip_remove(v) for k, v in desired.items() if v is not REMOVE}
    if isinstance(desired, list):
        return [strip_remove(v) for v in desired]
    return desired


def _equal(a: Any, b: Any) -> bool:
    """Deep equality where booleans never equal numbers (Python says True == 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return a == b


def compute_patch(live: dict | None, desired: dict) -> dict:
    """RFC 7386 merge patch taking ``live`` to ``desired`` on the managed keys only ({} when equal)."""
    patch: dict = {}
    live = live if isinstance(live, dict) else {}
    for key, want in desired.items():
        have = live.get(key, REMOVE)
        if want is REMOVE:
            if key in live:
                patch[key] = None
        elif isinstance(want, dict) and isinstance(have, dict):
            sub = compute_patch(have, want)
            if sub:
                patch[key] = sub
        elif isinstance(want, dict) and have is REMOVE:
            # Absent live: create what the skeleton names (an empty dict manages nothing, so no write).
            sub = compute_patch({}, want)
            if sub or isinstance(want, Required):
                patch[key] = sub
        elif isinstance(want, dict):
            patch[key] = strip_remove(want)  # another type live: replace it
        elif have is REMOVE or not _equal(have, want):
            patch[key] = copy.deepcopy(want)
    return patch


def apply_patch(obj: dict | None, patch: dict) -> dict:
    """RFC 7386 merge patch applied to a copy of ``obj`` (used to predict check-mode results)."""
    out = copy.deepcopy(obj) if isinstance(obj, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict):
            out[key] = apply_patch(out.get(key) if isinstance(out.get(key), dict) else {}, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def managed_view(obj: dict | None, desired: dict) -> dict | None:
    """The part of ``obj`` that ``desired`` manages (for before/after diffs)."""
    if obj is None:
        return None
    out: dict = {}
    for key, want in desired.items():
        if key not in obj:
            continue
        if isinstance(want, dict) and isinstance(obj[key], dict) and want:
            out[key] = managed_view(obj[key], want)
        else:
            out[key] = copy.deepcopy(obj[key])
    return out


def _identity(desired: dict, res: R.Resource) -> tuple:
    meta = desired.get("metadata") or {}
    name, namespace = meta.get("name"), meta.get("namespace")
    if not name:
        raise InputError("%s needs metadata.name" % res.kind, option="name")
    if res.namespaced and not namespace:
        raise InputError("%s %s needs a namespace" % (res.kind, name), option="namespace")
    return name, namespace


def _resolve(desired: Desired, live: dict | None, res: R.Resource) -> dict:
    skeleton = desired(copy.deepcopy(live) if live is not None else None) if callable(desired) else desired
    if not isinstance(skeleton, dict):
        raise RegistryError("internal error: desired state for %s is not a dict" % res.kind)
    skeleton = copy.deepcopy(skeleton)
    meta = skeleton.get("metadata")
    if isinstance(meta, dict):
        for key in _SERVER_METADATA:  # owned by the server: never compared or sent
            meta.pop(key, None)
    skeleton.setdefault("apiVersion", res.api_version)
    skeleton.setdefault("kind", res.kind)
    return skeleton


def _result(changed: bool, obj: dict | None, before_full: dict | None, skeleton: dict, diff: bool,
            secret_paths: Iterable) -> dict:
    # Identity fields are always "managed"; compare only what the skeleton names.
    view_keys = {k: v for k, v in skeleton.items() if k not in ("apiVersion", "kind")}
    before = redact_paths(managed_view(before_full, view_keys), secret_paths)
    after = redact_paths(managed_view(obj, view_keys), secret_paths)
    result = {"changed": changed, "object": redact_paths(obj, secret_paths), "before": before, "after": after}
    if diff:
        result["diff"] = {"before": before if before is not None else {}, "after": after if after is not None else {}}
    return result


def _one(client: Any, res: R.Resource, desired: Desired, name: str, namespace: str | None, live: dict | None,
         check_mode: bool, diff: bool, secret_paths: Iterable, attempts: int, have_live: bool) -> dict:
    """Converge one object; ``live`` is used for the first round when ``have_live`` (batch LIST)."""
    for attempt in range(attempts):
        if not have_live or attempt > 0:
            live = client.get_or_none(res, name, namespace)
        skeleton = _resolve(desired, live, res)
        meta = skeleton.setdefault("metadata", {})
        meta.setdefault("name", name)
        if res.namespaced:
            meta.setdefault("namespace", namespace)
        if live is None:
            body = strip_remove(skeleton)
            if check_mode:
                return _result(True, body, None, skeleton, diff, secret_paths)
            try:
                created = client.create(res, body, namespace)
            except Conflict as exc:
                if exc.already_exists and attempt + 1 < attempts:
                    continue  # someone created it meanwhile: re-read and compare
                raise
            return _result(True, created, None, skeleton, diff, secret_paths)
        patch = compute_patch(live, skeleton)
        if not patch:
            return _result(False, live, live, skeleton, diff, secret_paths)
        predicted = apply_patch(live, patch)
        if check_mode:
            return _result(True, predicted, live, skeleton, diff, secret_paths)
        rv = (live.get("metadata") or {}).get("resourceVersion")
        if rv:
            patch.setdefault("metadata", {})["resourceVersion"] = rv
        try:
            updated = client.merge_patch(res, name, patch, namespace)
        except Conflict as exc:
            if exc.already_exists or attempt + 1 >= attempts:
                raise
            continue  # the object moved: re-read, recompute, retry
        return _result(True, updated, live, skeleton, diff, secret_paths)
    raise RegistryError("%s kept changing while it was being updated" % R.describe(res, name, namespace))


def ensure_present(client: Any, res: R.Resource, desired: Desired, check_mode: bool = False, diff: bool = False,
                   secret_paths: Iterable = (), name: str | None = None, namespace: str | None = None,
                   attempts: int = CONFLICT_ATTEMPTS, live: dict | None = None) -> dict:
    """Create or merge-patch one object so that its managed fields equal ``desired``.

    ``desired`` may be a callable(live_or_None) -> skeleton; then ``name`` (and ``namespace``) are required.
    ``live`` is the object as the caller already read it (saves the GET of the first round); ``ABSENT`` says
    the caller read it and it does not exist (a create is then exactly one POST).
    Returns ``{"changed", "object", "before", "after"}`` plus ``diff`` when asked. A no-op is one GET.
    """
    if callable(desired):
        if not name:
            raise RegistryError("internal error: ensure_present with a callable desired needs name=")
    else:
        name, namespace = _identity(desired, res) if not name else (name, namespace)
    have_live = live is not None
    return _one(client, res, desired, name, namespace, None if live is ABSENT else live, check_mode, diff,
                secret_paths, attempts, have_live)


def ensure_absent(client: Any, res: R.Resource, name: str, namespace: str | None = None, check_mode: bool = False,
                  diff: bool = False, secret_paths: Iterable = (), propagation_policy: str | None = None) -> dict:
    """GET then DELETE; 404 means unchanged; check mode never deletes."""
    live = client.get_or_none(res, name, namespace)
    result: dict = {"changed": live is not None, "object": None,
                    "before": redact_paths(live, secret_paths), "after": None}
    if diff:
        result["diff"] = {"before": result["before"] or {}, "after": {}}
    if live is not None and not check_mode:
        client.delete(res, name, namespace, propagation_policy=propagation_policy)
    return result


def ensure_many_present(client: Any, res: R.Resource, namespace: str | None, desireds: Iterable,
                        check_mode: bool = False, diff: bool = False, secret_paths: Iterable = (),
                        label_selector: str | None = None, attempts: int = CONFLICT_ATTEMPTS) -> list:
    """Converge many objects of one kind in one namespace with one LIST, then writes only where they differ.

    ``desireds``: dict skeletons, or ``(name, callable)`` pairs. Results come back in the same order.
    """
    items = []
    for entry in desireds:
        if isinstance(entry, tuple):
            items.append((entry[0], entry[1]))
        else:
            items.append((_identity(entry, res)[0], entry))
    names = [item[0] for item in items]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise InputError("%s names must be unique; repeated: %s" % (res.kind, ", ".join(dupes)), option="name")
    live_by_name = {}
    for obj in client.list(res, namespace, label_selector=label_selector):
        live_by_name[(obj.get("metadata") or {}).get("name")] = obj
    return [_one(client, res, desired, name, namespace, live_by_name.get(name), check_mode, diff, secret_paths,
                 attempts, True) for name, desired in items]
