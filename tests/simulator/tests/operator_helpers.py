"""Helpers for the operator/route/workload tests: a small JSON client over the simulator's HTTPS API
and a wait-for-condition helper that waits on controller quiescence instead of sleeping."""
from __future__ import annotations

import base64
import time
from typing import Any, Callable

from ansible_collections.ocp.registry.tests.simulator.tests.core_helpers import Raw

CONFIG = "/apis/imageregistry.operator.openshift.io/v1/configs/cluster"
PRUNER = "/apis/imageregistry.operator.openshift.io/v1/imagepruners/cluster"
CO = "/apis/config.openshift.io/v1/clusteroperators/image-registry"
IMAGES = "/apis/config.openshift.io/v1/images/cluster"
NS = "openshift-image-registry"


def core(plural: str, ns: str | None = None, name: str | None = None) -> str:
    p = "/api/v1" + (f"/namespaces/{ns}" if ns else "") + f"/{plural}"
    return p + (f"/{name}" if name else "")


def apis(group: str, plural: str, ns: str | None = None, name: str | None = None, version: str = "v1") -> str:
    p = f"/apis/{group}/{version}" + (f"/namespaces/{ns}" if ns else "") + f"/{plural}"
    return p + (f"/{name}" if name else "")


def deployment(name: str = "image-registry", ns: str = NS) -> str:
    return apis("apps", "deployments", ns, name)


def route(name: str, ns: str = NS) -> str:
    return apis("route.openshift.io", "routes", ns, name)


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def unb64(s: str) -> str:
    return base64.b64decode(s).decode()


class Kube:
    def __init__(self, server, token: str | None = "admin"):
        self.server = server
        self.raw = Raw(server, token=token)

    def req(self, method: str, path: str, body: Any = None, content_type: str = "application/json"):
        return self.raw.request(method, path, body, content_type=content_type)

    def call(self, method: str, path: str, body: Any = None, content_type: str = "application/json"):
        """(status code, parsed body) of one request."""
        code, _headers, out = self.req(method, path, body, content_type=content_type)
        return code, out

    def get(self, path: str) -> dict | None:
        code, body = self.call("GET", path)
        if code == 404:
            return None
        assert code == 200, (path, code, body)
        return body

    def create(self, path: str, body: dict, expect: int = 201) -> dict:
        code, out = self.call("POST", path, body)
        assert code == expect, (path, code, out)
        return out

    def merge(self, path: str, patch: dict, expect: int = 200) -> dict:
        code, out = self.call("PATCH", path, patch, content_type="application/merge-patch+json")
        assert code == expect, (path, code, out)
        return out

    def delete(self, path: str) -> tuple[int, Any]:
        code, out = self.call("DELETE", path)
        return code, out

    def close(self) -> None:
        self.raw.close()


def cond(obj: dict | None, ctype: str) -> dict:
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return {}


def cond_summary(obj: dict | None, ctype: str) -> tuple:
    c = cond(obj, ctype)
    return c.get("status"), c.get("reason")


def wait_for(server, fn: Callable[[], Any], timeout: float = 20.0, what: str = "condition",
             until: Callable[[Any], Any] | None = None) -> Any:
    """Re-evaluate fn after each period of controller quiescence until it returns a truthy value
    (or, with `until`, a value for which until(value) is truthy; that value is returned)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if (until(last) if until is not None else last):
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")
        server.wait_idle(min(0.5, max(0.05, deadline - time.monotonic())))
        # wait_idle returns as soon as nothing is due within its horizon; a short pause lets a
        # requeue that is further out come due without spinning.
        time.sleep(0.02)


def wait_config(server, k: Kube, pred: Callable[[dict], bool], timeout: float = 20.0, what: str = "config") -> dict:
    def probe():
        cfg = k.get(CONFIG)
        return cfg if cfg is not None and pred(cfg) else None
    return wait_for(server, probe, timeout, what)


def registry_ready(cfg: dict) -> bool:
    return (cond_summary(cfg, "Available") == ("True", "Ready")
            and cond_summary(cfg, "Progressing") == ("False", "Ready")
            and cond(cfg, "Degraded").get("status") == "False"
            and (cfg.get("status") or {}).get("observedGeneration") == cfg["metadata"].get("generation"))
