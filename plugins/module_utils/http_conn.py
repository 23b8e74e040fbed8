# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Small HTTP/1.1 client connection over socket + ssl (http.client and its email imports cost every module run)."""

from __future__ import annotations

import socket
from typing import Any

MAX_LINE = 65536
MAX_HEADERS = 200


class ProtocolError(Exception):
    """The peer broke HTTP (bad status line, premature EOF): a transient failure, like http.client's."""


class TunnelError(OSError):
    """The proxy did not open the CONNECT tunnel."""


class Response:
    """A complete answer; ``headers`` is a list of (name, value), ``body`` bytes."""

    def __init__(self, status: int, reason: str, headers: list, body: bytes, will_close: bool) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.will_close = will_close

    def getheader(self, name: str, default: str | None = None) -> str | None:
        """Every value of header ``name`` (any case) joined by ", " as http.client does, else ``default``."""
        name = name.lower()
        values = [v for k, v in self.headers if k.lower() == name]
        return ", ".join(values) if values else default


class Connection:
    """One keep-alive connection; ``context`` makes it TLS, ``tunnel`` = (host, port, headers) CONNECTs first
    through the proxy at host:port. ``sock`` is None until connected and again after ``close()``."""

    def __init__(self, host: str, port: int, timeout: float, context: Any = None, server_name: str | None = None,
                 tunnel: tuple | None = None) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.context = context
        self.server_name = server_name
        self.tunnel = tunnel
        self.sock = None

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # request head and body leave at once
        except OSError:  # as http.client: a platform without it still works
            pass
        try:
            host = self.host
            if self.tunnel:
                from ansible_collections.ocp.registry.plugins.module_utils.api_proxy import open_tunnel

                host = self.tunnel[0]
                open_tunnel(sock, *self.tunnel)
            if self.context is not None:
                sock = self.context.wrap_socket(sock, server_hostname=self.server_name or host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()

    def request(self, method: str, target: str, headers: list, body: bytes | None = None) -> None:
        """Send one request, connecting first when needed; Host and Content-Length are added here."""
        if " " in target or "\r" in target or "\n" in target:
            raise ValueError("Invalid character in the request target %r" % target)
        for name, value in headers:
            if "\r" in value or "\n" in value:
                raise ValueError("Invalid character in the %s header value" % name)  # never echo the value: secrets
        if target.startswith("http"):  # absolute form, through a forward proxy
            host = target.split("/", 3)[2]
        else:
            host, port = self.tunnel[:2] if self.tunnel else (self.host, self.port)
            host = "[%s]" % host if ":" in host else host
            if port != (80 if self.context is None else 443):
                host += ":%d" % port
        if not host.isascii():
            host = host.encode("idna").decode("ascii")
        lines = ["%s %s HTTP/1.1" % (method, target), "Host: " + host] + ["%s: %s" % h for h in headers]
        if body is not None:
            lines.append("Content-Length: %d" % len(body))
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.sock is None:
            self.connect()
        self.sock.sendall(data + body if body else data)

    def getresponse(self, method: str = "GET") -> Response:
        """Read the whole answer to the request just sent (1xx interim answers skipped)."""
        rfile = self.sock.makefile("rb")
        try:
            status = 100
            while status < 200:
                version, status, reason = read_status_line(rfile)
                headers = read_headers(rfile)
            resp = Response(status, reason, headers, b"", False)
            conn = (resp.getheader("Connection") or "").lower()
            resp.will_close = "close" in conn or (
                version in ("HTTP/1.0", "HTTP/0.9") and "keep-alive" not in conn and not resp.getheader("Keep-Alive"))
            if method == "HEAD" or status in (204, 304):
                return resp
            coding = (resp.getheader("Transfer-Encoding") or "").lower()
            if coding.rsplit(",", 1)[-1].strip() == "chunked":
                resp.body = _chunked(rfile)
                return resp
            try:
                length = int((resp.getheader("Content-Length") or "").split(",", 1)[0])
            except ValueError:
                length = -1
            if length < 0:  # delimited by the end of the connection
                resp.body = rfile.read()
                resp.will_close = True
                return resp
            resp.body = rfile.read(length)
            if len(resp.body) < length:
                raise ProtocolError("Connection closed after %d of %d body bytes" % (len(resp.body), length))
            return resp
        finally:
            rfile.close()


def _line(rfile: Any) -> bytes:
    line = rfile.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise ProtocolError("HTTP line longer than %d bytes" % MAX_LINE)
    if not line.endswith(b"\n"):
        raise ProtocolError("Connection closed in the middle of the answer")
    return line


def read_status_line(rfile: Any) -> tuple:
    line = rfile.readline(MAX_LINE + 1)
    if not line:
        raise ProtocolError("Remote end closed connection without response")
    parts = line.decode("latin-1").split(None, 2)
    try:
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or len(parts[1]) != 3 or not line.endswith(b"\n"):
            raise ValueError(line)
        status = int(parts[1])
        if status < 100:
            raise ValueError(line)
    except ValueError:
        raise ProtocolError("Bad HTTP status line %r" % line[:100])
    return parts[0], status, (parts[2] if len(parts) > 2 else "").strip()


def read_headers(rfile: Any) -> list:
    headers: list = []
    while True:
        line = _line(rfile).decode("latin-1").rstrip("\r\n")
        if not line:
            return headers
        if len(headers) >= MAX_HEADERS:
            raise ProtocolError("More than %d header lines" % MAX_HEADERS)
        if line[0] in " \t" and headers:  # obsolete line folding continues the previous value
            headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
        elif ":" in line:
            name, value = line.split(":", 1)
            headers.append((name.strip(), value.strip()))


def _chunked(rfile: Any) -> bytes:
    parts = []
    while True:
        line = _line(rfile)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)  # chunk extensions after ";" are ignored
        except ValueError:
            size = -1
        if size < 0:
            raise ProtocolError("Bad chunk size line %r" % line[:100])
        if size == 0:
            read_headers(rfile)  # trailers, ignored
            return b"".join(parts)
        data = rfile.read(size + 2)  # the chunk and its CRLF
        if len(data) < size + 2:
            raise ProtocolError("Connection closed in the middle of a chunk")
        parts.append(data[:size])
