"""route.openshift.io/v1 Route: the openshift-apiserver strategy plus the default router's admission.

Strategy (openshift-apiserver's route registry): an empty `spec.host` is generated as
`<name>-<namespace>.<apps domain>` (or `<subdomain>.<apps domain>` when spec.subdomain is set); the
host is kept when an update clears it; changing it needs cluster-admin-like rights (`routes/custom-host`);
host must be a DNS-1123 subdomain; `spec.to.kind` must be Service; TLS termination is one of
edge|passthrough|reencrypt with the per-termination certificate rules; wildcardPolicy Subdomain needs a
host. A change of host, path or TLS clears status.ingress (the router re-admits).

RouterController (the `default` IngressController's router): writes `status.ingress` with
routerName `default`, `routerCanonicalHostname: router-default.<apps domain>`, wildcardPolicy and an
Admitted condition. The oldest route claiming a host wins; a newer route for the same host in another
namespace (or the same host+path in the same namespace) gets Admitted=False `HostAlreadyClaimed`.
A certificate that does not parse gets Admitted=False `ExtendedValidationFailed`.
"""
from __future__ import annotations

import copy
import re

from .. import catalog, errors
from ..apiserver import Strategy
from ..controllers.manager import Controller, Requeue
from .core import TerminatingNamespaceMixin

ROUTES = catalog.get("route.openshift.io", "routes")
ROUTER_NAME = "default"
_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
                  "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
                  "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


def generated_host(route: dict, apps_domain: str) -> str:
    md, spec = route.get("metadata") or {}, route.get("spec") or {}
    if spec.get("subdomain"):
        return f"{spec['subdomain']}.{apps_domain}"
    return f"{md.get('name')}-{md.get('namespace')}.{apps_domain}"


class RouteStrategy(TerminatingNamespaceMixin, Strategy):
    def prepare_create(self, ctx, obj):
        self.check_namespace(ctx, obj)
        spec = obj.setdefault("spec", {})
        if not spec.get("host"):
            spec["host"] = generated_host(obj, ctx.config.apps_domain)
        self._defaults(spec)
        obj["status"] = {}

    def prepare_update(self, ctx, new, old):
        spec = new.setdefault("spec", {})
        ospec = old.get("spec") or {}
        if not spec.get("host"):
            spec["host"] = ospec.get("host") or generated_host(new, ctx.config.apps_domain)
        self._defaults(spec)
        if spec.get("host") != ospec.get("host") and not ctx.user.is_admin:
            raise errors.invalid(ROUTES, new["metadata"]["name"], [errors.forbidden_field(
                "spec.host", "you do not have permission to set the host field of the route")])
        # The router re-admits a route whose host, path or TLS changed.
        if any(spec.get(k) != ospec.get(k) for k in ("host", "path", "tls", "to", "wildcardPolicy")):
            new["status"] = {}

    @staticmethod
    def _defaults(spec: dict) -> None:
        spec.setdefault("wildcardPolicy", "None")
        to = spec.get("to")
        if isinstance(to, dict):
            to.setdefault("kind", "Service")
            to.setdefault("weight", 100)
        tls = spec.get("tls")
        if isinstance(tls, dict) and tls.get("termination") == "":
            tls["termination"] = "edge"

    def validate(self, ctx, obj, old=None):
        spec = obj.get("spec") or {}
        causes = []
        host = spec.get("host") or ""
        if host:
            if len(host) > 253:
                causes.append(errors.invalid_value("spec.host", host, "must be no more than 253 characters"))
            elif not _SUBDOMAIN_RE.match(host):
                causes.append(errors.invalid_value("spec.host", host, _SUBDOMAIN_MSG))
        to = spec.get("to") or {}
        if not to.get("name"):
            causes.append(errors.required_value("spec.to.name"))
        if to.get("kind") not in (None, "", "Service"):
            causes.append(errors.invalid_value("spec.to.kind", to.get("kind"), "must reference a Service"))
        path = spec.get("path")
        if path and not str(path).startswith("/"):
            causes.append(errors.invalid_value("spec.path", path, "path must begin with /"))
        tls = spec.get("tls")
        if tls:
            term = tls.get("termination")
            if term == "passthrough":
                for f in ("certificate", "key", "caCertificate", "destinationCACertificate"):
                    if tls.get(f):
                        causes.append(errors.invalid_value(f"spec.tls.{f}", "redacted " + f.lower() + " data",
                                                           "passthrough termination does not support certificates"))
                if path:
                    causes.append(errors.invalid_value("spec.path", path,
                                                       "passthrough termination does not support paths"))
                if tls.get("insecureEdgeTerminationPolicy") == "Allow":
                    causes.append(errors.invalid_value("spec.tls.insecureEdgeTerminationPolicy", "Allow",
                                                       "InsecureEdgeTerminationPolicy is only allowed for edge "
                                                       "and reencrypt termination"))
            elif term == "edge":
                if tls.get("destinationCACertificate"):
                    causes.append(errors.invalid_value("spec.tls.destinationCACertificate",
                                                       "redacted destination ca certificate data",
                                                       "edge termination does not support destination "
                                                       "certificates"))
            elif term == "reencrypt":
                pass
            else:
                causes.append(errors.unsupported_value("spec.tls.termination", term,
                                                       ["edge", "passthrough", "reencrypt"]))
            iet = tls.get("insecureEdgeTerminationPolicy")
            if iet not in (None, "", "Allow", "None", "Redirect"):
                causes.append(errors.unsupported_value("spec.tls.insecureEdgeTerminationPolicy", iet,
                                                       ["Allow", "None", "Redirect"]))
            if tls.get("key") and not tls.get("certificate"):
                causes.append(errors.invalid_value("spec.tls.certificate", "",
                                                   "certificate must be specified when a key is specified"))
        wp = spec.get("wildcardPolicy", "None")
        if wp not in ("None", "Subdomain", ""):
            causes.append(errors.unsupported_value("spec.wildcardPolicy", wp, ["None", "Subdomain"]))
        if wp == "Subdomain" and not host:
            causes.append(errors.invalid_value("spec.wildcardPolicy", wp,
                                               "host name not specified for wildcard policy"))
        return causes


# --- router admission ------------------------------------------------------------------------------
def _parse_pem_ok(pem: str) -> bool:
    try:
        from cryptography import x509
        x509.load_pem_x509_certificate(pem.encode())
        return True
    except Exception:   # noqa: BLE001 - any parse failure is an extended validation failure
        return False


def _key_ok(pem: str) -> bool:
    try:
        from cryptography.hazmat.primitives import serialization
        serialization.load_pem_private_key(pem.encode(), None)
        return True
    except Exception:   # noqa: BLE001
        return False


class RouterController(Controller):
    name = "router-default"
    watches = [("route.openshift.io", "routes")]

    def __init__(self, config):
        self.config = config
        self._seen: dict = {}

    def keys_for(self, event, rt, obj):
        # Any route change may change who owns a host: re-evaluate every route with that host.
        return ["all"]

    def sync(self, ctx, key):
        api = ctx.api
        routes = api.list(ROUTES).get("items", [])
        for r in routes:
            uid = r["metadata"].get("uid", "")
            if uid not in self._seen:
                self._seen[uid] = len(self._seen)

        def admitted_now(r: dict) -> int:
            for i in ((r.get("status") or {}).get("ingress") or []):
                if i.get("routerName") == ROUTER_NAME and i.get("host") == (r.get("spec") or {}).get("host") and \
                        any(c.get("type") == "Admitted" and c.get("status") == "True"
                            for c in i.get("conditions") or []):
                    return 0
            return 1

        # Oldest first; within the same second, a route already admitted keeps its host, then first seen.
        routes.sort(key=lambda r: (r["metadata"].get("creationTimestamp", ""), admitted_now(r),
                                   self._seen.get(r["metadata"].get("uid", ""), 0)))
        owners: dict = {}    # host -> first (oldest) route claiming it
        now = ctx.now()
        requeue = False
        for r in routes:
            if r["metadata"].get("deletionTimestamp"):
                continue
            spec = r.get("spec") or {}
            host = spec.get("host") or ""
            ns, name = r["metadata"].get("namespace"), r["metadata"]["name"]
            path = spec.get("path") or ""
            admitted, reason, message = True, "", ""
            claim = owners.get(host)
            if claim is not None:
                for other in claim:
                    ons, oname, opath = other
                    if ons != ns:
                        admitted, reason = False, "HostAlreadyClaimed"
                        message = f"a route in another namespace holds {host} and is older than {name}"
                        break
                    if opath == path:
                        admitted, reason = False, "HostAlreadyClaimed"
                        message = f"route {oname} already exposes {host} and is older"
                        break
            tls = spec.get("tls") or {}
            if admitted and tls:
                bad = []
                if tls.get("certificate") and not _parse_pem_ok(tls["certificate"]):
                    bad.append("spec.tls.certificate: Invalid value: \"redacted certificate data\": "
                               "failed to parse certificate")
                if tls.get("key") and not _key_ok(tls["key"]):
                    bad.append("spec.tls.key: Invalid value: \"redacted key data\": error decoding private key")
                if tls.get("caCertificate") and not _parse_pem_ok(tls["caCertificate"]):
                    bad.append("spec.tls.caCertificate: Invalid value: \"redacted ca certificate data\": "
                               "failed to parse CA certificate")
                if bad:
                    admitted, reason, message = False, "ExtendedValidationFailed", ", ".join(bad)
            if admitted:
                owners.setdefault(host, []).append((ns, name, path))
            ingress = {"host": host, "routerName": ROUTER_NAME,
                       "routerCanonicalHostname": f"router-default.{self.config.apps_domain}",
                       "wildcardPolicy": spec.get("wildcardPolicy") or "None"}
            old_ing = next((i for i in ((r.get("status") or {}).get("ingress") or [])
                            if i.get("routerName") == ROUTER_NAME), None)
            old_cond = None
            if old_ing is not None:
                old_cond = next((c for c in old_ing.get("conditions") or [] if c.get("type") == "Admitted"), None)
            cond = {"type": "Admitted", "status": "True" if admitted else "False"}
            if old_cond is not None and old_cond.get("status") == cond["status"] and \
                    old_ing.get("host") == host:
                cond["lastTransitionTime"] = old_cond.get("lastTransitionTime", now)
            else:
                cond["lastTransitionTime"] = now
            if not admitted:
                cond["reason"] = reason
                cond["message"] = message
            ingress["conditions"] = [cond]
            others = [i for i in ((r.get("status") or {}).get("ingress") or []) if i.get("routerName") != ROUTER_NAME]
            new_status = {"ingress": [ingress] + others}
            if (r.get("status") or {}) == new_status:
                continue
            new = copy.deepcopy(r)
            new["status"] = new_status
            try:
                api.update(ROUTES, ns, name, new, subresource="status")
            except errors.StatusError as e:
                if e.code in (404, 409):
                    requeue = True
                    continue
                raise
        if requeue:
            raise Requeue(0.05)


def register(api) -> None:
    api.register_strategy(("route.openshift.io", "routes"), RouteStrategy())
