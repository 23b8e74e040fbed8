from __future__ import annotations

import datetime
import os
import stat

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import certificate, pem
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError
from ansible_collections.ocp.registry.tests.lib import certs

CA = certs.make_ca("Cert CA", days=3000)


NORMALIZE = [
    (["Hub.Example.com"], (["hub.example.com"], [])),
    (["172.30.0.5:5000", "172.30.0.5"], ([], ["172.30.0.5"])),
    (["svc", "svc.ns.svc", "svc"], (["svc", "svc.ns.svc"], [])),
    (["*.apps.example.com", "[::1]:5000"], (["*.apps.example.com"], ["::1"])),
    (["registry.example.com."], (["registry.example.com"], [])),
]


@pytest.mark.parametrize("values,expected", NORMALIZE)
def test_normalize_hostnames(values, expected):
    assert certificate.normalize_hostnames(values) == expected


@pytest.mark.parametrize("values", [[], ["a..b"], ["foo.*.example.com"], ["-bad.example.com"], ["a_b.example.com"],
                                    ["host:99999"], ["https://x"]])
def test_normalize_hostnames_rejects(values):
    with pytest.raises(InputError) as err:
        certificate.normalize_hostnames(values)
    assert err.value.option == "hostnames"


def _issue(tmp_path, dns=("registry.example.com",), ips=("10.0.0.1",), key_type="rsa", key_size=2048, days=365,
           ca=CA):
    cert, key = certificate.issue(ca_cert=ca.cert, ca_key=ca.key, dns=list(dns), ips=list(ips), key_type=key_type,
                                  key_size=key_size, validity_days=days)
    cp, kp = str(tmp_path / "tls.crt"), str(tmp_path / "tls.key")
    certificate.write_pair(cert_path=cp, key_path=kp, cert_pem=pem.to_pem([cert, ca.cert]).encode(),
                           key_pem=pem.key_to_pem(key))
    return cp, kp, cert


def _plan(cp, kp, dns=("registry.example.com",), ips=("10.0.0.1",), key_type="rsa", key_size=2048, renew=30,
          ca=CA, force=False, include_ca=True, common_name=None):
    reasons, _cur, fixes = certificate.plan(cert_path=cp, key_path=kp, ca_cert=ca.cert, dns=list(dns), ips=list(ips),
                                            key_type=key_type, key_size=key_size, renew_before_days=renew,
                                            force=force, include_ca=include_ca, common_name=common_name)
    return reasons, fixes


def test_issue_properties(tmp_path):
    cp, kp, cert = _issue(tmp_path)
    assert stat.S_IMODE(os.stat(kp).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(cp).st_mode) == 0o644
    assert pem.issued_by(cert, CA.cert)
    assert pem.covers_host(cert, "registry.example.com") and pem.covers_host(cert, "10.0.0.1")
    assert not pem.is_ca(cert)
    loaded = pem.load_certificates(open(cp, "rb").read(), option="x")
    assert len(loaded) == 2 and loaded[1].subject == CA.cert.subject


def test_validity_capped_at_ca_expiry(tmp_path):
    short_ca = certs.make_ca("Short", days=10)
    _cp, _kp, cert = _issue(tmp_path, ca=short_ca, days=730)
    assert pem.not_after(cert) <= pem.not_after(short_ca.cert)


@pytest.mark.parametrize("key_type,key_size", [("ecdsa", 256), ("ecdsa", 384), ("ed25519", 256), ("rsa", 3072)])
def test_key_types(tmp_path, key_type, key_size):
    cp, kp, _cert = _issue(tmp_path, key_type=key_type, key_size=key_size)
    assert _plan(cp, kp, key_type=key_type, key_size=key_size) == ([], [])


PLAN_CHANGES = [
    ("hostnames", dict(dns=("registry.example.com", "extra.example.com")), "hostnames changed"),
    ("ips", dict(ips=()), "hostnames changed"),
    ("signer", dict(ca=certs.make_ca("Cert CA")), "signer changed"),
    ("key size", dict(key_size=4096), "key type or size changed"),
    ("key type", dict(key_type="ecdsa", key_size=256), "key type or size changed"),
    ("renew window", dict(renew=400), "expires within 400 days"),
    ("force", dict(force=True), "forced"),
    ("chain", dict(include_ca=False), "include_ca changed"),
    ("common name", dict(common_name="other"), "common_name changed"),
]


@pytest.mark.parametrize("name,kwargs,reason", PLAN_CHANGES, ids=[p[0] for p in PLAN_CHANGES])
def test_plan_regenerates(tmp_path, name, kwargs, reason):
    cp, kp, _cert = _issue(tmp_path)
    assert _plan(cp, kp) == ([], [])
    reasons, _fixes = _plan(cp, kp, **kwargs)
    assert any(reason in r for r in reasons), reasons


def test_plan_missing_and_broken_files(tmp_path):
    cp, kp = str(tmp_path / "a.crt"), str(tmp_path / "a.key")
    reasons, _fixes = _plan(cp, kp)
    assert any("does not exist" in r for r in reasons)
    cp2, kp2, _cert = _issue(tmp_path)
    with open(kp2, "w") as f:
        f.write(certs.key_pem(certs.new_key()))
    reasons, _fixes = _plan(cp2, kp2)
    assert "the key does not match the certificate" in reasons
    with open(cp2, "w") as f:
        f.write("garbage")
    reasons, _fixes = _plan(cp2, kp2)
    assert any("not a PEM certificate" in r for r in reasons)


def test_same_common_name_keeps_the_pair(tmp_path):
    cp, kp, _cert = _issue(tmp_path)
    assert _plan(cp, kp, common_name="registry.example.com") == ([], [])


def test_plan_fixes_modes_only(tmp_path):
    cp, kp, _cert = _issue(tmp_path)
    os.chmod(kp, 0o644)
    reasons, fixes = _plan(cp, kp)
    assert reasons == [] and fixes == [(kp, 0o644, 0o600)]


def test_expired_cert_on_disk(tmp_path):
    leaf = certs.make_leaf(CA, ("registry.example.com", "10.0.0.1"), days=-1, start_days=-30)
    cp, kp = leaf.write(str(tmp_path), "old")
    reasons, _fixes = _plan(cp, kp, include_ca=None)
    assert "the certificate expired" in reasons


def test_describe_not_after_roughly(tmp_path):
    _cp, _kp, cert = _issue(tmp_path, days=10)
    left = pem.not_after(cert) - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(days=9) < left <= datetime.timedelta(days=10)
