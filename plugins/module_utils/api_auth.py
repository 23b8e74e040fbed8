# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Credentials other than a bearer token, imported only when used: OpenShift OAuth username/password login, and
client certificate and key loading."""

from __future__ import annotations

import base64
import os
import shutil
import ssl
import tempfile
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from ansible_collections.ocp.registry.plugins.module_utils.api_errors import error_for_status
from ansible_collections.ocp.registry.plugins.module_utils.errors import (
    ConnectionConfigError,
    Unauthorized,
)


def login(client: Any) -> None:
    """OpenShift OAuth token login with username/password (as ``oc login`` and community.okd do)."""
    config = client.config
    meta = _raw_json(client, "GET", client.base_path + "/.well-known/oauth-authorization-server")
    endpoint = meta.get("authorization_endpoint")
    if not endpoint:
        raise ConnectionConfigError("The API server %s does not advertise an OAuth authorization endpoint, so "
                                    "username/password login is not possible; use api_key" % config.host)
    url = urlsplit(endpoint)
    if url.scheme != "https" and client.scheme == "https":
        raise ConnectionConfigError("The API server advertises a non-HTTPS OAuth endpoint (%s); refusing to send "
                                    "the password there" % endpoint)
    query = urlencode({"response_type": "token", "client_id": "openshift-challenging-client"})
    creds = "%s:%s" % (config.username, config.password)
    headers = [("Authorization", "Basic " + base64.b64encode(creds.encode("utf-8")).decode()),
               ("X-CSRF-Token", "1"), ("Accept", "application/json"), ("User-Agent", client.user_agent)]
    conn, absolute = client._new_conn(url.scheme, url.hostname, url.port or (443 if url.scheme == "https" else 80))
    target = (url.path or "/") + "?" + query
    if absolute:
        target = "%s://%s%s" % (url.scheme, url.netloc, target)
    try:
        status, resp, unused_data = client._with_retries(
            "GET", lambda: client._exchange(conn, "GET", target, None, headers, False))
    finally:
        conn.close()
    if status == 401:
        raise Unauthorized("Token login as %r failed: the username or password is wrong" % config.username,
                           status=401, reason="Unauthorized", target="OAuth token login")
    location = resp.getheader("Location") or ""
    fragment = parse_qs(urlsplit(location).fragment)
    token = (fragment.get("access_token") or [None])[0]
    if status not in (301, 302, 303) or not token:
        error = (fragment.get("error") or parse_qs(urlsplit(location).query).get("error") or [None])[0]
        raise ConnectionConfigError("Token login as %r failed: HTTP %d%s" % (
            config.username, status, (", error %s" % error) if error else ""))
    config.token = token
    config.add_secret(token)


def _raw_json(client: Any, method: str, path: str) -> dict:
    """One unauthenticated request on the client's main connection, with retries; the decoded answer."""
    def send() -> tuple:
        conn, absolute = client._main_conn()
        return client._exchange(conn, method, client._target(path, absolute), None,
                                client._headers(None, with_auth=False), True)

    status, unused_resp, data = client._with_retries(method, send)
    if status >= 400:
        raise error_for_status(status, data, target=path, method=method)
    from ansible_collections.ocp.registry.plugins.module_utils.api import _decode

    return _decode(data, path)


def _write_private(data: str, directory: str, name: str) -> str:
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(data)
    return path


def load_client_cert(ctx: ssl.SSLContext, config: Any) -> None:
    """Load the configured client certificate and key into ``ctx`` (inline data through private temp files)."""
    tmpdir = None
    try:
        cert, key = config.client_cert_file, config.client_key_file
        if config.client_cert_data or config.client_key_data:
            # ssl only loads a key from a file: write it 0600 in a private directory, load, remove at once.
            tmpdir = tempfile.mkdtemp(prefix="ocp-registry-tls-")
            if config.client_cert_data:
                cert = _write_private(config.client_cert_data, tmpdir, "cert.pem")
            if config.client_key_data:
                key = _write_private(config.client_key_data, tmpdir, "key.pem")
        ctx.load_cert_chain(certfile=cert, keyfile=key)
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise ConnectionConfigError("Cannot load the client certificate and key: %s"
                                    % (getattr(exc, "strerror", None) or exc))
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
