"""A tiny scripted HTTPS API server (and CONNECT proxy) for the client-layer unit tests.

Each test gives a handler ``fn(req) -> reply``; a reply is ``(status, body[, headers])``, or ``RESET`` to close
the connection without answering, or ``("sleep", seconds, reply)``. ``MiniStore`` is a handler that keeps
objects with resourceVersions (GET, LIST, POST, merge PATCH, DELETE), enough to drive ensure.py.
Everything listens on 127.0.0.1 with a free port and is stopped by the fixtures.
"""
from __future__ import annotations

import datetime
import json
import select
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.ocp.registry.tests.lib.certs import Pair, make_ca, make_leaf, new_key

RESET = "RESET"


class Request:
    def __init__(self, method: str, raw_path: str, headers: Any, body: bytes, peer_cn: str | None,
                 peer_port: int = 0):
        url = urlsplit(raw_path)
        self.peer_port = peer_port  # the client's TCP port: equal ports mean one reused connection
        self.method = method
        self.path = url.path
        self.query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.headers = headers
        self.header_lists = {}
        for key in headers.keys():
            self.header_lists.setdefault(key.lower(), headers.get_all(key))
        self.body = body
        self.peer_cn = peer_cn

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def __repr__(self) -> str:
        return "%s %s" % (self.method, self.path)


def status_body(code: int, reason: str, message: str, causes: list | None = None, **details: Any) -> dict:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}
    if causes or details:
        body["details"] = dict(details)
        if causes:
            body["details"]["causes"] = causes
    return body


def make_client_pair(ca: Pair, cn: str) -> Pair:
    key = new_key()
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(ca.cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca.key, hashes.SHA256()))
    return Pair(cert, key)


_PKI: dict = {}


def _server_pki(hosts: tuple) -> tuple:
    """One CA and serving certificate per host set, shared by the tests (key generation is slow)."""
    if hosts not in _PKI:
        ca = make_ca("Fake API CA")
        _PKI[hosts] = (ca, make_leaf(ca, hosts))
    return _PKI[hosts]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _serve(self) -> None:
        server: FakeApi = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        peer_cn = None
        try:
            peer = self.connection.getpeercert()
            if peer:
                for rdn in peer.get("subject", ()):
                    for key, value in rdn:
                        if key == "commonName":
                            peer_cn = value
        except (AttributeError, ValueError):
            pass
        req = Request(self.command, self.path, self.headers, body, peer_cn, self.client_address[1])
        with server.lock:
            server.requests.append(req)
        reply = server.handler(req)
        if isinstance(reply, tuple) and reply and reply[0] == "sleep":
            time.sleep(reply[1])
            reply = reply[2]
        if reply == RESET:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        status, payload = reply[0], reply[1]
        headers = dict(reply[2]) if len(reply) > 2 else {}
        data = payload if isinstance(payload, bytes) else (json.dumps(payload).encode() if payload is not None else b"")
        if headers.pop("X-Fake-Silent-Close", None):
            self.close_connection = True  # close after answering without telling the client (idle timeout)
        self.send_response(status)
        if "Content-Type" not in headers and data:
            self.send_header("Content-Type", "application/json")
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        with self.fake.closed:  # type: ignore[attr-defined]
            self.fake.closed_count += 1  # type: ignore[attr-defined]
            self.fake.closed.notify_all()  # type: ignore[attr-defined]


class FakeApi:
    """Scripted HTTPS server on 127.0.0.1; ``ca_path`` is the CA that signed its certificate."""

    def __init__(self, workdir: str, handler: Callable | None = None, tls: bool = True,
                 client_ca: Pair | None = None, hosts: tuple = ("127.0.0.1", "localhost")) -> None:
        self.workdir = workdir
        self.handler = handler or (lambda req: (404, status_body(404, "NotFound", "not found")))
        self.requests: list = []
        self.lock = threading.Lock()
        self.ca, self.leaf = _server_pki(tuple(hosts))
        self.ca_path = self.ca.write(workdir, "fake-api-ca")[0]
        cert_path, key_path = self.leaf.write(workdir, "fake-api")
        self.closed = threading.Condition()
        self.closed_count = 0  # connections the server has closed
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.fake = self  # type: ignore[attr-defined]
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert_path, key_path)
            if client_ca is not None:
                ctx.verify_mode = ssl.CERT_OPTIONAL
                ctx.load_verify_locations(cadata=client_ca.cert_pem)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> "FakeApi":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def wait_closed(self, n: int, timeout: float = 10) -> None:
        """Block until the server has closed ``n`` connections in total."""
        with self.closed:
            if not self.closed.wait_for(lambda: self.closed_count >= n, timeout):
                raise AssertionError("the server closed %d connections, expected %d" % (self.closed_count, n))

    def count(self, method: str | None = None) -> int:
        return sum(1 for r in self.requests if method is None or r.method == method)

    def methods(self) -> list:
        return [r.method for r in self.requests]


class MiniStore:
    """Handler keeping objects by path with resourceVersions (merge PATCH, 409 on a stale resourceVersion)."""

    def __init__(self) -> None:
        self.objects: dict = {}
        self.rv = 0
        self.before: Callable | None = None  # optional hook(req) -> reply or None, runs first

    def _next(self) -> str:
        self.rv += 1
        return str(self.rv)

    @staticmethod
    def _merge(target: Any, patch: Any) -> Any:
        if not isinstance(patch, dict):
            return patch
        out = dict(target) if isinstance(target, dict) else {}
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = MiniStore._merge(out.get(key), value)
        return out

    def put(self, collection: str, obj: dict) -> dict:
        obj = json.loads(json.dumps(obj))
        obj.setdefault("metadata", {})["resourceVersion"] = self._next()
        self.objects[collection + "/" + obj["metadata"]["name"]] = obj
        return obj

    def bump(self, path: str) -> None:
        """A concurrent writer: move the object's resourceVersion."""
        self.objects[path]["metadata"]["resourceVersion"] = self._next()

    def __call__(self, req: Request) -> Any:
        if self.before is not None:
            reply = self.before(req)
            if reply is not None:
                return reply
        path = req.path
        if req.method == "GET":
            if path in self.objects:
                return 200, self.objects[path]
            items = [o for p, o in self.objects.items() if p.rsplit("/", 1)[0] == path]
            name = path.rsplit("/", 1)[-1]
            if self._is_collection(path):
                return 200, {"kind": "List", "metadata": {"resourceVersion": str(self.rv)}, "items": items}
            return 404, status_body(404, "NotFound", '"%s" not found' % name, name=name)
        if req.method == "POST":
            obj = req.json()
            key = path + "/" + obj["metadata"]["name"]
            if key in self.objects:
                return 409, status_body(409, "AlreadyExists", "already exists")
            return 201, self.put(path, obj)
        if req.method in ("PATCH", "PUT", "DELETE") and path not in self.objects:
            return 404, status_body(404, "NotFound", "not found")
        if req.method == "PATCH":
            patch = req.json()
            live = self.objects[path]
            want_rv = (patch.get("metadata") or {}).get("resourceVersion")
            if want_rv and want_rv != live["metadata"]["resourceVersion"]:
                return 409, status_body(409, "Conflict", "the object has been modified; please apply your "
                                        "changes to the latest version and try again")
            merged = self._merge(live, patch)
            merged["metadata"]["resourceVersion"] = self._next()
            self.objects[path] = merged
            return 200, merged
        if req.method == "DELETE":
            return 200, self.objects.pop(path)
        return 405, status_body(405, "MethodNotAllowed", "no")

    @staticmethod
    def _is_collection(path: str) -> bool:
        parts = path.strip("/").split("/")
        # /api/v1/<plural> | /api/v1/namespaces/<ns>/<plural> | /apis/<g>/<v>/<plural> | /apis/<g>/<v>/namespaces/<ns>/<plural>
        core = parts[0] == "api"
        n = len(parts) - (2 if core else 3)
        return n == 1 or (n == 3 and parts[-3] == "namespaces")


class ConnectProxy:
    """Loopback HTTP proxy that only tunnels CONNECT and records the tunnels it opened (and their headers)."""

    def __init__(self, require_auth: str | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.require_auth = require_auth
        self.tunnels: list = []
        self.forwarded: list = []
        self.headers: list = []
        self._stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> "ConnectProxy":
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop = True
        self.sock.close()

    def _loop(self) -> None:
        while not self._stop:
            try:
                client = self.sock.accept()[0]
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _forward(self, client: socket.socket, data: bytes, method: str, target: str, headers: dict) -> None:
        """Plain-http proxying of one absolute-form request (then the connection closes)."""
        url = urlsplit(target)
        self.forwarded.append(target)
        head, _sep, rest = data.partition(b"\r\n\r\n")
        length = int(headers.get("content-length") or 0)
        while len(rest) < length:
            rest += client.recv(65536)
        lines = head.decode().split("\r\n")[1:]
        lines = [line for line in lines if not line.lower().startswith(("connection:", "proxy-"))]
        request = "%s %s HTTP/1.1\r\n%s\r\nConnection: close\r\n\r\n" % (
            method, url.path + ("?" + url.query if url.query else ""), "\r\n".join(lines))
        upstream = socket.create_connection((url.hostname, url.port or 80))
        try:
            upstream.sendall(request.encode() + rest)
            while True:
                chunk = upstream.recv(65536)
                if not chunk:
                    break
                client.sendall(chunk)
        finally:
            upstream.close()
            client.close()

    def _serve(self, client: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode()
        lines = head.split("\r\n")
        method, target = lines[0].split(" ", 2)[:2]
        headers = {}
        for line in lines[1:]:
            key, _sep, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        self.headers.append(headers)
        if method != "CONNECT" and target.startswith("http://"):
            self._forward(client, data, method, target, headers)
            return
        if method != "CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            client.close()
            return
        if self.require_auth and headers.get("proxy-authorization") != self.require_auth:
            client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            client.close()
            return
        host, _sep, port = target.rpartition(":")
        self.tunnels.append(target)
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        socks = [client, upstream]
        try:
            while True:
                readable = select.select(socks, [], [], 5)[0]
                if not readable:
                    continue
                for s in readable:
                    chunk = s.recv(65536)
                    if not chunk:
                        return
                    (upstream if s is client else client).sendall(chunk)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()
