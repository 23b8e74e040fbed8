# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""HTTP proxies for ApiClient (imported only when a proxy is configured): no_proxy matching, CONNECT tunnels."""

from __future__ import annotations

import base64
import ipaddress
from typing import Any
from urllib.parse import unquote, urlsplit

from ansible_collections.ocp.registry.plugins.module_utils.errors import ConnectionConfigError
from ansible_collections.ocp.registry.plugins.module_utils.http_conn import TunnelError, read_headers, read_status_line


def proxy_bypassed(host: str, port: int, no_proxy: str | None) -> bool:
    """True when ``host`` matches the comma-separated no_proxy list (names, .suffixes, IPs, CIDRs, *)."""
    if not no_proxy:
        return False
    host = host.strip("[]").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in no_proxy.replace(" ", ",").split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        entry_host, entry_port = entry, ""
        if entry.count(":") == 1:
            entry_host, entry_port = entry.split(":")
        if entry_port and entry_port.isdigit():
            if int(entry_port) != port:
                continue
            entry = entry_host
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry.strip("[]"), strict=False):
                    return True
            except ValueError:
                pass
            continue
        entry = entry.lstrip("*")
        if host == entry.lstrip(".") or host.endswith(entry if entry.startswith(".") else "." + entry):
            return True
    return False


def proxy_for(config: Any, host: str, port: int) -> tuple | None:
    """(proxy host, proxy port, CONNECT headers) for a request to host:port, or None to go direct."""
    proxy = config.proxy
    if not proxy or proxy_bypassed(host, port, config.no_proxy):
        return None
    url = urlsplit(proxy if "://" in proxy else "http://" + proxy)
    if url.scheme != "http" or not url.hostname:
        raise ConnectionConfigError("Unsupported proxy %r: only http:// proxies are supported" % proxy)
    return url.hostname, url.port or 80, _proxy_headers(config, url)


def _proxy_headers(config: Any, proxy_url: Any) -> dict:
    headers = {}
    ph = config.proxy_headers or {}
    if proxy_url.username is not None:
        creds = "%s:%s" % (unquote(proxy_url.username), unquote(proxy_url.password or ""))
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(creds.encode()).decode()
    if ph.get("proxy_basic_auth"):
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(ph["proxy_basic_auth"].encode()).decode()
    if ph.get("basic_auth"):
        headers["Authorization"] = "Basic " + base64.b64encode(ph["basic_auth"].encode()).decode()
    if ph.get("user_agent"):
        headers["User-Agent"] = ph["user_agent"]
    return headers


def open_tunnel(sock: Any, host: str, port: int, headers: dict) -> None:
    """Ask the proxy connected on ``sock`` for a CONNECT tunnel to host:port; TunnelError unless it answers 200."""
    authority = "%s:%d" % ("[%s]" % host if ":" in host else host, port)
    lines = ["CONNECT %s HTTP/1.1" % authority, "Host: " + authority] + ["%s: %s" % h for h in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    rfile = sock.makefile("rb")  # nothing arrives after the proxy's answer before our TLS hello: no read-ahead lost
    try:
        status, reason = read_status_line(rfile)[1:]
        read_headers(rfile)
    finally:
        rfile.close()
    if status != 200:
        raise TunnelError("Tunnel connection failed: %d %s" % (status, reason))
