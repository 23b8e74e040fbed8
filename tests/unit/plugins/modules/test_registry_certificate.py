from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.ocp.registry.tests.lib import certs
from ansible_collections.ocp.registry.tests.lib.modules import run_module

CA = certs.make_ca("Module CA", days=3000)
LEAF = certs.make_leaf(CA)


@pytest.fixture
def params(tmp_path):
    ca_cert, ca_key = CA.write(str(tmp_path / "ca"), "ca")
    return {
        "hostnames": ["registry.example.com", "image-registry.openshift-image-registry.svc", "172.30.0.5:5000"],
        "ca_cert_path": ca_cert,
        "ca_key_path": ca_key,
        "path": str(tmp_path / "registry.crt"),
        "key_path": str(tmp_path / "registry.key"),
    }


def _no_key_material(result):
    text = json.dumps(result)
    assert "PRIVATE KEY" not in text
    assert CA.key_pem.splitlines()[1] not in text


def test_four_runs(params):
    first = run_module("registry_certificate", params, check_mode=True, diff=True)
    assert first["changed"] and first["regenerated"]
    assert not os.path.exists(params["path"]) and not os.path.exists(params["key_path"])
    assert first["diff"]["after"]["dns_names"] == ["registry.example.com", "image-registry.openshift-image-registry.svc"]
    second = run_module("registry_certificate", params, diff=True)
    assert second["changed"] and second["certificate"]["ip_addresses"] == ["172.30.0.5"]
    assert stat.S_IMODE(os.stat(params["key_path"]).st_mode) == 0o600
    before = open(params["path"]).read()
    third = run_module("registry_certificate", params, check_mode=True, diff=True)
    fourth = run_module("registry_certificate", params, diff=True)
    assert not third["changed"] and not fourth["changed"]
    assert third["reasons"] == [] and fourth["diff"]["before"] == fourth["diff"]["after"]
    assert open(params["path"]).read() == before
    for r in (first, second, third, fourth):
        _no_key_material(r)


def test_hostname_change_regenerates(params):
    run_module("registry_certificate", params)
    serial = run_module("registry_certificate", params)["certificate"]["serial_number"]
    params["hostnames"] = params["hostnames"] + ["hub.example.com"]
    out = run_module("registry_certificate", params, diff=True)
    assert out["changed"] and out["reasons"] == ["hostnames changed"]
    assert out["certificate"]["serial_number"] != serial
    assert "hub.example.com" in out["diff"]["after"]["dns_names"]
    assert "hub.example.com" not in out["diff"]["before"]["dns_names"]


def test_key_mode_drift_is_fixed_without_regeneration(params):
    first = run_module("registry_certificate", params)
    os.chmod(params["key_path"], 0o644)
    check = run_module("registry_certificate", params, check_mode=True)
    assert check["changed"] and not check["regenerated"]
    assert stat.S_IMODE(os.stat(params["key_path"]).st_mode) == 0o644
    out = run_module("registry_certificate", params)
    assert out["changed"] and not out["regenerated"]
    assert out["certificate"]["serial_number"] == first["certificate"]["serial_number"]
    assert stat.S_IMODE(os.stat(params["key_path"]).st_mode) == 0o600


def test_ca_key_as_content_is_not_logged(params):
    del params["ca_key_path"]
    params["ca_key"] = CA.key_pem
    out = run_module("registry_certificate", params, diff=True)
    assert out["changed"]
    _no_key_material(out)


BAD = [
    ("wrong CA key", lambda p: p.update(ca_key=certs.key_pem(certs.new_key()), ca_key_path=None), "ca_key"),
    ("CA not a CA", lambda p: p.update(ca_cert=LEAF.cert_pem, ca_cert_path=None,
                                       ca_key=LEAF.key_pem, ca_key_path=None), "ca_cert"),
    ("bad hostname", lambda p: p.update(hostnames=["bad_name"]), "hostnames"),
    ("key size", lambda p: p.update(key_type="ecdsa", key_size=2048), "key_size"),
    ("renew window", lambda p: p.update(validity_days=30, renew_before_days=30), "renew_before_days"),
    ("same path", lambda p: p.update(key_path=p["path"]), "key_path"),
    ("missing CA file", lambda p: p.update(ca_cert_path="/nonexistent/ca.crt"), "ca_cert_path"),
    ("missing directory", lambda p: p.update(path="/nonexistent/dir/registry.crt"), "path"),
]


@pytest.mark.parametrize("name,mutate,option", BAD, ids=[b[0] for b in BAD])
@pytest.mark.parametrize("check_mode", [False, True])
def test_bad_input_fails_before_write(params, name, mutate, option, check_mode):
    mutate(params)
    out = run_module("registry_certificate", {k: v for k, v in params.items() if v is not None},
                     check_mode=check_mode)
    assert out.get("failed"), out
    assert out.get("option") == option, out
    assert not os.path.exists(params["key_path"])
    _no_key_material(out)


def test_required_ca(params):
    del params["ca_key_path"]
    out = run_module("registry_certificate", params)
    assert out["failed"] and "ca_key" in out["msg"]
