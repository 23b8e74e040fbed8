"""registry_route in-process against the simulator (registry operator + router)."""
from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.ocp.registry.tests.lib import certs
from ansible_collections.ocp.registry.tests.lib.fixtures import SimAdmin
from ansible_collections.ocp.registry.tests.lib.modules import run_module
from ansible_collections.ocp.registry.tests.simulator.server import SimulatorServer

NS = "openshift-image-registry"
HOST = "registry.example.com"
CA = certs.make_ca("Route CA")
LEAF = certs.make_leaf(CA, (HOST, "*.apps.example.test"))
KEY_MARKERS = [LEAF.key_pem.splitlines()[1], base64.b64encode(LEAF.key_pem.encode()).decode()[:40]]


@pytest.fixture
def sim(simulator_factory):
    server = simulator_factory(platform="aws")  # Managed with storage: the operator manages routes
    server.wait_idle(30)
    return server


@pytest.fixture
def admin(sim):
    return SimAdmin(sim)


@pytest.fixture(scope="module")
def shared_sim(tmp_path_factory):
    """One simulator for the tests that must not write anything (faster than one each)."""
    server = SimulatorServer(str(tmp_path_factory.mktemp("route-sim")), platform="aws")
    server.start()
    try:
        server.wait_idle(30)
        yield server
    finally:
        server.stop()


# Objects are read straight from the in-process simulator, so the request counters see only the module.
def _config(sim):
    return sim.api.get_or_none(("imageregistry.operator.openshift.io", "configs"), None, "cluster")


def _secret(sim, name):
    return sim.api.get_or_none(("", "secrets"), NS, name)


def _route(sim, name, ns=NS):
    return sim.api.get_or_none(("route.openshift.io", "routes"), ns, name)


def _run(sim, params, **kw):
    p = {"kubeconfig": sim.kubeconfig, "wait_sleep": 1, "wait_timeout": 30}
    p.update(params)
    out = run_module("registry_route", p, **kw)
    text = json.dumps(out)
    for marker in KEY_MARKERS:
        assert marker not in text, "private key material in the result"
    return out


def _four_runs(sim, admin, params):
    admin.reset()
    first = _run(sim, params, check_mode=True, diff=True)
    assert admin.mutating() == 0
    second = _run(sim, dict(params, wait=True), diff=True)
    admin.reset()
    third = _run(sim, params, check_mode=True, diff=True)
    fourth = _run(sim, dict(params, wait=True), diff=True)
    assert admin.mutating() == 0
    assert [r["changed"] for r in (first, second, third, fourth)] == [True, True, False, False], \
        [r.get("msg") for r in (first, second, third, fourth)]
    return first, second, third, fourth


def _noop_reads(sim, admin, params):
    """Run ``params`` (already converged) in check mode and for real; both must be no-ops without writes.

    Returns the requests of each run as {(verb, resource): count}; they must be the same."""
    seen = []
    for check in (True, False):
        admin.reset()
        out = _run(sim, params, check_mode=check)
        counters = admin.counters()
        assert not out["changed"] and counters["mutating"] == 0, out.get("msg")
        seen.append({(r["verb"], r["resource"]): r["count"] for r in counters["requests"]})
    assert seen[0] == seen[1]
    return seen[0]


# --- default ---------------------------------------------------------------------------------------
def test_default_route_four_runs_and_removal(sim, admin):
    _c, applied, _c2, again = _four_runs(sim, admin, {"mode": "default"})
    host = "default-route-openshift-image-registry.apps.example.test"
    assert applied["host"] == host and applied["hosts"] == [host] and applied["admitted"]
    assert again["host"] == host
    assert applied["diff"]["before"]["config"]["spec"] == {"defaultRoute": False} or \
        "defaultRoute" not in applied["diff"]["before"]["config"].get("spec", {})
    assert applied["diff"]["after"]["config"]["spec"] == {"defaultRoute": True}
    assert _config(sim)["spec"]["defaultRoute"] is True
    # a no-op reads the config once (handed to ensure) and the route once
    assert _noop_reads(sim, admin, {"mode": "default", "wait": True}) == {("get", "configs"): 1, ("get", "routes"): 1}

    admin.reset()
    check = _run(sim, {"mode": "default", "state": "absent"}, check_mode=True)
    assert check["changed"] and admin.mutating() == 0 and _route(sim, "default-route") is not None
    gone = _run(sim, {"mode": "default", "state": "absent", "wait": True})
    assert gone["changed"] and gone["host"] is None and gone["route"] is None
    assert _config(sim)["spec"]["defaultRoute"] is False and _route(sim, "default-route") is None
    assert not _run(sim, {"mode": "default", "state": "absent", "wait": True})["changed"]


def test_operator_not_managed_warns_instead_of_waiting(simulator):
    # baremetal: the operator bootstraps Removed, so it creates no route
    out = _run(simulator, {"mode": "default", "wait": True, "wait_timeout": 5})
    assert out["changed"] and not out["admitted"] and out["host"] is None
    assert "does not create or update routes" in json.dumps(out["warnings"])


# --- custom ----------------------------------------------------------------------------------------
def _custom(**extra):
    params = {"mode": "custom", "name": "public-routes", "hostname": HOST, "certificate": LEAF.cert_pem,
              "key": LEAF.key_pem, "ca_certificate": CA.cert_pem}
    params.update(extra)
    return params


def test_custom_route_with_secret(sim, admin):
    # another entry that must survive
    _run(sim, {"mode": "custom", "name": "other", "hostname": "other.example.com", "wait": True})
    _c, applied, _c2, again = _four_runs(sim, admin, _custom())
    assert applied["host"] == HOST and applied["admitted"]
    assert applied["secret"] == {"name": "public-routes-tls", "namespace": NS, "type": "kubernetes.io/tls",
                                 "keys": ["tls.cacrt", "tls.crt", "tls.key"]}
    assert applied["certificate"]["dns_names"] == [HOST, "*.apps.example.test"]
    secret = _secret(sim, "public-routes-tls")
    assert secret["type"] == "kubernetes.io/tls"
    assert base64.b64decode(secret["data"]["tls.crt"]).decode() == LEAF.cert_pem
    assert base64.b64decode(secret["data"]["tls.key"]).decode().strip() == LEAF.key_pem.strip()
    assert base64.b64decode(secret["data"]["tls.cacrt"]).decode() == CA.cert_pem
    assert secret["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "ocp.registry"
    routes = _config(sim)["spec"]["routes"]
    assert routes == [{"name": "other", "hostname": "other.example.com"},
                      {"name": "public-routes", "hostname": HOST, "secretName": "public-routes-tls"}]
    live = _route(sim, "public-routes")
    assert live["spec"]["tls"]["certificate"] == LEAF.cert_pem and live["spec"]["host"] == HOST
    # the returned route carries the key only as a redaction marker
    assert applied["route"]["spec"]["tls"]["key"].startswith("VALUE_REDACTED")
    assert str(applied["diff"]["after"]["secret"]["data"]["tls.key"]).startswith("VALUE_REDACTED")
    # a no-op reads the secret, the config (once: handed to ensure) and the route
    assert _noop_reads(sim, admin, dict(_custom(), wait=True)) == {
        ("get", "secrets"): 1, ("get", "configs"): 1, ("get", "routes"): 1}

    # dropping the CA removes tls.cacrt
    no_ca = _custom()
    del no_ca["ca_certificate"]
    out = _run(sim, dict(no_ca, wait=True))
    assert out["changed"] and "tls.cacrt" not in _secret(sim, "public-routes-tls")["data"]

    # removal: entry and secret go, the other entry stays, the operator deletes the route
    absent = {"mode": "custom", "name": "public-routes", "state": "absent"}
    admin.reset()
    assert _run(sim, absent, check_mode=True)["changed"] and admin.mutating() == 0
    gone = _run(sim, dict(absent, wait=True))
    assert gone["changed"] and gone["route"] is None
    assert _secret(sim, "public-routes-tls") is None and _route(sim, "public-routes") is None
    assert _config(sim)["spec"]["routes"] == [{"name": "other", "hostname": "other.example.com"}]
    assert not _run(sim, dict(absent, wait=True))["changed"]
    assert _noop_reads(sim, admin, dict(absent, wait=True)) == {
        ("get", "secrets"): 1, ("get", "configs"): 1, ("get", "routes"): 1}


def test_custom_route_keeps_foreign_secret(sim):
    params = {"mode": "custom", "name": "byo", "hostname": HOST, "secret_name": "byo-tls"}
    out = _run(sim, params)
    assert out["failed"] and out["option"] == "secret_name"
    assert "routes" not in (_config(sim)["spec"] or {})
    # a secret made by someone else is referenced, and kept on removal
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "byo-tls", "namespace": NS},
            "type": "kubernetes.io/tls", "data": {"tls.crt": base64.b64encode(LEAF.cert_pem.encode()).decode(),
                                                  "tls.key": base64.b64encode(LEAF.key_pem.encode()).decode()}}
    sim.api.create(("", "secrets"), NS, body)
    out = _run(sim, dict(params, wait=True))
    assert out["changed"] and out["admitted"] and out["secret"] == {"name": "byo-tls", "namespace": NS}
    gone = _run(sim, {"mode": "custom", "name": "byo", "secret_name": "byo-tls", "state": "absent"})
    assert gone["changed"] and _secret(sim, "byo-tls") is not None
    assert "was not created by this module" in json.dumps(gone.get("warnings"))


OTHER_KEY = certs.key_pem(certs.new_key())
EXPIRED = certs.make_leaf(CA, (HOST,), days=-1, start_days=-30)
SOON = certs.make_leaf(CA, (HOST,), days=10)

BAD_CERTS = [
    ("key mismatch", {"key": OTHER_KEY}, "key", "does not belong"),
    ("wrong SAN", {"hostname": "elsewhere.example.com"}, "certificate", "do not cover"),
    ("expired", {"certificate": EXPIRED.cert_pem, "key": EXPIRED.key_pem}, "certificate", "expired"),
    ("not PEM", {"certificate": "not a certificate"}, "certificate", "no PEM certificate"),
    ("key not PEM", {"key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}, "key", "could not"),
    ("CA not PEM", {"ca_certificate": "junk"}, "ca_certificate", "no PEM certificate"),
    ("key without cert", {"certificate": None}, "certificate", "go together"),
    ("reserved name", {"name": "default-route"}, "name", "reserved"),
    ("bad hostname", {"hostname": "https://x.example.com"}, "hostname", "not a valid"),
    ("route option", {"service": "x"}, "service", "does not apply"),
]


@pytest.mark.parametrize("name,change,option,fragment", BAD_CERTS, ids=[b[0] for b in BAD_CERTS])
def test_custom_bad_input_rejected_before_any_write(shared_sim, name, change, option, fragment):
    sim, admin = shared_sim, SimAdmin(shared_sim)
    params = _custom(**change)
    params = {k: v for k, v in params.items() if v is not None}
    admin.reset()
    out = _run(sim, params)
    assert out.get("failed") and out.get("option") == option, out
    assert fragment in out["msg"]
    assert admin.count(verb="create") + admin.count(verb="patch") + admin.count(verb="update") == 0
    assert admin.mutating() == 0


def test_expiry_warning(shared_sim):
    sim = shared_sim
    out = _run(sim, _custom(certificate=SOON.cert_pem, key=SOON.key_pem), check_mode=True)
    assert out["changed"] and "expires in" in json.dumps(out["warnings"])


def test_certificate_and_key_from_files(sim, tmp_path):
    cert_path, key_path = LEAF.write(str(tmp_path), "tls")
    params = {"mode": "custom", "name": "files", "hostname": HOST, "certificate_path": cert_path,
              "key_path": key_path, "wait": True}
    out = _run(sim, params)
    assert out["changed"] and out["admitted"]
    assert base64.b64decode(_secret(sim, "files-tls")["data"]["tls.crt"]).decode() == LEAF.cert_pem
    assert not _run(sim, params)["changed"]


# --- standalone route ------------------------------------------------------------------------------
def test_passthrough_route_four_runs(sim, admin):
    params = {"mode": "route", "name": "docker-registry", "namespace": "default", "service": "docker-registry",
              "port": "5000", "hostname": "hub.example.com"}
    _c, applied, _c2, _a = _four_runs(sim, admin, params)
    assert applied["host"] == "hub.example.com" and applied["admitted"]
    live = _route(sim, "docker-registry", "default")
    assert live["spec"]["tls"] == {"termination": "passthrough"}
    assert live["spec"]["port"] == {"targetPort": 5000}
    assert live["spec"]["to"]["name"] == "docker-registry"
    # a no-op reads the route once, also with wait (the unchanged, admitted route is the first poll)
    assert _noop_reads(sim, admin, dict(params, wait=True)) == {("get", "routes"): 1}
    # switch to edge with a certificate: the route is updated in place
    edge = dict(params, termination="edge", certificate=LEAF.cert_pem.replace(HOST, HOST), key=LEAF.key_pem,
                hostname=HOST, insecure_edge_termination_policy="Redirect", wait=True)
    out = _run(sim, edge, diff=True)
    assert out["changed"] and out["host"] == HOST
    tls = _route(sim, "docker-registry", "default")["spec"]["tls"]
    assert tls["termination"] == "edge" and tls["key"].strip() == LEAF.key_pem.strip()
    assert tls["insecureEdgeTerminationPolicy"] == "Redirect"
    assert out["diff"]["after"]["route"]["spec"]["tls"]["key"].startswith("VALUE_REDACTED")
    assert not _run(sim, edge)["changed"]
    # back to passthrough drops the certificate fields
    out = _run(sim, dict(params, wait=True))
    assert out["changed"] and _route(sim, "docker-registry", "default")["spec"]["tls"] == {"termination": "passthrough"}
    gone = _run(sim, {"mode": "route", "name": "docker-registry", "namespace": "default", "state": "absent",
                      "wait": True})
    assert gone["changed"] and _route(sim, "docker-registry", "default") is None
    assert not _run(sim, {"mode": "route", "name": "docker-registry", "namespace": "default",
                          "state": "absent"})["changed"]


def test_reencrypt_route_generated_host(sim):
    params = {"mode": "route", "name": "mirror", "namespace": "default", "service": "mirror-registry",
              "port": "https", "termination": "reencrypt", "destination_ca_certificate": CA.cert_pem, "wait": True}
    out = _run(sim, params)
    assert out["changed"] and out["host"] == "mirror-default.apps.example.test" and out["admitted"]
    live = _route(sim, "mirror", "default")
    assert live["spec"]["tls"]["destinationCACertificate"] == CA.cert_pem
    assert live["spec"]["port"] == {"targetPort": "https"}
    assert not _run(sim, params)["changed"]


BAD_ROUTE = [
    ("passthrough with cert", {"certificate": LEAF.cert_pem, "key": LEAF.key_pem, "hostname": HOST}, "certificate"),
    ("edge with destination CA", {"termination": "edge", "destination_ca_certificate": CA.cert_pem},
     "destination_ca_certificate"),
    ("passthrough Allow", {"insecure_edge_termination_policy": "Allow"}, "insecure_edge_termination_policy"),
    ("cert without hostname", {"termination": "edge", "certificate": LEAF.cert_pem, "key": LEAF.key_pem},
     "hostname"),
    ("no service", {"service": None}, "service"),
    ("bad namespace", {"namespace": "Bad_NS"}, "namespace"),
    ("custom-only option", {"secret_name": "x"}, "secret_name"),
    ("destination CA not a CA", {"termination": "reencrypt", "destination_ca_certificate": LEAF.cert_pem},
     "destination_ca_certificate"),
]


@pytest.mark.parametrize("name,change,option", BAD_ROUTE, ids=[b[0] for b in BAD_ROUTE])
def test_route_bad_input(shared_sim, name, change, option):
    sim, admin = shared_sim, SimAdmin(shared_sim)
    params = {"mode": "route", "name": "r", "namespace": "default", "service": "svc"}
    params.update(change)
    admin.reset()
    out = _run(sim, {k: v for k, v in params.items() if v is not None})
    assert out.get("failed") and out.get("option") == option, out
    assert admin.mutating() == 0


def test_required_options(shared_sim):
    sim = shared_sim
    out = _run(sim, {"mode": "custom", "hostname": HOST})
    assert out["failed"] and "name" in out["msg"]
    out = _run(sim, {"mode": "route", "name": "x"})
    assert out["failed"] and "namespace" in out["msg"]


def test_custom_secret_rename_and_removal_follow_the_entry(sim):
    first = _run(sim, _custom(secret_name="tls-a", wait=True))
    assert first["secret"]["name"] == "tls-a" and _secret(sim, "tls-a") is not None
    # a new secret_name: the old secret (made by this module, no longer referenced) is deleted
    second = _run(sim, _custom(secret_name="tls-b", wait=True))
    assert second["changed"] and _secret(sim, "tls-a") is None and _secret(sim, "tls-b") is not None
    assert _config(sim)["spec"]["routes"][0]["secretName"] == "tls-b"
    # removal without secret_name finds the secret through the live entry
    gone = _run(sim, {"mode": "custom", "name": "public-routes", "state": "absent", "wait": True})
    assert gone["changed"] and _secret(sim, "tls-b") is None and _route(sim, "public-routes") is None


def test_rejected_route_fails_fast_with_the_router_reason(sim):
    base = {"mode": "route", "service": "svc", "hostname": "hub.example.com"}
    assert _run(sim, dict(base, name="first", namespace="default", wait=True))["admitted"]
    out = _run(sim, dict(base, name="second", namespace="sandbox", wait=True, wait_timeout=60))
    assert out["failed"] and "HostAlreadyClaimed" in out["msg"] and "not admitted" in out["msg"]
    again = _run(sim, dict(base, name="second", namespace="sandbox"))
    assert not again["changed"] and not again["admitted"]
    assert again["rejections"][0]["reason"] == "HostAlreadyClaimed"


def test_custom_certificate_rotation_updates_secret_and_route(sim):
    _run(sim, _custom(wait=True))
    renewed = certs.make_leaf(CA, (HOST,))
    out = _run(sim, _custom(certificate=renewed.cert_pem, key=renewed.key_pem, wait=True), diff=True)
    assert out["changed"] and out["certificate"]["serial_number"] == format(renewed.cert.serial_number, "x")
    assert base64.b64decode(_secret(sim, "public-routes-tls")["data"]["tls.crt"]).decode() == renewed.cert_pem
    assert out["route"]["spec"]["tls"]["certificate"] == renewed.cert_pem  # the operator re-applied the route
    before = out["diff"]["before"]["secret"]["data"]["tls.key"]
    after = out["diff"]["after"]["secret"]["data"]["tls.key"]
    assert before.startswith("VALUE_REDACTED") and after.startswith("VALUE_REDACTED") and before != after
    assert renewed.key_pem.splitlines()[1] not in json.dumps(out)


def test_dropping_the_certificate_waits_for_the_plain_route(sim):
    _run(sim, _custom(wait=True))
    out = _run(sim, {"mode": "custom", "name": "public-routes", "hostname": HOST, "wait": True})
    assert out["changed"] and out["admitted"] and "certificate" not in out["route"]["spec"]["tls"]
    assert _secret(sim, "public-routes-tls") is None  # made by the module, no longer referenced
