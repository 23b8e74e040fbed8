"""config.openshift.io/v1: images, infrastructures, proxies, clusteroperators, apiservers, clusterversions.

All cluster-scoped singletons named `cluster` (ClusterOperators are named per operator, ClusterVersion is
`version`). The real API server does not refuse other names; the operators only read the canonical ones.
`proxies` gets the Cluster Network Operator's status computation: status mirrors spec, and `noProxy`
gains the cluster-internal defaults when any proxy is set.
"""
from __future__ import annotations

import copy

from .. import catalog, errors
from ..apiserver import Strategy

PROXIES = catalog.get("config.openshift.io", "proxies")
DEFAULT_NO_PROXY = (".cluster.local", ".svc", "10.128.0.0/14", "127.0.0.1", "172.30.0.0/16",
                    "api-int.sim.example.test", "localhost")


class SpecDefaultStrategy(Strategy):
    def prepare_create(self, ctx, obj):
        obj.setdefault("spec", {})

    def prepare_update(self, ctx, new, old):
        new.setdefault("spec", {})


class ProxyStrategy(SpecDefaultStrategy):
    def after_write(self, ctx, obj, old):
        if obj is None or old is not None and old.get("spec") == obj.get("spec"):
            return
        spec = obj.get("spec") or {}
        status = {}
        if spec.get("httpProxy"):
            status["httpProxy"] = spec["httpProxy"]
        if spec.get("httpsProxy"):
            status["httpsProxy"] = spec["httpsProxy"]
        if status:
            extra = [x for x in (spec.get("noProxy") or "").split(",") if x]
            status["noProxy"] = ",".join(sorted(set(DEFAULT_NO_PROXY) | set(extra)))
        if (obj.get("status") or {}) == status:
            return
        new = copy.deepcopy(obj)
        new["status"] = status
        try:
            ctx.api.update(PROXIES, None, obj["metadata"]["name"], new, subresource="status")
        except errors.StatusError:
            pass


def register(api) -> None:
    for plural in ("images", "infrastructures", "clusteroperators", "apiservers", "clusterversions"):
        api.register_strategy(("config.openshift.io", plural), SpecDefaultStrategy())
    api.register_strategy(("config.openshift.io", "proxies"), ProxyStrategy())
