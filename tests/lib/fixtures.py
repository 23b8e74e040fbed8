"""pytest fixtures for the loopback OpenShift API simulator (re-exported by tests/conftest.py).

* ``simulator`` (function scope): a fresh in-process SimulatorServer in tmp_path; yields the server.
* ``simulator_factory``: ``simulator_factory(platform="aws", ...)`` starts more servers with other
  settings (keyword arguments of SimulatorServer); all are stopped at the end of the test.
* ``simulator_session`` (session scope): one shared server.
* ``sim_admin``: a SimAdmin bound to the ``simulator`` fixture.
"""
from __future__ import annotations

import json
import ssl
import urllib.request
from typing import Any

import pytest

from ..simulator.server import SimulatorServer

__all__ = ["simulator", "simulator_factory", "simulator_session", "sim_admin", "SimAdmin"]


class SimAdmin:
    """Client for the simulator's /simulator admin endpoint (uses the admin token and the sim CA)."""

    def __init__(self, server: SimulatorServer):
        self.server = server
        self._ctx = ssl.create_default_context(cafile=server.ca_file) if server.url.startswith("https") else None

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.server.url + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.server.admin_token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=self._ctx, timeout=30) as resp:
            raw = resp.read()
        ctype = resp.headers.get("Content-Type", "")
        return json.loads(raw) if ctype.startswith("application/json") else raw.decode()

    def reset(self, faults: bool = False) -> None:
        self._call("POST", "/simulator/reset", {"faults": True} if faults else {})

    def counters(self) -> dict:
        return self._call("GET", "/simulator/counters")

    def mutating(self) -> int:
        return self.counters()["mutating"]

    def count(self, **match: Any) -> int:
        """Sum of request counts whose fields equal every given value (verb=, resource=, code=, ...)."""
        return sum(r["count"] for r in self.counters()["requests"]
                   if all(r.get(k) == v for k, v in match.items()))

    def add_fault(self, **rule: Any) -> dict:
        return self._call("POST", "/simulator/faults", rule)

    def faults(self) -> list:
        return self._call("GET", "/simulator/faults")["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/simulator/faults")

    def log(self) -> str:
        return self._call("GET", "/simulator/log")

    def wait_idle(self, timeout: float = 30.0) -> bool:
        return self._call("POST", "/simulator/idle", {"timeout": timeout})["idle"]


@pytest.fixture
def simulator_factory(tmp_path):
    started: list[SimulatorServer] = []

    def factory(name: str | None = None, **kwargs: Any) -> SimulatorServer:
        state_dir = tmp_path / (name or f"sim{len(started)}")
        server = SimulatorServer(str(state_dir), **kwargs)
        started.append(server)
        server.start()
        return server

    try:
        yield factory
    finally:
        for server in reversed(started):
            server.stop()


@pytest.fixture
def simulator(simulator_factory):
    return simulator_factory("sim")


@pytest.fixture
def sim_admin(simulator):
    return SimAdmin(simulator)


@pytest.fixture(scope="session")
def simulator_session(tmp_path_factory):
    """One simulator shared by a whole session (tests must not depend on each other's objects)."""
    server = SimulatorServer(str(tmp_path_factory.mktemp("simulator-session")))
    server.start()
    try:
        yield server
    finally:
        server.stop()
