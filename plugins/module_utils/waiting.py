# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Poll until a condition holds or time runs out (used through ``RegistryModule.wait_for``)."""

from __future__ import annotations

import time
from typing import Any, Callable

from ansible_collections.ocp.registry.plugins.module_utils.errors import ApiTimeout

__all__ = ["wait_for"]


def wait_for(predicate: Callable[[], Any], timeout: float, sleep: float, what: str = "the condition",
             sleeper: Callable[[float], None] = time.sleep) -> Any:
    """Poll ``predicate`` until it returns ``(True, state)`` (or a truthy non-tuple) within ``timeout`` seconds.

    Returns the last state; raises ApiTimeout carrying the last state (and its conditions when it has any).
    """
    deadline = time.monotonic() + max(0.0, float(timeout))
    state = None
    while True:
        outcome = predicate()
        if isinstance(outcome, tuple):
            done, state = outcome[0], outcome[1]
        else:
            done, state = bool(outcome), outcome
        if done:
            return state
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            conditions = None
            if isinstance(state, dict):
                conditions = (state.get("status") or {}).get("conditions")
            raise ApiTimeout("Timed out after %s seconds waiting for %s" % (timeout, what),
                             conditions=conditions, last=state)
        sleeper(min(max(0.0, float(sleep)), remaining))
