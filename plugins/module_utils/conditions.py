# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Operator conditions: read them, decide whether the registry has settled, and wait for it."""

from __future__ import annotations

import time
from typing import Any, Callable

from ansible_collections.ocp.registry.plugins.module_utils import resources
from ansible_collections.ocp.registry.plugins.module_utils.errors import ApiTimeout, NotFound

__all__ = [
    "SETTLED",
    "find",
    "summary",
    "unsettled",
    "describe_unsettled",
    "wait_until",
    "wait_for_registry",
    "wait_for_pruner",
]

# type -> the status that means "settled" (the operator's "normal" values).
SETTLED = {"Available": "True", "Progressing": "False", "Degraded": "False"}


def find(obj: dict | None, ctype: str) -> dict | None:
    """The condition of type ``ctype`` in ``obj.status.conditions``, or None."""
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == ctype:
            return cond
    return None


def summary(obj: dict | None, types: tuple = tuple(SETTLED)) -> list:
    """``[{type, status, reason, message}]`` for the given condition types (missing ones are Unknown)."""
    out = []
    for ctype in types:
        cond = find(obj, ctype) or {}
        out.append({
            "type": ctype,
            "status": cond.get("status", "Unknown"),
            "reason": cond.get("reason", ""),
            "message": cond.get("message", ""),
        })
    return out


def unsettled(obj: dict | None, wanted: dict | None = None, check_generation: bool = False) -> list:
    """The condition summaries of ``obj`` that do not have the wanted status (empty list: settled).

    With ``check_generation`` an object whose ``status.observedGeneration`` lags behind
    ``metadata.generation`` is unsettled too, because its conditions describe an older spec.
    """
    wanted = wanted or SETTLED
    if obj is None:
        return [{"type": "Exists", "status": "False", "reason": "NotFound", "message": "the object does not exist"}]
    bad = [c for c in summary(obj, tuple(wanted)) if c["status"] != wanted[c["type"]]]
    if check_generation:
        generation = (obj.get("metadata") or {}).get("generation")
        observed = (obj.get("status") or {}).get("observedGeneration")
        if generation is not None and (observed is None or observed < generation):
            bad.append({
                "type": "ObservedGeneration", "status": "False", "reason": "NotObserved",
                "message": "the operator has not yet observed generation %s (observed %s)" % (generation, observed),
            })
    return bad


def describe_unsettled(label: str, conds: list) -> str:
    """``Config cluster: Available=False (NoReplicasAvailable: The deployment ...)``."""
    parts = []
    for c in conds:
        detail = ": ".join(x for x in (c.get("reason"), c.get("message")) if x)
        parts.append("%s=%s%s" % (c["type"], c["status"], " (%s)" % detail if detail else ""))
    return "%s: %s" % (label, "; ".join(parts))


def wait_until(
    probe: Callable[[], tuple],
    timeout: float,
    sleep: float,
    what: str,
    clock: Callable[[], float] = time.monotonic,
    pause: Callable[[float], None] = time.sleep,
) -> Any:
    """Call ``probe()`` -> ``(done, state, report)`` until done; ApiTimeout with the last report otherwise."""
    deadline = clock() + max(0, timeout)
    while True:
        done, state, report = probe()
        if done:
            return state
        remaining = deadline - clock()
        if remaining <= 0:
            details = "; ".join(describe_unsettled(label, conds) for label, conds in report)
            raise ApiTimeout(
                "Timed out after %ss waiting for %s. %s" % (timeout, what, details),
                conditions=[{"object": label, "conditions": conds} for label, conds in report],
            )
        pause(min(max(sleep, 0.05), remaining))


def _get(client: Any, res: Any, name: str) -> dict | None:
    try:
        return client.get(res, name)
    except NotFound:
        return None


def wait_for_registry(client: Any, timeout: float, sleep: float, **kwargs: Any) -> dict:
    """Wait until Config cluster and ClusterOperator image-registry are Available, not Progressing, not Degraded.

    Returns ``{"config": obj, "cluster_operator": obj}`` as last read.
    """
    def probe() -> tuple:
        config = _get(client, resources.REGISTRY_CONFIG, "cluster")
        co = _get(client, resources.CLUSTEROPERATOR, "image-registry")
        report = []
        bad = unsettled(config, check_generation=True)
        if bad:
            report.append(("Config cluster", bad))
        bad = unsettled(co)
        if bad:
            report.append(("ClusterOperator image-registry", bad))
        return not report, {"config": config, "cluster_operator": co}, report

    return wait_until(probe, timeout, sleep, "the image registry to become Available (Progressing=False, "
                      "Degraded=False)", **kwargs)


PRUNER_SETTLED = {"Available": "True", "Degraded": "False"}


def wait_for_pruner(client: Any, timeout: float, sleep: float, **kwargs: Any) -> dict:
    """Wait until ImagePruner cluster reports Available=True and Degraded=False for its current generation."""
    def probe() -> tuple:
        pruner = _get(client, resources.IMAGEPRUNER, "cluster")
        bad = unsettled(pruner, PRUNER_SETTLED, check_generation=True)
        return not bad, pruner, [("ImagePruner cluster", bad)] if bad else []

    return wait_until(probe, timeout, sleep, "the image pruner to become Available (Degraded=False)", **kwargs)
