"""registry_client.py against a scripted loopback registry: Bearer token flow, tag pagination, digests.

The docker-registry package only does Basic auth, so the token dance and Link pagination are checked
against a small stdlib server (plain HTTP, reached with insecure=True) that behaves like distribution
with a token realm.
"""
import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.ocp.registry.tests.simulator import registry_client as rc

CONFIG = json.dumps({"architecture": "arm64", "os": "linux", "created": "2026-01-02T03:04:05Z",
                     "config": {"Labels": {"v": "1"}}}).encode()
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG).hexdigest()
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": rc.MT_DOCKER_V2,
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                  "size": len(CONFIG), "digest": CONFIG_DIGEST},
                       "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                                   "size": 1234, "digest": "sha256:" + "c" * 64}]}).encode()
MANIFEST_DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
TAGS = [f"t{i:02d}" for i in range(7)]


class _Registry(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    token_requests: list = []
    user, password, token = "robot", "s3cret", "tok-123"

    def log_message(self, *a):
        pass

    def _send(self, code, body=b"", headers=None):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        host = self.headers["Host"]
        if self.path.startswith("/token"):
            type(self).token_requests.append((self.path, self.headers.get("Authorization")))
            want = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            if self.headers.get("Authorization") != want:
                return self._send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
            return self._send(200, json.dumps({"token": self.token}).encode(),
                              {"Content-Type": "application/json"})
        if self.path == f"/storage/{CONFIG_DIGEST}":
            # like a pre-signed storage URL: no registry credentials, and none must be sent
            return self._send(200 if not self.headers.get("Authorization") else 400, CONFIG)
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            challenge = f'Bearer realm="http://{host}/token",service="sim-registry"'
            return self._send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {"WWW-Authenticate": challenge})
        if self.path == "/v2/":
            return self._send(200, b"{}")
        if self.path.startswith("/v2/team/app/tags/list"):
            last = None
            if "last=" in self.path:
                last = self.path.split("last=")[1].split("&")[0]
            start = TAGS.index(last) + 1 if last else 0
            page = TAGS[start:start + 3]
            headers = {"Content-Type": "application/json"}
            if start + 3 < len(TAGS):
                headers["Link"] = f'</v2/team/app/tags/list?n=3&last={page[-1]}>; rel="next"'
            return self._send(200, json.dumps({"name": "team/app", "tags": page}).encode(), headers)
        if self.path in ("/v2/team/app/manifests/t00", f"/v2/team/app/manifests/{MANIFEST_DIGEST}"):
            return self._send(200, MANIFEST, {"Content-Type": rc.MT_DOCKER_V2,
                                              "Docker-Content-Digest": MANIFEST_DIGEST})
        if self.path == f"/v2/team/app/blobs/{CONFIG_DIGEST}":
            return self._send(307, b"", {"Location": f"/storage/{CONFIG_DIGEST}"})
        return self._send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')


@pytest.fixture
def token_registry():
    _Registry.token_requests = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(5)


def test_bearer_flow_pagination_and_image(token_registry):
    creds = [(f"http://{token_registry}", _Registry.user, _Registry.password)]
    with rc.Importer(credentials=creds) as imp:
        ref = rc.parse_reference(f"{token_registry}/team/app:t00")
        assert imp.list_tags(ref, insecure=True) == TAGS
        res = imp.import_image(ref, insecure=True)
    img = res.image
    assert img["metadata"]["name"] == MANIFEST_DIGEST
    assert img["dockerImageReference"] == f"{token_registry}/team/app@{MANIFEST_DIGEST}"
    assert img["dockerImageMetadata"]["Architecture"] == "arm64"
    assert img["dockerImageMetadata"]["Created"] == "2026-01-02T03:04:05Z"
    assert img["dockerImageMetadata"]["Size"] == 1234 + len(CONFIG)
    assert img["dockerImageLayers"] == [{"name": "sha256:" + "c" * 64, "size": 1234,
                                         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip"}]
    # the token request named the repository scope and the service from the challenge
    path, auth = _Registry.token_requests[0]
    assert "scope=repository%3Ateam%2Fapp%3Apull" in path and "service=sim-registry" in path
    assert auth.startswith("Basic ")


def test_bearer_without_credentials_is_unauthorized(token_registry):
    with rc.Importer() as imp:
        with pytest.raises(rc.ImportFailure) as e:
            imp.import_image(rc.parse_reference(f"{token_registry}/team/app:t00"), insecure=True)
    assert e.value.reason == "Unauthorized" and e.value.code == 401


def test_wrong_credentials_fall_back_to_anonymous_then_fail(token_registry):
    with rc.Importer(credentials=[(token_registry, "robot", "wrong")]) as imp:
        with pytest.raises(rc.ImportFailure) as e:
            imp.import_image(rc.parse_reference(f"{token_registry}/team/app:t00"), insecure=True)
    assert e.value.reason == "Unauthorized"
    assert "did not have credentials" not in e.value.message


def test_manifest_unknown_is_not_found(token_registry):
    creds = [(token_registry, _Registry.user, _Registry.password)]
    with rc.Importer(credentials=creds) as imp:
        with pytest.raises(rc.ImportFailure) as e:
            imp.import_image(rc.parse_reference(f"{token_registry}/team/app:missing"), insecure=True)
    st = e.value.status()
    assert (st["reason"], st["code"], st["details"]["kind"]) == ("NotFound", 404, "dockerimage")


@pytest.mark.parametrize("spec,expected", [
    ("quay.io/ns/app:1", ("quay.io", "ns", "app", "1", "")),
    ("docker.io/library/busybox", ("docker.io", "library", "busybox", "", "")),
    ("busybox:1.36", ("", "", "busybox", "1.36", "")),
    ("localhost/x@sha256:" + "a" * 64, ("localhost", "", "x", "", "sha256:" + "a" * 64)),
    ("127.0.0.1:5000/a/b/c:v1", ("127.0.0.1:5000", "a/b", "c", "v1", "")),
])
def test_parse_reference(spec, expected):
    r = rc.parse_reference(spec)
    assert (r.registry, r.namespace, r.name, r.tag, r.id) == expected
    assert r.exact() == spec


@pytest.mark.parametrize("spec", ["", "UPPER/case", "a/b:", "a b", "quay.io/x/y@sha256:zz"])
def test_parse_reference_rejects(spec):
    with pytest.raises(rc.ReferenceError_):
        rc.parse_reference(spec)


def test_docker_hub_repository_path():
    assert rc.parse_reference("busybox").repository_path == "library/busybox"
    assert rc.parse_reference("busybox").api_host == "registry-1.docker.io"


@pytest.mark.parametrize("key,host,match", [
    ("127.0.0.1:5000", "127.0.0.1:5000", True),
    ("https://127.0.0.1:5000/v2/", "127.0.0.1:5000", True),
    ("127.0.0.1:5001", "127.0.0.1:5000", False),
    ("https://index.docker.io/v1/", "docker.io", True),
    ("quay.io", "quay.io:443", True),
    ("quay.io/org", "quay.io", True),
])
def test_credential_host_matching(key, host, match):
    assert rc.credential_host_matches(key, host) is match


def test_parse_docker_config_secrets():
    auth = base64.b64encode(b"u:p:with:colons").decode()
    cfgjson = {"type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": base64.b64encode(
        json.dumps({"auths": {"r.example": {"auth": auth}, "s.example": {"username": "x", "password": "y"}}})
        .encode()).decode()}}
    assert rc.parse_docker_config_secret(cfgjson) == [("r.example", "u", "p:with:colons"), ("s.example", "x", "y")]
    cfg = {"type": "kubernetes.io/dockercfg", "data": {".dockercfg": base64.b64encode(
        json.dumps({"https://r.example": {"auth": auth}}).encode()).decode()}}
    assert rc.parse_docker_config_secret(cfg) == [("https://r.example", "u", "p:with:colons")]
    assert rc.parse_docker_config_secret({"type": "Opaque", "data": {"x": "eA=="}}) == []
    assert rc.parse_docker_config_secret({"type": "kubernetes.io/dockerconfigjson",
                                          "data": {".dockerconfigjson": "not base64!"}}) == []


def test_prioritize_tags():
    assert rc.prioritize_tags(["b", "latest", "1.2", "v1.10", "1.2.3", "a", "2.0.1", "1.9", "b"]) == \
        ["latest", "v1.10", "1.9", "1.2", "2.0.1", "1.2.3", "a", "b"]
