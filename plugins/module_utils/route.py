# -*- coding: utf-8 -*-
# Copyright: ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Expose a registry through routes: the operator's default route, an operator-managed custom route with a
TLS secret, or a standalone Route object in front of any registry service.

All input is checked first (``route_input.validate``), before the first API call. Private keys only travel
in request bodies: results and diffs redact them. Each object is read once: the objects read to decide
what to do are handed to ``ensure_present(live=...)``, so a no-op costs only those reads.
"""
from __future__ import annotations

import base64
import time

from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.ensure import REMOVE, ensure_absent, ensure_present
from ansible_collections.ocp.registry.plugins.module_utils.errors import ApiTimeout, InputError, RegistryError
from ansible_collections.ocp.registry.plugins.module_utils.redact import is_redacted, redact_paths
from ansible_collections.ocp.registry.plugins.module_utils.route_input import DEFAULT_ROUTE, validate

__all__ = ["OPERAND_NS", "DEFAULT_ROUTE", "validate", "admitted_hosts", "run"]

OPERAND_NS = "openshift-image-registry"
CONFIG_NAME = "cluster"
MANAGED_LABEL = "app.kubernetes.io/managed-by"
MANAGED_VALUE = "ocp.registry"
ROUTE_SECRET_PATHS = ("spec.tls.key",)
SECRET_SECRET_PATHS = ("data", "stringData")


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


def _poll(module, read, done, known=None):
    """``read()`` until ``done(obj)`` (which may raise), within wait_timeout: fast at first (0.1 s, doubling),
    then every wait_sleep. ``known`` is an object already read: it stands for the first read.
    Returns (last object, whether it is done)."""
    deadline = time.monotonic() + float(module.params["wait_timeout"])
    sleep_cap = max(0.1, float(module.params["wait_sleep"]))
    interval = 0.1
    obj = known
    while True:
        if known is None:
            obj = read()
        known = None
        if done(obj):
            return obj, True
        left = deadline - time.monotonic()
        if left <= 0:
            return obj, False
        time.sleep(min(interval, sleep_cap, left))
        interval = min(interval * 2, sleep_cap)


def _wait_route(module, name, namespace, present, want_host=None, expect=None, known=None):
    """Poll the Route until it is admitted (present) or gone (absent); fail fast when routers reject it.

    ``expect(route)`` must also hold for an operator-made route: the operator applies our change later, and until
    then the old route (still admitted) is all there is to see. ``known`` is the Route as just read (an unchanged
    route): it stands for the first poll."""
    def done(route):
        if not present:
            return route is None
        if route is None:
            return False
        hosts, rejected = admitted_hosts(route)
        current = expect is None or expect(route)
        if hosts and current and (want_host is None or want_host in hosts):
            return True
        if rejected and not hosts and current:
            first = rejected[0]
            raise RegistryError("Route %s/%s was not admitted by router %s: %s %s" % (
                namespace, name, first.get("router"), first.get("reason") or "", first.get("message") or ""),
                rejected=rejected)
        return False

    route, ok = _poll(module, lambda: module.client.get_or_none(R.ROUTE, name, namespace), done, known)
    if ok:
        return route
    raise ApiTimeout("Timed out after %ss waiting for Route %s/%s to be %s"
                     % (module.params["wait_timeout"], namespace, name, "admitted" if present else "deleted"),
                     last=_redacted(route), target="Route %s/%s" % (namespace, name))


def _route_result(route, result):
    hosts, rejected = admitted_hosts(route)
    if rejected:
        result["rejections"] = rejected
    spec_host = ((route or {}).get("spec") or {}).get("host")
    result["hosts"] = hosts
    result["host"] = hosts[0] if hosts else (spec_host or None)
    result["admitted"] = bool(hosts)
    result["route"] = _redacted(route)
    return result


def _redacted(route):
    """The Route with its key redacted (once: a route that ensure returned is redacted already)."""
    if not route or is_redacted(((route.get("spec") or {}).get("tls") or {}).get("key")):
        return route
    return redact_paths(route, ROUTE_SECRET_PATHS)


# --- the registry Config ---------------------------------------------------------------------------
def _live_config(module, required):
    """configs/cluster; when required and missing, wait for the operator to create it (with wait) or fail."""
    def read():
        return module.client.get_or_none(R.REGISTRY_CONFIG, CONFIG_NAME)

    if required and module.params["wait"] and not module.check_mode:
        live = _poll(module, read, lambda obj: obj is not None)[0]
    else:
        live = read()
    if live is not None or not required:
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


def _record(result, diffs, label, res):
    """Fold one ensure result into the module result: changed, and the diff under ``label``."""
    result["changed"] = result["changed"] or res["changed"]
    if res.get("diff"):
        diffs["before"][label] = res["diff"]["before"]
        diffs["after"][label] = res["diff"]["after"]


# --- modes -----------------------------------------------------------------------------------------
def _run_default(module, inputs, result, diffs):
    client, check, state = module.client, module.check_mode, module.params["state"]
    live_cfg = _live_config(module, required=state == "present")
    if live_cfg is None:
        return _route_result(None, result)
    res = ensure_present(client, R.REGISTRY_CONFIG, _config_skeleton({"defaultRoute": state == "present"}),
                         check_mode=check, diff=module._diff, live=live_cfg)
    _record(result, diffs, "config", res)
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


def _ensure_entry(module, live_cfg, name, entry, result, diffs):
    """Make ``entry`` the spec.routes item ``name`` (None: drop it) of the config as read in ``live_cfg``."""
    cfg = ensure_present(module.client, R.REGISTRY_CONFIG,
                         lambda live: _config_skeleton({"routes": _routes_with(live, entry, name)}),
                         check_mode=module.check_mode, diff=module._diff, name=CONFIG_NAME, live=live_cfg)
    _record(result, diffs, "config", cfg)
    return cfg


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
        _record(result, diffs, label, sec)
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
            _record(result, diffs, "secret", sec)
            use_secret = secret_name
        elif params.get("secret_name"):
            if client.get_or_none(R.SECRET, secret_name, OPERAND_NS) is None:
                raise InputError("secret_name: secret %s/%s does not exist; create it or give certificate and key so "
                                 "the module creates it" % (OPERAND_NS, secret_name), option="secret_name")
            use_secret = secret_name
        entry = {"name": name, "hostname": params["hostname"]}
        if use_secret:
            entry["secretName"] = use_secret
        cfg = _ensure_entry(module, live_cfg, name, entry, result, diffs)
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
        _ensure_entry(module, live_cfg, name, None, result, diffs)
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
        _record(result, diffs, "route", res)
        if check or not params["wait"]:
            return _route_result(res["object"], result)
        return _finish(module, name, namespace, result, True, want_host=params.get("hostname"),
                       known=None if res["changed"] else res["object"])
    res = ensure_absent(client, R.ROUTE, name, namespace, check_mode=check, diff=module._diff,
                        secret_paths=ROUTE_SECRET_PATHS)
    _record(result, diffs, "route", res)
    return _finish(module, name, namespace, result, False)


def _finish(module, name, namespace, result, present, want_host=None, wait=True, expect=None, known=None):
    """Wait when asked (never in check mode), then report the route's host(s)."""
    if wait and module.params["wait"] and not module.check_mode:
        route = _wait_route(module, name, namespace, present, want_host, expect, known)
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
