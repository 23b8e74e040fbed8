# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Lean Kubernetes/OpenShift REST client over http_conn + ssl: keep-alive, proxies, retries, typed errors.

Hot path only: proxies, username/password login and client certificates live in api_proxy/api_auth, imported
when used (every module run pays for each imported byte)."""

from __future__ import annotations

import json
import select
import socket
import ssl
import time
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.errors import (
    ApiTimeout,
    ConnectionConfigError,
    NotFound,
    RegistryError,
)
from ansible_collections.ocp.registry.plugins.module_utils.http_conn import Connection, ProtocolError, TunnelError
from ansible_collections.ocp.registry.plugins.module_utils.kubeconfig import ConnectionConfig, run_exec_plugin

__all__ = ["ApiClient", "RetryPolicy", "ApiConnectionError", "proxy_bypassed", "USER_AGENT"]

USER_AGENT = "ocp.registry/0.1.0 (ansible)"
RETRY_STATUSES = (429, 500, 502, 503, 504)
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


class ApiConnectionError(RegistryError):
    """The API server could not be reached (after retries when they apply)."""


class _Transient(Exception):
    """A connection-level failure that may be retried; ``sent`` tells whether the request left us."""

    def __init__(self, cause: BaseException, sent: bool) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.sent = sent


class RetryPolicy:
    """Bounded exponential backoff with jitter; ``total`` bounds the time spent retrying one request."""

    def __init__(self, attempts: int = 5, base: float = 0.2, cap: float = 5.0, total: float = 60.0,
                 retry_after_cap: float = 10.0) -> None:
        self.attempts = max(1, attempts)
        self.base = base
        self.cap = cap
        self.total = total
        self.retry_after_cap = retry_after_cap

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based): full-jitter between half and all of the step."""
        import random

        step = min(self.cap, self.base * (2 ** (attempt - 1)))
        return step * (0.5 + random.random() / 2)


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils  # an HTTP-date: rare, and email costs every run that imports it

    try:
        when = email.utils.parsedate_to_datetime(value.strip())
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def proxy_bypassed(host: str, port: int, no_proxy: str | None) -> bool:
    """True when ``host`` matches the comma-separated no_proxy list (names, .suffixes, IPs, CIDRs, *)."""
    from ansible_collections.ocp.registry.plugins.module_utils.api_proxy import proxy_bypassed as bypassed

    return bypassed(host, port, no_proxy)


def build_ssl_context(config: ConnectionConfig) -> ssl.SSLContext:
    """TLS context: verification on unless the config says otherwise; client cert loaded if configured."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if config.verify:
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
        try:
            if config.ca_file:
                ctx.load_verify_locations(cafile=config.ca_file)
            elif config.ca_data:
                ctx.load_verify_locations(cadata=config.ca_data)
            else:
                ctx.load_default_certs()
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise ConnectionConfigError("Cannot load the CA certificate%s: %s"
                                        % ((" " + config.ca_file) if config.ca_file else "", exc))
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if config.client_cert_file or config.client_cert_data:
        from ansible_collections.ocp.registry.plugins.module_utils.api_auth import load_client_cert

        load_client_cert(ctx, config)
    return ctx


class ApiClient:
    """One API server connection for the duration of a task."""

    def __init__(self, config: ConnectionConfig, timeout: float = 30, retry: RetryPolicy | None = None,
                 user_agent: str = USER_AGENT, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.user_agent = user_agent
        self.request_count = 0
        self.sleeps: list = []            # delays actually waited, for debugging and tests
        self._sleep = sleep
        self._conn: Connection | None = None
        self._ssl_ctx: ssl.SSLContext | None = None
        self._logged_in = False
        url = urlsplit(config.host or "")
        if url.scheme not in ("https", "http") or not url.hostname:
            raise ConnectionConfigError("The API server URL %r is not an http(s) URL" % config.host)
        self.scheme = url.scheme
        self.hostname = url.hostname
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.base_path = url.path.rstrip("/")

    # ------------------------------------------------------------------------------------------ connection

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def __enter__(self) -> "ApiClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _context(self) -> ssl.SSLContext:
        if self._ssl_ctx is None:
            self._ssl_ctx = build_ssl_context(self.config)
        return self._ssl_ctx

    def _new_conn(self, scheme: str, host: str, port: int) -> tuple:
        """(connection, absolute_form): absolute_form is True for plain http through a proxy."""
        proxy = None
        if self.config.proxy:
            from ansible_collections.ocp.registry.plugins.module_utils.api_proxy import proxy_for

            proxy = proxy_for(self.config, host, port)  # (host, port, CONNECT headers) or None
        if scheme != "https":
            if proxy is not None:
                return Connection(proxy[0], proxy[1], self.timeout), True
            return Connection(host, port, self.timeout), False
        if proxy is not None:
            return Connection(proxy[0], proxy[1], self.timeout, self._context(), self.config.tls_server_name,
                              (host, port, proxy[2])), False
        return Connection(host, port, self.timeout, self._context(), self.config.tls_server_name), False

    def _main_conn(self) -> tuple:
        if self._conn is not None and self._conn.sock is not None and _dropped(self._conn.sock):
            self.close()  # the server closed the idle keep-alive connection: reconnect before sending
        if self._conn is None:
            self._conn, self._absolute = self._new_conn(self.scheme, self.hostname, self.port)
        return self._conn, self._absolute

    # ------------------------------------------------------------------------------------------ one exchange

    def _headers(self, content_type: str | None, with_auth: bool = True) -> list:
        headers = [("Accept", "application/json"), ("User-Agent", self.user_agent)]
        if content_type:
            headers.append(("Content-Type", content_type))
        if with_auth and self.config.token:
            headers.append(("Authorization", "Bearer " + self.config.token))
        if with_auth and self.config.impersonate_user:
            headers.append(("Impersonate-User", self.config.impersonate_user))
            for group in self.config.impersonate_groups or []:
                headers.append(("Impersonate-Group", group))
        return headers

    def _exchange(self, conn: Connection, method: str, target: str, body: bytes | None,
                  headers: list, keep: bool) -> tuple:
        """Send one request; returns (status, response, data). Raises _Transient or typed errors."""
        sent = False
        self.request_count += 1
        try:
            conn.request(method, target, headers, body)
            sent = True
            resp = conn.getresponse(method)
            if resp.will_close or not keep:
                conn.close()
            return resp.status, resp, resp.body
        except ssl.SSLCertVerificationError as exc:
            conn.close()
            raise ConnectionConfigError(
                "TLS verification of the API server %s failed: x509: certificate verify failed: %s. Set ca_cert "
                "(or the kubeconfig's certificate-authority) to the CA that signed the server certificate; "
                "validate_certs: false only for throw-away test clusters."
                % (self.config.host, exc.verify_message or exc.reason or exc))
        except (socket.timeout, TimeoutError) as exc:
            conn.close()
            if not sent:
                raise _Transient(exc, False)
            raise ApiTimeout("No answer from the API server %s within %s seconds (%s %s)"
                             % (self.config.host, self.timeout, method, target.split("?")[0]))
        except ssl.SSLError as exc:
            conn.close()
            raise ApiConnectionError("TLS error talking to %s: %s" % (self.config.host, exc))
        except socket.gaierror as exc:
            conn.close()
            raise ApiConnectionError("Cannot resolve the API server host %s: %s" % (self.hostname, exc.strerror))
        except ConnectionRefusedError as exc:
            conn.close()
            raise _Transient(exc, False)
        except (ProtocolError, OSError) as exc:
            conn.close()
            if isinstance(exc, TunnelError):
                raise ApiConnectionError("The proxy %s refused the tunnel to %s: %s"
                                         % (self.config.proxy, self.config.host, exc))
            raise _Transient(exc, sent)

    def _target(self, path: str, absolute: bool) -> str:
        if absolute:
            return "%s://%s:%d%s" % (self.scheme, self.hostname, self.port, path)
        return path

    # ------------------------------------------------------------------------------------------ retries

    def _with_retries(self, method: str, send: Callable[[], tuple],
                      post_check: Callable[[], Any] | None = None, what: str = "") -> tuple:
        """Run ``send`` with retries; returns (status, resp, data), or ('found', obj, None) from post_check."""
        policy = self.retry
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            out_of_budget = attempt >= policy.attempts or time.monotonic() - started >= policy.total
            try:
                status, resp, data = send()
            except _Transient as exc:
                if method == "POST" and exc.sent:
                    # The server may have acted: look before posting again.
                    found = post_check() if post_check else None
                    if found is not None:
                        return "found", found, None
                    if post_check is None or out_of_budget:
                        raise ApiConnectionError("The connection to %s failed during %s %s and the result is "
                                                 "unknown: %s" % (self.config.host, method, what, exc.cause))
                elif out_of_budget:
                    raise ApiConnectionError("Cannot reach the API server %s after %d attempts: %s"
                                             % (self.config.host, attempt, exc.cause))
                self._pause(policy.backoff(attempt))
                continue
            if status in RETRY_STATUSES and not out_of_budget:
                if method == "POST" and status != 429:
                    if post_check is None:
                        return status, resp, data
                    found = post_check()
                    if found is not None:
                        return "found", found, None
                delay = _parse_retry_after(resp.getheader("Retry-After"))
                if delay is None:
                    delay = policy.backoff(attempt)
                self._pause(min(delay, policy.retry_after_cap))
                continue
            return status, resp, data

    def _pause(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds > 0:
            self._sleep(seconds)

    # ------------------------------------------------------------------------------------------ public API

    def request(self, method: str, path: str, body: Any = None, content_type: str | None = None,
                query: dict | None = None, target: str | None = None,
                post_check: Callable[[], Any] | None = None) -> Any:
        """One API call with retries; returns the decoded JSON answer ({} when empty)."""
        method = method.upper()
        if self.config.username and not self.config.token and not self._logged_in:
            from ansible_collections.ocp.registry.plugins.module_utils.api_auth import login

            self._logged_in = True
            login(self)
        full = self.base_path + path
        if query:
            pairs = [(k, v) for k, v in query.items() if v is not None]
            if pairs:
                full += "?" + urlencode(pairs, doseq=True)
        payload = None
        if body is not None:
            payload = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode("utf-8")
            content_type = content_type or "application/json"

        def send() -> tuple:
            conn, absolute = self._main_conn()
            return self._exchange(conn, method, self._target(full, absolute), payload,
                                  self._headers(content_type), True)

        status, resp, data = self._with_retries(method, send, post_check, target or path)
        if status == "found":
            return resp
        if status == 401 and self.config.exec_config:
            run_exec_plugin(self.config)  # the credential may have expired: refresh once
            self._ssl_ctx = None
            self.close()
            status, resp, data = self._with_retries(method, send, post_check, target or path)
            if status == "found":
                return resp
        if status >= 400:
            from ansible_collections.ocp.registry.plugins.module_utils.api_errors import error_for_status

            raise error_for_status(status, data, target=target or path, method=method,
                                   retry_after=_parse_retry_after(resp.getheader("Retry-After")))
        return _decode(data, target or path)

    def get(self, res: R.Resource, name: str, namespace: str | None = None, subresource: str | None = None) -> dict:
        return self.request("GET", R.path(res, name, namespace, subresource), target=R.describe(res, name, namespace))

    def get_or_none(self, res: R.Resource, name: str, namespace: str | None = None,
                    subresource: str | None = None) -> dict | None:
        try:
            return self.get(res, name, namespace, subresource)
        except NotFound:
            return None

    def list(self, res: R.Resource, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, limit: int | None = None) -> list:
        """All items (following ``continue``), each with apiVersion/kind filled in."""
        items: list = []
        token = None
        while True:
            answer = self.request("GET", R.path(res, None, namespace), target=R.describe(res, None, namespace),
                                  query={"labelSelector": label_selector, "fieldSelector": field_selector,
                                         "limit": limit, "continue": token})
            for item in answer.get("items") or []:
                item.setdefault("apiVersion", res.api_version)
                item.setdefault("kind", res.kind)
                items.append(item)
            token = (answer.get("metadata") or {}).get("continue")
            if not token:
                return items

    def create(self, res: R.Resource, body: dict, namespace: str | None = None, dry_run: bool = False) -> dict:
        namespace = namespace or (body.get("metadata") or {}).get("namespace")
        name = (body.get("metadata") or {}).get("name")
        post_check = None
        if res.create_only:
            post_check = _nothing_to_find  # no GET exists and a repeat is harmless: post again
        elif name and not dry_run:
            def post_check() -> dict | None:
                return self.get_or_none(res, name, namespace)
        return self.request("POST", R.path(res, None, namespace), body, query={"dryRun": "All" if dry_run else None},
                            target=R.describe(res, name or "(new)", namespace), post_check=post_check)

    def replace(self, res: R.Resource, body: dict, namespace: str | None = None, subresource: str | None = None,
                dry_run: bool = False) -> dict:
        meta = body.get("metadata") or {}
        namespace = namespace or meta.get("namespace")
        return self.request("PUT", R.path(res, meta.get("name"), namespace, subresource), body,
                            query={"dryRun": "All" if dry_run else None},
                            target=R.describe(res, meta.get("name"), namespace))

    def patch(self, res: R.Resource, name: str, patch: Any, content_type: str, namespace: str | None = None,
              subresource: str | None = None, dry_run: bool = False, field_manager: str | None = None,
              force: bool | None = None) -> dict:
        query = {"dryRun": "All" if dry_run else None, "fieldManager": field_manager,
                 "force": ("true" if force else None)}
        return self.request("PATCH", R.path(res, name, namespace, subresource), patch, content_type=content_type,
                            query=query, target=R.describe(res, name, namespace))

    def merge_patch(self, res: R.Resource, name: str, patch: dict, namespace: str | None = None,
                    subresource: str | None = None, dry_run: bool = False) -> dict:
        return self.patch(res, name, patch, MERGE_PATCH, namespace, subresource, dry_run)

    def json_patch(self, res: R.Resource, name: str, ops: list, namespace: str | None = None,
                   subresource: str | None = None, dry_run: bool = False) -> dict:
        return self.patch(res, name, ops, JSON_PATCH, namespace, subresource, dry_run)

    def delete(self, res: R.Resource, name: str, namespace: str | None = None,
               propagation_policy: str | None = None, dry_run: bool = False) -> dict | None:
        body = None
        if propagation_policy:
            body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation_policy}
        try:
            return self.request("DELETE", R.path(res, name, namespace), body,
                                query={"dryRun": "All" if dry_run else None},
                                target=R.describe(res, name, namespace))
        except NotFound:
            return None


def _nothing_to_find() -> None:
    return None


def _dropped(sock: socket.socket) -> bool:
    """True when an idle connection is readable (EOF or junk): the server has closed it."""
    try:
        readable = select.select([sock], [], [], 0)[0]
    except (OSError, ValueError):
        return True
    return bool(readable)


def _decode(data: bytes, what: str) -> Any:
    if not data:
        return {}
    try:
        return json.loads(data)
    except ValueError:
        raise ApiConnectionError("The answer for %s is not JSON (a proxy or load balancer page?): %r"
                                 % (what, data[:200]))
