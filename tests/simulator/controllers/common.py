"""Helpers shared by the cluster-side controllers: typed lookups, apply, conditions.

Controllers act only through the internal ApiServer (`ctx.api` / `api`), as real controllers act
only through kube-apiserver. Nothing here touches the store directly.
"""
from __future__ import annotations

import copy
import datetime
import hashlib
import json
from typing import Any, Callable, Iterable

from .. import catalog
from ..errors import StatusError
from .manager import Requeue

OPERAND_NS = "openshift-image-registry"
CONFIG_NS = "openshift-config"
CONFIG_MANAGED_NS = "openshift-config-managed"
SIM_ANNOTATION_PREFIX = "simulator.ocp.registry/"


def rt(group: str, plural: str):
    return catalog.get(group, plural)


# Resource types used by the controllers (looked up once).
NAMESPACES = rt("", "namespaces")
SECRETS = rt("", "secrets")
CONFIGMAPS = rt("", "configmaps")
SERVICES = rt("", "services")
SERVICEACCOUNTS = rt("", "serviceaccounts")
PVCS = rt("", "persistentvolumeclaims")
PVS = rt("", "persistentvolumes")
NODES = rt("", "nodes")
PODS = rt("", "pods")
DEPLOYMENTS = rt("apps", "deployments")
STATEFULSETS = rt("apps", "statefulsets")
DAEMONSETS = rt("apps", "daemonsets")
REPLICASETS = rt("apps", "replicasets")
CRONJOBS = rt("batch", "cronjobs")
JOBS = rt("batch", "jobs")
CLUSTERROLES = rt("rbac.authorization.k8s.io", "clusterroles")
CLUSTERROLEBINDINGS = rt("rbac.authorization.k8s.io", "clusterrolebindings")
STORAGECLASSES = rt("storage.k8s.io", "storageclasses")
PDBS = rt("policy", "poddisruptionbudgets")
NETWORKPOLICIES = rt("networking.k8s.io", "networkpolicies")
ROUTES = rt("route.openshift.io", "routes")
REGISTRY_CONFIGS = rt("imageregistry.operator.openshift.io", "configs")
IMAGEPRUNERS = rt("imageregistry.operator.openshift.io", "imagepruners")
IMAGE_CONFIGS = rt("config.openshift.io", "images")
CLUSTEROPERATORS = rt("config.openshift.io", "clusteroperators")
INFRASTRUCTURES = rt("config.openshift.io", "infrastructures")
PROXIES = rt("config.openshift.io", "proxies")
APISERVERS = rt("config.openshift.io", "apiservers")
CLUSTERVERSIONS = rt("config.openshift.io", "clusterversions")


class SyncError(Exception):
    """An error from a controller sync. `permanent` errors are not retried by the operator."""

    def __init__(self, message: str, permanent: bool = False, reason: str = "Error"):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.reason = reason

    def __str__(self) -> str:
        return self.message


def is_not_found(err: Exception) -> bool:
    return isinstance(err, StatusError) and err.code == 404


def get_or_none(api, rtype, namespace: str | None, name: str) -> dict | None:
    try:
        return api.get(rtype, namespace, name)
    except StatusError as err:
        if err.code == 404:
            return None
        raise


def list_items(api, rtype, namespace: str | None = None, label_selector: str | None = None) -> list[dict]:
    try:
        return list(api.list(rtype, namespace, label_selector=label_selector).get("items") or [])
    except StatusError as err:
        if err.code == 404:
            return []
        raise


def delete_ignore(api, rtype, namespace: str | None, name: str) -> bool:
    """Delete, ignoring NotFound. Returns True when a delete was sent and accepted."""
    try:
        api.delete(rtype, namespace, name)
        return True
    except StatusError as err:
        if err.code == 404:
            return False
        raise


def _subset_differs(desired: Any, live: Any) -> bool:
    """True when something present in `desired` differs from `live`.

    Dicts compare recursively on desired's keys; lists compare element-wise when the lengths match
    (so server-defaulted fields inside list items do not count), else as different.
    """
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return True
        return any(_subset_differs(v, live.get(k)) for k, v in desired.items())
    if isinstance(desired, list):
        if not isinstance(live, list) or len(desired) != len(live):
            return True
        return any(_subset_differs(d, v) for d, v in zip(desired, live))
    return desired != live


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def apply(api, rtype, desired: dict, *, cache: dict | None = None,
          compare_keys: Iterable[str] | None = None) -> tuple[dict, bool]:
    """Create `desired` if missing, else update the live object when a managed field differs.

    Like library-go's Apply* helpers: labels and annotations are merged into the live ones (extra keys a
    user added are kept); every other top-level key of `desired` (spec, data, rules, subjects, ...) is
    owned and replaced wholesale when it differs. A difference is either a desired value that the live
    object does not carry (server-defaulted extras inside it do not count), or a change of the desired
    object since the last apply by this controller (`cache`, which catches removed keys). The server keeps
    what it allocates on update (a Service's clusterIP, a Route's generated host). Returns (obj, changed).
    """
    meta = desired.get("metadata") or {}
    ns = meta.get("namespace") if rtype.namespaced else None
    name = meta["name"]
    body = copy.deepcopy(desired)
    body.setdefault("apiVersion", rtype.api_version)
    body.setdefault("kind", rtype.kind)
    ckey = (rtype.key, ns, name)
    digest = _digest(body)
    live = get_or_none(api, rtype, ns, name)
    if live is None:
        try:
            out = api.create(rtype, ns, body)
            if cache is not None:
                cache[ckey] = digest
            return out, True
        except StatusError as err:
            if err.code != 409:
                raise
            live = api.get(rtype, ns, name)
    keys = list(compare_keys) if compare_keys is not None else [
        k for k in body if k not in ("apiVersion", "kind", "metadata", "status")]
    differs = any(_subset_differs(body.get(k), live.get(k)) for k in keys)
    lmeta = live.get("metadata") or {}
    for part in ("labels", "annotations"):
        if _subset_differs(meta.get(part) or {}, lmeta.get(part) or {}):
            differs = True
    if cache is not None and cache.get(ckey) != digest:
        differs = True
    if not differs:
        return live, False
    new = copy.deepcopy(live)
    nmeta = new.setdefault("metadata", {})
    for part in ("labels", "annotations"):
        if meta.get(part):
            merged = dict(nmeta.get(part) or {})
            merged.update(meta[part])
            nmeta[part] = merged
    for k in keys:
        if k in body:
            new[k] = copy.deepcopy(body[k])
    if _normalize(new) == _normalize(live):
        out, changed = live, False
    else:
        out, changed = api.update(rtype, ns, name, new), True
    if cache is not None:
        cache[ckey] = digest
    return out, changed


def _normalize(obj: dict) -> dict:
    o = copy.deepcopy(obj)
    o.pop("status", None)
    return o


def now_ts(config) -> float:
    clock = getattr(config, "clock", None)
    import time
    return clock() if clock else time.time()


def rfc3339(ts: float) -> str:
    return datetime.datetime.fromtimestamp(int(ts), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s: str | None) -> float | None:
    if not s:
        return None
    try:
        return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        return None


def find_condition(conditions: list[dict] | None, ctype: str) -> dict | None:
    for c in conditions or []:
        if c.get("type") == ctype:
            return c
    return None


def set_condition(conditions: list[dict], ctype: str, status: str, reason: str, message: str, now: str,
                  order: Callable[[str], int] | None = None) -> None:
    """SetStatusCondition semantics: lastTransitionTime moves only when the status flips."""
    cur = find_condition(conditions, ctype)
    if cur is None:
        cond = {"type": ctype, "status": status, "lastTransitionTime": now, "reason": reason,
                "message": message}
        if order is None:
            conditions.append(cond)
            return
        rank = order(ctype)
        idx = len(conditions)
        for i, c in enumerate(conditions):
            if order(c.get("type", "")) > rank:
                idx = i
                break
        conditions.insert(idx, cond)
        return
    if cur.get("status") != status:
        cur["lastTransitionTime"] = now
    cur["status"] = status
    cur["reason"] = reason
    cur["message"] = message


def remove_condition(conditions: list[dict], ctype: str) -> None:
    conditions[:] = [c for c in conditions if c.get("type") != ctype]


def update_status_with_retry(api, rtype, namespace: str | None, name: str,
                             fn: Callable[[dict], None], attempts: int = 5) -> dict | None:
    """Read, let `fn` edit the object's status in place, write /status if it changed; retry conflicts."""
    for _attempt in range(attempts):
        live = get_or_none(api, rtype, namespace, name)
        if live is None:
            return None
        new = copy.deepcopy(live)
        fn(new)
        if new.get("status") == live.get("status"):
            return live
        try:
            return api.update(rtype, namespace, name, new, subresource="status")
        except StatusError as err:
            if err.code == 409:
                continue
            if err.code == 404:
                return None
            raise
    return None


def update_or_requeue(api, rtype, namespace: str | None, name: str, body: dict, codes: tuple = (409,)) -> dict:
    """PUT ``body``; when the object moved on (409) or is gone (as ``codes`` says), run the key again soon."""
    try:
        return api.update(rtype, namespace, name, body)
    except StatusError as err:
        if err.code in codes:
            raise Requeue(0.05) from None
        raise
