# -*- coding: utf-8 -*-
# Copyright: ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Expose a registry through routes: the operator's default route, an operator-managed custom route with a
TLS secret, or a standalone Route object in front of any registry service.

All input (PEM parsing, key/certificate match, SAN coverage, expiry, option combinations) is checked before
the first write. Private keys only travel in request bodies: results and diffs redact them.
"""
from __future__ import annotations

import base64
import re
import time

from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.ensure import REMOVE, ensure_absent, ensure_present
from ansible_collections.ocp.registry.plugins.module_utils.errors import ApiTimeout, InputError, RegistryError
from ansible_collections.ocp.registry.plugins.module_utils.redact import redact_paths

__all__ = ["OPERAND_NS", "DEFAULT_ROUTE", "validate", "admitted_hosts", "run"]

OPERAND_NS = "openshift-image-registry"
CONFIG_NAME = "cluster"
DEFAULT_ROUTE = "default-route"
MANAGED_LABEL = "app.kubernetes.io/managed-by"
MANAGED_VALUE = "ocp.registry"
ROUTE_SECRET_PATHS = ("spec.tls.key",)
SECRET_SECRET_PATHS = ("data", "stringData")
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


# --- input ---------------------------------------------------------------------------------------------
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
    from ansible_collections.ocp.registry.plugins.module_utils import pem

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


# --- reading routes --------------------------------------------------------------------------------
def admitted_hosts(route):
    """(admitted hosts, rejections [{host, reason, message}]) from status.ingress."""
    hosts, rejected = [], []
    for ing in ((route or {}).get("status") or {}).get("ingress") or []:
        cond = next((c for c in ing.get("conditions") or [] if c.get("type") == "Admitted"), None)
        if cond is None:
            continue
        if cond.get("status") == "True":
            if ing.get("host") and ing["host"] not in hosts:
                hosts.append(ing["host"])
        elif cond.get("status") == "False":
            rejected.append({"host": ing.get("host"), "router": ing.get("routerName"),
                             "reason": cond.get("reason"), "message": cond.get("message")})
    return hosts, rejected


def _wait_route(module, name, namespace, present, want_host=None, expect=None):
    """Poll the Route until it is admitted (present) or gone (absent). Polls fast first, then every wait_sleep.

    ``expect(route)`` must also hold for an operator-made route: the operator applies our change later, and until
    then the old route (still admitted) is all there is to see."""
    client = module.client
    timeout = float(module.params["wait_timeout"])
    sleep_cap = max(0.1, float(module.params["wait_sleep"]))
    deadline = time.monotonic() + timeout
    interval = 0.1
    route = None
    while True:
        route = client.get_or_none(R.ROUTE, name, namespace)
        if not present and route is None:
            return None
        if present and route is not None:
            hosts, rejected = admitted_hosts(route)
            current = expect is None or expect(route)
            if hosts and current and (want_host is None or want_host in hosts):
                return route
            if rejected and not hosts and current:
                first = rejected[0]
                raise RegistryError("Route %s/%s was not admitted by router %s: %s %s" % (
                    namespace, name, first.get("router"), first.get("reason") or "", first.get("message") or ""),
                    rejected=rejected)
        left = deadline - time.monotonic()
        if left <= 0:
            what = "admitted" if present else "deleted"
            raise ApiTimeout("Timed out after %ss waiting for Route %s/%s to be %s" % (timeout, namespace, name, what),
                             last=redact_paths(route, ROUTE_SECRET_PATHS) if route else None,
                             target="Route %s/%s" % (namespace, name))
        time.sleep(min(interval, sleep_cap, left))
        interval = min(interval * 2, sleep_cap)


def _route_result(route, result):
    hosts, rejected = admitted_hosts(route)
    if rejected:
        result["rejections"] = rejected
    spec_host = ((route or {}).get("spec") or {}).get("host")
    result["hosts"] = hosts
    result["host"] = hosts[0] if hosts else (spec_host or None)
    result["admitted"] = bool(hosts)
    result["route"] = redact_paths(route, ROUTE_SECRET_PATHS) if route else None
    return result


# --- the registry Config ---------------------------------------------------------------------------
def _live_config(module, required):
    """configs/cluster; when required and missing, wait for the operator to create it (with wait) or fail."""
    client = module.client
    live = client.get_or_none(R.REGISTRY_CONFIG, CONFIG_NAME)
    if live is not None or not required:
        return live
    if module.params["wait"] and not module.check_mode:
        deadline = time.monotonic() + float(module.params["wait_timeout"])
        interval = 0.1
        while live is None and time.monotonic() < deadline:
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
            interval = min(interval * 2, max(0.1, float(module.params["wait_sleep"])))
            live = client.get_or_none(R.REGISTRY_CONFIG, CONFIG_NAME)
        if live is not None:
            return live
    raise RegistryError("configs.imageregistry.operator.openshift.io/%s does not exist: is the image registry "
                        "operator installed and running?%s" % (
                            CONFIG_NAME, "" if module.params["wait"] else " Set wait: true to wait for it."))


def _operator_manages_routes(module, live_cfg):
    """The operator creates routes only in Managed state: warn (and do not wait) otherwise."""
    state = ((live_cfg or {}).get("spec") or {}).get("managementState") or "Managed"
    if state == "Managed":
        return True
    module.warn("the image registry operator is %s, so it does not create or update routes; set managementState to "
                "Managed (ocp.registry.image_registry_config) for the route to appear%s"
                % (state, "; not waiting" if module.params["wait"] else ""))
    return False


def _config_skeleton(spec):
    return {"apiVersion": R.REGISTRY_CONFIG.api_version, "kind": R.REGISTRY_CONFIG.kind,
            "metadata": {"name": CONFIG_NAME}, "spec": spec}


def _routes_with(live, entry, name):
    routes = list(((live or {}).get("spec") or {}).get("routes") or [])
    out, seen = [], False
    for r in routes:
        if r.get("name") == name:
            seen = True
            if entry is not None:
                out.append(entry)
        else:
            out.append(r)
    if not seen and entry is not None:
        out.append(entry)
    return out


def _add_diff(diffs, label, res):
    if res.get("diff"):
        diffs["before"][label] = res["diff"]["before"]
        diffs["after"][label] = res["diff"]["after"]


# --- modes -----------------------------------------------------------------------------------------
def _run_default(module, inputs, result, diffs):
    client, check, state = module.client, module.check_mode, module.params["state"]
    if _live_config(module, required=state == "present") is None:
        return _route_result(None, result)
    res = ensure_present(client, R.REGISTRY_CONFIG, _config_skeleton({"defaultRoute": state == "present"}),
                         check_mode=check, diff=module._diff)
    result["changed"] = res["changed"]
    _add_diff(diffs, "config", res)
    managed = _operator_manages_routes(module, res["object"])
    return _finish(module, DEFAULT_ROUTE, OPERAND_NS, result, state == "present", wait=managed)


def _secret_desired(name, inputs):
    data = {
        "tls.crt": base64.b64encode(inputs.pem["certificate"]).decode("ascii"),
        "tls.key": base64.b64encode(inputs.pem["key"]).decode("ascii"),
        "tls.cacrt": (base64.b64encode(inputs.pem["ca_certificate"]).decode("ascii")
                      if "ca_certificate" in inputs.pem else REMOVE),
    }

    def build(live):
        meta = {"name": name, "namespace": OPERAND_NS}
        if live is None:
            meta["labels"] = {MANAGED_LABEL: MANAGED_VALUE}
            data_now = {k: v for k, v in data.items() if v is not REMOVE}
        else:
            data_now = data
            if live.get("type") != "kubernetes.io/tls":
                raise InputError("secret_name: secret %s/%s exists with type %s, not kubernetes.io/tls; pick another "
                                 "secret_name or delete it" % (OPERAND_NS, name, live.get("type")),
                                 option="secret_name")
        return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "kubernetes.io/tls", "data": data_now}

    return build


def _live_entry(live_cfg, name):
    return next((r for r in ((live_cfg or {}).get("spec") or {}).get("routes") or [] if r.get("name") == name), None)


def _delete_our_secret(module, secret_name, result, diffs, warn=True, label="secret"):
    """Delete a TLS secret only when this module created it (label); otherwise keep it (and warn)."""
    client = module.client
    live_secret = client.get_or_none(R.SECRET, secret_name, OPERAND_NS)
    if live_secret is None:
        return
    labels = (live_secret.get("metadata") or {}).get("labels") or {}
    if labels.get(MANAGED_LABEL) == MANAGED_VALUE:
        sec = ensure_absent(client, R.SECRET, secret_name, OPERAND_NS, check_mode=module.check_mode,
                            diff=module._diff, secret_paths=SECRET_SECRET_PATHS)
        result["changed"] = True
        _add_diff(diffs, label, sec)
    elif warn:
        module.warn("secret %s/%s was not created by this module (no %s=%s label), so it was kept"
                    % (OPERAND_NS, secret_name, MANAGED_LABEL, MANAGED_VALUE))


def _operator_route_matches(hostname, inputs, secret_name):
    """Whether the operator's Route already carries this task's host name and certificate (none without a
    secret; with a secret made elsewhere, any)."""
    cert = inputs.pem.get("certificate")
    want_cert = cert.decode("ascii") if cert else None

    def check(route):
        spec = (route or {}).get("spec") or {}
        tls = spec.get("tls") or {}
        if spec.get("host") != hostname:
            return False
        if secret_name is None:
            return not tls.get("certificate")
        return want_cert is None or tls.get("certificate") == want_cert

    return check


def _run_custom(module, inputs, result, diffs):
    params, client, check = module.params, module.client, module.check_mode
    name, state = params["name"], params["state"]
    live_cfg = _live_config(module, required=state == "present")
    old_secret = (_live_entry(live_cfg, name) or {}).get("secretName")
    if state == "present":
        secret_name = params.get("secret_name") or ("%s-tls" % name)
        use_secret = None
        if "certificate" in inputs.pem:
            sec = ensure_present(client, R.SECRET, _secret_desired(secret_name, inputs), check_mode=check,
                                 diff=module._diff, secret_paths=SECRET_SECRET_PATHS, name=secret_name,
                                 namespace=OPERAND_NS)
            result["changed"] = result["changed"] or sec["changed"]
            _add_diff(diffs, "secret", sec)
            use_secret = secret_name
        elif params.get("secret_name"):
            if client.get_or_none(R.SECRET, secret_name, OPERAND_NS) is None:
                raise InputError("secret_name: secret %s/%s does not exist; create it or give certificate and key so "
                                 "the module creates it" % (OPERAND_NS, secret_name), option="secret_name")
            use_secret = secret_name
        entry = {"name": name, "hostname": params["hostname"]}
        if use_secret:
            entry["secretName"] = use_secret
        cfg = ensure_present(client, R.REGISTRY_CONFIG,
                             lambda live: _config_skeleton({"routes": _routes_with(live, entry, name)}),
                             check_mode=check, diff=module._diff, name=CONFIG_NAME)
        result["changed"] = result["changed"] or cfg["changed"]
        _add_diff(diffs, "config", cfg)
        if old_secret and old_secret != use_secret:
            # no longer referenced by the entry: remove it when this module made it
            _delete_our_secret(module, old_secret, result, diffs, warn=False, label="previous secret")
        result["secret"] = ({"name": use_secret, "namespace": OPERAND_NS, "type": "kubernetes.io/tls",
                             "keys": sorted(k for k in ("tls.crt", "tls.key", "tls.cacrt")
                                            if k != "tls.cacrt" or "ca_certificate" in inputs.pem)}
                            if "certificate" in inputs.pem else
                            ({"name": use_secret, "namespace": OPERAND_NS} if use_secret else None))
        managed = _operator_manages_routes(module, cfg["object"])
        return _finish(module, name, OPERAND_NS, result, True, want_host=params["hostname"], wait=managed,
                       expect=_operator_route_matches(params["hostname"], inputs, use_secret))
    # absent: the entry, then the secret it referenced (or secret_name, or <name>-tls) when this module made it
    secret_name = params.get("secret_name") or old_secret or ("%s-tls" % name)
    if old_secret is not None or _live_entry(live_cfg, name) is not None:
        cfg = ensure_present(client, R.REGISTRY_CONFIG,
                             lambda live: _config_skeleton({"routes": _routes_with(live, None, name)}),
                             check_mode=check, diff=module._diff, name=CONFIG_NAME)
        result["changed"] = result["changed"] or cfg["changed"]
        _add_diff(diffs, "config", cfg)
    managed = live_cfg is None or _operator_manages_routes(module, live_cfg)
    _delete_our_secret(module, secret_name, result, diffs)
    return _finish(module, name, OPERAND_NS, result, False, wait=managed)


def _route_desired(params, inputs):
    termination = params.get("termination") or "passthrough"
    tls = {"termination": termination}
    for logical, field in (("certificate", "certificate"), ("key", "key"), ("ca_certificate", "caCertificate"),
                           ("destination_ca_certificate", "destinationCACertificate")):
        tls[field] = inputs.pem[logical].decode("ascii") if logical in inputs.pem else REMOVE
    tls["insecureEdgeTerminationPolicy"] = params.get("insecure_edge_termination_policy") or REMOVE
    port = params.get("port")
    spec = {
        "to": {"kind": "Service", "name": params["service"]},
        "port": {"targetPort": int(port) if port is not None and str(port).isdigit() else port}
        if port is not None else REMOVE,
        "tls": tls,
    }
    if params.get("hostname"):
        spec["host"] = params["hostname"]
    return {"apiVersion": R.ROUTE.api_version, "kind": "Route",
            "metadata": {"name": params["name"], "namespace": params["namespace"]}, "spec": spec}


def _run_route(module, inputs, result, diffs):
    params, client, check = module.params, module.client, module.check_mode
    name, namespace = params["name"], params["namespace"]
    if params["state"] == "present":
        res = ensure_present(client, R.ROUTE, _route_desired(params, inputs), check_mode=check, diff=module._diff,
                             secret_paths=ROUTE_SECRET_PATHS)
        result["changed"] = res["changed"]
        _add_diff(diffs, "route", res)
        if check or not params["wait"]:
            return _route_result(res["object"], result)
        return _finish(module, name, namespace, result, True, want_host=params.get("hostname"))
    res = ensure_absent(client, R.ROUTE, name, namespace, check_mode=check, diff=module._diff,
                        secret_paths=ROUTE_SECRET_PATHS)
    result["changed"] = res["changed"]
    _add_diff(diffs, "route", res)
    return _finish(module, name, namespace, result, False)


def _finish(module, name, namespace, result, present, want_host=None, wait=True, expect=None):
    """Wait when asked (never in check mode), then report the route's host(s)."""
    if wait and module.params["wait"] and not module.check_mode:
        route = _wait_route(module, name, namespace, present, want_host, expect)
    elif module.check_mode and not present and result["changed"]:
        route = None  # predicted: the operator removes it
    else:
        route = module.client.get_or_none(R.ROUTE, name, namespace)
    return _route_result(route, result)


def run(module):
    params = module.params
    inputs = validate(params)
    for warning in inputs.warnings:
        module.warn(warning)
    result = {"changed": False, "mode": params["mode"], "state": params["state"]}
    if inputs.cert_info:
        result["certificate"] = inputs.cert_info
    diffs = {"before": {}, "after": {}}
    runner = {"default": _run_default, "custom": _run_custom, "route": _run_route}[params["mode"]]
    result = runner(module, inputs, result, diffs)
    if module._diff:
        result["diff"] = diffs
    return result
