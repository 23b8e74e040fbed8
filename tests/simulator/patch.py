"""Patch formats: RFC 7386 merge patch, RFC 6902 JSON patch, strategic merge patch, server-side apply.

Errors follow kube-apiserver: a malformed patch document is 400 BadRequest, a JSON patch that cannot be
applied (failed `test`, missing path) is 422 with the json-patch library's message as the cause.
"""
from __future__ import annotations

import copy
import json
from typing import Any, Callable

from . import errors

MERGE = "application/merge-patch+json"
JSON = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
APPLY_CBOR = "application/apply-patch+cbor"

PATCH_TYPES = {MERGE: "merge", JSON: "json", STRATEGIC: "strategic", APPLY: "apply", APPLY_CBOR: "apply"}

# Lists of scalars with patchStrategy=merge in the Go types (merged as sets).
PRIMITIVE_MERGE_LISTS = {"finalizers"}


def patch_type_for(content_type: str | None) -> str | None:
    """'merge'|'json'|'strategic'|'apply' for a Content-Type header, None if it is not a patch type."""
    if not content_type:
        return None
    return PATCH_TYPES.get(content_type.split(";")[0].strip().lower())


# --- RFC 7386 ------------------------------------------------------------------------------------
def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result


# --- RFC 6902 ------------------------------------------------------------------------------------
class _PatchFailed(Exception):
    pass


def _split_pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise _PatchFailed(f"JSON pointer must start with '/': {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _index(container: list, token: str, path: str, allow_end: bool = False) -> int:
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise _PatchFailed(f"Unable to access invalid index: {token}: {path}")
    i = int(token)
    limit = len(container) if allow_end else len(container) - 1
    if i > limit:
        raise _PatchFailed(f"Unable to access invalid index: {i}: {path}")
    return i


def _parent(doc: Any, tokens: list[str], path: str, op: str) -> tuple[Any, str]:
    cur = doc
    for t in tokens[:-1]:
        if isinstance(cur, dict):
            if t not in cur:
                raise _PatchFailed(f"{op} operation does not apply: doc is missing path: \"{path}\": missing value")
            cur = cur[t]
        elif isinstance(cur, list):
            cur = cur[_index(cur, t, path)]
        else:
            raise _PatchFailed(f"{op} operation does not apply: doc is missing path: \"{path}\": missing value")
    return cur, tokens[-1]


def _get(doc: Any, path: str, op: str) -> Any:
    cur = doc
    for t in _split_pointer(path):
        if isinstance(cur, dict) and t in cur:
            cur = cur[t]
        elif isinstance(cur, list):
            cur = cur[_index(cur, t, path)]
        else:
            raise _PatchFailed(f"{op} operation does not apply: doc is missing path: \"{path}\": missing value")
    return cur


def _add(doc: Any, path: str, value: Any, op: str = "add") -> Any:
    tokens = _split_pointer(path)
    if not tokens:
        return copy.deepcopy(value)
    parent, last = _parent(doc, tokens, path, op)
    if isinstance(parent, dict):
        parent[last] = copy.deepcopy(value)
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, path, allow_end=True), copy.deepcopy(value))
    else:
        raise _PatchFailed(f"{op} operation does not apply: doc is missing path: \"{path}\": missing value")
    return doc


def _remove(doc: Any, path: str, op: str = "remove") -> tuple[Any, Any]:
    tokens = _split_pointer(path)
    if not tokens:
        raise _PatchFailed(f"{op} operation does not apply: cannot remove the whole document")
    parent, last = _parent(doc, tokens, path, op)
    if isinstance(parent, dict):
        if last not in parent:
            raise _PatchFailed(f"{op} operation does not apply: doc is missing key: {path}: missing value")
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(_index(parent, last, path))
    raise _PatchFailed(f"{op} operation does not apply: doc is missing path: \"{path}\": missing value")


def json_patch(doc: Any, ops: Any) -> Any:
    """Apply an RFC 6902 document to a deep copy of doc."""
    if not isinstance(ops, list):
        raise errors.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(doc)
    for raw in ops:
        if not isinstance(raw, dict) or "op" not in raw:
            raise errors.bad_request("the server rejected our request due to an error in our request: "
                                     "json patch operation is missing 'op'")
        op = raw["op"]
        if op not in ("add", "remove", "replace", "move", "copy", "test"):
            raise errors.unprocessable(f"Unexpected kind: {op}")
        if "path" not in raw or not isinstance(raw["path"], str):
            raise errors.unprocessable(f"{op} operation missing path")
        path = raw["path"]
        try:
            if op in ("add", "replace", "test") and "value" not in raw:
                raise _PatchFailed(f"{op} operation missing value")
            if op == "add":
                doc = _add(doc, path, raw["value"])
            elif op == "remove":
                doc, _removed = _remove(doc, path)
            elif op == "replace":
                tokens = _split_pointer(path)
                if not tokens:
                    doc = copy.deepcopy(raw["value"])
                    continue
                parent, last = _parent(doc, tokens, path, "replace")
                if isinstance(parent, dict):
                    if last not in parent:
                        raise _PatchFailed(f"replace operation does not apply: doc is missing key: {path}: "
                                           "missing value")
                    parent[last] = copy.deepcopy(raw["value"])
                elif isinstance(parent, list):
                    parent[_index(parent, last, path)] = copy.deepcopy(raw["value"])
                else:
                    raise _PatchFailed(f"replace operation does not apply: doc is missing path: {path}: "
                                       "missing value")
            elif op in ("move", "copy"):
                src = raw.get("from")
                if not isinstance(src, str):
                    raise _PatchFailed(f"{op} operation missing from")
                if op == "move":
                    if path.startswith(src + "/"):
                        raise _PatchFailed(f"move operation does not apply: cannot move {src} into its own child")
                    doc, value = _remove(doc, src, "move")
                else:
                    value = copy.deepcopy(_get(doc, src, "copy"))
                doc = _add(doc, path, value, op)
            elif op == "test":
                try:
                    actual = _get(doc, path, "test")
                except _PatchFailed:
                    raise _PatchFailed(f"testing value {path} failed: test failed") from None
                if not _json_equal(actual, raw["value"]):
                    raise _PatchFailed(f"testing value {path} failed: test failed")
        except _PatchFailed as e:
            raise errors.unprocessable(str(e)) from None
    return doc


def _json_equal(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


# --- strategic merge -----------------------------------------------------------------------------
MergeKeyFn = Callable[[tuple], "str | None"]


def strategic_merge(original: Any, patch: Any, merge_key: MergeKeyFn, path: tuple = ()) -> Any:
    """Apply a strategic merge patch. merge_key(path_of_field_names) -> key or None (replace list)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = dict(original) if isinstance(original, dict) else {}
    retain = patch.get("$retainKeys")
    for k, v in patch.items():
        if k in ("$patch", "$retainKeys") or k.startswith("$setElementOrder/"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            if isinstance(result.get(field), list) and isinstance(v, list):
                result[field] = [x for x in result[field] if x not in v]
            continue
        fpath = path + (k,)
        if v is None:
            result.pop(k, None)
        elif isinstance(v, dict):
            merged = strategic_merge(result.get(k), v, merge_key, fpath)
            if merged is None:
                result.pop(k, None)
            else:
                result[k] = merged
        elif isinstance(v, list):
            result[k] = _merge_list(result.get(k), v, merge_key, fpath)
        else:
            result[k] = copy.deepcopy(v)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain or k not in (original or {})}
    return result


def _merge_list(original: Any, patch: list, merge_key: MergeKeyFn, path: tuple) -> list:
    if any(isinstance(x, dict) and x.get("$patch") == "replace" and len(x) == 1 for x in patch):
        return [copy.deepcopy(x) for x in patch if not (isinstance(x, dict) and x.get("$patch") == "replace")]
    if not isinstance(original, list):
        original = []
    field = path[-1] if path else ""
    if field in PRIMITIVE_MERGE_LISTS and all(not isinstance(x, (dict, list)) for x in patch):
        out = list(original)
        for x in patch:
            if x not in out:
                out.append(x)
        return out
    key = merge_key(path)
    if not key or not all(isinstance(x, dict) for x in patch):
        return [_strip_directives(copy.deepcopy(x)) for x in patch]
    out = [copy.deepcopy(x) for x in original]
    for item in patch:
        if key not in item:
            raise errors.bad_request(f"map: {item} does not contain declared merge key: {key}")
        idx = next((i for i, o in enumerate(out) if isinstance(o, dict) and o.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
            continue
        if idx is None:
            out.append(_strip_directives(copy.deepcopy(item)))
        else:
            out[idx] = strategic_merge(out[idx], item, merge_key, path)
    return out


def _strip_directives(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _strip_directives(x) for k, x in v.items() if not k.startswith("$")}
    if isinstance(v, list):
        return [_strip_directives(x) for x in v]
    return v


# --- server-side apply (good enough for kubectl --server-side and kubernetes.core apply) --------
def apply_patch(live: dict | None, applied: dict, merge_key: MergeKeyFn | None) -> dict:
    """Merge an applied configuration into the live object.

    Fields in the applied configuration win; fields it does not mention are kept (field ownership and
    removal of fields a manager stopped applying are not modelled). Keyed lists merge by their key on
    built-in kinds and are replaced as a whole otherwise.
    """
    if live is None:
        return copy.deepcopy(applied)
    if merge_key is not None:
        return strategic_merge(live, applied, merge_key)
    return merge_patch(live, applied)
