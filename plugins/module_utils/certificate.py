# -*- coding: utf-8 -*-
# Copyright: ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CA-signed server certificates for a registry (like ``oc adm ca create-server-cert``).

``plan()`` reads what is on disk and decides whether to (re)generate and why; ``issue()`` makes a new key
and certificate; ``write_pair()`` writes them atomically (key 0600). ``run()`` is the module's job.
Diffs and results carry certificate metadata only, never key material.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
import re

from ansible_collections.ocp.registry.plugins.module_utils import pem
from ansible_collections.ocp.registry.plugins.module_utils.files import atomic_write, read_or_none
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError, RegistryError

__all__ = ["normalize_hostnames", "plan", "issue", "write_pair", "run"]

_DNS_LABEL = re.compile(r"^(?:\*|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)$")
KEY_MODE = 0o600
CERT_MODE = 0o644


def normalize_hostnames(values, *, option="hostnames"):
    """['Hub.Example.com', '172.30.0.5:5000', 'svc'] -> (dns names, ip strings), de-duplicated, in order.
    A ':port' suffix is dropped (certificates do not carry ports)."""
    dns, ips = [], []
    for raw in values or ():
        try:
            host, _port = pem.split_host_port(str(raw))
        except ValueError as exc:
            raise InputError("%s: %s" % (option, exc), option=option) from None
        try:
            ip = str(ipaddress.ip_address(host))
        except ValueError:
            ip = None
        if ip is not None:
            if ip not in ips:
                ips.append(ip)
            continue
        name = host.lower().rstrip(".")
        labels = name.split(".")
        if len(name) > 253 or not all(_DNS_LABEL.match(lb) for lb in labels) or "*" in labels[1:]:
            raise InputError("%s: %r is not a valid DNS name or IP address (a wildcard may only be the whole "
                             "first label, as in '*.apps.example.com')" % (option, raw), option=option)
        if name not in dns:
            dns.append(name)
    if not dns and not ips:
        raise InputError("%s: give at least one hostname or IP address" % option, option=option)
    return dns, ips


def _key_spec(key):
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ecdsa", key.curve.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519", 256
    return type(key).__name__, 0


def plan(*, cert_path, key_path, ca_cert, dns, ips, key_type, key_size, renew_before_days, force=False, include_ca=None,
         common_name=None, now=None):
    """Decide whether to regenerate. Returns (reasons, current certificate or None, mode fixes).

    reasons is empty when the pair on disk is usable: both files parse, the key matches, the certificate
    was signed by ca_cert, its SAN set equals the wanted one, its key has the wanted type and size, and it
    does not expire within renew_before_days.
    """
    now = now or pem.now_utc()
    reasons = []
    cert_data, key_data = read_or_none(cert_path), read_or_none(key_path)
    current = None
    if force:
        reasons.append("forced")
    if cert_data is None:
        reasons.append("certificate file %s does not exist" % cert_path)
    if key_data is None:
        reasons.append("key file %s does not exist" % key_path)
    if cert_data is not None:
        try:
            current = pem.load_certificates(cert_data, option="path")[0]
        except InputError:
            reasons.append("%s is not a PEM certificate" % cert_path)
    key = None
    if key_data is not None:
        try:
            key = pem.load_private_key(key_data, option="key_path")
        except InputError:
            reasons.append("%s is not a usable private key" % key_path)
    if current is not None:
        if key is not None and not pem.key_matches(key, current):
            reasons.append("the key does not match the certificate")
        if not pem.issued_by(current, ca_cert):
            reasons.append("the certificate was not issued by the given CA (signer changed)")
        have_dns, have_ips = pem.sans(current)
        if sorted(have_dns) != sorted(dns) or sorted(have_ips) != sorted(ips):
            reasons.append("hostnames changed")
        if _key_spec(current.public_key()) != (key_type, key_size if key_type != "ed25519" else 256):
            reasons.append("key type or size changed")
        if common_name is not None and _common_name(current) != common_name[:64]:
            reasons.append("common_name changed")
        if include_ca is not None and (len(pem.load_certificates(cert_data, option="path")) > 1) != include_ca:
            reasons.append("include_ca changed")
        left = pem.days_left(current, now)
        if left <= 0:
            reasons.append("the certificate expired")
        elif left < renew_before_days:
            reasons.append("the certificate expires within %d days" % renew_before_days)
    mode_fixes = []
    if not reasons:
        for path, mode in ((key_path, KEY_MODE), (cert_path, CERT_MODE)):
            have = os.stat(path).st_mode & 0o7777
            if have != mode:
                mode_fixes.append((path, have, mode))
    return reasons, current, mode_fixes


def _common_name(cert):
    from cryptography.x509.oid import NameOID
    values = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return values[0].value if values else None


def generate_key(key_type, key_size):
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    if key_type == "ecdsa":
        curves = {256: ec.SECP256R1(), 384: ec.SECP384R1(), 521: ec.SECP521R1()}
        return ec.generate_private_key(curves[key_size])
    return ed25519.Ed25519PrivateKey.generate()


def issue(*, ca_cert, ca_key, dns, ips, key_type, key_size, validity_days, common_name=None, now=None):
    """A new (certificate, key) pair signed by the CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = now or pem.now_utc()
    key = generate_key(key_type, key_size)
    cn = common_name or (dns[0] if dns else ips[0])
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn[:64])])
    san = [x509.DNSName(n) for n in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    ca_not_after = pem.not_after(ca_cert)
    end = min(now + datetime.timedelta(days=validity_days), ca_not_after)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=isinstance(key, rsa.RSAPrivateKey),
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
    )
    algorithm = None if isinstance(ca_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(ca_key, algorithm), key


def write_pair(*, cert_path, key_path, cert_pem: bytes, key_pem: bytes):
    """Write key (0600) first, then the certificate (0644), each atomically."""
    for path in (cert_path, key_path):
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise InputError("the directory %s does not exist" % directory,
                             option="key_path" if path == key_path else "path")
    atomic_write(key_path, key_pem, KEY_MODE)
    atomic_write(cert_path, cert_pem, CERT_MODE)


def _check_params(params):
    key_type, key_size = params["key_type"], params["key_size"]
    if key_size is None:
        key_size = {"rsa": 2048, "ecdsa": 256, "ed25519": 256}[key_type]
    allowed = {"rsa": (2048, 3072, 4096), "ecdsa": (256, 384, 521), "ed25519": (256,)}[key_type]
    if key_size not in allowed:
        raise InputError("key_size: %s keys must be one of %s bits, not %s"
                         % (key_type, ", ".join(map(str, allowed)), key_size), option="key_size")
    if params["validity_days"] < 1:
        raise InputError("validity_days must be at least 1", option="validity_days")
    if params["renew_before_days"] < 0 or params["renew_before_days"] >= params["validity_days"]:
        raise InputError("renew_before_days must be between 0 and validity_days - 1 (%d), or the certificate "
                         "would be renewed on every run" % (params["validity_days"] - 1), option="renew_before_days")
    if os.path.abspath(params["path"]) == os.path.abspath(params["key_path"]):
        raise InputError("path and key_path must be different files", option="key_path")
    for option in ("path", "key_path"):
        directory = os.path.dirname(os.path.abspath(params[option]))
        if not os.path.isdir(directory):
            raise InputError("%s: the directory %s does not exist; create it first (for example with "
                             "ansible.builtin.file state=directory mode=0700)" % (option, directory), option=option)
        if os.path.isdir(params[option]):
            raise InputError("%s: %s is a directory; give a file name" % (option, params[option]), option=option)
    return key_type, key_size


def _load_ca(params):
    ca_data = pem.read_input(params["ca_cert"], params["ca_cert_path"], option="ca_cert", path_option="ca_cert_path")
    ca_key_data = pem.read_input(params["ca_key"], params["ca_key_path"], option="ca_key", path_option="ca_key_path")
    ca_opt = "ca_cert" if params["ca_cert"] else "ca_cert_path"
    key_opt = "ca_key" if params["ca_key"] else "ca_key_path"
    ca_cert = pem.load_certificates(ca_data, option=ca_opt)[0]
    ca_key = pem.load_private_key(ca_key_data, option=key_opt)
    if not pem.key_matches(ca_key, ca_cert):
        raise InputError("%s does not belong to the CA certificate in %s" % (key_opt, ca_opt), option=key_opt)
    if not pem.is_ca(ca_cert):
        raise InputError("%s is not a CA certificate (basicConstraints CA:TRUE is missing)" % ca_opt, option=ca_opt)
    if pem.days_left(ca_cert) <= 0:
        raise InputError("%s: the CA certificate has expired" % ca_opt, option=ca_opt)
    return ca_cert, ca_key


def _predicted(dns, ips, ca_cert, validity_days, common_name, now):
    end = min(now + datetime.timedelta(days=validity_days), pem.not_after(ca_cert))
    return {
        "subject": "CN=" + (common_name or (dns[0] if dns else ips[0]))[:64],
        "issuer": pem._name(ca_cert.subject),
        "not_after": pem._iso(end),
        "dns_names": dns,
        "ip_addresses": ips,
    }


_DIFF_KEYS = ("subject", "issuer", "not_after", "dns_names", "ip_addresses")


def _diff_view(info):
    return {k: info[k] for k in _DIFF_KEYS if k in info} if info else {}


def run(module):
    """The registry_certificate module's job. Returns the result dict."""
    params = module.params
    key_type, key_size = _check_params(params)
    dns, ips = normalize_hostnames(params["hostnames"])
    ca_cert, ca_key = _load_ca(params)
    cert_path, key_path = params["path"], params["key_path"]
    now = pem.now_utc()
    if pem.days_left(ca_cert, now) < params["renew_before_days"]:
        module.warn("the CA expires on %s, within renew_before_days (%d): certificates are capped at the CA's "
                    "expiry, so one is issued on every run until the CA is renewed"
                    % (pem._iso(pem.not_after(ca_cert)), params["renew_before_days"]))
    reasons, current, mode_fixes = plan(
        cert_path=cert_path, key_path=key_path, ca_cert=ca_cert, dns=dns, ips=ips, key_type=key_type,
        key_size=key_size, renew_before_days=params["renew_before_days"], force=params["force"],
        include_ca=params["include_ca"], common_name=params["common_name"], now=now)
    before = pem.describe(current) if current is not None else None
    result = {"changed": bool(reasons or mode_fixes), "path": cert_path, "key_path": key_path,
              "regenerated": bool(reasons), "reasons": reasons}
    if reasons:
        if module.check_mode:
            after = _predicted(dns, ips, ca_cert, params["validity_days"], params["common_name"], now)
        else:
            cert, key = issue(ca_cert=ca_cert, ca_key=ca_key, dns=dns, ips=ips, key_type=key_type,
                              key_size=key_size, validity_days=params["validity_days"],
                              common_name=params["common_name"], now=now)
            chain = [cert, ca_cert] if params["include_ca"] else [cert]
            try:
                write_pair(cert_path=cert_path, key_path=key_path, cert_pem=pem.to_pem(chain).encode("ascii"),
                           key_pem=pem.key_to_pem(key))
            except OSError as exc:
                raise RegistryError("cannot write %s: %s" % (exc.filename or cert_path, exc.strerror or exc)) from exc
            after = pem.describe(cert)
    else:
        if mode_fixes and not module.check_mode:
            for path, _have, mode in mode_fixes:
                os.chmod(path, mode)
        after = before
    result["certificate"] = after
    if module._diff:
        result["diff"] = {"before": _diff_view(before), "after": _diff_view(after),
                          "before_header": cert_path, "after_header": cert_path}
        if mode_fixes:
            result["diff"]["before"]["modes"] = {p: "%04o" % have for p, have, _m in mode_fixes}
            result["diff"]["after"]["modes"] = {p: "%04o" % want for p, _h, want in mode_fixes}
    return result
