# -*- coding: utf-8 -*-
# Copyright: ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PEM input handling: parse certificates and keys, check that they belong together and cover a host.

Every check raises ``InputError`` naming the option that carried the bad value, so modules can run them
all before any write. Nothing here returns or formats private key material: ``describe()`` gives the
metadata (subject, issuer, SANs, validity, fingerprint) that is safe for results and diffs.
"""
from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import ipaddress
import os
import re

from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
    from cryptography.x509.oid import ExtensionOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - ansible-core depends on cryptography
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = _exc

__all__ = [
    "EXPIRY_WARN_DAYS", "read_input", "load_certificates", "load_private_key", "key_matches",
    "covers_host", "check_server_certificate", "check_ca_bundle", "describe", "to_pem", "now_utc",
    "not_after", "is_ca", "is_self_signed", "issued_by", "split_host_port",
]

EXPIRY_WARN_DAYS = 30
_CERT_RE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
_KEY_RE = re.compile(rb"-----BEGIN ([A-Z ]*)PRIVATE KEY-----")


def _require_crypto():
    if not HAS_CRYPTOGRAPHY:
        raise InputError("the Python 'cryptography' library is required for certificate handling: %s"
                         % CRYPTOGRAPHY_IMPORT_ERROR)


def now_utc() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def not_after(cert) -> datetime.datetime:
    value = getattr(cert, "not_valid_after_utc", None)
    if value is None:  # cryptography < 42
        value = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return value


def not_before(cert) -> datetime.datetime:
    value = getattr(cert, "not_valid_before_utc", None)
    if value is None:
        value = cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)
    return value


def read_input(content, path, *, option, path_option) -> bytes | None:
    """The PEM bytes given as content (option) or as a file (path_option); None when neither is set."""
    if content is not None and content != "":
        return content.encode("utf-8") if isinstance(content, str) else bytes(content)
    if path:
        try:
            with open(os.path.expanduser(path), "rb") as f:
                return f.read()
        except OSError as exc:
            raise InputError("%s: cannot read %s: %s" % (path_option, path, exc.strerror or exc),
                             option=path_option) from exc
    return None


def load_certificates(data: bytes, *, option: str) -> list:
    """Every certificate in a PEM bundle, in order. At least one is required."""
    _require_crypto()
    blocks = _CERT_RE.findall(data or b"")
    if not blocks:
        if _KEY_RE.search(data or b""):
            raise InputError("%s: expected a PEM certificate but found a private key; pass the key in its own "
                             "option" % option, option=option)
        raise InputError("%s: no PEM certificate found (expected '-----BEGIN CERTIFICATE-----')" % option,
                         option=option)
    certs = []
    for i, block in enumerate(blocks):
        try:
            certs.append(x509.load_pem_x509_certificate(block))
        except ValueError as exc:
            raise InputError("%s: certificate #%d is not valid PEM/DER: %s" % (option, i + 1, exc),
                             option=option) from exc
    return certs


def load_private_key(data: bytes, *, option: str):
    """Parse an unencrypted PEM private key. The error never echoes the input."""
    _require_crypto()
    match = _KEY_RE.search(data or b"")
    if not match:
        raise InputError("%s: no PEM private key found (expected '-----BEGIN ... PRIVATE KEY-----')" % option,
                         option=option)
    if match.group(1).strip() == b"ENCRYPTED" or b"Proc-Type: 4,ENCRYPTED" in data:
        raise InputError("%s: the private key is encrypted; give an unencrypted key "
                         "(for example 'openssl pkey -in key.pem -out plain.pem')" % option, option=option)
    try:
        key = serialization.load_pem_private_key(data[match.start():], password=None)
    except (ValueError, TypeError) as exc:
        raise InputError("%s: the private key could not be parsed (%s)" % (option, type(exc).__name__),
                         option=option) from None
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)):
        raise InputError("%s: unsupported private key type %s (use RSA, ECDSA or Ed25519)"
                         % (option, type(key).__name__), option=option)
    return key


_KEY_BLOCK_RE = re.compile(rb"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.+?-----END \1PRIVATE KEY-----", re.S)


def key_block(data: bytes) -> bytes:
    """Only the private key's PEM block (a combined file may also hold certificates or EC parameters)."""
    match = _KEY_BLOCK_RE.search(data or b"")
    return (match.group(0) + b"\n") if match else data


def _spki(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_matches(key, cert) -> bool:
    return _spki(key.public_key()) == _spki(cert.public_key())


def sans(cert):
    """(dns names, ip address strings) from the subjectAltName extension, or ([], []) without one."""
    try:
        ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    except x509.ExtensionNotFound:
        return [], []
    return ([n.lower() for n in ext.get_values_for_type(x509.DNSName)],
            [str(ip) for ip in ext.get_values_for_type(x509.IPAddress)])


def _parse_ip(host):
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def dns_name_matches(pattern: str, host: str) -> bool:
    """RFC 6125 matching: a wildcard is only the whole left-most label and matches exactly one label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern == host:
        return True
    if not pattern.startswith("*."):
        return False
    suffix = pattern[1:]  # ".example.com"
    if suffix.count(".") < 2:  # "*.com" never matches
        return False
    if not host.endswith(suffix):
        return False
    label = host[: -len(suffix)]
    return bool(label) and "." not in label and "*" not in label


def covers_host(cert, host: str) -> bool:
    """Whether the certificate's SANs cover host (a DNS name or an IP). The subject CN is not used:
    Go clients (router, podman, skopeo, CRI-O) ignore it."""
    dns, ips = sans(cert)
    ip = _parse_ip(host)
    if ip is not None:
        return any(_parse_ip(i) == ip for i in ips)
    return any(dns_name_matches(p, host) for p in dns)


def is_ca(cert) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value.ca)
    except x509.ExtensionNotFound:
        return False


def is_self_signed(cert) -> bool:
    return cert.issuer == cert.subject and issued_by(cert, cert)


def issued_by(cert, issuer) -> bool:
    """Whether issuer's key signed cert (subject/issuer names must match too)."""
    if cert.issuer != issuer.subject:
        return False
    pub = issuer.public_key()
    try:
        if isinstance(pub, rsa.RSAPublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        elif isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        elif isinstance(pub, ed25519.Ed25519PublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes)
        else:
            return False
    except Exception:  # InvalidSignature, unsupported padding (PSS), ...
        return False
    return True


def _name(name) -> str:
    try:
        return name.rfc4514_string()
    except Exception:  # pragma: no cover
        return str(name)


def _iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def fingerprint(cert) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def describe(cert) -> dict:
    """Metadata that is safe to return and diff (no key material)."""
    dns, ips = sans(cert)
    return {
        "subject": _name(cert.subject),
        "issuer": _name(cert.issuer),
        "serial_number": format(cert.serial_number, "x"),
        "not_before": _iso(not_before(cert)),
        "not_after": _iso(not_after(cert)),
        "dns_names": dns,
        "ip_addresses": ips,
        "is_ca": is_ca(cert),
        "sha256_fingerprint": fingerprint(cert),
    }


def to_pem(certs) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certs)


def key_to_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def days_left(cert, now=None) -> float:
    return (not_after(cert) - (now or now_utc())).total_seconds() / 86400.0


def split_host_port(value: str):
    """'host', 'host:5000', '[::1]:5000', '::1' -> (host, port or None). Raises ValueError."""
    value = (value or "").strip()
    if not value:
        raise ValueError("empty host")
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            raise ValueError("unbalanced '[' in %r" % value)
        host, rest = value[1:end], value[end + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError("unexpected text after ']' in %r" % value)
        port = rest[1:] if rest else None
    elif value.count(":") == 1:
        host, port = value.split(":")
    else:
        host, port = value, None  # a bare IPv6 address or a plain name
    if port is not None:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("bad port in %r" % value)
        port = int(port)
    if not host:
        raise ValueError("empty host in %r" % value)
    return host, port


def check_server_certificate(cert_data: bytes, key_data: bytes, *, hostnames, cert_option: str,
                             key_option: str, ca_data: bytes | None = None, ca_option: str | None = None,
                             now=None, warn_days: int = EXPIRY_WARN_DAYS):
    """Validate a serving certificate (+ chain) and its key for hostnames.

    Returns (certs, key, ca_certs, warnings). Raises InputError for: not PEM, key mismatch, a hostname
    not covered by the SANs, an expired or not-yet-valid certificate, or a CA option that is not PEM.
    """
    certs = load_certificates(cert_data, option=cert_option)
    key = load_private_key(key_data, option=key_option)
    leaf = certs[0]
    if not key_matches(key, leaf):
        later = next((c for c in certs[1:] if key_matches(key, c)), None)
        if later is not None and not is_ca(later):
            raise InputError("%s: the server certificate must come first, followed by its intermediates (the key "
                             "belongs to a later certificate in the file)" % cert_option, option=cert_option)
        hint = " (it is the key of the CA %s)" % _name(later.subject) if later is not None else ""
        raise InputError("%s does not belong to the certificate in %s (their public keys differ)%s"
                         % (key_option, cert_option, hint), option=key_option)
    now = now or now_utc()
    if not_after(leaf) <= now:
        raise InputError("%s: the certificate expired on %s" % (cert_option, _iso(not_after(leaf))),
                         option=cert_option)
    if not_before(leaf) > now:
        raise InputError("%s: the certificate is not valid before %s" % (cert_option, _iso(not_before(leaf))),
                         option=cert_option)
    dns, ips = sans(leaf)
    for host in hostnames or ():
        if host and not covers_host(leaf, host):
            raise InputError("%s: the certificate's subjectAltNames (%s) do not cover %r; issue a certificate "
                             "with that name (the subject CN is ignored by clients)"
                             % (cert_option, ", ".join(dns + ips) or "none", host), option=cert_option)
    warnings = []
    left = days_left(leaf, now)
    if left < warn_days:
        warnings.append("%s: the certificate expires in %d days (%s)" % (cert_option, int(left), _iso(not_after(leaf))))
    ca_certs = []
    if ca_data is not None:
        ca_certs = load_certificates(ca_data, option=ca_option)
        chain = certs + ca_certs
        if not any(issued_by(certs[-1], c) for c in chain):
            warnings.append("%s: the certificate chain does not end at a certificate from %s"
                            % (cert_option, ca_option))
    return certs, key, ca_certs, warnings


def der_blocks(data: bytes, *, option: str) -> list:
    """DER bytes of each certificate in a PEM bundle, with the standard library only (for hosts without the
    cryptography library). Checks base64 and the outer DER SEQUENCE, nothing more."""
    blocks = _CERT_RE.findall(data or b"")
    if not blocks:
        raise InputError("%s: no PEM certificate found (expected '-----BEGIN CERTIFICATE-----')" % option,
                         option=option)
    ders = []
    for i, block in enumerate(blocks):
        body = b"".join(block.splitlines()[1:-1])
        try:
            der = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            der = b""
        if len(der) < 64 or der[0] != 0x30:
            raise InputError("%s: certificate #%d is not valid PEM/DER" % (option, i + 1), option=option)
        ders.append(der)
    return ders


def der_to_pem(ders) -> str:
    """Canonical PEM (64-column base64), byte-identical to the cryptography library's output."""
    out = []
    for der in ders:
        b64 = base64.b64encode(der).decode("ascii")
        lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
        out.append("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % "\n".join(lines))
    return "".join(out)


def der_fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def check_ca_bundle(data: bytes, *, option: str, now=None):
    """Validate CA certificates to trust. Each must be a CA (basicConstraints CA:TRUE) or self-signed
    (a registry's own self-signed serving certificate). Returns (certs, warnings)."""
    certs = load_certificates(data, option=option)
    now = now or now_utc()
    warnings = []
    for i, cert in enumerate(certs):
        label = "%s: certificate #%d (%s)" % (option, i + 1, _name(cert.subject))
        if not is_ca(cert) and not is_self_signed(cert):
            raise InputError("%s is neither a CA certificate (basicConstraints CA:TRUE) nor self-signed; give the "
                             "CA that issued the registry's certificate" % label, option=option)
        if not_after(cert) <= now:
            warnings.append("%s expired on %s" % (label, _iso(not_after(cert))))
    return certs, warnings
