"""http_conn: the small HTTP/1.1 transport against real loopback sockets serving canned bytes (TLS and plain)."""
from __future__ import annotations

import socket

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.api_proxy import proxy_for
from ansible_collections.ocp.registry.plugins.module_utils.http_conn import (
    Connection,
    ProtocolError,
    TunnelError,
)
from ansible_collections.ocp.registry.plugins.module_utils.kubeconfig import ConnectionConfig
from ansible_collections.ocp.registry.tests.unit.plugins.module_utils.canned_http import CannedServer, answer
from ansible_collections.ocp.registry.tests.unit.plugins.module_utils.fake_api import ConnectProxy

OK = answer(body=b'{"kind":"Status"}', headers=(("Content-Type", "application/json"),))


@pytest.fixture
def servers(tmp_path):
    started = []

    def start(replies, tls=False, **kwargs):
        server = CannedServer(replies, tls=tls, workdir=str(tmp_path), **kwargs)
        started.append(server)
        return server
    yield start
    for server in started:
        server.stop()


def connect(server, timeout=5, **kwargs):
    ctx = server.client_context() if server.ctx is not None else None
    return Connection("127.0.0.1", server.port, timeout, ctx, **kwargs)


def exchange(conn, method="GET", target="/x", headers=(), body=None):
    conn.request(method, target, list(headers), body)
    return conn.getresponse(method)


# ------------------------------------------------------------------------------------------------ bodies

@pytest.mark.parametrize("tls", [False, True])
def test_content_length_body_headers_and_keepalive(servers, tls):
    server = servers([answer(body=b"hello", headers=(("X-Multi", "a"), ("x-multi", "b"), ("Retry-After", "3")))],
                     tls=tls)
    conn = connect(server)
    resp = exchange(conn)
    assert (resp.status, resp.reason, resp.body, resp.will_close) == (200, "OK", b"hello", False)
    assert resp.getheader("retry-after") == "3" and resp.getheader("RETRY-AFTER") == "3"
    assert resp.getheader("X-MULTI") == "a, b"
    assert resp.getheader("Missing") is None and resp.getheader("Missing", "d") == "d"
    assert exchange(conn).body == b"hello"
    assert exchange(conn, "POST", "/y", body=b'{"a":1}').body == b"hello"
    assert [r[0] for r in server.requests] == [1, 1, 1]  # one connection, kept alive
    assert server.requests[2][2] == b'{"a":1}'
    conn.close()
    assert conn.sock is None


def test_request_head_host_and_content_length(servers):
    server = servers([OK])
    conn = connect(server)
    exchange(conn, headers=[("Accept", "application/json"), ("Authorization", "Bearer t")])
    exchange(conn, "PATCH", "/p?q=1", body=b"{}")
    first, second = server.heads()
    assert first.split("\r\n") == ["GET /x HTTP/1.1", "Host: 127.0.0.1:%d" % server.port, "Accept: application/json",
                                   "Authorization: Bearer t"]  # no Content-Length without a body
    assert second.split("\r\n")[0] == "PATCH /p?q=1 HTTP/1.1" and "Content-Length: 2" in second.split("\r\n")


@pytest.mark.parametrize("host,port,tls,tunnel,target,expected", [
    ("api.example.com", 443, True, None, "/x", "api.example.com"),
    ("api.example.com", 6443, True, None, "/x", "api.example.com:6443"),
    ("api.example.com", 80, False, None, "/x", "api.example.com"),
    ("api.example.com", 443, False, None, "/x", "api.example.com:443"),
    ("::1", 6443, True, None, "/x", "[::1]:6443"),
    ("proxy", 3128, True, ("api.example.com", 6443, {}), "/x", "api.example.com:6443"),
    ("proxy", 3128, False, None, "http://api.example.com:8080/x", "api.example.com:8080"),
])
def test_host_header(host, port, tls, tunnel, target, expected):
    sent = []

    class Sock:
        def sendall(self, data):
            sent.append(data)
    conn = Connection(host, port, 5, object() if tls else None, tunnel=tunnel)
    conn.sock = Sock()
    conn.request("GET", target, [])
    assert sent[0].split(b"\r\n")[1] == b"Host: " + expected.encode()


def test_header_injection_is_refused_without_echoing_the_value():
    conn = Connection("127.0.0.1", 1, 5)
    with pytest.raises(ValueError) as info:
        conn.request("GET", "/x", [("Authorization", "Bearer secret\r\nX-Evil: 1")])
    assert "Authorization" in str(info.value) and "secret" not in str(info.value)
    with pytest.raises(ValueError, match="request target"):
        conn.request("GET", "/x HTTP/1.1\r\nX-Evil: 1", [])
    assert conn.sock is None  # refused before connecting


def test_chunked_body_with_extensions_and_trailers(servers):
    chunked = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5;name=value\r\nhello\r\n"
               b"1;a;b=\"c d\"\r\n \r\n"
               b"A\r\n0123456789\r\n"
               b"0;last\r\nX-Trailer: t1\r\nX-Other: t2\r\n\r\n")
    server = servers([chunked, OK])
    conn = connect(server)
    resp = exchange(conn)
    assert resp.body == b"hello 0123456789" and resp.will_close is False
    assert exchange(conn).status == 200  # trailers consumed: the next answer parses on the same connection
    assert [r[0] for r in server.requests] == [1, 1]


def test_large_chunked_list_over_tls(servers):
    payload = b"x" * 300000
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(payload[i:i + 70000]), payload[i:i + 70000])
                      for i in range(0, len(payload), 70000))
    server = servers([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"], tls=True)
    assert exchange(connect(server)).body == payload


@pytest.mark.parametrize("bad", [
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
])
def test_bad_chunk_size(servers, bad):
    server = servers([(bad, "close")])
    with pytest.raises(ProtocolError, match="chunk size"):
        exchange(connect(server))


def test_body_until_close_without_length(servers):
    server = servers([(answer(body=b"all of it", length=False), "close"), OK])
    conn = connect(server)
    resp = exchange(conn)
    assert resp.body == b"all of it" and resp.will_close is True


@pytest.mark.parametrize("reply,will_close", [
    (answer(body=b"x", headers=(("Connection", "close"),)), True),
    (answer(body=b"x", headers=(("Connection", "Keep-Alive, Close"),)), True),
    (answer(body=b"x", version="HTTP/1.0"), True),
    (answer(body=b"x", version="HTTP/1.0", headers=(("Connection", "keep-alive"),)), False),
    (answer(body=b"x", version="HTTP/1.0", headers=(("Keep-Alive", "timeout=5"),)), False),
    (answer(body=b"x", headers=(("Connection", "keep-alive"),)), False),
])
def test_will_close(servers, reply, will_close):
    server = servers([reply])
    resp = exchange(connect(server))
    assert resp.body == b"x" and resp.will_close is will_close


@pytest.mark.parametrize("method,reply", [
    ("DELETE", answer("204 No Content", length=False)),
    ("GET", answer("304 Not Modified", length=False, headers=(("ETag", "x"),))),
    ("HEAD", answer(headers=(("Content-Length", "1234"),), length=False)),
])
def test_answers_without_body(servers, method, reply):
    server = servers([reply, OK])
    conn = connect(server)
    resp = exchange(conn, method)
    assert resp.body == b"" and resp.will_close is False
    assert exchange(conn).body == b'{"kind":"Status"}'  # nothing was left unread on the connection
    assert [r[0] for r in server.requests] == [1, 1]


def test_interim_1xx_answers_are_skipped(servers):
    server = servers([b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + OK])
    resp = exchange(connect(server))
    assert resp.status == 200 and resp.body == b'{"kind":"Status"}' and resp.getheader("Link") is None


def test_obsolete_header_folding_and_junk_lines(servers):
    server = servers([b"HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\njunk without colon\r\nContent-Length: 2\r\n\r\nok"])
    resp = exchange(connect(server))
    assert resp.getheader("X-Long") == "a b" and resp.body == b"ok"


# ------------------------------------------------------------------------------------------------ broken peers

def test_closed_without_answer(servers):
    server = servers([(b"", "drop")])
    with pytest.raises(ProtocolError, match="without response"):
        exchange(connect(server))


@pytest.mark.parametrize("tls", [False, True])
def test_closed_in_the_middle_of_the_body(servers, tls):
    server = servers([(answer(body=b"0123456789")[:-4], "close")], tls=tls)
    with pytest.raises(ProtocolError, match="6 of 10"):
        exchange(connect(server))


@pytest.mark.parametrize("cut", [b"5\r\nhel", b"5\r\nhello\r\n", b"5\r\nhello\r\n0\r\n"])
def test_closed_in_the_middle_of_a_chunked_body(servers, cut):
    server = servers([(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + cut, "close")])
    with pytest.raises(ProtocolError):
        exchange(connect(server))


def test_closed_in_the_middle_of_the_headers(servers):
    server = servers([(b"HTTP/1.1 200 OK\r\nContent-Le", "close")])
    with pytest.raises(ProtocolError, match="middle"):
        exchange(connect(server))


@pytest.mark.parametrize("line", [
    b"garbage\r\n\r\n", b"HTTP/1.1\r\n\r\n", b"HTTP/1.1 2000 OK\r\n\r\n", b"HTTP/1.1 abc OK\r\n\r\n",
    b"HTTP/1.1 099 Low\r\n\r\n", b"ICY 200 OK\r\n\r\n", b"HTTP/1.1 200 OK",
])
def test_malformed_status_line(servers, line):
    server = servers([(line, "close")])
    with pytest.raises(ProtocolError, match="status line"):
        exchange(connect(server))


def test_status_without_reason(servers):
    server = servers([b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"])
    resp = exchange(connect(server))
    assert (resp.status, resp.reason) == (200, "")


def test_overlong_header_line(servers):
    server = servers([(b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000 + b"\r\n\r\n", "close")])
    with pytest.raises(ProtocolError, match="longer than"):
        exchange(connect(server))


@pytest.mark.parametrize("tls", [False, True])
def test_timeout_waiting_for_the_answer(servers, tls):
    server = servers([(OK, ("sleep", 2))], tls=tls)
    conn = connect(server, timeout=0.3)
    conn.request("GET", "/x", [])
    with pytest.raises((socket.timeout, TimeoutError)):  # the answer would come after 2 s
        conn.getresponse()


def test_timeout_in_the_middle_of_the_body(servers):
    """A stalled body also times out (the timeout applies to every read, not only the first)."""
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234"
    server = servers([(head, ("sleep", 0))])  # sends half the body, then keeps the connection open
    conn = connect(server, timeout=0.3)
    conn.request("GET", "/x", [])
    with pytest.raises((socket.timeout, TimeoutError)):
        conn.getresponse()


def test_connection_refused():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(ConnectionRefusedError):
        Connection("127.0.0.1", port, 5).request("GET", "/", [])


# ------------------------------------------------------------------------------------------------ TLS, tunnels

def test_tls_server_name_is_verified(servers):
    import ssl

    server = servers([OK], tls=True, hosts=("api.internal.example",))
    with pytest.raises(ssl.SSLCertVerificationError):
        exchange(connect(server))
    assert exchange(connect(server, server_name="api.internal.example")).status == 200


@pytest.mark.parametrize("proxy_url,expected_auth", [
    ("http://user:p%40ss@127.0.0.1:PORT", "Basic dXNlcjpwQHNz"),  # user:p@ss
    ("127.0.0.1:PORT", None),
])
def test_connect_tunnel_through_proxy(servers, proxy_url, expected_auth):
    server = servers([OK], tls=True)
    proxy = ConnectProxy().start()
    try:
        cfg = ConnectionConfig(server.url)
        cfg.proxy = proxy_url.replace("PORT", str(proxy.port))
        proxy_host, proxy_port, headers = proxy_for(cfg, "127.0.0.1", server.port)
        conn = Connection(proxy_host, proxy_port, 5, server.client_context(), tunnel=("127.0.0.1", server.port, headers))
        assert exchange(conn).status == 200
        assert exchange(conn).status == 200
        assert proxy.tunnels == ["127.0.0.1:%d" % server.port]
        assert proxy.headers[0].get("proxy-authorization") == expected_auth
        assert proxy.headers[0]["host"] == "127.0.0.1:%d" % server.port
        assert [r[0] for r in server.requests] == [1, 1]
        assert "Host: 127.0.0.1:%d" % server.port in server.heads()[0]
    finally:
        proxy.stop()


def test_tunnel_refused(servers):
    server = servers([OK], tls=True)
    proxy = ConnectProxy(require_auth="Basic x").start()
    try:
        conn = Connection("127.0.0.1", proxy.port, 5, server.client_context(), tunnel=("127.0.0.1", server.port, {}))
        with pytest.raises(TunnelError, match="Tunnel connection failed: 407 Proxy Authentication Required"):
            conn.request("GET", "/", [])
        assert conn.sock is None and server.requests == []
    finally:
        proxy.stop()


def test_host_header_of_an_international_name():
    sent = []

    class Sock:
        def sendall(self, data):
            sent.append(data)
    conn = Connection("bücher.example", 6443, 5, object())
    conn.sock = Sock()
    conn.request("GET", "/", [])
    assert sent[0].split(b"\r\n")[1] == b"Host: xn--bcher-kva.example:6443"
