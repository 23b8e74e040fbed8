# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Credential sources that run code: the kubeconfig exec credential plugin and legacy auth-provider plugins.

Split from kubeconfig.py and imported only when a kubeconfig uses them, so a token-based run does not compile
this code (every module run is a fresh interpreter).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from typing import Any

from ansible_collections.ocp.registry.plugins.module_utils.errors import ConnectionConfigError
from ansible_collections.ocp.registry.plugins.module_utils.kubeconfig import ConnectionConfig, _abs, _normalize_host

EXEC_API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")


class _ExecResult:
    """What a command runner returned: exit code and raw output."""

    def __init__(self, returncode: int, stdout: bytes, stderr: bytes) -> None:
        self.returncode = returncode
        self.stdout = stdout if isinstance(stdout, bytes) else str(stdout or "").encode("utf-8")
        self.stderr = stderr if isinstance(stderr, bytes) else str(stderr or "").encode("utf-8")


def run_exec_plugin(cfg: ConnectionConfig, env: dict | None = None) -> None:
    """Run the kubeconfig's exec credential plugin and store its token or client certificate in ``cfg``."""
    conf = cfg.exec_config or {}
    api_version = conf.get("apiVersion")
    if api_version not in EXEC_API_VERSIONS:
        raise ConnectionConfigError(
            "Unsupported exec credential plugin apiVersion %r; supported: %s"
            % (api_version, ", ".join(EXEC_API_VERSIONS)))
    command = conf.get("command")
    if not command:
        raise ConnectionConfigError("The kubeconfig's exec credential plugin has no command")
    if conf.get("interactiveMode") == "Always":
        raise ConnectionConfigError(
            "The exec credential plugin %r requires an interactive terminal (interactiveMode: Always), which a "
            "module does not have. Use a plugin that works with interactiveMode Never, or a token." % command)
    if os.sep in command and not os.path.isabs(command):
        command = _abs(command, cfg.exec_base_dir)
    resolved = command if os.sep in command else shutil.which(command, path=(env or os.environ).get("PATH"))
    if not resolved or not os.path.exists(resolved):
        hint = conf.get("installHint")
        raise ConnectionConfigError("The exec credential plugin command %r was not found%s"
                                    % (conf.get("command"), (": " + hint.strip()) if hint else ""))
    child_env: dict = {}
    for item in conf.get("env") or []:
        if isinstance(item, dict) and item.get("name"):
            child_env[str(item["name"])] = str(item.get("value", ""))
            if len(str(item.get("value", ""))) >= 8:
                cfg.add_secret(str(item.get("value")))
    spec: dict = {"interactive": False}
    if conf.get("provideClusterInfo"):
        cluster = {"server": cfg.host, "insecure-skip-tls-verify": not cfg.verify}
        if cfg.ca_data:
            cluster["certificate-authority-data"] = base64.b64encode(cfg.ca_data.encode()).decode()
        spec["cluster"] = cluster
    child_env["KUBERNETES_EXEC_INFO"] = json.dumps(
        {"apiVersion": api_version, "kind": "ExecCredential", "spec": spec})
    argv = [resolved] + [str(a) for a in (conf.get("args") or [])]
    if cfg.command_runner is None:
        raise ConnectionConfigError("internal error: no command runner to run the exec credential plugin %r"
                                    % conf.get("command"))
    try:
        # The module's run_command (env additions only, no shell, no secrets in argv); a plugin that hangs is
        # bounded by the task's `timeout` keyword.
        returncode, stdout, stderr_bytes = cfg.command_runner(argv, child_env)
    except OSError as exc:
        raise ConnectionConfigError("Cannot run the exec credential plugin %r: %s" % (conf.get("command"), exc))
    proc = _ExecResult(returncode, stdout, stderr_bytes)
    stderr = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        raise ConnectionConfigError("The exec credential plugin %r failed with exit code %d: %s"
                                    % (conf.get("command"), proc.returncode, stderr[-2000:] or "(no stderr)"))
    try:
        cred = json.loads(proc.stdout.decode("utf-8"))
    except ValueError:
        raise ConnectionConfigError("The exec credential plugin %r did not print an ExecCredential JSON object"
                                    % conf.get("command"))
    if not isinstance(cred, dict) or cred.get("kind") != "ExecCredential":
        raise ConnectionConfigError("The exec credential plugin %r printed something that is not an ExecCredential"
                                    % conf.get("command"))
    if cred.get("apiVersion") != api_version:
        raise ConnectionConfigError("The exec credential plugin %r returned apiVersion %r, but the kubeconfig asks "
                                    "for %r" % (conf.get("command"), cred.get("apiVersion"), api_version))
    status = cred.get("status") or {}
    if status.get("token"):
        cfg.token = status["token"]
        cfg.add_secret(cfg.token)
    elif status.get("clientCertificateData") and status.get("clientKeyData"):
        cfg.client_cert_data = status["clientCertificateData"]
        cfg.client_key_data = status["clientKeyData"]
        cfg.client_cert_file = cfg.client_key_file = None
        cfg.add_secret(cfg.client_key_data)
    else:
        raise ConnectionConfigError("The exec credential plugin %r returned neither status.token nor "
                                    "status.clientCertificateData/clientKeyData" % conf.get("command"))


# ---------------------------------------------------------------------------------------------- legacy


def load_with_kubernetes_client(kubeconfig: Any, context: str | None, persist: bool | None,
                                cfg: ConnectionConfig) -> None:
    """Legacy kubeconfig features (auth-provider plugins): let the kubernetes client resolve them."""
    try:
        from kubernetes import config as kconfig  # noqa: lazy on purpose
    except ImportError:
        raise ConnectionConfigError(
            "This kubeconfig uses an auth-provider plugin, which needs the Python 'kubernetes' package. "
            "Install it on the managed host (pip install kubernetes), or use a token or exec credential plugin.")
    try:
        if isinstance(kubeconfig, dict):
            api_client = kconfig.new_client_from_config_dict(kubeconfig, context=context,
                                                             persist_config=bool(persist))
        else:
            api_client = kconfig.new_client_from_config(config_file=kubeconfig, context=context,
                                                        persist_config=bool(persist))
    except Exception as exc:  # the loader raises many types (ConfigException, provider errors)
        raise ConnectionConfigError("The kubernetes client could not load the kubeconfig: %s" % exc)
    conf = api_client.configuration
    auth = conf.api_key.get("authorization") or conf.api_key.get("BearerToken") or ""
    prefix = conf.api_key_prefix.get("authorization")
    if auth.lower().startswith("bearer "):
        auth = auth[7:]
    elif prefix and prefix.lower() != "bearer":
        raise ConnectionConfigError("Unsupported authorization scheme %r from the kubernetes loader" % prefix)
    if auth:
        cfg.token = auth.strip()
        cfg.add_secret(cfg.token)
    elif not conf.cert_file:
        raise ConnectionConfigError(
            "The kubeconfig's auth-provider could not produce a credential with the installed kubernetes package "
            "(it supports gcp and oidc). Log in again to refresh the kubeconfig, or use a token or an exec plugin.")
    cfg.host = _normalize_host(conf.host)
    if conf.ssl_ca_cert:
        cfg.ca_file, cfg.ca_data = conf.ssl_ca_cert, None
    if conf.cert_file:
        cfg.client_cert_file, cfg.client_cert_data = conf.cert_file, None
    if conf.key_file:
        cfg.client_key_file, cfg.client_key_data = conf.key_file, None
    cfg.verify = bool(conf.verify_ssl)
    cfg.source = "kubernetes-client"
