# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Read the registry's state (Config, ClusterOperator, routes, images.config) and optionally probe /v2/."""

from __future__ import annotations

import http.client
import os
import socket
import ssl
from typing import Any

from ansible_collections.ocp.registry.plugins.module_utils import conditions, resources
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError, NotFound
from ansible_collections.ocp.registry.plugins.module_utils.redact import redact_paths
from ansible_collections.ocp.registry.plugins.module_utils.registry_config import CONFIG_SECRET_PATHS
from ansible_collections.ocp.registry.plugins.module_utils.storage import NAMESPACE

__all__ = ["INTERNAL_HOSTNAME", "gather", "public_routes", "image_config_settings", "probe_v2", "registry_info"]

INTERNAL_HOSTNAME = "image-registry.%s.svc:5000" % NAMESPACE
DEFAULT_ROUTE = "default-route"


def _route_host(route: dict | None) -> str:
    if not route:
        return ""
    for ingress in (route.get("status") or {}).get("ingress") or []:
        if ingress.get("host"):
            return ingress["host"]
    return (route.get("spec") or {}).get("host") or ""


def _admitted(route: dict | None) -> bool | None:
    if not route:
        return None
    for ingress in (route.get("status") or {}).get("ingress") or []:
        for cond in ingress.get("conditions") or []:
            if cond.get("type") == "Admitted":
                return cond.get("status") == "True"
    return None


def public_routes(spec: dict, routes: list) -> list:
    """``[{name, host, admitted, exists}]`` for default-route (when enabled) and each ``spec.routes`` entry."""
    by_name = {((r.get("metadata") or {}).get("name")): r for r in routes}
    wanted = []
    if spec.get("defaultRoute"):
        wanted.append((DEFAULT_ROUTE, ""))
    for entry in spec.get("routes") or []:
        wanted.append((entry.get("name"), entry.get("hostname") or ""))
    out = []
    for name, hostname in wanted:
        route = by_name.get(name)
        out.append({
            "name": name,
            "host": _route_host(route) or hostname,
            "admitted": _admitted(route),
            "exists": route is not None,
        })
    return out


def image_config_settings(obj: dict | None) -> dict:
    spec = (obj or {}).get("spec") or {}
    status = (obj or {}).get("status") or {}
    return {
        "exists": obj is not None,
        "external_registry_hostnames": spec.get("externalRegistryHostnames") or [],
        "additional_trusted_ca": (spec.get("additionalTrustedCA") or {}).get("name") or "",
        "allowed_registries_for_import": spec.get("allowedRegistriesForImport") or [],
        "registry_sources": spec.get("registrySources") or {},
        "status": {
            "internal_registry_hostname": status.get("internalRegistryHostname") or "",
            "external_registry_hostnames": status.get("externalRegistryHostnames") or [],
        },
    }


def gather(client: Any) -> dict:
    """Everything but the probe. At most four reads: Config, ClusterOperator, images.config, route list."""
    config = client.get_or_none(resources.REGISTRY_CONFIG, "cluster")
    co = client.get_or_none(resources.CLUSTEROPERATOR, "image-registry")
    image_config = client.get_or_none(resources.IMAGE_CONFIG, "cluster")
    spec = (config or {}).get("spec") or {}
    status = (config or {}).get("status") or {}
    routes: list = []
    if spec.get("defaultRoute") or spec.get("routes"):
        try:
            routes = client.list(resources.ROUTE, namespace=NAMESPACE)
        except NotFound:
            routes = []
    images = image_config_settings(image_config)
    state = spec.get("managementState") or ""
    internal = images["status"]["internal_registry_hostname"]
    if not internal and state == "Managed" and not images["exists"]:
        internal = INTERNAL_HOSTNAME
    route_info = public_routes(spec, routes)
    return {
        "exists": config is not None,
        "management_state": state,
        "storage": status.get("storage") or {},
        "storage_managed": status.get("storageManaged"),
        "spec_storage": spec.get("storage") or {},
        "replicas": spec.get("replicas"),
        "ready_replicas": status.get("readyReplicas", 0),
        "rollout_strategy": spec.get("rolloutStrategy") or "",
        "default_route": bool(spec.get("defaultRoute")),
        "conditions": conditions.summary(config) if config is not None else [],
        "all_conditions": (status.get("conditions") or []),
        "cluster_operator_conditions": conditions.summary(co) if co is not None else [],
        "available": bool(config) and not conditions.unsettled(config, check_generation=True)
        and bool(co) and not conditions.unsettled(co),
        "internal_hostname": internal,
        "public_hostnames": [r["host"] for r in route_info if r["host"]],
        "routes": route_info,
        "image_config": images,
        "config": redact_paths(config, CONFIG_SECRET_PATHS),
    }


def _ssl_context(validate_certs: bool, ca_path: str | None) -> ssl.SSLContext:
    if not validate_certs:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    ctx = ssl.create_default_context(cafile=ca_path) if ca_path else ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _split(host: str) -> tuple:
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            raise ValueError(host)
        name, rest = host[1:end], host[end + 1:]
        return name, int(rest[1:]) if rest.startswith(":") else 443
    if host.count(":") == 1:
        name, port = host.split(":")
        return name, int(port)
    return host, 443


def probe_v2(host: str, token: str | None, validate_certs: bool = True, ca_path: str | None = None,
             timeout: float = 10.0) -> dict:
    """GET https://<host>/v2/ with the cluster token; never raises for network or TLS problems."""
    out: dict = {"host": host, "url": "https://%s/v2/" % host, "reached": False, "status": None, "error": None}
    try:
        name, port = _split(host)
    except ValueError:
        out["error"] = "invalid host %r" % host
        return out
    conn = None
    try:
        ctx = _ssl_context(validate_certs, ca_path)
        conn = http.client.HTTPSConnection(name, port, context=ctx, timeout=timeout)
        headers = {"Accept": "application/json", "User-Agent": "ocp.registry/image_registry_info"}
        if token:
            headers["Authorization"] = "Bearer " + token
        conn.request("GET", "/v2/", headers=headers)
        resp = conn.getresponse()
        resp.read(65536)
        out["reached"] = True
        out["status"] = resp.status
        out["authenticated"] = resp.status == 200
        version = resp.getheader("Docker-Distribution-API-Version")
        if version:
            out["api_version"] = version
    except ssl.SSLCertVerificationError as exc:
        out["error"] = "TLS certificate verification failed: %s (set check_ca_path to the CA that signed the " \
                       "route certificate)" % (exc.verify_message or exc.reason or exc)
    except ssl.SSLError as exc:
        out["error"] = "TLS error: %s" % (exc.reason or exc)
    except socket.gaierror as exc:
        out["error"] = "DNS lookup of %s failed: %s" % (name, exc.strerror or exc)
    except socket.timeout:
        out["error"] = "no answer within %ss" % timeout
    except (OSError, http.client.HTTPException) as exc:
        out["error"] = "connection failed: %s" % (getattr(exc, "strerror", None) or exc)
    finally:
        if conn is not None:
            conn.close()
    return out


def validate(params: dict) -> None:
    """The probe options, checked before any request."""
    if not params.get("check"):
        return
    timeout = params.get("check_timeout")
    if timeout is not None and timeout <= 0:
        raise InputError("check_timeout: must be a positive number of seconds, got %r" % timeout,
                         option="check_timeout")
    for host in params.get("check_hosts") or []:
        try:
            name, port = _split(str(host))
        except ValueError:
            name, port = "", 0
        if not name or "/" in name or any(char.isspace() for char in name) or not 0 < port < 65536:
            raise InputError("check_hosts: %r is not a host or host:port (for example registry.example.com or "
                             "registry.example.com:8443; no scheme or path)" % host, option="check_hosts")
    ca_path = params.get("check_ca_path")
    if ca_path and params.get("check_validate_certs", True):
        if not os.path.isfile(ca_path):
            raise InputError("check_ca_path: %s does not exist or is not a file; give the PEM file of the CA that "
                             "signed the route certificates" % ca_path, option="check_ca_path")
        try:
            ssl.create_default_context(cafile=ca_path)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise InputError("check_ca_path: %s is not a readable PEM CA certificate file (%s)" % (ca_path, exc),
                             option="check_ca_path") from None


def registry_info(module: Any) -> dict:
    params = module.params
    validate(params)
    info = gather(module.client)
    result = {"changed": False}
    result.update(info)
    if params.get("check"):
        hosts = params.get("check_hosts") or info["public_hostnames"]
        token = getattr(module.client.config, "token", None)
        result["check"] = [
            probe_v2(host, token, params.get("check_validate_certs", True), params.get("check_ca_path"),
                     params.get("check_timeout") or 10)
            for host in hosts
        ]
    return result
