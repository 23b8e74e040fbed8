"""Throw-away PKI for tests of the certificate, route and CA-trust code: CAs and leaf certificates with
any SANs, validity window and key type, returned as PEM text (and written to files on request)."""
from __future__ import annotations

import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def new_key(kind="rsa", size=2048):
    if kind == "ecdsa":
        return ec.generate_private_key({256: ec.SECP256R1(), 384: ec.SECP384R1()}[size])
    return rsa.generate_private_key(public_exponent=65537, key_size=size)


def key_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def cert_pem(cert) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class Pair:
    """A certificate and its key, with PEM text at hand."""

    def __init__(self, cert, key):
        self.cert, self.key = cert, key
        self.cert_pem, self.key_pem = cert_pem(cert), key_pem(key)

    def write(self, directory, name):
        os.makedirs(directory, exist_ok=True)
        cert_path = os.path.join(directory, name + ".crt")
        key_path = os.path.join(directory, name + ".key")
        with open(cert_path, "w") as f:
            f.write(self.cert_pem)
        with open(key_path, "w") as f:
            f.write(self.key_pem)
        os.chmod(key_path, 0o600)
        return cert_path, key_path


def make_ca(cn="Test CA", *, days=400, start_days=-1, key=None, ca=True):
    key = key or new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = _now()
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now + datetime.timedelta(days=start_days))
               .not_valid_after(now + datetime.timedelta(days=days)))
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    return Pair(builder.sign(key, hashes.SHA256()), key)


def make_leaf(ca: Pair, hosts=("registry.example.com",), *, days=365, start_days=-1, key=None, cn=None,
              with_san=True):
    key = key or new_key()
    now = _now()
    sans = []
    for h in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            sans.append(x509.DNSName(h))
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn or (hosts[0] if hosts else "x"))]))
               .issuer_name(ca.cert.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now + datetime.timedelta(days=start_days))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    if with_san and sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return Pair(builder.sign(ca.key, hashes.SHA256()), key)
