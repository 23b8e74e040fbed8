"""ApiClient against a scripted loopback HTTPS server: TLS, auth headers, proxies, typed errors, retries, and
the transport against canned bytes (chunked, cut short, malformed)."""
from __future__ import annotations

import json
import socket

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import errors
from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.api import (
    ApiClient,
    ApiConnectionError,
    RetryPolicy,
    proxy_bypassed,
)
from ansible_collections.ocp.registry.plugins.module_utils.kubeconfig import ConnectionConfig
from ansible_collections.ocp.registry.tests.unit.plugins.module_utils.canned_http import CannedServer, answer
from ansible_collections.ocp.registry.tests.unit.plugins.module_utils.fake_api import (
    RESET,
    ConnectProxy,
    FakeApi,
    MiniStore,
    status_body,
)

IS = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
      "metadata": {"name": "app", "namespace": "demo", "resourceVersion": "7"}}
IS_PATH = "/apis/image.openshift.io/v1/namespaces/demo/imagestreams/app"


@pytest.fixture
def fake(tmp_path):
    server = FakeApi(str(tmp_path)).start()
    yield server
    server.stop()


def make_client(server, token="tok-123456", retry=None, timeout=5, **attrs):
    cfg = ConnectionConfig(server.url)
    cfg.token = token
    cfg.ca_file = server.ca_path
    for key, value in attrs.items():
        setattr(cfg, key, value)
    slept = []
    client = ApiClient(cfg, timeout=timeout, retry=retry or RetryPolicy(attempts=4, base=0.01, cap=0.02),
                       sleep=slept.append)
    return client, slept


def scripted(*replies):
    """Handler answering with the given replies in order, then the last one forever."""
    queue = list(replies)

    def handler(req):
        return queue.pop(0) if len(queue) > 1 else queue[0]
    return handler


# ------------------------------------------------------------------------------------------------ basics

def test_get_sends_token_and_reuses_one_connection(fake):
    fake.handler = lambda req: (200, IS)
    client, _slept = make_client(fake)
    assert client.get(R.IMAGESTREAM, "app", "demo")["metadata"]["name"] == "app"
    assert client.get(R.IMAGESTREAM, "app", "demo")["metadata"]["name"] == "app"
    assert client.request_count == 2
    req = fake.requests[0]
    assert req.path == IS_PATH
    assert req.headers["Authorization"] == "Bearer tok-123456"
    assert req.headers["Accept"] == "application/json"
    client.list(R.IMAGESTREAM, "demo")
    # keep-alive: all requests came over the same TCP connection (same client port)
    assert len({r.peer_port for r in fake.requests}) == 1 and fake.count() == 3
    client.close()
    client.get(R.IMAGESTREAM, "app", "demo")
    assert len({r.peer_port for r in fake.requests}) == 2


def test_keepalive_reconnects_when_server_closed_idle_connection(fake):
    calls = []

    def handler(req):
        calls.append(req.path)
        return 200, IS, {"Connection": "close"} if len(calls) == 1 else {}
    fake.handler = handler
    client, slept = make_client(fake)
    client.get(R.IMAGESTREAM, "app", "demo")
    client.get(R.IMAGESTREAM, "app", "demo")
    client.get(R.IMAGESTREAM, "app", "demo")
    assert len(calls) == 3 and slept == [] and client.request_count == 3
    ports = [r.peer_port for r in fake.requests]
    assert ports[0] != ports[1] and ports[1] == ports[2]  # new connection after the server closed the first


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_silently_closed_idle_connection_is_replaced_before_sending(fake, method):
    """The server dropped the idle keep-alive connection: the next request goes out once on a new one."""
    fake.handler = lambda req: (200, IS, {"X-Fake-Silent-Close": "1"})
    client, slept = make_client(fake)
    for i in range(3):
        if method == "GET":
            client.get(R.IMAGESTREAM, "app", "demo")
        else:
            client.create(R.IMAGESTREAM, {"metadata": {"name": "app"}}, "demo")
        fake.wait_closed(i + 1)  # the server's close has happened before the next request
    assert fake.methods() == [method] * 3 and slept == [] and client.request_count == 3
    assert len({r.peer_port for r in fake.requests}) == 3


def test_impersonation_headers(fake):
    fake.handler = lambda req: (200, IS)
    client, _slept = make_client(fake, impersonate_user="alice", impersonate_groups=["devs", "ops"])
    client.get(R.IMAGESTREAM, "app", "demo")
    req = fake.requests[0]
    assert req.header_lists["impersonate-user"] == ["alice"]
    assert req.header_lists["impersonate-group"] == ["devs", "ops"]


@pytest.mark.parametrize("method,call,expected_type", [
    ("POST", lambda c: c.create(R.IMAGESTREAM, {"metadata": {"name": "app"}}, "demo"), "application/json"),
    ("PUT", lambda c: c.replace(R.IMAGESTREAM, dict(IS), "demo"), "application/json"),
    ("PATCH", lambda c: c.merge_patch(R.IMAGESTREAM, "app", {"spec": {}}, "demo"), "application/merge-patch+json"),
    ("PATCH", lambda c: c.json_patch(R.IMAGESTREAM, "app", [{"op": "add", "path": "/spec", "value": {}}], "demo"),
     "application/json-patch+json"),
])
def test_write_methods_and_content_types(fake, method, call, expected_type):
    fake.handler = lambda req: (200, IS)
    client, _slept = make_client(fake)
    call(client)
    req = fake.requests[-1]
    assert req.method == method
    assert req.headers["Content-Type"] == expected_type
    assert json.loads(req.body) is not None


def test_list_follows_continue_and_fills_kind(fake):
    pages = {None: {"items": [{"metadata": {"name": "a"}}], "metadata": {"continue": "next1"}},
             "next1": {"items": [{"metadata": {"name": "b"}}], "metadata": {}}}
    fake.handler = lambda req: (200, pages[req.query.get("continue")])
    client, _slept = make_client(fake)
    items = client.list(R.IMAGESTREAM, "demo", label_selector="app=x")
    assert [i["metadata"]["name"] for i in items] == ["a", "b"]
    assert all(i["kind"] == "ImageStream" and i["apiVersion"] == "image.openshift.io/v1" for i in items)
    assert fake.requests[0].query["labelSelector"] == "app=x"


def test_delete_returns_none_when_gone(fake):
    fake.handler = lambda req: (404, status_body(404, "NotFound", 'imagestreams "app" not found'))
    client, _slept = make_client(fake)
    assert client.delete(R.IMAGESTREAM, "app", "demo") is None
    assert client.get_or_none(R.IMAGESTREAM, "app", "demo") is None


def test_non_json_answer_is_a_clear_error(fake):
    fake.handler = lambda req: (200, b"<html>proxy login</html>", {"Content-Type": "text/html"})
    client, _slept = make_client(fake)
    with pytest.raises(ApiConnectionError, match="not JSON"):
        client.get(R.IMAGESTREAM, "app", "demo")


# ------------------------------------------------------------------------------------------------ errors

ERRORS = [
    (400, "BadRequest", errors.BadRequest),
    (401, "Unauthorized", errors.Unauthorized),
    (403, "Forbidden", errors.Forbidden),
    (404, "NotFound", errors.NotFound),
    (405, "MethodNotAllowed", errors.MethodNotAllowed),
    (409, "AlreadyExists", errors.Conflict),
    (409, "Conflict", errors.Conflict),
    (410, "Gone", errors.Gone),
    (415, "UnsupportedMediaType", errors.UnsupportedMediaType),
    (422, "Invalid", errors.Invalid),
    (418, "Teapot", errors.ApiError),
]


@pytest.mark.parametrize("code,reason,cls", ERRORS)
def test_typed_errors_from_status_bodies(fake, code, reason, cls):
    causes = [{"field": "spec.tags[0].from", "reason": "FieldValueRequired", "message": "Required value"}]
    fake.handler = lambda req: (code, status_body(code, reason, "server says %s" % reason, causes=causes,
                                                  name="app", kind="imagestreams"))
    client, slept = make_client(fake)
    with pytest.raises(cls) as info:
        client.get(R.IMAGESTREAM, "app", "demo")
    exc = info.value
    assert exc.__class__ is cls
    assert exc.status == code and exc.reason == reason and exc.causes == causes
    assert exc.target == "ImageStream demo/app"
    assert "ImageStream demo/app" in exc.msg and "server says %s" % reason in exc.msg
    assert "spec.tags[0].from: Required value" in exc.msg
    kwargs = exc.to_fail_kwargs()
    assert kwargs["status"] == code and kwargs["reason"] == reason and kwargs["causes"] == causes
    assert slept == [] and fake.count() == 1  # 4xx is never retried
    if code == 409:
        assert exc.already_exists is (reason == "AlreadyExists")


def test_error_without_status_body(fake):
    fake.handler = lambda req: (403, b"forbidden by gateway", {"Content-Type": "text/plain"})
    client, _slept = make_client(fake)
    with pytest.raises(errors.Forbidden, match="forbidden by gateway"):
        client.get(R.IMAGESTREAM, "app", "demo")


# ------------------------------------------------------------------------------------------------ retries

@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_5xx_bursts_are_retried_for_get(fake, code):
    fake.handler = scripted((code, status_body(code, "InternalError", "boom")),
                            (code, status_body(code, "InternalError", "boom")), (200, IS))
    client, slept = make_client(fake)
    assert client.get(R.IMAGESTREAM, "app", "demo")["kind"] == "ImageStream"
    assert fake.count("GET") == 3 and len(slept) == 2 and client.request_count == 3


@pytest.mark.parametrize("code", [500, 503])
def test_5xx_that_never_ends_raises_server_error_after_bounded_attempts(fake, code):
    fake.handler = lambda req: (code, status_body(code, "ServiceUnavailable", "down"))
    client, slept = make_client(fake, retry=RetryPolicy(attempts=3, base=0.01, cap=0.01))
    with pytest.raises(errors.ServerError) as info:
        client.get(R.IMAGESTREAM, "app", "demo")
    assert info.value.status == code
    assert fake.count() == 3 and len(slept) == 2


def test_429_honours_retry_after_capped(fake):
    fake.handler = scripted((429, status_body(429, "TooManyRequests", "slow down"), {"Retry-After": "3"}),
                            (429, status_body(429, "TooManyRequests", "slow down"), {"Retry-After": "999"}),
                            (200, IS))
    client, slept = make_client(fake, retry=RetryPolicy(attempts=5, base=0.01, cap=0.02, retry_after_cap=7))
    client.get(R.IMAGESTREAM, "app", "demo")
    assert slept == [3.0, 7]


def test_429_on_post_is_retried(fake):
    fake.handler = scripted((429, status_body(429, "TooManyRequests", "x"), {"Retry-After": "1"}), (201, IS))
    client, slept = make_client(fake)
    client.create(R.IMAGESTREAM, {"metadata": {"name": "app"}}, "demo")
    assert fake.methods() == ["POST", "POST"] and slept == [1.0]


def test_429_after_retries_is_too_many_requests(fake):
    fake.handler = lambda req: (429, status_body(429, "TooManyRequests", "x"), {"Retry-After": "0"})
    client, _slept = make_client(fake, retry=RetryPolicy(attempts=2, base=0.01, cap=0.01))
    with pytest.raises(errors.TooManyRequests) as info:
        client.get(R.IMAGESTREAM, "app", "demo")
    assert isinstance(info.value, errors.ServerError)


def test_connection_reset_on_get_is_retried(fake):
    fake.handler = scripted(RESET, RESET, (200, IS))
    client, slept = make_client(fake)
    assert client.get(R.IMAGESTREAM, "app", "demo")["metadata"]["name"] == "app"
    assert fake.count("GET") == 3 and len(slept) == 2


def test_reset_forever_gives_up_with_clear_error(fake):
    fake.handler = lambda req: RESET
    client, _slept = make_client(fake, retry=RetryPolicy(attempts=3, base=0.01, cap=0.01))
    with pytest.raises(ApiConnectionError, match="after 3 attempts"):
        client.get(R.IMAGESTREAM, "app", "demo")


def test_post_reset_after_create_returns_existing_object_without_second_post(fake):
    store = MiniStore()
    state = {"first": True}

    def before(req):
        if req.method == "POST" and state["first"]:
            state["first"] = False
            store(req)  # the server acts, then the connection dies before the answer
            return RESET
        return None
    store.before = before
    fake.handler = store
    client, _slept = make_client(fake)
    obj = client.create(R.IMAGESTREAM, {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
                                        "metadata": {"name": "app", "namespace": "demo"}})
    assert obj["metadata"]["name"] == "app"
    assert fake.methods() == ["POST", "GET"]
    assert len(store.objects) == 1


@pytest.mark.parametrize("failure", [RESET, (503, status_body(503, "ServiceUnavailable", "x"))])
def test_post_failure_before_acting_checks_then_posts_again(fake, failure):
    store = MiniStore()
    state = {"first": True}

    def before(req):
        if req.method == "POST" and state["first"]:
            state["first"] = False
            return failure
        return None
    store.before = before
    fake.handler = store
    client, _slept = make_client(fake)
    client.create(R.IMAGESTREAM, {"metadata": {"name": "app", "namespace": "demo"}})
    assert fake.methods() == ["POST", "GET", "POST"]
    assert len(store.objects) == 1


@pytest.mark.parametrize("failure", [RESET, (503, status_body(503, "ServiceUnavailable", "x"))])
def test_create_only_resource_posts_again_without_get(fake, failure):
    """An ImageStreamImport has no GET and a repeat is harmless: after an ambiguous failure, post again."""
    state = {"posts": 0}

    def handler(req):
        state["posts"] += req.method == "POST"
        if state["posts"] == 1:
            return failure
        return (201, {"kind": "ImageStreamImport", "status": {"images": []}})
    fake.handler = handler
    client, _slept = make_client(fake)
    isi = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamImport",
           "metadata": {"name": "app", "namespace": "demo"}, "spec": {"import": True}}
    assert client.create(R.IMAGESTREAMIMPORT, isi)["kind"] == "ImageStreamImport"
    assert fake.methods() == ["POST", "POST"]
    assert R.IMAGESTREAMIMPORT.create_only and not R.IMAGESTREAM.create_only


def test_post_without_name_is_not_retried_blindly(fake):
    fake.handler = lambda req: (500, status_body(500, "InternalError", "x"))
    client, _slept = make_client(fake)
    with pytest.raises(errors.ServerError):
        client.create(R.IMAGESTREAM, {"metadata": {"generateName": "app-"}}, "demo")
    assert fake.methods() == ["POST"]


def test_slow_server_past_timeout_raises_api_timeout(fake):
    fake.handler = lambda req: ("sleep", 1.5, (200, IS))
    client, _slept = make_client(fake, timeout=0.3)
    with pytest.raises(errors.ApiTimeout, match="within 0.3 seconds"):
        client.get(R.IMAGESTREAM, "app", "demo")


def test_connection_refused_is_retried_then_reported(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    cfg = ConnectionConfig("https://127.0.0.1:%d" % port)
    slept = []
    client = ApiClient(cfg, retry=RetryPolicy(attempts=3, base=0.01, cap=0.01), sleep=slept.append)
    with pytest.raises(ApiConnectionError, match="Cannot reach the API server"):
        client.create(R.IMAGESTREAM, {"metadata": {"name": "app"}}, "demo")
    assert len(slept) == 2 and client.request_count == 3


def test_total_retry_budget_bounds_attempts(fake):
    fake.handler = lambda req: (503, status_body(503, "ServiceUnavailable", "down"))
    client, slept = make_client(fake, retry=RetryPolicy(attempts=50, base=0.01, cap=0.01, total=0))
    with pytest.raises(errors.ServerError):
        client.get(R.IMAGESTREAM, "app", "demo")
    assert fake.count() == 1 and slept == []


@pytest.mark.parametrize("value,expected", [
    ("3", 3.0), ("0", 0.0), ("1.5", 1.5), ("-4", 0.0), (None, None), ("", None), ("soon", None),
    ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date in the past: no wait
])
def test_parse_retry_after(value, expected):
    from ansible_collections.ocp.registry.plugins.module_utils.api import _parse_retry_after

    assert _parse_retry_after(value) == expected


def test_retry_after_http_date_in_future():
    import email.utils
    import time as _time

    from ansible_collections.ocp.registry.plugins.module_utils.api import _parse_retry_after

    delay = _parse_retry_after(email.utils.formatdate(_time.time() + 3600, usegmt=True))
    assert 3000 < delay <= 3600


def test_backoff_is_bounded_and_jittered():
    policy = RetryPolicy(attempts=10, base=0.2, cap=5.0)
    for attempt in range(1, 12):
        delay = policy.backoff(attempt)
        step = min(5.0, 0.2 * 2 ** (attempt - 1))
        assert step / 2 <= delay <= step


# ------------------------------------------------------------------------------------------------ TLS

def test_wrong_ca_fails_with_x509_message(fake, tmp_path):
    from ansible_collections.ocp.registry.tests.lib.certs import make_ca

    other = make_ca("Other CA").write(str(tmp_path), "other")[0]
    fake.handler = lambda req: (200, IS)
    client, _slept = make_client(fake, ca_file=other)
    with pytest.raises(errors.ConnectionConfigError) as info:
        client.get(R.IMAGESTREAM, "app", "demo")
    assert "x509" in info.value.msg and "certificate verify failed" in info.value.msg
    assert "ca_cert" in info.value.msg
    assert fake.count() == 0


def test_system_trust_does_not_know_the_fake_ca(fake):
    fake.handler = lambda req: (200, IS)
    client, _slept = make_client(fake, ca_file=None)
    assert client.config.verify is True
    with pytest.raises(errors.ConnectionConfigError, match="x509"):
        client.get(R.IMAGESTREAM, "app", "demo")


def test_verify_false_accepts_unknown_ca(fake):
    fake.handler = lambda req: (200, IS)
    client, _slept = make_client(fake, ca_file=None, verify=False)
    assert client.get(R.IMAGESTREAM, "app", "demo")["kind"] == "ImageStream"


def test_ca_data_inline(fake):
    fake.handler = lambda req: (200, IS)
    client, _slept = make_client(fake, ca_file=None, ca_data=fake.ca.cert_pem)
    assert client.get(R.IMAGESTREAM, "app", "demo")["kind"] == "ImageStream"


def test_tls_server_name(tmp_path):
    server = FakeApi(str(tmp_path), hosts=("api.internal.example",)).start()
    try:
        server.handler = lambda req: (200, IS)
        client, _slept = make_client(server)
        with pytest.raises(errors.ConnectionConfigError, match="x509"):
            client.get(R.IMAGESTREAM, "app", "demo")
        client, _slept = make_client(server, tls_server_name="api.internal.example")
        assert client.get(R.IMAGESTREAM, "app", "demo")["kind"] == "ImageStream"
    finally:
        server.stop()


@pytest.mark.parametrize("inline", [False, True])
def test_client_certificate_auth(tmp_path, inline):
    from ansible_collections.ocp.registry.tests.lib.certs import make_ca
    from ansible_collections.ocp.registry.tests.unit.plugins.module_utils.fake_api import make_client_pair

    client_ca = make_ca("Client CA")
    pair = make_client_pair(client_ca, "system:admin")
    server = FakeApi(str(tmp_path), client_ca=client_ca).start()
    try:
        server.handler = lambda req: (200, IS)
        if inline:
            client, _slept = make_client(server, token=None, client_cert_data=pair.cert_pem, client_key_data=pair.key_pem)
        else:
            cert, key = pair.write(str(tmp_path), "client")
            client, _slept = make_client(server, token=None, client_cert_file=cert, client_key_file=key)
        client.get(R.IMAGESTREAM, "app", "demo")
        assert server.requests[0].peer_cn == "system:admin"
        assert "Authorization" not in server.requests[0].headers
        # inline key material never stays on disk
        assert not list(tmp_path.parent.glob("ocp-registry-tls-*"))
    finally:
        server.stop()


# ------------------------------------------------------------------------------------------------ proxies

def test_https_through_connect_proxy_with_auth(fake):
    proxy = ConnectProxy(require_auth="Basic dXNlcjpwYXNz").start()  # user:pass
    try:
        fake.handler = lambda req: (200, IS)
        url = proxy.url.replace("http://", "http://user:pass@")
        client, _slept = make_client(fake, proxy=url)
        client.get(R.IMAGESTREAM, "app", "demo")
        client.get(R.IMAGESTREAM, "app", "demo")
        assert proxy.tunnels == ["127.0.0.1:%d" % fake.port]  # one tunnel, kept alive
        assert fake.count() == 2
    finally:
        proxy.stop()


def test_plain_http_server_through_forward_proxy(tmp_path):
    server = FakeApi(str(tmp_path), handler=lambda req: (200, IS), tls=False).start()
    proxy = ConnectProxy().start()
    try:
        client = make_client(server, proxy=proxy.url)[0]
        client.get(R.IMAGESTREAM, "app", "demo")
        client.merge_patch(R.IMAGESTREAM, "app", {"spec": {}}, "demo")
        assert proxy.forwarded == ["http://127.0.0.1:%d%s" % (server.port, IS_PATH)] * 2
        assert proxy.tunnels == [] and server.methods() == ["GET", "PATCH"]
        assert server.requests[1].json() == {"spec": {}}
    finally:
        proxy.stop()
        server.stop()


def test_proxy_auth_rejected_is_clear(fake):
    proxy = ConnectProxy(require_auth="Basic nope").start()
    try:
        client, _slept = make_client(fake, proxy=proxy.url)
        with pytest.raises(ApiConnectionError, match="refused the tunnel.*407"):
            client.get(R.IMAGESTREAM, "app", "demo")
    finally:
        proxy.stop()


def test_proxy_headers_sent_on_connect(fake):
    proxy = ConnectProxy().start()
    try:
        fake.handler = lambda req: (200, IS)
        client, _slept = make_client(fake, proxy=proxy.url,
                                     proxy_headers={"proxy_basic_auth": "u:p", "user_agent": "agent/1"})
        client.get(R.IMAGESTREAM, "app", "demo")
        assert proxy.headers[0]["proxy-authorization"] == "Basic dTpw"
        assert proxy.headers[0]["user-agent"] == "agent/1"
    finally:
        proxy.stop()


def test_no_proxy_bypasses_proxy(fake):
    proxy = ConnectProxy().start()
    try:
        fake.handler = lambda req: (200, IS)
        client, _slept = make_client(fake, proxy=proxy.url, no_proxy="example.com,127.0.0.0/8")
        client.get(R.IMAGESTREAM, "app", "demo")
        assert proxy.tunnels == [] and fake.count() == 1
    finally:
        proxy.stop()


@pytest.mark.parametrize("host,port,no_proxy,expected", [
    ("api.example.com", 6443, "example.com", True),
    ("api.example.com", 6443, ".example.com", True),
    ("example.com", 6443, ".example.com", True),
    ("api.example.org", 6443, "example.com", False),
    ("badexample.com", 6443, "example.com", False),
    ("10.1.2.3", 6443, "10.0.0.0/8", True),
    ("10.1.2.3", 6443, "192.168.0.0/16", False),
    ("127.0.0.1", 6443, "127.0.0.1", True),
    ("api.example.com", 6443, "*", True),
    ("api.example.com", 6443, "api.example.com:6443", True),
    ("api.example.com", 6443, "api.example.com:443", False),
    ("api.example.com", 6443, "", False),
    ("api.example.com", 6443, None, False),
    ("::1", 6443, "::1", True),
])
def test_proxy_bypassed(host, port, no_proxy, expected):
    assert proxy_bypassed(host, port, no_proxy) is expected


def test_unsupported_proxy_scheme(fake):
    client, _slept = make_client(fake, proxy="socks5://127.0.0.1:1080")
    with pytest.raises(errors.ConnectionConfigError, match="only http:// proxies"):
        client.get(R.IMAGESTREAM, "app", "demo")


def test_bad_host_url():
    with pytest.raises(errors.ConnectionConfigError, match="not an http"):
        ApiClient(ConnectionConfig("ftp://x"))


# ------------------------------------------------------------------------------------------------ token login

def oauth_handler(api, user="developer", password="s3cret-pass", token="sha256~issued-token"):
    import base64

    good = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()

    def handler(req):
        if req.path == "/.well-known/oauth-authorization-server":
            return 200, {"issuer": api.url, "authorization_endpoint": api.url + "/oauth/authorize",
                         "token_endpoint": api.url + "/oauth/token"}
        if req.path == "/oauth/authorize":
            assert req.headers.get("X-CSRF-Token") == "1"
            assert req.query == {"response_type": "token", "client_id": "openshift-challenging-client"}
            if req.headers.get("Authorization") != good:
                return 401, b"", {"WWW-Authenticate": 'Basic realm="openshift"'}
            return 302, b"", {"Location": api.url + "/oauth/token/implicit#access_token=%s&expires_in=86400"
                              "&scope=user%%3Afull&token_type=Bearer" % token}
        if req.headers.get("Authorization") == "Bearer " + token:
            return 200, IS
        return 401, status_body(401, "Unauthorized", "Unauthorized")
    return handler


def test_token_login_with_username_password(fake):
    fake.handler = oauth_handler(fake)
    client, _slept = make_client(fake, token=None, username="developer", password="s3cret-pass")
    assert client.get(R.IMAGESTREAM, "app", "demo")["kind"] == "ImageStream"
    assert client.config.token == "sha256~issued-token"
    assert "sha256~issued-token" in client.config.secrets
    assert [r.path for r in fake.requests] == ["/.well-known/oauth-authorization-server", "/oauth/authorize",
                                               IS_PATH]
    client.get(R.IMAGESTREAM, "app", "demo")
    assert fake.count() == 4  # logged in once


def test_token_login_wrong_password(fake):
    fake.handler = oauth_handler(fake)
    client, _slept = make_client(fake, token=None, username="developer", password="wrong")
    with pytest.raises(errors.Unauthorized, match="username or password is wrong"):
        client.get(R.IMAGESTREAM, "app", "demo")


def test_token_login_refuses_plain_http_oauth_endpoint(fake):
    fake.handler = lambda req: (200, {"authorization_endpoint": "http://127.0.0.1:1/oauth/authorize"})
    client = make_client(fake, token=None, username="developer", password="s3cret-pass")[0]
    with pytest.raises(errors.ConnectionConfigError, match="refusing to send the password"):
        client.get(R.IMAGESTREAM, "app", "demo")
    assert fake.count() == 1


def test_token_login_without_oauth_server(fake):
    fake.handler = lambda req: (404, status_body(404, "NotFound", "nope"))
    client, _slept = make_client(fake, token=None, username="developer", password="x")
    with pytest.raises(errors.NotFound):
        client.get(R.IMAGESTREAM, "app", "demo")


# ------------------------------------------------------------------------------------------------ transport

IS_BYTES = json.dumps(IS).encode()


@pytest.fixture
def canned(tmp_path):
    started = []

    def start(replies):
        server = CannedServer(replies, tls=True, workdir=str(tmp_path))
        started.append(server)
        return server
    yield start
    for server in started:
        server.stop()


def canned_client(server, retry=None, timeout=5):
    cfg = ConnectionConfig(server.url)
    cfg.token = "tok-123456"
    cfg.ca_data = server.ca_pem
    slept = []
    client = ApiClient(cfg, timeout=timeout, retry=retry or RetryPolicy(attempts=3, base=0.01, cap=0.02),
                       sleep=slept.append)
    return client, slept


def test_chunked_list_answer(canned):
    """Real kube-apiservers answer big lists chunked."""
    items = [{"metadata": {"name": "is-%03d" % i, "labels": {"x": "y" * 50}}} for i in range(400)]
    data = json.dumps({"kind": "ImageStreamList", "metadata": {}, "items": items}).encode()
    chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(data[i:i + 4096]), data[i:i + 4096])
                      for i in range(0, len(data), 4096))
    server = canned([b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                     + chunks + b"0\r\nX-Trailer: done\r\n\r\n", answer(body=IS_BYTES)])
    client, slept = canned_client(server)
    listed = client.list(R.IMAGESTREAM, "demo")
    assert [i["metadata"]["name"] for i in listed] == ["is-%03d" % i for i in range(400)]
    assert client.get(R.IMAGESTREAM, "app", "demo")["kind"] == "ImageStream"
    assert [r[0] for r in server.requests] == [1, 1] and slept == []  # the connection stayed usable


def test_answer_cut_short_on_get_is_retried(canned):
    server = canned([(answer(body=IS_BYTES)[:-10], "close"), answer(body=IS_BYTES)])
    client, slept = canned_client(server)
    assert client.get(R.IMAGESTREAM, "app", "demo")["kind"] == "ImageStream"
    assert len(slept) == 1 and client.request_count == 2 and [r[0] for r in server.requests] == [1, 2]


def test_post_answer_cut_short_looks_before_posting_again(canned):
    """The server may have acted on a POST whose answer broke off: GET, and no second POST."""
    server = canned([(answer("201 Created", body=IS_BYTES)[:-10], "close"), answer(body=IS_BYTES)])
    client, _slept = canned_client(server)
    assert client.create(R.IMAGESTREAM, {"metadata": {"name": "app", "namespace": "demo"}})["kind"] == "ImageStream"
    assert [h.split(" ", 1)[0] for h in server.heads()] == ["POST", "GET"]


@pytest.mark.parametrize("line", [b"HTTP/1.1 OK\r\n\r\n", b"SSH-2.0-OpenSSH_9.6\r\n"])
def test_malformed_status_line_is_transient_then_reported(canned, line):
    server = canned([(line, "close")])
    client, slept = canned_client(server)
    with pytest.raises(ApiConnectionError, match="after 3 attempts: Bad HTTP status line"):
        client.get(R.IMAGESTREAM, "app", "demo")
    assert len(slept) == 2 and len(server.requests) == 3


def test_no_content_answer(canned):
    server = canned([answer("204 No Content", length=False), answer(body=IS_BYTES)])
    client, _slept = canned_client(server)
    assert client.delete(R.IMAGESTREAM, "app", "demo") == {}
    assert client.get(R.IMAGESTREAM, "app", "demo")["kind"] == "ImageStream"
    assert [r[0] for r in server.requests] == [1, 1]


def test_answer_delimited_by_close_then_new_connection(canned):
    server = canned([(answer(body=IS_BYTES, length=False), "close"), answer(body=IS_BYTES)])
    client, slept = canned_client(server)
    client.get(R.IMAGESTREAM, "app", "demo")
    client.get(R.IMAGESTREAM, "app", "demo")
    assert [r[0] for r in server.requests] == [1, 2] and slept == []


def test_stalled_body_is_a_timeout(canned):
    server = canned([(answer(body=IS_BYTES)[:-10], ("sleep", 0))])
    client, _slept = canned_client(server, timeout=0.3)
    with pytest.raises(errors.ApiTimeout, match="within 0.3 seconds"):
        client.get(R.IMAGESTREAM, "app", "demo")


def test_hot_path_imports_stay_lean():
    """Every module run imports api.py: no http.client/email, and the rare-path helpers stay unloaded."""
    import os
    import subprocess
    import sys

    code = ("import sys; import ansible_collections.ocp.registry.plugins.module_utils.api as api; "
            "c = api.ApiClient(api.ConnectionConfig('https://127.0.0.1:1')); "
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('http', 'email', 'tempfile', 'random') "
            "or m.endswith(('.api_proxy', '.api_auth')))))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == ""
