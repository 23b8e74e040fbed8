# -*- coding: utf-8 -*-
# Copyright: ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""registry_route input: option combinations per mode, names, and the PEM material (certificate and key
match, SAN coverage of the host name, expiry, CA bundles), all checked before any API call.
"""
from __future__ import annotations

import re

from ansible_collections.ocp.registry.plugins.module_utils import pem
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError

__all__ = ["DEFAULT_ROUTE", "Inputs", "validate"]

DEFAULT_ROUTE = "default-route"
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_HOSTNAME = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$")

_PEM_OPTIONS = {
    # logical name -> (content option, path option)
    "certificate": ("certificate", "certificate_path"),
    "key": ("key", "key_path"),
    "ca_certificate": ("ca_certificate", "ca_certificate_path"),
    "destination_ca_certificate": ("destination_ca_certificate", "destination_ca_certificate_path"),
}
_MODE_OPTIONS = {
    "default": set(),
    "custom": {"name", "hostname", "secret_name", "certificate", "key", "ca_certificate"},
    "route": {"name", "namespace", "hostname", "service", "port", "termination", "certificate", "key",
              "ca_certificate", "destination_ca_certificate", "insecure_edge_termination_policy"},
}


class Inputs:
    """Validated inputs: PEM bytes by logical name, the certificate metadata, warnings."""

    def __init__(self):
        self.pem = {}
        self.given = {}
        self.cert_info = None
        self.warnings = []


def _given(params, logical):
    content_opt, path_opt = _PEM_OPTIONS[logical]
    if params.get(content_opt) not in (None, ""):
        return content_opt
    if params.get(path_opt):
        return path_opt
    return None


def _check_mode_options(params):
    mode = params["mode"]
    allowed = _MODE_OPTIONS[mode]
    for opt in ("name", "namespace", "hostname", "secret_name", "service", "port", "termination",
                "insecure_edge_termination_policy"):
        if params.get(opt) is not None and opt not in allowed:
            raise InputError("%s does not apply to mode=%s" % (opt, mode), option=opt)
    for logical in _PEM_OPTIONS:
        opt = _given(params, logical)
        if opt and logical not in allowed:
            raise InputError("%s does not apply to mode=%s" % (opt, mode), option=opt)


def _check_names(params):
    mode, name = params["mode"], params.get("name")
    if mode in ("custom", "route"):
        if not name:
            raise InputError("name is required with mode=%s" % mode, option="name")
        if len(name) > 253 or not _DNS1123_SUB.match(name):
            raise InputError("name: %r is not a valid route name (lower-case letters, digits, '-' and '.')" % name,
                             option="name")
    if mode == "custom" and name == DEFAULT_ROUTE:
        raise InputError("name: %r is reserved for the operator's default route; use mode=default for it, or pick "
                         "another name" % name, option="name")
    if mode == "route":
        ns = params.get("namespace")
        if not ns:
            raise InputError("namespace is required with mode=route", option="namespace")
        if len(ns) > 63 or not _DNS1123_LABEL.match(ns):
            raise InputError("namespace: %r is not a valid namespace name" % ns, option="namespace")
        if params["state"] == "present" and not params.get("service"):
            raise InputError("service is required with mode=route and state=present", option="service")
    hostname = params.get("hostname")
    if hostname is not None:
        if hostname != hostname.lower() or len(hostname) > 253 or not _HOSTNAME.match(hostname):
            raise InputError("hostname: %r is not a valid lower-case DNS name (no scheme, port or path)" % hostname,
                             option="hostname")
    if mode == "custom" and params["state"] == "present" and not hostname:
        raise InputError("hostname is required with mode=custom", option="hostname")
    secret_name = params.get("secret_name")
    if secret_name is not None and (len(secret_name) > 253 or not _DNS1123_SUB.match(secret_name)):
        raise InputError("secret_name: %r is not a valid secret name" % secret_name, option="secret_name")


def _check_tls_combination(params, given):
    mode = params["mode"]
    cert, key = given.get("certificate"), given.get("key")
    if bool(cert) != bool(key):
        missing = "key (or key_path)" if cert else "certificate (or certificate_path)"
        raise InputError("%s needs %s too: the certificate and its key go together"
                         % (cert or key, missing), option="key" if cert else "certificate")
    if given.get("ca_certificate") and not cert:
        raise InputError("%s needs certificate and key" % given["ca_certificate"], option=given["ca_certificate"])
    if mode != "route":
        return
    termination = params.get("termination") or "passthrough"
    policy = params.get("insecure_edge_termination_policy")
    if termination == "passthrough":
        for logical in ("certificate", "ca_certificate", "destination_ca_certificate"):
            if given.get(logical):
                raise InputError("%s does not apply to termination=passthrough: the registry itself serves TLS, so "
                                 "give its certificate to the registry instead" % given[logical],
                                 option=given[logical])
        if policy == "Allow":
            raise InputError("insecure_edge_termination_policy: Allow is not possible with termination=passthrough "
                             "(use None or Redirect)", option="insecure_edge_termination_policy")
    if termination == "edge" and given.get("destination_ca_certificate"):
        raise InputError("%s only applies to termination=reencrypt" % given["destination_ca_certificate"],
                         option=given["destination_ca_certificate"])
    if cert and not params.get("hostname"):
        raise InputError("hostname is required with a certificate, so the module can check that the certificate "
                         "covers it", option="hostname")


def validate(params) -> Inputs:
    """Every check that needs no API call. Raises InputError naming the option."""
    _check_mode_options(params)
    _check_names(params)
    inputs = Inputs()
    if params["state"] == "absent":
        return inputs
    given = {logical: _given(params, logical) for logical in _PEM_OPTIONS}
    inputs.given = given
    _check_tls_combination(params, given)
    for logical, opt in given.items():
        if opt:
            content_opt, path_opt = _PEM_OPTIONS[logical]
            inputs.pem[logical] = pem.read_input(params.get(content_opt), params.get(path_opt),
                                                 option=content_opt, path_option=path_opt)
    if "certificate" in inputs.pem:
        certs, _key, ca_certs, warnings = pem.check_server_certificate(
            inputs.pem["certificate"], inputs.pem["key"], hostnames=[params["hostname"]],
            cert_option=given["certificate"], key_option=given["key"],
            ca_data=inputs.pem.get("ca_certificate"), ca_option=given.get("ca_certificate"))
        inputs.warnings.extend(warnings)
        inputs.cert_info = pem.describe(certs[0])
        inputs.pem["certificate"] = pem.to_pem(certs).encode("ascii")
        if ca_certs:
            inputs.pem["ca_certificate"] = pem.to_pem(ca_certs).encode("ascii")
        inputs.pem["key"] = pem.key_block(inputs.pem["key"])
    if "destination_ca_certificate" in inputs.pem:
        opt = given["destination_ca_certificate"]
        dest, warnings = pem.check_ca_bundle(inputs.pem["destination_ca_certificate"], option=opt)
        inputs.warnings.extend(warnings)
        inputs.pem["destination_ca_certificate"] = pem.to_pem(dest).encode("ascii")
    return inputs
