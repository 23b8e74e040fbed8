"""Versioned object store: one global resourceVersion counter, uids, JSON persistence.

The store holds plain dicts keyed by resource-type key (group, plural) and (namespace, name). It does no
validation; ApiServer does. All access goes through one re-entrant lock; readers get deep copies.
"""
from __future__ import annotations

import copy
import json
import os
import threading
import uuid


class Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._objs: dict[tuple, dict[tuple, dict]] = {}
        self._rv = 0

    # --- versions -----------------------------------------------------------------------------
    @property
    def resource_version(self) -> int:
        return self._rv

    def next_rv(self) -> str:
        with self.lock:
            self._rv += 1
            return str(self._rv)

    @staticmethod
    def new_uid() -> str:
        return str(uuid.uuid4())

    # --- access -------------------------------------------------------------------------------
    def get(self, key: tuple, namespace: str | None, name: str, copy_: bool = True) -> dict | None:
        with self.lock:
            obj = self._objs.get(tuple(key), {}).get((namespace or "", name))
            return copy.deepcopy(obj) if (obj is not None and copy_) else obj

    def list(self, key: tuple, namespace: str | None = None) -> list[dict]:
        with self.lock:
            objs = self._objs.get(tuple(key), {})
            items = [o for (ns, _name), o in sorted(objs.items()) if namespace is None or ns == namespace]
            return copy.deepcopy(items)

    def find(self, key: tuple, predicate, namespace: str | None = None) -> list[dict]:
        """Deep copies of the objects of one type (optionally one namespace) matching predicate(obj);
        the predicate sees the stored objects (read-only) so nothing else is copied."""
        with self.lock:
            objs = self._objs.get(tuple(key), {})
            hits = [o for (ns, _name), o in sorted(objs.items())
                    if (namespace is None or ns == namespace) and predicate(o)]
            return copy.deepcopy(hits)

    def keys(self) -> list[tuple]:
        with self.lock:
            return list(self._objs)

    def put(self, key: tuple, obj: dict) -> dict:
        """Store obj (its metadata.resourceVersion must already be set by the caller)."""
        md = obj["metadata"]
        with self.lock:
            self._objs.setdefault(tuple(key), {})[(md.get("namespace") or "", md["name"])] = copy.deepcopy(obj)
            rv = int(md.get("resourceVersion") or 0)
            if rv > self._rv:
                self._rv = rv
        return obj

    def remove(self, key: tuple, namespace: str | None, name: str) -> dict | None:
        with self.lock:
            return self._objs.get(tuple(key), {}).pop((namespace or "", name), None)

    # --- persistence --------------------------------------------------------------------------
    def dump(self) -> dict:
        with self.lock:
            return {
                "resourceVersion": self._rv,
                "objects": {f"{g}/{p}": list(objs.values()) for (g, p), objs in self._objs.items() if objs},
            }

    def load_dict(self, data: dict) -> None:
        with self.lock:
            self._objs.clear()
            for k, items in data.get("objects", {}).items():
                g, _slash, p = k.rpartition("/")
                for obj in items:
                    self.put((g, p), obj)
            self._rv = max(self._rv, int(data.get("resourceVersion", 0)))

    def save(self, path: str) -> None:
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.dump(), fh, indent=1, sort_keys=True)
        os.replace(tmp, path)

    def load(self, path: str) -> bool:
        """Load objects from path; False when it does not exist yet."""
        if not os.path.exists(path):
            return False
        with open(path, encoding="utf-8") as fh:
            self.load_dict(json.load(fh))
        return True
