"""Decode the Kubernetes protobuf request bodies of a few simple kinds into JSON-shaped dicts.

kubectl's typed generators (`kubectl create namespace|configmap|secret|serviceaccount`, `kubectl auth whoami|can-i`) send
`application/vnd.kubernetes.protobuf`: the 4-byte magic `k8s\\0` then a runtime.Unknown message
{typeMeta{apiVersion, kind}, raw, contentEncoding, contentType} whose `raw` is the object. Only the kinds
in SUPPORTED are understood (field numbers from k8s.io/api/*/v1/generated.proto); anything else is 415.
"""
from __future__ import annotations

import base64
from typing import Any

MAGIC = b"k8s\x00"


class Unsupported(Exception):
    pass


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(buf):
            raise Unsupported("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def fields(buf: bytes) -> list[tuple[int, int, Any]]:
    """[(field_number, wire_type, value)] with bytes for length-delimited and int for varints."""
    out, i = [], 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 2:
            n, i = _varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wt == 1:
            v, i = int.from_bytes(buf[i:i + 8], "little"), i + 8
        elif wt == 5:
            v, i = int.from_bytes(buf[i:i + 4], "little"), i + 4
        else:
            raise Unsupported(f"wire type {wt}")
        out.append((num, wt, v))
    return out


# Field schemas: number -> (json name, type). Types: str, bytes (base64 in JSON), bool, int, map_ss
# (map<string,string>), map_sb (map<string,bytes>), rep_str, msg:<schema name>, rep_msg:<schema name>.
SCHEMAS: dict[str, dict[int, tuple[str, str]]] = {
    "ObjectMeta": {1: ("name", "str"), 2: ("generateName", "str"), 3: ("namespace", "str"),
                   11: ("labels", "map_ss"), 12: ("annotations", "map_ss"), 14: ("finalizers", "rep_str"),
                   13: ("ownerReferences", "rep_msg:OwnerReference")},
    "OwnerReference": {1: ("kind", "str"), 3: ("name", "str"), 4: ("uid", "str"), 5: ("apiVersion", "str"),
                       6: ("controller", "bool"), 7: ("blockOwnerDeletion", "bool")},
    "ConfigMap": {1: ("metadata", "msg:ObjectMeta"), 2: ("data", "map_ss"), 3: ("binaryData", "map_sb"),
                  4: ("immutable", "bool")},
    "Secret": {1: ("metadata", "msg:ObjectMeta"), 2: ("data", "map_sb"), 3: ("type", "str"),
               4: ("stringData", "map_ss"), 5: ("immutable", "bool")},
    "Namespace": {1: ("metadata", "msg:ObjectMeta"), 2: ("spec", "msg:NamespaceSpec")},
    "NamespaceSpec": {1: ("finalizers", "rep_str")},
    "ServiceAccount": {1: ("metadata", "msg:ObjectMeta"), 3: ("imagePullSecrets", "rep_msg:LocalObjectReference"),
                       4: ("automountServiceAccountToken", "bool")},
    "LocalObjectReference": {1: ("name", "str")},
    "SelfSubjectReview": {1: ("metadata", "msg:ObjectMeta")},
    "SelfSubjectAccessReview": {1: ("metadata", "msg:ObjectMeta"), 2: ("spec", "msg:SelfSubjectAccessReviewSpec")},
    "SelfSubjectAccessReviewSpec": {1: ("resourceAttributes", "msg:ResourceAttributes"),
                                    2: ("nonResourceAttributes", "msg:NonResourceAttributes")},
    "ResourceAttributes": {1: ("namespace", "str"), 2: ("verb", "str"), 3: ("group", "str"), 4: ("version", "str"),
                           5: ("resource", "str"), 6: ("subresource", "str"), 7: ("name", "str")},
    "NonResourceAttributes": {1: ("path", "str"), 2: ("verb", "str")},
}

# (apiVersion, kind) accepted in protobuf request bodies
SUPPORTED = {("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Namespace"), ("v1", "ServiceAccount"),
             ("authentication.k8s.io/v1", "SelfSubjectReview"),
             ("authorization.k8s.io/v1", "SelfSubjectAccessReview")}


def _map_entry(buf: bytes) -> tuple[str, bytes]:
    k, v = "", b""
    for num, _wire_type, val in fields(buf):
        if num == 1:
            k = val.decode()
        elif num == 2:
            v = val
    return k, v


def _message(buf: bytes, schema_name: str) -> dict:
    schema = SCHEMAS[schema_name]
    out: dict[str, Any] = {}
    for num, wt, val in fields(buf):
        if num not in schema:
            continue       # fields we do not model (read-only metadata etc.)
        name, typ = schema[num]
        if typ == "str":
            if val:
                out[name] = val.decode()
        elif typ == "bool":
            out[name] = bool(val)
        elif typ == "int":
            out[name] = val
        elif typ == "map_ss":
            k, v = _map_entry(val)
            out.setdefault(name, {})[k] = v.decode()
        elif typ == "map_sb":
            k, v = _map_entry(val)
            out.setdefault(name, {})[k] = base64.b64encode(v).decode()
        elif typ == "rep_str":
            out.setdefault(name, []).append(val.decode())
        elif typ.startswith("msg:"):
            out[name] = _message(val, typ[4:])
        elif typ.startswith("rep_msg:"):
            out.setdefault(name, []).append(_message(val, typ[8:]))
    return out


def decode(body: bytes) -> dict:
    """Decode a protobuf-encoded object; Unsupported for unknown kinds or a malformed envelope."""
    if not body.startswith(MAGIC):
        raise Unsupported("missing k8s protobuf magic")
    api_version = kind = ""
    raw = b""
    for num, _wire_type, val in fields(body[len(MAGIC):]):
        if num == 1:
            for n2, _wire_type2, v2 in fields(val):
                if n2 == 1:
                    api_version = v2.decode()
                elif n2 == 2:
                    kind = v2.decode()
        elif num == 2:
            raw = val
        elif num == 3 and val:
            raise Unsupported(f"content encoding {val!r}")
    if (api_version, kind) not in SUPPORTED:
        raise Unsupported(f"protobuf bodies of {api_version}/{kind} are not supported")
    obj = {"apiVersion": api_version, "kind": kind}
    obj.update(_message(raw, kind))
    return obj
