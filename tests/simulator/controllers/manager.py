"""Controller base class and ControllerManager: a delayed work queue drained by one worker thread.

Controllers act only through the ApiServer (ctx.api), like real controllers act only through
kube-apiserver. Events from api.subscribe() become keys (controller.keys_for) that are synced after
config.controller_delay seconds; the same pending key is coalesced. A controller may ask for a later
sync with `raise Requeue(after)` or `manager.enqueue(controller, key, delay)`. Periodic resync:
a controller with `resync_period` gets `resync_keys()` enqueued every resync_period seconds.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Any, Iterable

from ..apiserver import SYSTEM, ApiServer, Context, User

log = logging.getLogger(__name__)

# Work due further away than this does not keep wait_idle() waiting (e.g. a retry in 30 s).
IDLE_HORIZON = 2.0


class Requeue(Exception):
    """Raised by sync() to run the same key again after `after` seconds (no error logged)."""

    def __init__(self, after: float = 1.0):
        super().__init__(f"requeue after {after}s")
        self.after = after


class Controller:
    name: str = ""
    watches: list = []                    # [(group, plural), ...]
    resync_period: float | None = None    # seconds; None = no periodic resync
    user: User = SYSTEM                   # identity used for ctx.user

    def keys_for(self, event: str, rt, obj: dict) -> Iterable[Any]:
        """Work keys for an event; by default (namespace, name) of the object."""
        md = obj.get("metadata") or {}
        return [(md.get("namespace"), md.get("name"))]

    def resync_keys(self) -> Iterable[Any]:
        return []

    def sync(self, ctx: Context, key: Any) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class ControllerManager:
    def __init__(self, api: ApiServer, config=None):
        self.api = api
        self.config = config if config is not None else api.config
        self.controllers: list[Controller] = []
        self._heap: list = []                 # (due, seq, controller_index, key)
        self._pending: dict = {}              # (controller_index, key) -> due
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._next_resync: dict[int, float] = {}
        self.errors: list[tuple[str, Any, str]] = []   # (controller, key, error) of failed syncs
        api.subscribe(self._on_event)

    # --- wiring -------------------------------------------------------------------------------
    def add(self, controller: Controller) -> Controller:
        with self._cond:
            self.controllers.append(controller)
            idx = len(self.controllers) - 1
            if controller.resync_period:
                self._next_resync[idx] = time.monotonic() + controller.resync_period
        return controller

    def _on_event(self, event: str, rt, obj: dict, old: dict | None) -> None:
        for idx, c in enumerate(self.controllers):
            if rt.key in {tuple(w) for w in c.watches}:
                try:
                    keys = list(c.keys_for(event, rt, obj) or [])
                except Exception:
                    log.exception("%r.keys_for failed", c)
                    continue
                for key in keys:
                    self._enqueue(idx, key, self.config.controller_delay)

    def enqueue(self, controller: Controller, key: Any, delay: float | None = None) -> None:
        idx = self.controllers.index(controller)
        self._enqueue(idx, key, self.config.controller_delay if delay is None else delay)

    def _enqueue(self, idx: int, key: Any, delay: float) -> None:
        due = time.monotonic() + max(0.0, delay)
        with self._cond:
            current = self._pending.get((idx, key))
            if current is not None and current <= due:
                return
            self._pending[(idx, key)] = due
            heapq.heappush(self._heap, (due, next(self._seq), idx, key))
            self._cond.notify_all()

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="sim-controllers", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _due_resyncs(self) -> list[int]:
        """Controllers whose periodic resync is due (their next one is scheduled); condition held."""
        now = time.monotonic()
        due = []
        for idx, at in list(self._next_resync.items()):
            if at <= now:
                self._next_resync[idx] = now + (self.controllers[idx].resync_period or 0)
                due.append(idx)
        return due

    def _run_resyncs(self, due: list[int]) -> None:
        """Enqueue resync keys; called WITHOUT the condition held, since resync_keys may read the API
        (whose lock an HTTP thread may hold while it waits for this condition in _enqueue)."""
        for idx in due:
            c = self.controllers[idx]
            try:
                keys = list(c.resync_keys() or [])
            except Exception:
                log.exception("%r.resync_keys failed", c)
                continue
            for key in keys:
                self._enqueue(idx, key, 0.0)

    def _pop_due(self) -> tuple[int, Any] | None:
        """Next due item, or None after waiting; called with the condition held."""
        now = time.monotonic()
        while self._heap:
            due, _seq, idx, key = self._heap[0]
            if self._pending.get((idx, key)) != due:
                heapq.heappop(self._heap)      # superseded by an earlier entry for the same key
                continue
            if due <= now:
                heapq.heappop(self._heap)
                del self._pending[(idx, key)]
                return idx, key
            break
        waits = [self._heap[0][0] - now] if self._heap else []
        waits += [t - now for t in self._next_resync.values()]
        self._cond.wait(timeout=min([1.0] + [max(0.001, w) for w in waits]))
        return None

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                resyncs = self._due_resyncs()
            if resyncs:
                self._run_resyncs(resyncs)
            with self._cond:
                if self._stopping:
                    return
                item = self._pop_due()
                if item is None:
                    continue
                self._busy = True
            idx, key = item
            controller = self.controllers[idx]
            try:
                controller.sync(Context(self.api, self.config, controller.user), key)
            except Requeue as r:
                self._enqueue(idx, key, r.after)
            except Exception as e:  # keep the worker alive; retry with a short backoff
                log.exception("%r.sync(%r) failed", controller, key)
                self.errors.append((controller.name or type(controller).__name__, key, repr(e)))
                del self.errors[:-100]
                self._enqueue(idx, key, max(1.0, self.config.controller_delay))
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    # --- observation --------------------------------------------------------------------------
    def _idle(self) -> bool:
        horizon = time.monotonic() + IDLE_HORIZON
        return not self._busy and not any(due <= horizon for due in self._pending.values())

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no work is running or due within IDLE_HORIZON seconds; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._idle():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(timeout=min(left, 0.05))
            return True

    def run_once(self, controller: Controller, key: Any) -> None:
        """Run one sync synchronously (unit tests of a single controller)."""
        controller.sync(Context(self.api, self.config, controller.user), key)
