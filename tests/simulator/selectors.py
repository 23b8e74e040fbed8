"""Label selectors (=, ==, !=, in, notin, exists, !exists) and field selectors (=, ==, !=)."""
from __future__ import annotations

import re
from typing import Any, Callable

from . import errors

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9._/-]+)\s+(in|notin)\s*\(([^)]*)\)\s*$")
_CMP_RE = re.compile(r"^\s*([A-Za-z0-9._/-]+)\s*(==|!=|=)\s*([A-Za-z0-9._-]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9._/-]+)\s*$")


def _split_top(s: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if cur or parts:
        parts.append("".join(cur))
    return [p for p in (x.strip() for x in parts) if p]


def parse_label_selector(selector: str | None) -> Callable[[dict], bool]:
    """Return a predicate over a labels dict; 400 BadRequest on a malformed selector."""
    if not selector:
        return lambda labels: True
    reqs: list[Callable[[dict], bool]] = []
    for part in _split_top(selector):
        m = _SET_RE.match(part)
        if m and not m.group(1):
            key, op, values = m.group(2), m.group(3), {v.strip() for v in m.group(4).split(",") if v.strip()}
            if op == "in":
                reqs.append(lambda l, k=key, vs=values: k in l and l[k] in vs)
            else:
                reqs.append(lambda l, k=key, vs=values: k not in l or l[k] not in vs)
            continue
        m = _CMP_RE.match(part)
        if m:
            key, op, value = m.groups()
            if op == "!=":
                reqs.append(lambda l, k=key, v=value: l.get(k) != v)
            else:
                reqs.append(lambda l, k=key, v=value: k in l and l[k] == v)
            continue
        m = _EXISTS_RE.match(part)
        if m:
            neg, key = m.groups()
            if neg:
                reqs.append(lambda l, k=key: k not in l)
            else:
                reqs.append(lambda l, k=key: k in l)
            continue
        raise errors.bad_request(f"unable to parse requirement: found '{part}', expected: valid label selector")
    return lambda labels: all(r(labels or {}) for r in reqs)


def _lookup(obj: dict, path: str) -> Any:
    cur: Any = obj
    for p in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def _as_field_string(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def parse_field_selector(selector: str | None, allowed: tuple = ()) -> Callable[[dict], bool]:
    """Predicate over an object. Fields beyond metadata.name/namespace must be in `allowed` (else 400)."""
    if not selector:
        return lambda obj: True
    reqs = []
    for part in _split_top(selector):
        m = re.match(r"^\s*([A-Za-z0-9._/-]+)\s*(==|!=|=)\s*(.*?)\s*$", part)
        if not m:
            raise errors.bad_request(f"invalid selector: '{selector}'; can't understand '{part}'")
        field, op, value = m.groups()
        if field not in ("metadata.name", "metadata.namespace") and field not in allowed:
            raise errors.bad_request(f'field label not supported: {field}')
        if op == "!=":
            reqs.append(lambda o, f=field, v=value: _as_field_string(_lookup(o, f)) != v)
        else:
            reqs.append(lambda o, f=field, v=value: _as_field_string(_lookup(o, f)) == v)
    return lambda obj: all(r(obj) for r in reqs)
