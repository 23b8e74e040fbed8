"""Shared helpers for the simulator core conformance tests (raw HTTPS, real kubernetes clients, kubectl)."""
from __future__ import annotations

import http.client
import json
import os
import ssl
import subprocess
from typing import Any

KUBECTL = os.path.join(os.path.dirname(os.path.realpath(__import__("sys").executable)), "kubectl")
if not os.path.exists(KUBECTL):
    KUBECTL = "/work/venvs/py311/bin/kubectl"


class Raw:
    """A keep-alive HTTPS client for asserting exact status codes, headers and bodies."""

    def __init__(self, server, token: str | None = "admin", cert: tuple | None = None):
        self.server = server
        self.token = server.admin_token if token == "admin" else token
        ctx = ssl.create_default_context(cafile=server.ca_file)
        if cert:
            ctx.load_cert_chain(*cert)
        self.ctx = ctx
        self.conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=ctx, timeout=30)

    def request(self, method: str, path: str, body: Any = None, content_type: str = "application/json",
                headers: dict | None = None) -> tuple[int, dict, Any]:
        hdrs = {"Accept": "application/json"}
        if self.token:
            hdrs["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            hdrs["Content-Type"] = content_type
        hdrs.update(headers or {})
        self.conn.request(method, path, body=data, headers=hdrs)
        resp = self.conn.getresponse()
        raw = resp.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode()
        return resp.status, dict(resp.getheaders()), parsed

    def close(self) -> None:
        self.conn.close()


def kubectl(server, *args: str, context: str | None = None, check: bool = True,
            input: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, KUBECONFIG=server.kubeconfig, HOME=server.state_dir)
    cmd = [KUBECTL] + (["--context", context] if context else []) + list(args)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, input=input, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


def api_client(server, context: str = "admin"):
    from kubernetes import config as kconfig
    return kconfig.new_client_from_config(config_file=server.kubeconfig, context=context)


def dynamic(server, context: str = "admin"):
    from kubernetes.dynamic import DynamicClient
    return DynamicClient(api_client(server, context))
