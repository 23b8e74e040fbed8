"""Route API rules, router admission, and the operator's routes (operator-behavior.md §7, §8)."""
from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.ocp.registry.tests.simulator.tests.operator_helpers import (
    CONFIG, IMAGES, NS, Kube, b64, cond, cond_summary, core, registry_ready, route, wait_config, wait_for)

DOMAIN = "apps.example.test"


@pytest.fixture
def sim(simulator_factory):
    return simulator_factory("routes", platform="libvirt", controller_delay=0.02)


@pytest.fixture
def k(sim):
    client = Kube(sim)
    yield client
    client.close()


def routes_in(ns: str) -> str:
    return route("", ns).rstrip("/")


def pem_pair(cn: str) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode())


def new_route(name: str, **spec) -> dict:
    body = {"apiVersion": "route.openshift.io/v1", "kind": "Route", "metadata": {"name": name},
            "spec": {"to": {"kind": "Service", "name": "svc"}}}
    body["spec"].update(spec)
    return body


def admitted(k, path):
    r = k.get(path)
    ing = ((r or {}).get("status") or {}).get("ingress") or []
    return r if ing and ing[0]["conditions"][0]["type"] == "Admitted" else None


def test_host_defaulting_and_admission(sim, k):
    out = k.create(routes_in("default"), new_route("web"))
    assert out["spec"]["host"] == f"web-default.{DOMAIN}"
    assert out["spec"]["wildcardPolicy"] == "None"
    assert out["spec"]["to"] == {"kind": "Service", "name": "svc", "weight": 100}
    r = wait_for(sim, lambda: admitted(k, route("web", "default")), what="admission")
    ing = r["status"]["ingress"][0]
    assert ing["host"] == f"web-default.{DOMAIN}"
    assert ing["routerName"] == "default"
    assert ing["wildcardPolicy"] == "None"
    assert ing["conditions"][0]["status"] == "True"
    # clearing the host on update keeps it
    r["spec"]["host"] = ""
    code, upd = k.call("PUT", route("web", "default"), r)
    assert code == 200 and upd["spec"]["host"] == f"web-default.{DOMAIN}"


def test_tls_rules(sim, k):
    base = routes_in("default")
    cert, key = pem_pair("x.example.test")
    code, body = k.call("POST", base, new_route("pt", tls={"termination": "passthrough", "certificate": cert}))
    assert code == 422, body
    assert body["reason"] == "Invalid"
    edge = new_route("edge", tls={"termination": "edge", "destinationCACertificate": cert})
    code, body = k.call("POST", base, edge)
    assert code == 422, body
    code, body = k.call("POST", base, new_route("bad", tls={"termination": "bogus"}))
    assert code == 422, body
    # reencrypt may carry a destination CA; edge may carry a key pair
    k.create(base, new_route("re", tls={"termination": "reencrypt", "destinationCACertificate": cert}))
    k.create(base, new_route("ed", tls={"termination": "edge", "certificate": cert, "key": key}))
    r = wait_for(sim, lambda: admitted(k, route("ed", "default")))
    assert r["status"]["ingress"][0]["conditions"][0]["status"] == "True"
    # a certificate that does not parse is refused by the router (extended validation)
    k.create(base, new_route("junk", tls={"termination": "edge", "certificate": "not a cert", "key": key}))
    r = wait_for(sim, lambda: admitted(k, route("junk", "default")))
    c = r["status"]["ingress"][0]["conditions"][0]
    assert (c["status"], c["reason"]) == ("False", "ExtendedValidationFailed")


def test_host_already_claimed_across_namespaces(sim, k):
    k.create(core("namespaces"), {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    k.create(routes_in("default"), new_route("first", host="shared.example.test"))
    wait_for(sim, lambda: admitted(k, route("first", "default")))
    k.create(routes_in("other"), new_route("second", host="shared.example.test"))
    r = wait_for(sim, lambda: admitted(k, route("second", "other")))
    c = r["status"]["ingress"][0]["conditions"][0]
    assert (c["status"], c["reason"]) == ("False", "HostAlreadyClaimed")
    assert c["message"] == "a route in another namespace holds shared.example.test and is older than second"
    assert k.get(route("first", "default"))["status"]["ingress"][0]["conditions"][0]["status"] == "True"
    # once the older route goes, the newer one is admitted
    k.delete(route("first", "default"))
    wait_for(sim, lambda: k.get(route("second", "other"))["status"]["ingress"][0]["conditions"][0]["status"]
             == "True", what="second admitted")


def test_default_route_and_external_hostnames(sim, k):
    wait_config(sim, k, registry_ready)
    k.merge(CONFIG, {"spec": {"defaultRoute": True}})
    r = wait_for(sim, lambda: admitted(k, route("default-route")), what="default-route admitted")
    assert r["spec"]["host"] == f"default-route-openshift-image-registry.{DOMAIN}"
    assert r["spec"]["tls"] == {"termination": "reencrypt"}
    assert r["spec"]["to"]["name"] == "image-registry"
    assert r["metadata"]["annotations"]["imageregistry.openshift.io"] == "true"
    img = wait_for(sim, lambda: (k.get(IMAGES).get("status") or {}).get("externalRegistryHostnames"),
                   what="externalRegistryHostnames")
    assert img == [f"default-route-openshift-image-registry.{DOMAIN}"]
    # extra routes: default-route first, the rest sorted
    k.merge(CONFIG, {"spec": {"routes": [{"name": "zz", "hostname": "zz.example.test"},
                                         {"name": "aa", "hostname": "aa.example.test"}]}})
    hosts = wait_for(sim, lambda: (k.get(IMAGES).get("status") or {}).get("externalRegistryHostnames"),
                     until=lambda h: h and len(h) == 3,
                     what="3 hostnames")
    assert hosts == [f"default-route-openshift-image-registry.{DOMAIN}", "aa.example.test", "zz.example.test"]
    # routes no longer wanted are deleted
    k.merge(CONFIG, {"spec": {"defaultRoute": False, "routes": None}})
    wait_for(sim, lambda: k.get(route("default-route")) is None and k.get(route("aa")) is None, what="deleted")
    wait_for(sim, lambda: "externalRegistryHostnames" not in (k.get(IMAGES).get("status") or {}),
             what="hostnames cleared")


def test_spec_routes_secret(sim, k):
    wait_config(sim, k, registry_ready)
    k.merge(CONFIG, {"spec": {"routes": [{"name": "public", "hostname": "registry.example.test",
                                         "secretName": "public-tls"}]}})
    cfg = wait_config(sim, k, lambda c: cond_summary(c, "Progressing") == ("True", "Error"), what="missing secret")
    assert cond(cfg, "Progressing")["message"] == 'Unable to apply resources: secrets "public-tls" not found'
    cert, key = pem_pair("registry.example.test")
    ca = pem_pair("ca.example.test")[0]
    k.create(core("secrets", NS), {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "public-tls"},
                                   "data": {"tls.crt": b64(cert), "tls.key": b64(key), "tls.cacrt": b64(ca)}})
    r = wait_for(sim, lambda: admitted(k, route("public")), what="public route")
    assert r["spec"]["host"] == "registry.example.test"
    assert r["spec"]["tls"] == {"termination": "reencrypt", "certificate": cert, "key": key, "caCertificate": ca}
    wait_config(sim, k, lambda c: registry_ready(c) and cond(c, "Progressing").get("reason") == "Ready")


def test_unadmitted_managed_route_degrades(sim, k):
    wait_config(sim, k, registry_ready)
    k.create(routes_in("default"), new_route("squatter", host="taken.example.test"))
    wait_for(sim, lambda: admitted(k, route("squatter", "default")))
    k.merge(CONFIG, {"spec": {"routes": [{"name": "mine", "hostname": "taken.example.test"}]}})
    cfg = wait_config(sim, k, lambda c: cond(c, "Degraded").get("reason") == "RouteDegraded", what="RouteDegraded")
    assert cond(cfg, "Degraded")["message"] == (
        "route mine (host taken.example.test, router default) not admitted: a route in another namespace holds "
        "taken.example.test and is older than mine")
