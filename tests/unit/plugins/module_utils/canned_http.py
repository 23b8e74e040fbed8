"""A loopback server that answers each HTTP request with canned raw bytes, for the transport tests.

``CannedServer(replies, tls=True)``: every request read from any connection gets the next reply (the last one
is repeated). A reply is raw bytes, or a tuple ``(bytes, action)`` with action ``"close"`` (close the
connection after sending), ``("sleep", seconds)`` (wait, then send) or ``"drop"`` (close without answering).
``requests`` records ``(connection number, request head, body)``: equal numbers mean one reused connection.
"""
from __future__ import annotations

import socket
import ssl
import threading
import time

from ansible_collections.ocp.registry.tests.unit.plugins.module_utils.fake_api import _server_pki


class CannedServer:
    def __init__(self, replies: list, tls: bool = True, workdir: str | None = None,
                 hosts: tuple = ("127.0.0.1", "localhost")) -> None:
        self.replies = list(replies)
        self.requests: list = []
        self.connections = 0
        self.lock = threading.Lock()
        self.ctx = None
        self.ca_pem = None
        if tls:
            ca, leaf = _server_pki(tuple(hosts))
            cert, key = leaf.write(workdir, "canned")
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(cert, key)
            self.ca_pem = ca.cert_pem
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=self.ca_pem)
        return ctx

    def stop(self) -> None:
        self._stopped = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the serving thread
        except OSError:
            pass
        self.sock.close()

    def heads(self) -> list:
        return [r[1] for r in self.requests]

    def _accept(self) -> None:
        while not self._stopped:
            try:
                conn = self.sock.accept()[0]
            except OSError:
                return
            with self.lock:
                self.connections += 1
                number = self.connections
            threading.Thread(target=self._serve, args=(conn, number), daemon=True).start()

    def _next_reply(self) -> object:
        with self.lock:
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def _serve(self, conn: socket.socket, number: int) -> None:
        try:
            if self.ctx is not None:
                conn = self.ctx.wrap_socket(conn, server_side=True)
            buf = b""
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, unused_sep, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buf) < length:
                    buf += conn.recv(65536)
                body, buf = buf[:length], buf[length:]
                with self.lock:
                    self.requests.append((number, head.decode("latin-1"), body))
                reply = self._next_reply()
                data, action = reply if isinstance(reply, tuple) else (reply, None)
                if isinstance(action, tuple) and action[0] == "sleep":
                    time.sleep(action[1])
                if action == "drop":
                    return
                conn.sendall(data)
                if action == "close":
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()


def answer(status: str = "200 OK", body: bytes = b"", headers: tuple = (), length: bool = True,
           version: str = "HTTP/1.1") -> bytes:
    """Raw bytes of one answer; ``length=False`` leaves Content-Length out."""
    lines = ["%s %s" % (version, status)] + ["%s: %s" % h for h in headers]
    if length:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
