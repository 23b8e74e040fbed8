"""Counters, fault rules and the request log of the /simulator admin endpoint."""
from __future__ import annotations

import http.client
import urllib.error

import pytest

from ansible_collections.ocp.registry.tests.lib.fixtures import SimAdmin
from ansible_collections.ocp.registry.tests.simulator.tests.core_helpers import Raw

CM = "/api/v1/namespaces/sandbox/configmaps"


@pytest.fixture
def sim(simulator_factory):
    return simulator_factory("faults", controllers=False)


@pytest.fixture
def admin(sim):
    return SimAdmin(sim)


def _cm(name):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": "v"}}


def test_counters_by_verb_resource_code_and_dry_run(sim, admin):
    admin.reset()
    r = Raw(sim)
    r.request("POST", CM, _cm("a"))
    r.request("POST", CM, _cm("a"))                      # 409
    r.request("GET", f"{CM}/a")
    r.request("GET", CM)
    r.request("PATCH", f"{CM}/a", {"data": {"k": "2"}}, "application/merge-patch+json")
    r.request("POST", f"{CM}?dryRun=All", _cm("b"))
    r.request("DELETE", f"{CM}/a")
    r.request("GET", "/apis/apps/v1")
    snap = admin.counters()

    def count(**m):
        return sum(x["count"] for x in snap["requests"] if all(x[k] == v for k, v in m.items()))
    assert count(verb="create", resource="configmaps", code=201, dry_run=False) == 1
    assert count(verb="create", resource="configmaps", code=409) == 1
    assert count(verb="create", resource="configmaps", dry_run=True) == 1
    assert count(verb="get", resource="configmaps", namespace="sandbox") == 1
    assert count(verb="list", resource="configmaps") == 1
    assert count(verb="patch", resource="configmaps", code=200) == 1
    assert count(verb="delete", resource="configmaps") == 1
    assert count(resource="", verb="get") == 1               # the discovery request
    assert snap["total"] == 8
    assert snap["mutating"] == 4                             # 2 creates + patch + delete; dry run excluded
    assert admin.mutating() == 4                             # admin calls are not counted themselves
    admin.reset()
    assert admin.counters() == {"total": 0, "mutating": 0, "requests": []}


def test_admin_endpoint_requires_admin(sim):
    dev = Raw(sim, token=sim.developer_token)
    code, _headers, st = dev.request("GET", "/simulator/counters")
    assert code == 403 and st["reason"] == "Forbidden"
    code, _headers, _body = Raw(sim, token=None).request("GET", "/simulator/counters")
    assert code == 401


def test_fault_status_times_and_retry_after(sim, admin):
    rule = admin.add_fault(method="GET", path=r"/configmaps/x$", status=429, retry_after=3, times=1)
    assert rule["id"] >= 1
    r = Raw(sim)
    r.request("POST", CM, _cm("x"))
    code, headers, st = r.request("GET", f"{CM}/x")
    assert code == 429 and headers["Retry-After"] == "3" and st["reason"] == "TooManyRequests"
    assert st["details"]["retryAfterSeconds"] == 3
    assert r.request("GET", f"{CM}/x")[0] == 200
    assert admin.faults()[0]["hits"] == 1
    assert admin.count(verb="get", resource="configmaps", code=429) == 1


def test_fault_after_and_method_filter(sim, admin):
    admin.add_fault(method="PATCH", path="/configmaps/", status=503, after=1, times=2)
    r = Raw(sim)
    r.request("POST", CM, _cm("y"))
    patch = ({"data": {"k": "1"}}, "application/merge-patch+json")
    assert r.request("PATCH", f"{CM}/y", *patch)[0] == 200          # skipped by after=1
    assert r.request("GET", f"{CM}/y")[0] == 200                   # other method: no match
    code, _headers, st = r.request("PATCH", f"{CM}/y", *patch)
    assert code == 503 and st["kind"] == "Status" and st["reason"] == "ServiceUnavailable"
    assert st["message"] == "the server is currently unable to handle the request"
    assert r.request("PATCH", f"{CM}/y", *patch)[0] == 503
    assert r.request("PATCH", f"{CM}/y", *patch)[0] == 200          # times=2 exhausted
    admin.clear_faults()
    assert admin.faults() == []


def test_fault_reset_closes_connection(sim, admin):
    admin.add_fault(path="/configmaps$", reset=True, times=1)
    r = Raw(sim)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine)):
        r.request("GET", CM)
    r.close()
    r2 = Raw(sim)
    assert r2.request("GET", CM)[0] == 200
    assert admin.count(resource="configmaps", code=0) == 1


def test_fault_latency_is_applied_and_counted(sim, admin):
    admin.add_fault(path="/configmaps$", latency=0.05, times=1)
    assert Raw(sim).request("GET", CM)[0] == 200
    assert admin.faults()[0]["hits"] == 1


def test_fault_bump_makes_the_write_conflict(sim, admin):
    r = Raw(sim)
    _status, _headers, obj = r.request("POST", CM, _cm("z"))
    admin.add_fault(method="PUT", path="/configmaps/z$", bump=True, times=1)
    obj["data"] = {"k": "mine"}
    code, _headers, st = r.request("PUT", f"{CM}/z", obj)
    assert code == 409 and st["reason"] == "Conflict"
    _status, _headers, live = r.request("GET", f"{CM}/z")
    assert live["data"] == {"k": "v"}
    assert live["metadata"]["annotations"]["simulator.ocp.registry/bump"] == "1"
    live["data"] = {"k": "mine"}
    assert r.request("PUT", f"{CM}/z", live)[0] == 200


def test_fault_rule_validation(sim, admin):
    with pytest.raises(urllib.error.HTTPError) as e:
        admin.add_fault(path="(")
    assert e.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as e:
        admin.add_fault(path="x", colour="red", status=500)
    assert e.value.code == 400


def test_reset_with_faults_clears_rules(sim, admin):
    admin.add_fault(path="x", status=500)
    admin.reset(faults=True)
    assert admin.faults() == []


def test_request_log_has_no_secrets(sim, admin):
    r = Raw(sim)
    r.request("POST", CM, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"},
                           "data": {"password": "hunter2"}})
    Raw(sim, token=None).request("GET", "/oauth/authorize?response_type=token&client_id=x&access_token=abc")
    text = admin.log()
    lines = text.strip().splitlines()
    assert any(" POST /api/v1/namespaces/sandbox/configmaps 201 admin" in line for line in lines)
    assert "hunter2" not in text and sim.admin_token not in text and "access_token=abc" not in text
    assert "access_token=REDACTED" in text
    with open(sim.log_file) as fh:
        assert fh.read().startswith(text)


def test_stop_ends_open_watches_and_connections(simulator_factory):
    import threading
    sim = simulator_factory("stopper", controllers=False)
    result = {}

    def watch():
        r = Raw(sim)
        try:
            result["code"] = r.request("GET", f"{CM}?watch=1&timeoutSeconds=600")[0]
        except Exception as e:   # the server may also just close the connection
            result["error"] = repr(e)

    t = threading.Thread(target=watch)
    t.start()
    idle = Raw(sim)
    assert idle.request("GET", CM)[0] == 200          # an idle keep-alive connection stays open
    while not sim._watches:                           # wait until the watch is being served
        t.join(0.01)
    sim.stop()
    t.join(30)
    assert not t.is_alive()
    assert result.get("code") == 200 or "error" in result
