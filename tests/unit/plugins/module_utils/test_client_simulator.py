"""The client layer against the loopback OpenShift API simulator: real Status bodies, fault-driven retries,
request counters for ensure (no-op = one GET, check mode = no writes), auth paths (kubeconfig, token login,
client certificates, impersonation)."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import errors
from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.api import ApiClient, ApiConnectionError, RetryPolicy
from ansible_collections.ocp.registry.plugins.module_utils.ensure import (
    REMOVE,
    ensure_absent,
    ensure_many_present,
    ensure_present,
)
from ansible_collections.ocp.registry.plugins.module_utils.kubeconfig import resolve

NS = "sandbox"
IS_COLLECTION = r"/apis/image\.openshift\.io/v1/namespaces/sandbox/imagestreams"


def params(**kw):
    base = {k: None for k in ("kubeconfig", "context", "host", "api_key", "username", "password", "validate_certs",
                              "ca_cert", "client_cert", "client_key", "proxy", "no_proxy", "proxy_headers",
                              "persist_config", "impersonate_user", "impersonate_groups")}
    base.update(kw)
    return base


@pytest.fixture
def idle(simulator):
    simulator.wait_idle()
    return simulator


@pytest.fixture
def client(simulator, sim_admin):
    slept = []
    cfg = resolve(params(kubeconfig=simulator.kubeconfig), env={}, incluster_root="/nonexistent")
    api = ApiClient(cfg, timeout=10, retry=RetryPolicy(attempts=5, base=0.01, cap=0.05, retry_after_cap=2),
                    sleep=slept.append)
    api.slept = slept
    simulator.wait_idle()  # the operator creates configs/cluster asynchronously
    sim_admin.reset(faults=True)
    yield api
    api.close()


def imagestream(name="app", **spec):
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
            "metadata": {"name": name, "namespace": NS}, "spec": spec}


def names(client):
    return sorted(o["metadata"]["name"] for o in client.list(R.IMAGESTREAM, NS))


# ------------------------------------------------------------------------------------------------ Status bodies

STATUS_CASES = [
    ("not found", lambda c: c.get(R.IMAGESTREAM, "nope", NS), errors.NotFound, "NotFound"),
    ("namespace missing", lambda c: c.create(R.IMAGESTREAM, {"metadata": {"name": "x"}}, "no-such-ns"),
     errors.NotFound, "NotFound"),
    ("already exists", lambda c: [c.create(R.IMAGESTREAM, imagestream()) for _i in range(2)], errors.Conflict,
     "AlreadyExists"),
    ("stale resourceVersion", lambda c: (c.create(R.IMAGESTREAM, imagestream()),
                                         c.merge_patch(R.IMAGESTREAM, "app", {"metadata": {"resourceVersion": "1"},
                                                                              "spec": {"lookupPolicy": {"local": True}}},
                                                       NS)), errors.Conflict, "Conflict"),
    ("invalid name", lambda c: c.create(R.IMAGESTREAM, imagestream("Bad_Name")), errors.Invalid, "Invalid"),
    ("malformed body", lambda c: c.request("POST", R.path(R.IMAGESTREAM, None, NS), b"{not json"),
     errors.BadRequest, "BadRequest"),
    ("media type", lambda c: c.request("PATCH", R.path(R.IMAGESTREAM, "x", NS), b"{}", content_type="text/plain"),
     errors.UnsupportedMediaType, "UnsupportedMediaType"),
    ("method", lambda c: c.request("PATCH", R.path(R.IMAGESTREAM, None, NS), b"{}",
                                   content_type="application/merge-patch+json"),
     errors.MethodNotAllowed, "MethodNotAllowed"),
]


@pytest.mark.parametrize("label,call,cls,reason", STATUS_CASES, ids=[c[0] for c in STATUS_CASES])
def test_typed_errors_from_simulator_status(client, label, call, cls, reason):
    with pytest.raises(cls) as info:
        call(client)
    exc = info.value
    assert exc.reason == reason and exc.status == cls.status
    assert exc.message and exc.message in exc.msg
    if cls is errors.Invalid:
        assert exc.causes and all("field" in c and "message" in c for c in exc.causes)
        assert exc.causes[0]["field"] == "metadata.name"


def test_forbidden_and_unauthorized(idle, simulator):
    dev = ApiClient(resolve(params(kubeconfig=simulator.kubeconfig, context="restricted"), env={}))
    with pytest.raises(errors.Forbidden) as info:
        dev.get(R.REGISTRY_CONFIG, "cluster")
    assert 'User "developer" cannot get resource "configs"' in info.value.msg
    assert dev.list(R.IMAGESTREAM, "sandbox") == []   # allowed: read in its namespace
    bad = ApiClient(resolve(params(kubeconfig=simulator.kubeconfig, api_key="not-a-token"), env={}))
    with pytest.raises(errors.Unauthorized):
        bad.get(R.IMAGESTREAM, "app", NS)


# ------------------------------------------------------------------------------------------------ faults

@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_5xx_burst_on_get_is_retried(client, sim_admin, code):
    client.create(R.IMAGESTREAM, imagestream())
    sim_admin.reset()
    sim_admin.add_fault(method="GET", path=IS_COLLECTION + "/app$", status=code, times=2)
    assert client.get(R.IMAGESTREAM, "app", NS)["metadata"]["name"] == "app"
    assert sim_admin.count(verb="get", resource="imagestreams", code=code) == 2
    assert sim_admin.count(verb="get", resource="imagestreams", code=200) == 1
    assert len(client.slept) == 2


def test_429_with_retry_after(client, sim_admin):
    sim_admin.add_fault(method="GET", path=IS_COLLECTION + "$", status=429, retry_after=1, times=2)
    assert client.list(R.IMAGESTREAM, NS) == []
    assert client.slept == [1.0, 1.0]
    assert sim_admin.count(verb="list", resource="imagestreams", code=429) == 2


def test_429_on_post_is_retried_and_creates_once(client, sim_admin):
    sim_admin.add_fault(method="POST", path=IS_COLLECTION + "$", status=429, retry_after=0, times=1)
    client.create(R.IMAGESTREAM, imagestream())
    assert names(client) == ["app"]
    assert sim_admin.count(verb="create", resource="imagestreams", code=201) == 1


@pytest.mark.parametrize("fault", [{"reset": True}, {"status": 503}, {"status": 500}])
def test_post_failure_never_duplicates(client, sim_admin, fault):
    sim_admin.add_fault(method="POST", path=IS_COLLECTION + "$", times=1, **fault)
    obj = client.create(R.IMAGESTREAM, imagestream())
    assert obj["metadata"]["name"] == "app"
    assert names(client) == ["app"]
    # it looked before posting again
    assert sim_admin.count(verb="get", resource="imagestreams") >= 1
    assert sim_admin.count(verb="create", resource="imagestreams", code=201) == 1


def test_connection_reset_on_get_is_retried(client, sim_admin):
    client.create(R.IMAGESTREAM, imagestream())
    sim_admin.add_fault(method="GET", path=IS_COLLECTION + "/app$", reset=True, times=2)
    assert client.get(R.IMAGESTREAM, "app", NS)["metadata"]["name"] == "app"
    assert len(client.slept) == 2


def test_persistent_503_gives_server_error(client, sim_admin):
    sim_admin.add_fault(method="GET", path=IS_COLLECTION + "$", status=503)
    with pytest.raises(errors.ServerError) as info:
        client.list(R.IMAGESTREAM, NS)
    assert info.value.status == 503
    assert sim_admin.count(verb="list", resource="imagestreams", code=503) == 5  # bounded attempts


def test_slow_server_past_timeout(simulator, sim_admin):
    sim_admin.reset(faults=True)
    cfg = resolve(params(kubeconfig=simulator.kubeconfig), env={})
    client = ApiClient(cfg, timeout=0.5, retry=RetryPolicy(attempts=2, base=0.01, cap=0.01), sleep=lambda s: None)
    sim_admin.add_fault(method="GET", path=IS_COLLECTION + "$", latency=2, times=1)
    with pytest.raises(errors.ApiTimeout, match="within 0.5 seconds"):
        client.list(R.IMAGESTREAM, NS)
    client.close()


# ------------------------------------------------------------------------------------------------ ensure counters

def test_noop_ensure_is_exactly_one_get(client, sim_admin):
    desired = imagestream(lookupPolicy={"local": True})
    assert ensure_present(client, R.IMAGESTREAM, desired)["changed"] is True
    sim_admin.reset()
    result = ensure_present(client, R.IMAGESTREAM, desired)
    assert result["changed"] is False
    counters = sim_admin.counters()
    assert counters["total"] == 1 and counters["mutating"] == 0
    assert sim_admin.count(verb="get", resource="imagestreams", code=200) == 1


@pytest.mark.parametrize("exists", [False, True])
def test_check_mode_makes_no_mutating_request(client, sim_admin, exists):
    if exists:
        client.create(R.IMAGESTREAM, imagestream(lookupPolicy={"local": False}))
    sim_admin.reset()
    result = ensure_present(client, R.IMAGESTREAM, imagestream(lookupPolicy={"local": True}), check_mode=True,
                            diff=True)
    assert result["changed"] is True
    assert result["diff"]["after"]["spec"]["lookupPolicy"] == {"local": True}
    absent = ensure_absent(client, R.IMAGESTREAM, "app", NS, check_mode=True)
    assert absent["changed"] is exists
    assert sim_admin.mutating() == 0
    assert (names(client) == ["app"]) is exists


def test_conflict_retry_under_bump_fault(client, sim_admin):
    client.create(R.IMAGESTREAM, imagestream(lookupPolicy={"local": False}))
    sim_admin.reset()
    sim_admin.add_fault(method="PATCH", path=IS_COLLECTION + "/app$", bump=True, times=1)
    result = ensure_present(client, R.IMAGESTREAM, imagestream(lookupPolicy={"local": True}))
    assert result["changed"] is True
    assert result["object"]["spec"]["lookupPolicy"] == {"local": True}
    # the concurrent writer's change survived: we patched only our field
    assert "simulator.ocp.registry/bump" in result["object"]["metadata"]["annotations"]
    assert sim_admin.count(verb="patch", resource="imagestreams", code=409) == 1
    assert sim_admin.count(verb="patch", resource="imagestreams", code=200) == 1


def test_ensure_secret_remove_and_absent(client, sim_admin):
    import base64

    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pull", "namespace": NS,
                                                                 "labels": {"a": "1", "b": "2"}},
              "type": "Opaque", "data": {"password": base64.b64encode(b"hunter2-secret").decode()}}
    first = ensure_present(client, R.SECRET, secret, diff=True, secret_paths=("data",))
    assert "hunter2" not in repr(first) and base64.b64encode(b"hunter2-secret").decode() not in repr(first)
    secret["metadata"]["labels"] = {"b": REMOVE}
    second = ensure_present(client, R.SECRET, secret)
    assert second["changed"] is True and second["object"]["metadata"]["labels"] == {"a": "1"}
    assert ensure_absent(client, R.SECRET, "pull", NS)["changed"] is True
    assert ensure_absent(client, R.SECRET, "pull", NS)["changed"] is False


def test_many_present_against_simulator(client, sim_admin):
    client.create(R.IMAGESTREAM, imagestream("a", lookupPolicy={"local": True}))
    sim_admin.reset()
    want = [imagestream(n, lookupPolicy={"local": True}) for n in ("a", "b", "c")]
    results = ensure_many_present(client, R.IMAGESTREAM, NS, want)
    assert [r["changed"] for r in results] == [False, True, True]
    assert sim_admin.count(verb="list", resource="imagestreams") == 1
    assert sim_admin.count(verb="get", resource="imagestreams") == 0
    assert sim_admin.mutating() == 2
    sim_admin.reset()
    assert [r["changed"] for r in ensure_many_present(client, R.IMAGESTREAM, NS, want)] == [False] * 3
    assert sim_admin.counters()["total"] == 1


# ------------------------------------------------------------------------------------------------ auth paths

def test_token_login_with_username_password(idle, simulator, sim_admin):
    cfg = resolve(params(host=simulator.url, ca_cert=simulator.ca_file, username="admin",
                         password=simulator.admin_password), env={})
    client = ApiClient(cfg)
    assert client.get(R.REGISTRY_CONFIG, "cluster")["metadata"]["name"] == "cluster"
    assert cfg.token and cfg.token in cfg.secrets
    assert "admin" in sim_admin.log().splitlines()[-1]
    wrong = ApiClient(resolve(params(host=simulator.url, ca_cert=simulator.ca_file, username="admin",
                                     password="wrong-password"), env={}))
    with pytest.raises(errors.Unauthorized, match="username or password is wrong"):
        wrong.get(R.REGISTRY_CONFIG, "cluster")


def test_client_certificate_auth(idle, simulator):
    cert, key = simulator.issue_client_cert("system:admin", groups=("system:masters",))
    cfg = resolve(params(host=simulator.url, ca_cert=simulator.ca_file, client_cert=cert, client_key=key), env={})
    client = ApiClient(cfg)
    assert cfg.token is None
    assert client.get(R.REGISTRY_CONFIG, "cluster")["kind"] == "Config"


def test_impersonation(idle, simulator):
    cfg = resolve(params(kubeconfig=simulator.kubeconfig, impersonate_user="developer"), env={})
    client = ApiClient(cfg)
    with pytest.raises(errors.Forbidden, match='User "developer"'):
        client.get(R.REGISTRY_CONFIG, "cluster")


def test_keep_alive_through_proxy_to_simulator(idle, simulator):
    from ansible_collections.ocp.registry.tests.unit.plugins.module_utils.fake_api import ConnectProxy

    proxy = ConnectProxy().start()
    try:
        cfg = resolve(params(kubeconfig=simulator.kubeconfig, proxy=proxy.url), env={})
        client = ApiClient(cfg)
        for _i in range(3):
            client.get(R.REGISTRY_CONFIG, "cluster")
        ensure_present(client, R.IMAGESTREAM, imagestream())
        assert client.request_count == 5
        assert len(proxy.tunnels) == 1  # one TLS connection carried every request
        client.close()
    finally:
        proxy.stop()


def test_wrong_ca_against_simulator(idle, simulator, tmp_path):
    from ansible_collections.ocp.registry.tests.lib.certs import make_ca

    other = make_ca("Not the simulator CA").write(str(tmp_path), "other")[0]
    cfg = resolve(params(kubeconfig=simulator.kubeconfig, ca_cert=other), env={})
    with pytest.raises(errors.ConnectionConfigError, match="x509: certificate verify failed"):
        ApiClient(cfg).get(R.REGISTRY_CONFIG, "cluster")
    # validate_certs defaults to true: the system trust store does not know the simulator CA either
    cfg = resolve(params(host=simulator.url, api_key=simulator.admin_token), env={})
    assert cfg.verify is True
    with pytest.raises(errors.ConnectionConfigError, match="x509"):
        ApiClient(cfg).get(R.REGISTRY_CONFIG, "cluster")


def test_server_gone_is_connection_error(idle, simulator):
    cfg = resolve(params(kubeconfig=simulator.kubeconfig), env={})
    client = ApiClient(cfg, retry=RetryPolicy(attempts=2, base=0.01, cap=0.01), sleep=lambda s: None)
    client.get(R.REGISTRY_CONFIG, "cluster")
    simulator.stop()
    with pytest.raises(ApiConnectionError):
        client.get(R.REGISTRY_CONFIG, "cluster")
