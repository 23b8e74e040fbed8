"""registry_info.py: route/host extraction and the /v2/ probe (loopback TLS server, real sockets)."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import registry_info as ri
from ansible_collections.ocp.registry.tests.unit.plugins.module_utils.fake_api import FakeApi


def route(name, host=None, admitted=True, spec_host=None):
    r = {"metadata": {"name": name}, "spec": {"host": spec_host or ""}}
    if host:
        r["status"] = {"ingress": [{"host": host, "conditions": [
            {"type": "Admitted", "status": "True" if admitted else "False"}]}]}
    return r


def test_public_routes():
    spec = {"defaultRoute": True, "routes": [{"name": "public", "hostname": "reg.example.com"},
                                             {"name": "pending", "hostname": "pending.example.com"}]}
    routes = [route("default-route", "default-route-openshift-image-registry.apps.x"),
              route("public", "reg.example.com", admitted=False), route("unrelated", "x")]
    assert ri.public_routes(spec, routes) == [
        {"name": "default-route", "host": "default-route-openshift-image-registry.apps.x", "admitted": True,
         "exists": True},
        {"name": "public", "host": "reg.example.com", "admitted": False, "exists": True},
        {"name": "pending", "host": "pending.example.com", "admitted": None, "exists": False},
    ]
    assert ri.public_routes({}, routes) == []


def test_image_config_settings():
    obj = {"spec": {"externalRegistryHostnames": ["r.example.com"], "additionalTrustedCA": {"name": "ca"},
                    "allowedRegistriesForImport": [{"domainName": "quay.io", "insecure": False}],
                    "registrySources": {"blockedRegistries": ["bad.io"]}},
           "status": {"internalRegistryHostname": ri.INTERNAL_HOSTNAME}}
    out = ri.image_config_settings(obj)
    assert out["external_registry_hostnames"] == ["r.example.com"]
    assert out["additional_trusted_ca"] == "ca"
    assert out["allowed_registries_for_import"][0]["domainName"] == "quay.io"
    assert out["registry_sources"] == {"blockedRegistries": ["bad.io"]}
    assert out["status"]["internal_registry_hostname"] == "image-registry.openshift-image-registry.svc:5000"
    assert ri.image_config_settings(None)["exists"] is False


@pytest.fixture
def v2_server(tmp_path):
    def handler(req):
        if req.path != "/v2/":
            return 404, {}
        if req.headers.get("Authorization") == "Bearer sha256~token":
            return 200, {}, {"Docker-Distribution-API-Version": "registry/2.0"}
        return 401, {"errors": [{"code": "UNAUTHORIZED"}]}
    server = FakeApi(str(tmp_path), handler, hosts=("127.0.0.1", "localhost")).start()
    yield server
    server.stop()


def test_probe_authenticated(v2_server):
    out = ri.probe_v2("localhost:%d" % v2_server.port, "sha256~token", ca_path=v2_server.ca_path)
    assert out["reached"] is True and out["status"] == 200 and out["authenticated"] is True
    assert out["api_version"] == "registry/2.0" and out["error"] is None
    assert "sha256~token" not in repr(out)


def test_probe_wrong_token(v2_server):
    out = ri.probe_v2("localhost:%d" % v2_server.port, "other", ca_path=v2_server.ca_path)
    assert out["reached"] is True and out["status"] == 401 and out["authenticated"] is False


def test_probe_verifies_certificates_by_default(v2_server):
    out = ri.probe_v2("localhost:%d" % v2_server.port, "sha256~token")
    assert out["reached"] is False and out["status"] is None
    assert "certificate verification failed" in out["error"] and "check_ca_path" in out["error"]
    assert v2_server.count() == 0  # the token never left before the certificate was verified


def test_probe_without_verification(v2_server):
    out = ri.probe_v2("localhost:%d" % v2_server.port, "sha256~token", validate_certs=False)
    assert out["reached"] is True and out["status"] == 200


def test_probe_dns_failure():
    out = ri.probe_v2("registry.does-not-exist.invalid", "t", timeout=5)
    assert out["reached"] is False and "DNS lookup of registry.does-not-exist.invalid failed" in out["error"]


def test_probe_connection_refused():
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    out = ri.probe_v2("127.0.0.1:%d" % port, "t", timeout=5)
    assert out["reached"] is False and out["error"].startswith("connection failed")


def test_probe_bad_host():
    assert ri.probe_v2("host:notaport", None)["error"] == "invalid host 'host:notaport'"


@pytest.mark.parametrize("params,option", [
    ({"check": True, "check_ca_path": "/nonexistent/ca.pem"}, "check_ca_path"),
    ({"check": True, "check_ca_path": "@NOT_PEM"}, "check_ca_path"),
    ({"check": True, "check_timeout": 0}, "check_timeout"),
    ({"check": True, "check_hosts": ["https://r.example.com/v2"]}, "check_hosts"),
    ({"check": True, "check_hosts": ["r.example.com:http"]}, "check_hosts"),
    ({"check": True, "check_hosts": ["[::1"]}, "check_hosts"),
])
def test_validate_rejects_bad_probe_options(tmp_path, params, option):
    bad = tmp_path / "not.pem"
    bad.write_text("not a certificate\n")
    params = {k: (str(bad) if v == "@NOT_PEM" else v) for k, v in params.items()}
    with pytest.raises(ri.InputError) as err:
        ri.validate(params)
    assert err.value.option == option and err.value.msg.startswith(option + ": ")


def test_validate_ignores_probe_options_without_check():
    ri.validate({"check": False, "check_ca_path": "/nonexistent/ca.pem", "check_timeout": 0})
    ri.validate({"check": True, "check_hosts": ["r.example.com", "r.example.com:8443", "[::1]:5000"],
                 "check_timeout": 5, "check_ca_path": None})
