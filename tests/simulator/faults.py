"""Request counters and fault-injection rules for the /simulator admin endpoint."""
from __future__ import annotations

import re
import threading
from typing import Any

from . import errors

MUTATING_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
RULE_FIELDS = {"method", "path", "status", "retry_after", "latency", "reset", "bump", "times", "after"}


class Counters:
    """Counts per (verb, group, resource, subresource, namespace, code, dry_run)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple, int] = {}

    def record(self, verb: str, resource: str, subresource: str | None, namespace: str | None, code: int,
               dry_run: bool, group: str = "") -> None:
        key = (verb, group or "", resource or "", subresource or "", namespace or "", int(code), bool(dry_run))
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def snapshot(self) -> dict:
        with self._lock:
            items = sorted(self._counts.items())
        requests = [{"verb": v, "group": g, "resource": r, "subresource": s, "namespace": n, "code": c,
                     "dry_run": d, "count": cnt} for (v, g, r, s, n, c, d), cnt in items]
        total = sum(x["count"] for x in requests)
        mutating = sum(x["count"] for x in requests if x["verb"] in MUTATING_VERBS and not x["dry_run"])
        return {"total": total, "mutating": mutating, "requests": requests}

    @property
    def mutating(self) -> int:
        return self.snapshot()["mutating"]

    @property
    def total(self) -> int:
        return self.snapshot()["total"]


class FaultRule:
    def __init__(self, spec: dict):
        unknown = set(spec) - RULE_FIELDS - {"id", "hits", "matched"}
        if unknown:
            raise errors.bad_request(f"unknown fault rule fields: {', '.join(sorted(unknown))}")
        self.method = (spec.get("method") or "").upper() or None
        try:
            self.path_re = re.compile(spec.get("path") or ".*")
        except re.error as e:
            raise errors.bad_request(f"invalid fault path regex: {e}") from None
        self.path = spec.get("path") or ".*"
        self.status = _opt_int(spec, "status")
        self.retry_after = _opt_int(spec, "retry_after")
        self.latency = float(spec.get("latency") or 0)
        self.reset = bool(spec.get("reset"))
        self.bump = bool(spec.get("bump"))
        self.times = _opt_int(spec, "times")
        self.after = _opt_int(spec, "after") or 0
        if not (self.status or self.latency or self.reset or self.bump):
            raise errors.bad_request("a fault rule needs at least one of status, latency, reset, bump")
        self.id = 0
        self.matched = 0     # requests that matched method and path
        self.hits = 0        # requests the rule acted on

    def to_dict(self) -> dict:
        return {"id": self.id, "method": self.method, "path": self.path, "status": self.status,
                "retry_after": self.retry_after, "latency": self.latency, "reset": self.reset, "bump": self.bump,
                "times": self.times, "after": self.after, "matched": self.matched, "hits": self.hits}


def _opt_int(spec: dict, key: str) -> int | None:
    v = spec.get(key)
    if v is None:
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        raise errors.bad_request(f"fault rule field {key} must be an integer") from None


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1

    def add(self, spec: dict) -> dict:
        rule = FaultRule(spec)
        with self._lock:
            rule.id = self._next_id
            self._next_id += 1
            self._rules.append(rule)
        return rule.to_dict()

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def list(self) -> list[dict]:
        with self._lock:
            return [r.to_dict() for r in self._rules]

    def match(self, method: str, path: str) -> list[FaultRule]:
        """Rules that fire for this request (their counters are advanced)."""
        fired = []
        with self._lock:
            for r in self._rules:
                if r.method and r.method != method.upper():
                    continue
                if not r.path_re.search(path):
                    continue
                r.matched += 1
                if r.matched <= r.after:
                    continue
                if r.times is not None and r.hits >= r.times:
                    continue
                r.hits += 1
                fired.append(r)
        return fired


def combine(rules: list[FaultRule]) -> dict[str, Any]:
    """Merge fired rules into one action: latency adds up; first status/reset wins; any bump bumps."""
    out: dict[str, Any] = {"latency": 0.0, "status": None, "retry_after": None, "reset": False, "bump": False}
    for r in rules:
        out["latency"] += r.latency
        out["bump"] = out["bump"] or r.bump
        if r.reset and out["status"] is None:
            out["reset"] = True
        if r.status and out["status"] is None and not out["reset"]:
            out["status"], out["retry_after"] = r.status, r.retry_after
    return out
