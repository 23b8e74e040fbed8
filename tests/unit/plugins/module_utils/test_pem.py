from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import pem
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError
from ansible_collections.ocp.registry.tests.lib import certs

CA = certs.make_ca("Unit CA", days=400)
OTHER_CA = certs.make_ca("Other CA")
LEAF = certs.make_leaf(CA, ("registry.example.com", "*.apps.example.com", "10.0.0.5"), days=365)

DNS_MATCH = [
    ("registry.example.com", "registry.example.com", True),
    ("Registry.Example.COM", "registry.example.com", True),
    ("registry.example.com.", "registry.example.com", True),
    ("*.apps.example.com", "default-route.apps.example.com", True),
    ("*.apps.example.com", "a.b.apps.example.com", False),    # one label only
    ("*.apps.example.com", "apps.example.com", False),        # not the bare domain
    ("*.com", "example.com", False),                          # too broad
    ("*.example.com", "*.example.com", True),
    ("reg*.example.com", "registry.example.com", False),      # partial wildcards not honoured
    ("other.example.com", "registry.example.com", False),
]


@pytest.mark.parametrize("pattern,host,expected", DNS_MATCH)
def test_dns_name_matches(pattern, host, expected):
    assert pem.dns_name_matches(pattern, host) is expected


COVERS = [
    ("registry.example.com", True),
    ("x.apps.example.com", True),
    ("10.0.0.5", True),
    ("10.0.0.6", False),
    ("example.com", False),
    ("y.x.apps.example.com", False),
]


@pytest.mark.parametrize("host,expected", COVERS)
def test_covers_host(host, expected):
    assert pem.covers_host(LEAF.cert, host) is expected


def test_cn_is_not_used_without_san():
    leaf = certs.make_leaf(CA, ("cn-only.example.com",), with_san=False)
    assert not pem.covers_host(leaf.cert, "cn-only.example.com")


SPLIT = [
    ("host", ("host", None)),
    ("host:5000", ("host", 5000)),
    ("10.0.0.1:443", ("10.0.0.1", 443)),
    ("[::1]:5000", ("::1", 5000)),
    ("[::1]", ("::1", None)),
    ("::1", ("::1", None)),
]


@pytest.mark.parametrize("value,expected", SPLIT)
def test_split_host_port(value, expected):
    assert pem.split_host_port(value) == expected


@pytest.mark.parametrize("value", ["", "host:0", "host:70000", "host:abc", "[::1", "[::1]x", ":5000"])
def test_split_host_port_rejects(value):
    with pytest.raises(ValueError):
        pem.split_host_port(value)


NOT_PEM = [
    (b"", "no PEM certificate"),
    (b"hello", "no PEM certificate"),
    (CA.key_pem.encode(), "found a private key"),
    (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not valid"),
]


@pytest.mark.parametrize("data,fragment", NOT_PEM)
def test_load_certificates_errors(data, fragment):
    with pytest.raises(InputError) as err:
        pem.load_certificates(data, option="certificate")
    assert err.value.option == "certificate"
    assert fragment in err.value.msg


def test_load_bundle_keeps_order():
    got = pem.load_certificates((LEAF.cert_pem + CA.cert_pem).encode(), option="x")
    assert [c.subject for c in got] == [LEAF.cert.subject, CA.cert.subject]


def test_private_key_errors_never_echo_input():
    bogus = b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXN0dWZm\n-----END PRIVATE KEY-----\n"
    with pytest.raises(InputError) as err:
        pem.load_private_key(bogus, option="key")
    assert "c2VjcmV0" not in err.value.msg and err.value.option == "key"
    with pytest.raises(InputError, match="no PEM private key"):
        pem.load_private_key(LEAF.cert_pem.encode(), option="key")
    enc = b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
    with pytest.raises(InputError, match="encrypted"):
        pem.load_private_key(enc, option="key")


def test_load_ec_key_and_match():
    key = certs.new_key("ecdsa", 256)
    leaf = certs.make_leaf(CA, ("a.example.com",), key=key)
    loaded = pem.load_private_key(certs.key_pem(key).encode(), option="key")
    assert pem.key_matches(loaded, leaf.cert)
    assert not pem.key_matches(loaded, LEAF.cert)


def _check(leaf, key_pem=None, hosts=("registry.example.com",), ca=None):
    return pem.check_server_certificate(
        leaf.cert_pem.encode(), (key_pem or leaf.key_pem).encode(), hostnames=hosts,
        cert_option="certificate", key_option="key",
        ca_data=ca.encode() if ca else None, ca_option="ca")


def test_check_server_certificate_ok_with_chain_and_ca():
    certs_, key, ca_certs, warnings = _check(LEAF, ca=CA.cert_pem)
    assert len(certs_) == 1 and len(ca_certs) == 1 and warnings == []


BAD_SERVER = [
    ("key mismatch", lambda: _check(LEAF, key_pem=certs.key_pem(certs.new_key())), "key", "does not belong"),
    ("wrong SAN", lambda: _check(LEAF, hosts=("other.example.com",)), "certificate", "do not cover 'other.example.com'"),
    ("expired", lambda: _check(certs.make_leaf(CA, ("registry.example.com",), days=-1, start_days=-10)),
     "certificate", "expired"),
    ("not yet valid", lambda: _check(certs.make_leaf(CA, ("registry.example.com",), start_days=2, days=10)),
     "certificate", "not valid before"),
    ("not pem", lambda: pem.check_server_certificate(b"junk", LEAF.key_pem.encode(), hostnames=[],
                                                     cert_option="certificate", key_option="key"),
     "certificate", "no PEM certificate"),
]


@pytest.mark.parametrize("name,call,option,fragment", BAD_SERVER, ids=[b[0] for b in BAD_SERVER])
def test_check_server_certificate_rejects(name, call, option, fragment):
    with pytest.raises(InputError) as err:
        call()
    assert err.value.option == option
    assert fragment in err.value.msg
    assert "PRIVATE KEY" not in err.value.msg


def test_expiry_warning_within_30_days():
    leaf = certs.make_leaf(CA, ("registry.example.com",), days=10)
    _c, _k, _ca, warnings = _check(leaf)
    assert len(warnings) == 1 and "expires in" in warnings[0]


def test_chain_not_from_ca_warns():
    _c, _k, _ca, warnings = _check(LEAF, ca=OTHER_CA.cert_pem)
    assert any("does not end at" in w for w in warnings)


def test_check_ca_bundle():
    got, warnings = pem.check_ca_bundle((CA.cert_pem + OTHER_CA.cert_pem).encode(), option="ca")
    assert len(got) == 2 and warnings == []
    # a self-signed serving certificate (no CA flag) is fine to trust directly
    selfsigned = certs.make_ca("self", ca=None)
    pem.check_ca_bundle(selfsigned.cert_pem.encode(), option="ca")
    with pytest.raises(InputError, match="neither a CA"):
        pem.check_ca_bundle(LEAF.cert_pem.encode(), option="ca")
    old = certs.make_ca("old", days=-1, start_days=-5)
    _got, warnings = pem.check_ca_bundle(old.cert_pem.encode(), option="ca")
    assert "expired" in warnings[0]


def test_describe_is_metadata_only():
    info = pem.describe(LEAF.cert)
    assert info["dns_names"] == ["registry.example.com", "*.apps.example.com"]
    assert info["ip_addresses"] == ["10.0.0.5"]
    assert info["issuer"] == "CN=Unit CA" and info["is_ca"] is False
    assert "KEY" not in repr(info)


def test_issued_by():
    assert pem.issued_by(LEAF.cert, CA.cert)
    assert not pem.issued_by(LEAF.cert, OTHER_CA.cert)
    # same subject, different key: not the signer
    impostor = certs.make_ca("Unit CA")
    assert not pem.issued_by(LEAF.cert, impostor.cert)


def test_read_input(tmp_path):
    assert pem.read_input("abc", None, option="a", path_option="b") == b"abc"
    assert pem.read_input(None, None, option="a", path_option="b") is None
    p = tmp_path / "f.pem"
    p.write_text("x")
    assert pem.read_input(None, str(p), option="a", path_option="b") == b"x"
    with pytest.raises(InputError) as err:
        pem.read_input(None, str(tmp_path / "missing"), option="a", path_option="b")
    assert err.value.option == "b"


def test_key_block_extracts_only_the_key():
    combined = (LEAF.cert_pem + LEAF.key_pem + CA.cert_pem).encode()
    assert pem.key_block(combined) == LEAF.key_pem.encode()
    assert pem.key_block(b"junk") == b"junk"


def test_stdlib_fallback_matches_cryptography():
    bundle = (LEAF.cert_pem + CA.cert_pem).encode()
    ders = pem.der_blocks(bundle, option="ca")
    assert pem.der_to_pem(ders) == LEAF.cert_pem + CA.cert_pem
    assert pem.der_fingerprint(ders[0]) == pem.fingerprint(LEAF.cert)
    for bad in (b"junk", b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"):
        with pytest.raises(InputError):
            pem.der_blocks(bad, option="ca")


def test_chain_in_the_wrong_order_is_explained():
    with pytest.raises(InputError, match="must come first") as err:
        pem.check_server_certificate((CA.cert_pem + LEAF.cert_pem).encode(), LEAF.key_pem.encode(),
                                     hostnames=["registry.example.com"], cert_option="certificate", key_option="key")
    assert err.value.option == "certificate"


def test_ca_key_next_to_a_bundle_is_a_plain_mismatch():
    with pytest.raises(InputError, match="it is the key of the CA") as err:
        pem.check_server_certificate((LEAF.cert_pem + CA.cert_pem).encode(), CA.key_pem.encode(),
                                     hostnames=["registry.example.com"], cert_option="certificate", key_option="key")
    assert err.value.option == "key"
