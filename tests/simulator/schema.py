"""Structural-schema handling for CRD-backed kinds, from the openAPIV3Schema of the shared CRD files.

Order as in kube-apiserver: prune (unknown fields, and nulls where not nullable) -> default -> validate
(OpenAPI keywords, list-type uniqueness, formats) -> CEL x-kubernetes-validations (cel.py subset; rules
that use unsupported CEL are skipped and listed in `CrdSchema.skipped_rules`). `metadata` is not pruned
(ObjectMeta is validated by the API server itself). Errors are field causes like the real server's.
"""
from __future__ import annotations

import base64
import copy
import logging
import os
import re
from typing import Any

import yaml

from . import cel, errors

log = logging.getLogger(__name__)

_CACHE: dict[tuple, "CrdSchema | None"] = {}
_TYPE_NAMES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}
_MISSING = object()


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    return _TYPE_NAMES.get(type(v), type(v).__name__)


def load_crd_schema(path: str, version: str) -> dict | None:
    with open(path, encoding="utf-8") as fh:
        crd = yaml.safe_load(fh)
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            return v["schema"]["openAPIV3Schema"]
    return None


def require_crds(types, crd_dir: str) -> None:
    """Refuse to run without the CRD files: a simulator that skipped validation would make tests lie."""
    missing = sorted({os.path.join(crd_dir, rt.crd) for rt in types if rt.crd
                      and not os.path.exists(os.path.join(crd_dir, rt.crd))})
    if missing:
        raise FileNotFoundError(
            "the simulator validates CRD-backed kinds against the shared openshift/api CRDs, but these files are "
            "missing: %s. Put the shared/ folder beside the checkout or set OCP_SIM_CRD_DIR." % ", ".join(missing))


def for_type(rt, crd_dir: str) -> "CrdSchema | None":
    """The schema for a catalog type with a CRD file (the server checked at start that the file exists)."""
    key = (rt.key, crd_dir)
    if key not in _CACHE:
        require_crds([rt], crd_dir)
        raw = load_crd_schema(os.path.join(crd_dir, rt.crd), rt.version)
        _CACHE[key] = CrdSchema(raw) if raw is not None else None
    return _CACHE[key]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class CrdSchema:
    def __init__(self, schema: dict):
        self.schema = schema
        self.skipped_rules: list[str] = []
        self._programs: dict[str, cel.Program | None] = {}

    # --- entry point ----------------------------------------------------------------------------
    def admit(self, obj: dict, old: dict | None = None, pruned: list | None = None) -> list[dict]:
        """Prune and default obj in place, then return validation causes ([] when valid).

        `pruned`, when given, receives the paths of unknown fields that were dropped (for
        fieldValidation=Strict); nulls dropped from non-nullable fields are not unknown fields.
        """
        self._pruned = pruned if pruned is not None else []
        for key in list(obj):
            if key in ("apiVersion", "kind", "metadata"):
                continue
            sub = (self.schema.get("properties") or {}).get(key)
            if sub is None and not self.schema.get("x-kubernetes-preserve-unknown-fields"):
                self._pruned.append(key)
                del obj[key]
                continue
            if sub is not None:
                val = self._prune(obj[key], sub, key)
                if val is _MISSING:
                    del obj[key]
                else:
                    obj[key] = val
        for key, sub in (self.schema.get("properties") or {}).items():
            if key in ("apiVersion", "kind", "metadata"):
                continue
            if key not in obj and "default" in sub:
                obj[key] = copy.deepcopy(sub["default"])
            if key in obj:
                obj[key] = self._default(obj[key], sub)
        causes: list[dict] = []
        for key in self.schema.get("required") or []:
            if key not in obj:
                causes.append(errors.required_value(key))
        for key, sub in (self.schema.get("properties") or {}).items():
            if key in ("apiVersion", "kind", "metadata") or key not in obj:
                continue
            old_val = old.get(key, _MISSING) if isinstance(old, dict) else _MISSING
            self._validate(obj[key], sub, key, causes, old_val)
        return causes

    # --- pruning --------------------------------------------------------------------------------
    def _prune(self, value: Any, s: dict, path: str = "") -> Any:
        if value is None:
            return None if s.get("nullable") else _MISSING
        if s.get("x-kubernetes-preserve-unknown-fields") and not s.get("properties"):
            return value
        if isinstance(value, dict) and (s.get("type") == "object" or "properties" in s
                                        or "additionalProperties" in s):
            props = s.get("properties")
            addl = s.get("additionalProperties")
            out = {}
            for k, v in value.items():
                if props is not None and k in props:
                    pv = self._prune(v, props[k], _join(path, k))
                elif isinstance(addl, dict):
                    pv = self._prune(v, addl, f"{path}[{k}]")
                elif addl is True or s.get("x-kubernetes-preserve-unknown-fields") or (
                        props is None and addl is None and s.get("type") != "object"):
                    pv = v
                elif props is None and addl is None:
                    pv = v if s.get("x-kubernetes-preserve-unknown-fields") else _MISSING
                else:
                    pv = _MISSING
                if pv is _MISSING and v is not None:
                    self._pruned.append(_join(path, k))
                if pv is not _MISSING:
                    out[k] = pv
            return out
        if isinstance(value, list) and isinstance(s.get("items"), dict):
            out_list = []
            for i, v in enumerate(value):
                pv = self._prune(v, s["items"], f"{path}[{i}]")
                out_list.append(None if pv is _MISSING else pv)
            return out_list
        return value

    # --- defaulting -----------------------------------------------------------------------------
    def _default(self, value: Any, s: dict) -> Any:
        if isinstance(value, dict):
            for k, sub in (s.get("properties") or {}).items():
                if k not in value and "default" in sub:
                    value[k] = copy.deepcopy(sub["default"])
                if k in value and value[k] is not None:
                    value[k] = self._default(value[k], sub)
            addl = s.get("additionalProperties")
            if isinstance(addl, dict):
                for k in list(value):
                    if k not in (s.get("properties") or {}):
                        value[k] = self._default(value[k], addl)
        elif isinstance(value, list) and isinstance(s.get("items"), dict):
            return [self._default(v, s["items"]) for v in value]
        return value

    # --- validation -----------------------------------------------------------------------------
    def _type_ok(self, value: Any, s: dict) -> bool:
        if s.get("x-kubernetes-int-or-string"):
            return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)
        t = s.get("type")
        if t is None:
            return True
        if t == "object":
            return isinstance(value, dict)
        if t == "array":
            return isinstance(value, list)
        if t == "string":
            return isinstance(value, str)
        if t == "boolean":
            return isinstance(value, bool)
        if t == "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        if t == "number":
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        return True

    def _is_valid(self, value: Any, s: dict, path: str) -> bool:
        causes: list[dict] = []
        self._validate(value, s, path, causes, _MISSING, rules=False)
        return not causes

    def _validate(self, value: Any, s: dict, path: str, causes: list, old: Any = _MISSING,
                  rules: bool = True) -> None:
        if value is None:
            if s.get("nullable") or "enum" in s and None in s["enum"]:
                return
            if "type" in s or s.get("x-kubernetes-int-or-string"):
                t = "integer or string" if s.get("x-kubernetes-int-or-string") else s["type"]
                causes.append(errors.type_invalid(path, "null", f'{path} in body must be of type {t}: "null"'))
            return
        if not self._type_ok(value, s):
            t = "integer or string" if s.get("x-kubernetes-int-or-string") else s.get("type")
            tn = _type_name(value)
            causes.append(errors.type_invalid(path, tn, f'{path} in body must be of type {t}: "{tn}"'))
            return
        if "enum" in s and value not in s["enum"]:
            causes.append(errors.unsupported_value(path, value, s["enum"]))
        for sub in s.get("allOf") or []:
            self._validate(value, sub, path, causes, old, rules=False)
        if s.get("anyOf") and not s.get("x-kubernetes-int-or-string"):
            if not any(self._is_valid(value, sub, path) for sub in s["anyOf"]):
                causes.append(errors.invalid_value(path, _type_name(value),
                                                   f"{path} in body must validate at least one schema (anyOf)"))
        if s.get("oneOf"):
            n = sum(1 for sub in s["oneOf"] if self._is_valid(value, sub, path))
            if n != 1:
                causes.append(errors.invalid_value(path, _type_name(value),
                                                   f"{path} in body must validate one and only one schema (oneOf)"))
        if isinstance(s.get("not"), dict) and self._is_valid(value, s["not"], path):
            causes.append(errors.invalid_value(path, _type_name(value),
                                               f"{path} in body should not be valid against the given schema"))
        if isinstance(value, str):
            self._validate_string(value, s, path, causes)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self._validate_number(value, s, path, causes)
        elif isinstance(value, list):
            self._validate_array(value, s, path, causes, old)
        elif isinstance(value, dict):
            self._validate_object(value, s, path, causes, old)
        if rules and s.get("x-kubernetes-validations"):
            self._validate_rules(value, s, path, causes, old)

    def _validate_string(self, value: str, s: dict, path: str, causes: list) -> None:
        if "maxLength" in s and len(value) > s["maxLength"]:
            causes.append(errors.too_long(path, value, s["maxLength"]))
        if "minLength" in s and len(value) < s["minLength"]:
            causes.append(errors.invalid_value(path, value, f"{path} in body should be at least {s['minLength']} "
                                                            "chars long"))
        if "pattern" in s:
            try:
                ok = re.search(cel.go_regex(s["pattern"]), value) is not None
            except re.error:
                ok = True   # an RE2 construct Python cannot compile: not modelled
            if not ok:
                causes.append(errors.invalid_value(path, value, f"{path} in body should match '{s['pattern']}'"))
        fmt = s.get("format")
        if fmt == "byte":
            try:
                base64.b64decode(value, validate=True)
            except ValueError:
                causes.append(errors.invalid_value(path, value, f"{path} in body must be of type byte: "
                                                                f"{errors._fmt(value)}"))
        elif fmt == "date-time" and not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", value):
            causes.append(errors.invalid_value(path, value, f"{path} in body must be of type date-time: "
                                                            f"{errors._fmt(value)}"))

    def _validate_number(self, value: float, s: dict, path: str, causes: list) -> None:
        if "minimum" in s:
            lo = s["minimum"]
            if value < lo or (s.get("exclusiveMinimum") is True and value == lo):
                word = "greater than" if s.get("exclusiveMinimum") is True else "greater than or equal to"
                causes.append(errors.invalid_value(path, value, f"{path} in body should be {word} {lo}"))
        if "maximum" in s:
            hi = s["maximum"]
            if value > hi or (s.get("exclusiveMaximum") is True and value == hi):
                word = "less than" if s.get("exclusiveMaximum") is True else "less than or equal to"
                causes.append(errors.invalid_value(path, value, f"{path} in body should be {word} {hi}"))
        fmt = s.get("format")
        if fmt == "int32" and isinstance(value, int) and not -2**31 <= value < 2**31:
            causes.append(errors.invalid_value(path, value, f"{path} in body must be of type int32: \"{value}\""))
        if fmt == "int64" and isinstance(value, int) and not -2**63 <= value < 2**63:
            causes.append(errors.invalid_value(path, value, f"{path} in body must be of type int64: \"{value}\""))

    def _validate_array(self, value: list, s: dict, path: str, causes: list, old: Any) -> None:
        if "maxItems" in s and len(value) > s["maxItems"]:
            causes.append(errors.too_many(path, len(value), s["maxItems"]))
        if "minItems" in s and len(value) < s["minItems"]:
            causes.append(errors.invalid_value(path, _type_name(value),
                                               f"{path} in body should have at least {s['minItems']} items"))
        ltype = s.get("x-kubernetes-list-type")
        if ltype == "set":
            seen = []
            for i, v in enumerate(value):
                if v in seen:
                    causes.append(errors.duplicate_value(f"{path}[{i}]", v))
                seen.append(v)
        elif ltype == "map":
            keys = s.get("x-kubernetes-list-map-keys") or []
            seen_keys = []
            for i, v in enumerate(value):
                if not isinstance(v, dict):
                    continue
                k = tuple(v.get(x) for x in keys)
                if k in seen_keys:
                    causes.append(errors.duplicate_value(f"{path}[{i}]", {x: v.get(x) for x in keys if x in v}))
                seen_keys.append(k)
        items = s.get("items")
        if isinstance(items, dict):
            old_by_key: dict = {}
            if ltype == "map" and isinstance(old, list):
                keys = s.get("x-kubernetes-list-map-keys") or []
                old_by_key = {tuple(o.get(x) for x in keys): o for o in old if isinstance(o, dict)}
            for i, v in enumerate(value):
                o = _MISSING
                if old_by_key and isinstance(v, dict):
                    o = old_by_key.get(tuple(v.get(x) for x in s.get("x-kubernetes-list-map-keys") or []), _MISSING)
                self._validate(v, items, f"{path}[{i}]", causes, o)

    def _validate_object(self, value: dict, s: dict, path: str, causes: list, old: Any) -> None:
        for k in s.get("required") or []:
            if k not in value:
                causes.append(errors.required_value(_join(path, k)))
        if "maxProperties" in s and len(value) > s["maxProperties"]:
            causes.append(errors.too_many(path, len(value), s["maxProperties"]))
        if "minProperties" in s and len(value) < s["minProperties"]:
            causes.append(errors.invalid_value(path, _type_name(value),
                                               f"{path} in body should have at least {s['minProperties']} properties"))
        props = s.get("properties") or {}
        addl = s.get("additionalProperties")
        for k, v in value.items():
            o = old.get(k, _MISSING) if isinstance(old, dict) else _MISSING
            if k in props:
                self._validate(v, props[k], _join(path, k), causes, o)
            elif isinstance(addl, dict):
                self._validate(v, addl, f"{path}[{k}]", causes, o)

    def _program(self, rule: str) -> cel.Program | None:
        if rule not in self._programs:
            try:
                self._programs[rule] = cel.compile_rule(rule)
            except cel.Unsupported as e:
                log.info("CEL rule not modelled (%s): %s", e, rule)
                self.skipped_rules.append(rule)
                self._programs[rule] = None
        return self._programs[rule]

    def _validate_rules(self, value: Any, s: dict, path: str, causes: list, old: Any) -> None:
        for r in s["x-kubernetes-validations"]:
            prog = self._program(r["rule"])
            if prog is None:
                continue
            if prog.uses_old and old is _MISSING:
                continue   # transition rules only run on updates where the old value exists
            try:
                ok = prog.eval(value, old) if prog.uses_old else prog.eval(value)
            except cel.EvalError as e:
                ok, msg = False, f"{path}: error evaluating rule: {e}"
                causes.append(errors.invalid_value(r.get("fieldPath", path).lstrip("."), _type_name(value), msg))
                continue
            if ok is not True:
                field = path + r["fieldPath"] if r.get("fieldPath") else path
                msg = r.get("message") or f"failed rule: {r['rule']}"
                reason = r.get("reason")
                c = errors.invalid_value(field, _type_name(value), msg)
                if reason == "FieldValueForbidden":
                    c = errors.forbidden_field(field, msg)
                elif reason == "FieldValueRequired":
                    c = errors.required_value(field, msg)
                causes.append(c)
