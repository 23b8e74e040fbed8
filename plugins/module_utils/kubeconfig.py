# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Resolve module options, K8S_AUTH_* settings, kubeconfig files and in-cluster files into a ConnectionConfig.

Precedence follows kubernetes.core: explicit options win over the kubeconfig context; with no connection
options at all the in-cluster service account is tried, then ``KUBECONFIG`` / ``~/.kube/config``.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from ansible_collections.ocp.registry.plugins.module_utils import kubeconfig_yaml
from ansible_collections.ocp.registry.plugins.module_utils.errors import ConnectionConfigError

__all__ = [
    "ConnectionConfig",
    "resolve",
    "load_kubeconfig_files",
    "merge_kubeconfigs",
    "run_exec_plugin",
    "SERVICE_ACCOUNT_ROOT",
]

SERVICE_ACCOUNT_ROOT = "/var/run/secrets/kubernetes.io/serviceaccount"


class ConnectionConfig:
    """Everything the transport needs to reach and authenticate to one API server."""

    def __init__(self, host: str | None = None) -> None:
        self.host = host
        # callable(argv, env_additions) -> (rc, stdout, stderr): AnsibleModule.run_command in a module
        self.command_runner: Any = None
        self.token: str | None = None
        self.username: str | None = None           # OpenShift OAuth token login
        self.password: str | None = None
        self.verify = True
        self.ca_file: str | None = None
        self.ca_data: str | None = None            # PEM text
        self.client_cert_file: str | None = None
        self.client_key_file: str | None = None
        self.client_cert_data: str | None = None   # PEM text
        self.client_key_data: str | None = None    # PEM text
        self.tls_server_name: str | None = None
        self.proxy: str | None = None
        self.no_proxy: str | None = None
        self.proxy_headers: dict = {}
        self.impersonate_user: str | None = None
        self.impersonate_groups: list = []
        self.namespace: str | None = None
        self.context: str | None = None
        self.source = "options"                    # options | kubeconfig | in-cluster | kubernetes-client
        self.exec_config: dict | None = None       # kept to refresh the credential after a 401
        self.exec_base_dir: str | None = None
        self.secrets: set = set()                  # values to keep out of any output

    def add_secret(self, value: Any) -> None:
        if isinstance(value, str) and value:
            self.secrets.add(value)

    def __repr__(self) -> str:  # never show credentials
        return "ConnectionConfig(host=%r, source=%r, context=%r, verify=%r)" % (
            self.host, self.source, self.context, self.verify)


def _read_text(path: str, what: str) -> str:
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        raise ConnectionConfigError("Cannot read %s %s: %s" % (what, path, exc.strerror or exc))


def _b64_text(value: str, what: str) -> str:
    try:
        return base64.b64decode(value, validate=False).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConnectionConfigError("The kubeconfig's %s is not valid base64 PEM data: %s" % (what, exc))


def _abs(path: str, base_dir: str | None) -> str:
    path = os.path.expanduser(path)
    if base_dir and not os.path.isabs(path):
        return os.path.join(base_dir, path)
    return path


def _normalize_host(host: str) -> str:
    host = host.strip().rstrip("/")
    if "://" not in host:
        host = "https://" + host
    return host


# ---------------------------------------------------------------------------------------------- kubeconfig


def load_kubeconfig_files(paths: list) -> list:
    """Parse each kubeconfig file; returns ``[(dict, directory)]`` skipping files that do not exist
    (like kubectl) unless every one is missing."""
    loaded = []
    missing = []
    for path in paths:
        path = os.path.expanduser(path)
        if not os.path.exists(path):
            missing.append(path)
            continue
        text = _read_text(path, "kubeconfig")
        data = kubeconfig_yaml.parse(text)
        if data is kubeconfig_yaml.UNSUPPORTED:
            import yaml  # only for kubeconfigs beyond what kubectl/oc write: importing it costs ~10 ms a run

            try:
                data = yaml.safe_load(text) or {}
            except yaml.YAMLError as exc:
                raise ConnectionConfigError("The kubeconfig %s is not valid YAML: %s" % (path, exc))
        if not isinstance(data, dict):
            raise ConnectionConfigError("The kubeconfig %s does not contain a mapping" % path)
        loaded.append((data, os.path.dirname(os.path.abspath(path))))
    if not loaded:
        raise ConnectionConfigError(
            "No kubeconfig found at %s. Set the kubeconfig option (or K8S_AUTH_KUBECONFIG), or host and api_key."
            % ", ".join(missing or ["(none given)"]))
    return loaded


def merge_kubeconfigs(loaded: list) -> dict:
    """Merge kubeconfigs as kubectl does: the first file to define a name (or current-context) wins.

    Each cluster/user entry gets a private ``_dir`` key so its relative paths resolve against its own file.
    """
    merged: dict = {"clusters": {}, "users": {}, "contexts": {}, "current-context": None}
    for data, base_dir in loaded:
        if not merged["current-context"] and data.get("current-context"):
            merged["current-context"] = data["current-context"]
        for section, inner in (("clusters", "cluster"), ("users", "user"), ("contexts", "context")):
            for entry in data.get(section) or []:
                if not isinstance(entry, dict) or not entry.get("name"):
                    continue
                if entry["name"] in merged[section]:
                    continue
                value = dict(entry.get(inner) or {})
                value["_dir"] = base_dir
                merged[section][entry["name"]] = value
    return merged


def _kubeconfig_paths(value: Any, env: dict, home: str | None) -> list:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, str) and value:
        return [p for p in value.split(os.pathsep) if p] if os.pathsep in value else [value]
    if env.get("KUBECONFIG"):
        return [p for p in env["KUBECONFIG"].split(os.pathsep) if p]
    return [os.path.join(home or os.path.expanduser("~"), ".kube", "config")]


def _apply_kubeconfig(cfg: ConnectionConfig, merged: dict, context_name: str | None, env: dict) -> dict:
    """Fill ``cfg`` from the selected context; returns the user entry (for the legacy fallback check)."""
    name = context_name or merged.get("current-context")
    if not name:
        raise ConnectionConfigError(
            "The kubeconfig has no current-context; set the context option to one of: %s"
            % (", ".join(sorted(merged["contexts"])) or "(no contexts defined)"))
    context = merged["contexts"].get(name)
    if context is None:
        raise ConnectionConfigError("Context %r not found in the kubeconfig; available contexts: %s"
                                    % (name, ", ".join(sorted(merged["contexts"])) or "(none)"))
    cfg.context = name
    cfg.namespace = context.get("namespace") or None
    cluster = merged["clusters"].get(context.get("cluster") or "")
    if cluster is None:
        raise ConnectionConfigError("Context %r refers to cluster %r, which the kubeconfig does not define"
                                    % (name, context.get("cluster")))
    if not cluster.get("server"):
        raise ConnectionConfigError("Cluster %r in the kubeconfig has no server" % context.get("cluster"))
    cdir = cluster.get("_dir")
    cfg.host = _normalize_host(cluster["server"])
    if cluster.get("certificate-authority-data"):
        cfg.ca_data = _b64_text(cluster["certificate-authority-data"], "certificate-authority-data")
    elif cluster.get("certificate-authority"):
        cfg.ca_file = _abs(cluster["certificate-authority"], cdir)
    if cluster.get("insecure-skip-tls-verify"):
        cfg.verify = False
    if cluster.get("proxy-url"):
        cfg.proxy = cluster["proxy-url"]
    if cluster.get("tls-server-name"):
        cfg.tls_server_name = cluster["tls-server-name"]

    user_name = context.get("user")
    user = merged["users"].get(user_name or "", None) if user_name else {}
    if user is None:
        raise ConnectionConfigError("Context %r refers to user %r, which the kubeconfig does not define"
                                    % (name, user_name))
    udir = user.get("_dir")
    if user.get("client-certificate-data"):
        cfg.client_cert_data = _b64_text(user["client-certificate-data"], "client-certificate-data")
    elif user.get("client-certificate"):
        cfg.client_cert_file = _abs(user["client-certificate"], udir)
    if user.get("client-key-data"):
        cfg.client_key_data = _b64_text(user["client-key-data"], "client-key-data")
        cfg.add_secret(user["client-key-data"])
        cfg.add_secret(cfg.client_key_data)
    elif user.get("client-key"):
        cfg.client_key_file = _abs(user["client-key"], udir)
    if user.get("token"):
        cfg.token = str(user["token"]).strip()
    elif user.get("tokenFile"):
        cfg.token = _read_text(_abs(user["tokenFile"], udir), "tokenFile").strip()
    if user.get("username") and user.get("password"):
        cfg.username = user["username"]
        cfg.password = user["password"]
    if user.get("as"):
        cfg.impersonate_user = user["as"]
    if user.get("as-groups"):
        cfg.impersonate_groups = list(user["as-groups"])
    if isinstance(user.get("exec"), dict) and not cfg.token:
        cfg.exec_config = user["exec"]
        cfg.exec_base_dir = udir
        run_exec_plugin(cfg, env)
    cfg.add_secret(cfg.token)
    cfg.add_secret(cfg.password)
    cfg.source = "kubeconfig"
    return user


# ---------------------------------------------------------------------------------------------- plugins


def run_exec_plugin(cfg: ConnectionConfig, env: dict | None = None) -> None:
    """Run the kubeconfig's exec credential plugin and store its token or client certificate in ``cfg``."""
    # Imported here: most runs use a token, and every module run pays for the code it imports.
    from ansible_collections.ocp.registry.plugins.module_utils import kubeconfig_plugins

    kubeconfig_plugins.run_exec_plugin(cfg, env)


def _load_with_kubernetes_client(kubeconfig: Any, context: str | None, persist: bool | None,
                                 cfg: ConnectionConfig) -> None:
    from ansible_collections.ocp.registry.plugins.module_utils import kubeconfig_plugins

    kubeconfig_plugins.load_with_kubernetes_client(kubeconfig, context, persist, cfg)


# ---------------------------------------------------------------------------------------------- in-cluster


def _incluster(cfg: ConnectionConfig, env: dict, root: str) -> bool:
    host, port = env.get("KUBERNETES_SERVICE_HOST"), env.get("KUBERNETES_SERVICE_PORT")
    token_path = os.path.join(root, "token")
    if not host or not port or not os.path.exists(token_path):
        return False
    if ":" in host and not host.startswith("["):
        host = "[%s]" % host
    cfg.host = "https://%s:%s" % (host, port)
    cfg.token = _read_text(token_path, "service account token").strip()
    cfg.add_secret(cfg.token)
    ca_path = os.path.join(root, "ca.crt")
    if os.path.exists(ca_path):
        cfg.ca_file = ca_path
    ns_path = os.path.join(root, "namespace")
    if os.path.exists(ns_path):
        cfg.namespace = _read_text(ns_path, "service account namespace").strip() or None
    cfg.source = "in-cluster"
    return True


# ---------------------------------------------------------------------------------------------- resolve


def _proxy_headers_from_env(env: dict) -> dict:
    headers = {}
    for key in ("proxy_basic_auth", "basic_auth", "user_agent"):
        value = env.get("K8S_AUTH_PROXY_HEADERS_%s" % key.upper())
        if value:
            headers[key] = value
    return headers


def resolve(params: dict, env: dict | None = None, incluster_root: str | None = None,
            home: str | None = None, command_runner: Any = None) -> ConnectionConfig:
    """Build the ConnectionConfig for a task from its auth options (already merged with K8S_AUTH_* env)."""
    env = dict(os.environ if env is None else env)
    p = dict(params or {})

    def given(*names: str) -> bool:
        return all(p.get(n) not in (None, "") for n in names)

    cfg = ConnectionConfig()
    cfg.command_runner = command_runner
    kubeconfig = p.get("kubeconfig")
    if kubeconfig is not None and not isinstance(kubeconfig, (str, dict, list)):
        raise ConnectionConfigError("The kubeconfig option must be a path or a dict (a parsed kubeconfig)")
    for option in ("host", "api_key", "proxy", "no_proxy", "context"):
        if p.get(option) is not None and not isinstance(p[option], str):
            raise ConnectionConfigError("The %s option must be a string" % option)

    if given("host", "api_key") or given("host", "username", "password") or given("host", "client_cert", "client_key"):
        pass  # the options alone are enough, like kubernetes.core
    elif given("kubeconfig") or given("context"):
        _from_kubeconfig(cfg, kubeconfig, p, env, home)
    elif not _incluster(cfg, env, incluster_root or SERVICE_ACCOUNT_ROOT):
        if given("host"):
            # A host with partial credentials: take the rest from a kubeconfig when there is one.
            try:
                _from_kubeconfig(cfg, None, p, env, home)
            except ConnectionConfigError:
                pass
        else:
            _from_kubeconfig(cfg, None, p, env, home)

    # Explicit options override whatever the kubeconfig or in-cluster files said.
    if given("host"):
        cfg.host = _normalize_host(p["host"])
    if given("api_key"):
        cfg.token = p["api_key"]
        cfg.exec_config = None
    if given("username") or given("password"):
        if not given("username", "password"):
            raise ConnectionConfigError("username and password must be given together for token login")
        cfg.username, cfg.password = p["username"], p["password"]
        if not given("api_key"):
            cfg.token = None
            cfg.exec_config = None
    if given("ca_cert"):
        cfg.ca_file, cfg.ca_data = p["ca_cert"], None
        cfg.verify = True
    if given("client_cert"):
        cfg.client_cert_file, cfg.client_cert_data = p["client_cert"], None
    if given("client_key"):
        cfg.client_key_file, cfg.client_key_data = p["client_key"], None
    if p.get("validate_certs") is not None:
        cfg.verify = bool(p["validate_certs"])
    if given("proxy"):
        cfg.proxy = p["proxy"]
    if given("no_proxy"):
        cfg.no_proxy = p["no_proxy"]
    headers = p.get("proxy_headers") or _proxy_headers_from_env(env)
    cfg.proxy_headers = {k: v for k, v in headers.items() if v}
    if given("impersonate_user"):
        cfg.impersonate_user = p["impersonate_user"]
    if p.get("impersonate_groups"):
        cfg.impersonate_groups = list(p["impersonate_groups"])
    for value in (cfg.token, cfg.password, p.get("api_key"), p.get("password")):
        cfg.add_secret(value)
    for key in ("proxy_basic_auth", "basic_auth"):
        cfg.add_secret(cfg.proxy_headers.get(key))

    if not cfg.host:
        raise ConnectionConfigError(
            "No API server to talk to: set host (or K8S_AUTH_HOST), or kubeconfig (or K8S_AUTH_KUBECONFIG), "
            "or run inside a pod with a service account")
    if bool(cfg.client_cert_file or cfg.client_cert_data) != bool(cfg.client_key_file or cfg.client_key_data):
        raise ConnectionConfigError("client_cert and client_key must be given together")
    for value, option in ((cfg.ca_file, "ca_cert"), (cfg.client_cert_file, "client_cert"),
                          (cfg.client_key_file, "client_key")):
        if value and not os.path.isfile(value):
            raise ConnectionConfigError("The %s file %s does not exist" % (option, value))
    return cfg


def _from_kubeconfig(cfg: ConnectionConfig, kubeconfig: Any, p: dict, env: dict, home: str | None) -> None:
    if isinstance(kubeconfig, dict):
        loaded = [(kubeconfig, None)]
    else:
        loaded = load_kubeconfig_files(_kubeconfig_paths(kubeconfig, env, home))
    merged = merge_kubeconfigs(loaded)
    context_name = p.get("context") or merged.get("current-context")
    context = merged["contexts"].get(context_name or "") or {}
    user = merged["users"].get(context.get("user") or "") or {}
    if isinstance(user.get("auth-provider"), dict) and not user.get("token"):
        source = kubeconfig if isinstance(kubeconfig, dict) else _first_path(kubeconfig, env, home)
        _load_with_kubernetes_client(source, p.get("context"), p.get("persist_config"), cfg)
        cfg.context = context_name
        cfg.namespace = context.get("namespace") or None
        return
    _apply_kubeconfig(cfg, merged, p.get("context"), env)


def _first_path(kubeconfig: Any, env: dict, home: str | None) -> str:
    paths = [p for p in _kubeconfig_paths(kubeconfig, env, home) if os.path.exists(os.path.expanduser(p))]
    if len(paths) > 1:
        raise ConnectionConfigError("An auth-provider kubeconfig must be a single file for the kubernetes loader")
    return os.path.expanduser(paths[0])
