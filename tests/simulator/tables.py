"""meta.k8s.io/v1 Table output for `kubectl get`: NAME plus the columns the real server prints.

CRD-backed kinds use the CRD's additionalPrinterColumns (a small JSONPath subset: `.a.b`, `[N]`,
`[?(@.k=="v")]`); a few built-in and OpenShift kinds get hand-written columns like their Go table
convertors; everything else gets NAME and AGE.
"""
from __future__ import annotations

import datetime
import os
import re
from typing import Any, Callable

import yaml

_COLUMN_CACHE: dict[tuple, list] = {}
_SEGMENT = re.compile(r"""\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[\?\(@\.([A-Za-z0-9_]+)\s*==\s*["']([^"']*)["']\)\]""")


def jsonpath(obj: Any, path: str) -> Any:
    """Evaluate the JSONPath subset; a filter keeps the first match; None when nothing matches."""
    cur = obj
    pos = 0
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if not m:
            return None
        pos = m.end()
        if m.group(1) is not None:
            cur = cur.get(m.group(1)) if isinstance(cur, dict) else None
        elif m.group(2) is not None:
            i = int(m.group(2))
            cur = cur[i] if isinstance(cur, list) and i < len(cur) else None
        else:
            key, val = m.group(3), m.group(4)
            cur = next((x for x in cur if isinstance(x, dict) and str(x.get(key)) == val), None) \
                if isinstance(cur, list) else None
        if cur is None:
            return None
    return cur


def age(ts: str | None, now: datetime.datetime | None = None) -> str:
    """kubectl's human duration (e.g. 45s, 3m10s, 5h, 2d) of a timestamp, "<unknown>" when absent."""
    if not ts:
        return "<unknown>"
    try:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return "<unknown>"
    now = now or datetime.datetime.now(datetime.timezone.utc)
    s = max(0, int((now - t).total_seconds()))
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = m // 60
    if h < 48:
        return f"{h}h"
    return f"{h // 24}d"


def _col(name: str, typ: str = "string", fmt: str = "", priority: int = 0) -> dict:
    return {"name": name, "type": typ, "format": fmt, "description": "", "priority": priority}


def _cond(obj: dict, typ: str, path=("status", "conditions")) -> str:
    cur: Any = obj
    for p in path:
        cur = (cur or {}).get(p) if isinstance(cur, dict) else None
    for c in cur or []:
        if c.get("type") == typ:
            return c.get("status", "")
    return ""


def _deploy(o: dict) -> list:
    st, sp = o.get("status") or {}, o.get("spec") or {}
    return [f"{st.get('readyReplicas', 0)}/{sp.get('replicas', 1)}", st.get("updatedReplicas", 0),
            st.get("availableReplicas", 0)]


def _node(o: dict) -> list:
    ready = _cond(o, "Ready")
    status = "Ready" if ready == "True" else "NotReady"
    if (o.get("spec") or {}).get("unschedulable"):
        status += ",SchedulingDisabled"
    labels = (o.get("metadata") or {}).get("labels") or {}
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
    version = ((o.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "")
    return [status, ",".join(roles) or "<none>", version]


def _imagestream(o: dict) -> list:
    st = o.get("status") or {}
    repo = st.get("publicDockerImageRepository") or st.get("dockerImageRepository") or ""
    tags = [t.get("tag") for t in st.get("tags") or [] if t.get("items")]
    updated = max((t["items"][0].get("created", "") for t in st.get("tags") or [] if t.get("items")), default="")
    return [repo, ",".join(tags), age(updated) if updated else ""]


def _pvc(o: dict) -> list:
    st, sp = o.get("status") or {}, o.get("spec") or {}
    cap = (st.get("capacity") or {}).get("storage", "")
    modes = {"ReadWriteOnce": "RWO", "ReadWriteMany": "RWX", "ReadOnlyMany": "ROX", "ReadWriteOncePod": "RWOP"}
    return [st.get("phase", "Pending"), sp.get("volumeName", ""), cap,
            ",".join(modes.get(m, m) for m in st.get("accessModes") or []), sp.get("storageClassName", "")]


def _service(o: dict) -> list:
    sp = o.get("spec") or {}
    ports = ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in sp.get("ports") or [])
    return [sp.get("type", "ClusterIP"), sp.get("clusterIP", "<none>") or "<none>", "<none>", ports or "<none>"]


# (group, plural) -> (columns between NAME and AGE, row function)
BUILTIN: dict[tuple, tuple[list, Callable[[dict], list]]] = {
    ("", "namespaces"): ([_col("Status")], lambda o: [(o.get("status") or {}).get("phase", "")]),
    ("", "nodes"): ([_col("Status"), _col("Roles"), _col("Version")], _node),
    ("", "secrets"): ([_col("Type"), _col("Data", "integer")],
                      lambda o: [o.get("type", "Opaque"), len(o.get("data") or {})]),
    ("", "configmaps"): ([_col("Data", "integer")],
                         lambda o: [len(o.get("data") or {}) + len(o.get("binaryData") or {})]),
    ("", "services"): ([_col("Type"), _col("Cluster-IP"), _col("External-IP"), _col("Port(s)")], _service),
    ("", "persistentvolumeclaims"): ([_col("Status"), _col("Volume"), _col("Capacity"), _col("Access Modes"),
                                      _col("StorageClass")], _pvc),
    ("", "pods"): ([_col("Ready"), _col("Status")],
                   lambda o: [f"{sum(1 for c in (o.get('status') or {}).get('containerStatuses') or [] if c.get('ready'))}"
                              f"/{len((o.get('spec') or {}).get('containers') or [])}",
                              (o.get("status") or {}).get("phase", "Pending")]),
    ("apps", "daemonsets"): ([_col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer"),
                              _col("Up-to-date", "integer"), _col("Available", "integer")],
                             lambda o: [(o.get("status") or {}).get(k, 0) for k in (
                                 "desiredNumberScheduled", "currentNumberScheduled", "numberReady",
                                 "updatedNumberScheduled", "numberAvailable")]),
    ("apps", "replicasets"): ([_col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer")],
                              lambda o: [(o.get("spec") or {}).get("replicas", 1),
                                         (o.get("status") or {}).get("replicas", 0),
                                         (o.get("status") or {}).get("readyReplicas", 0)]),
    ("apps", "statefulsets"): ([_col("Ready")],
                               lambda o: [f"{(o.get('status') or {}).get('readyReplicas', 0)}/{(o.get('spec') or {}).get('replicas', 1)}"]),
    ("batch", "cronjobs"): ([_col("Schedule"), _col("Suspend"), _col("Active", "integer")],
                            lambda o: [(o.get("spec") or {}).get("schedule", ""),
                                       str(bool((o.get("spec") or {}).get("suspend"))),
                                       len((o.get("status") or {}).get("active") or [])]),
    ("apps", "deployments"): ([_col("Ready"), _col("Up-to-date", "integer"), _col("Available", "integer")], _deploy),
    ("image.openshift.io", "imagestreams"): ([_col("Image Repository"), _col("Tags"), _col("Updated")], _imagestream),
}


def _crd_columns(rt, crd_dir: str) -> list:
    key = (rt.key, crd_dir)
    if key not in _COLUMN_CACHE:
        cols: list = []
        path = os.path.join(crd_dir, rt.crd) if rt.crd else None
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                crd = yaml.safe_load(fh)
            for v in crd["spec"]["versions"]:
                if v["name"] == rt.version:
                    cols = v.get("additionalPrinterColumns") or []
        _COLUMN_CACHE[key] = cols
    return _COLUMN_CACHE[key]


def to_table(rt, obj: dict, include_object: str, crd_dir: str) -> dict:
    items = obj["items"] if obj.get("kind", "").endswith("List") and "items" in obj else [obj]
    name_col = {"name": "Name", "type": "string", "format": "name",
                "description": "Name must be unique within a namespace.", "priority": 0}
    age_col = {"name": "Age", "type": "date", "format": "",
               "description": "CreationTimestamp is a timestamp representing the server time when this object "
                              "was created.", "priority": 0}
    crd_cols = _crd_columns(rt, crd_dir) if rt is not None and rt.crd else []
    builtin = BUILTIN.get(rt.key) if rt is not None else None
    if crd_cols:
        # like kube-apiserver: with additionalPrinterColumns the table is NAME plus exactly those columns
        columns = [name_col] + [_col(c["name"], c.get("type", "string"), c.get("format", ""), c.get("priority", 0))
                                for c in crd_cols]
    elif builtin:
        columns = [name_col] + builtin[0] + [age_col]
    else:
        columns = [name_col, age_col]
    rows = []
    for it in items:
        md = it.get("metadata") or {}
        cells: list = [md.get("name", "")]
        if crd_cols:
            for c in crd_cols:
                v = jsonpath(it, c["jsonPath"])
                if c.get("type") == "date":
                    v = age(v) if v else "<unknown>"
                cells.append("" if v is None else v)
        else:
            if builtin:
                cells.extend(builtin[1](it))
            cells.append(age(md.get("creationTimestamp")))
        row: dict = {"cells": cells}
        if include_object == "Object":
            row["object"] = it
        elif include_object != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": md}
        rows.append(row)
    meta = {"resourceVersion": (obj.get("metadata") or {}).get("resourceVersion", "")}
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": columns,
            "rows": rows}
