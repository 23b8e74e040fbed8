"""kubeconfig.py: every connection source and kubeconfig feature, resolved and (where it matters) used."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import stat
import sys
import time

import pytest
import yaml

from ansible_collections.ocp.registry.plugins.module_utils import errors
from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.api import ApiClient, RetryPolicy
from ansible_collections.ocp.registry.plugins.module_utils.kubeconfig import resolve
from ansible_collections.ocp.registry.tests.lib.certs import make_ca
from ansible_collections.ocp.registry.tests.unit.plugins.module_utils.fake_api import (
    ConnectProxy,
    FakeApi,
    make_client_pair,
)

IS = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": "app", "namespace": "demo"}}
EMPTY_ENV = {"PATH": os.environ.get("PATH", "")}


def b64(text):
    return base64.b64encode(text.encode()).decode()


def kubeconfig(server="https://api.example.com:6443", cluster=None, user=None, context_ns=None, name="ctx",
               current=True):
    ctx = {"cluster": "c-" + name, "user": "u-" + name}
    if context_ns:
        ctx["namespace"] = context_ns
    data = {"apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "c-" + name, "cluster": dict({"server": server}, **(cluster or {}))}],
            "users": [{"name": "u-" + name, "user": user or {}}],
            "contexts": [{"name": name, "context": ctx}]}
    if current:
        data["current-context"] = name
    return data


def write(path, data):
    path.write_text(yaml.safe_dump(data))
    return str(path)


def params(**kw):
    base = {k: None for k in ("kubeconfig", "context", "host", "api_key", "username", "password", "validate_certs",
                              "ca_cert", "client_cert", "client_key", "proxy", "no_proxy", "proxy_headers",
                              "persist_config", "impersonate_user", "impersonate_groups")}
    base.update(kw)
    return base


def run_plugin(argv, env_additions):
    """Stand-in for AnsibleModule.run_command (what RegistryModule passes as the command runner)."""
    proc = subprocess.run(argv, env=dict(os.environ, **env_additions), stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=60, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def resolve_env(p, env=None, **kw):
    kw.setdefault("incluster_root", "/nonexistent-sa-root")
    kw.setdefault("command_runner", run_plugin)
    return resolve(p, env=dict(EMPTY_ENV, **(env or {})), **kw)


@pytest.fixture
def fake(tmp_path):
    server = FakeApi(str(tmp_path), handler=lambda req: (200, IS)).start()
    yield server
    server.stop()


def get_through(cfg):
    client = ApiClient(cfg, retry=RetryPolicy(attempts=2, base=0.01, cap=0.01), sleep=lambda s: None)
    try:
        return client.get(R.IMAGESTREAM, "app", "demo")
    finally:
        client.close()


# ------------------------------------------------------------------------------------------------ basics

def test_token_and_ca_file_relative_to_kubeconfig(tmp_path, fake):
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.crt").write_text(fake.ca.cert_pem)
    path = write(tmp_path / "config", kubeconfig(fake.url, cluster={"certificate-authority": "certs/ca.crt"},
                                                 user={"token": "sha256~tok"}, context_ns="team"))
    cfg = resolve_env(params(kubeconfig=path))
    assert cfg.source == "kubeconfig" and cfg.context == "ctx"
    assert cfg.ca_file == str(tmp_path / "certs" / "ca.crt")
    assert cfg.token == "sha256~tok" and "sha256~tok" in cfg.secrets
    assert cfg.namespace == "team" and cfg.verify is True
    assert "sha256~tok" not in repr(cfg)
    get_through(cfg)
    assert fake.requests[0].headers["Authorization"] == "Bearer sha256~tok"


def test_token_file_and_inline_ca(tmp_path, fake):
    (tmp_path / "tok").write_text("file-token-1\n")
    path = write(tmp_path / "config", kubeconfig(fake.url, cluster={"certificate-authority-data": b64(fake.ca.cert_pem)},
                                                 user={"tokenFile": "tok"}))
    cfg = resolve_env(params(kubeconfig=path))
    assert cfg.token == "file-token-1" and cfg.ca_data == fake.ca.cert_pem
    get_through(cfg)
    assert fake.requests[0].headers["Authorization"] == "Bearer file-token-1"


@pytest.mark.parametrize("inline", [True, False])
def test_client_certificate_from_kubeconfig(tmp_path, inline):
    client_ca = make_ca("Client CA")
    pair = make_client_pair(client_ca, "system:admin")
    server = FakeApi(str(tmp_path), handler=lambda req: (200, IS), client_ca=client_ca).start()
    try:
        if inline:
            user = {"client-certificate-data": b64(pair.cert_pem), "client-key-data": b64(pair.key_pem)}
        else:
            pair.write(str(tmp_path), "admin")
            user = {"client-certificate": "admin.crt", "client-key": "admin.key"}
        path = write(tmp_path / "config", kubeconfig(server.url, cluster={"certificate-authority": server.ca_path},
                                                     user=user))
        cfg = resolve_env(params(kubeconfig=path))
        if inline:
            assert b64(pair.key_pem) in cfg.secrets and cfg.client_key_data == pair.key_pem
        get_through(cfg)
        assert server.requests[0].peer_cn == "system:admin"
    finally:
        server.stop()


def test_insecure_skip_tls_verify_only_when_kubeconfig_says_so(tmp_path, fake):
    path = write(tmp_path / "config", kubeconfig(fake.url, cluster={"insecure-skip-tls-verify": True},
                                                 user={"token": "t"}))
    cfg = resolve_env(params(kubeconfig=path))
    assert cfg.verify is False
    get_through(cfg)
    # validate_certs wins over the kubeconfig
    cfg = resolve_env(params(kubeconfig=path, validate_certs=True))
    assert cfg.verify is True
    with pytest.raises(errors.ConnectionConfigError, match="x509"):
        get_through(cfg)
    # and without the flag verification is on
    path = write(tmp_path / "config2", kubeconfig(fake.url, user={"token": "t"}))
    assert resolve_env(params(kubeconfig=path)).verify is True


def test_proxy_url_from_kubeconfig(tmp_path, fake):
    proxy = ConnectProxy().start()
    try:
        path = write(tmp_path / "config", kubeconfig(fake.url, cluster={"certificate-authority": fake.ca_path,
                                                                        "proxy-url": proxy.url},
                                                     user={"token": "t"}))
        cfg = resolve_env(params(kubeconfig=path))
        assert cfg.proxy == proxy.url
        get_through(cfg)
        assert proxy.tunnels == ["127.0.0.1:%d" % fake.port]
    finally:
        proxy.stop()


def test_kubeconfig_as_dict_and_context_option(tmp_path):
    data = kubeconfig(user={"token": "a"}, name="one")
    other = kubeconfig("https://other:6443", user={"token": "b"}, name="two", context_ns="ns2")
    for section in ("clusters", "users", "contexts"):
        data[section] += other[section]
    cfg = resolve_env(params(kubeconfig=data))
    assert (cfg.host, cfg.token, cfg.namespace) == ("https://api.example.com:6443", "a", None)
    cfg = resolve_env(params(kubeconfig=data, context="two"))
    assert (cfg.host, cfg.token, cfg.namespace, cfg.context) == ("https://other:6443", "b", "ns2", "two")


@pytest.mark.parametrize("mutate,message", [
    (lambda d: d.update({"current-context": "nope"}), "Context 'nope' not found"),
    (lambda d: d.pop("current-context"), "no current-context"),
    (lambda d: d["contexts"][0]["context"].update({"cluster": "missing"}), "cluster 'missing'"),
    (lambda d: d["contexts"][0]["context"].update({"user": "missing"}), "user 'missing'"),
    (lambda d: d["clusters"][0]["cluster"].pop("server"), "has no server"),
    (lambda d: d["users"][0].update({"user": {"tokenFile": "/nonexistent/token"}}), "Cannot read tokenFile"),
    (lambda d: d["clusters"][0]["cluster"].update({"certificate-authority-data": "%%%notbase64\xff"}),
     "certificate-authority-data"),
])
def test_broken_kubeconfigs_fail_clearly(mutate, message):
    data = kubeconfig(user={"token": "t"})
    mutate(data)
    with pytest.raises(errors.ConnectionConfigError, match=message):
        resolve_env(params(kubeconfig=data))


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(errors.ConnectionConfigError, match="No kubeconfig found"):
        resolve_env(params(kubeconfig=str(tmp_path / "nope")))
    (tmp_path / "bad").write_text("clusters: [\n")
    with pytest.raises(errors.ConnectionConfigError, match="not valid YAML"):
        resolve_env(params(kubeconfig=str(tmp_path / "bad")))
    with pytest.raises(errors.ConnectionConfigError, match="path or a dict"):
        resolve_env(params(kubeconfig=42))


def test_kubectl_style_kubeconfig_is_read_without_importing_pyyaml(tmp_path):
    """A fresh interpreter (as each module run is) resolves a kubectl-written kubeconfig without PyYAML."""
    path = write(tmp_path / "config", kubeconfig(user={"token": "sha256~abc"}, context_ns="team"))
    code = ("import sys; from ansible_collections.ocp.registry.plugins.module_utils.kubeconfig import resolve; "
            "cfg = resolve({'kubeconfig': sys.argv[1]}, env={}, incluster_root='/nonexistent'); "
            "print(cfg.host, cfg.token, cfg.namespace, 'yaml' in sys.modules)")
    pythonpath = os.pathsep.join(p for p in sys.path if p)
    proc = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=pythonpath), check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["https://api.example.com:6443", "sha256~abc", "team", "False"]


def test_kubeconfig_beyond_the_fast_path_still_loads(tmp_path):
    """Anchors, flow mappings and comments after values are left to PyYAML and give the same result."""
    path = tmp_path / "config"
    path.write_text(
        "apiVersion: v1\n"
        "clusters:\n- name: c\n  cluster: &c {server: 'https://api.example.com:6443'}\n"
        "users:\n- name: u\n  user:\n    token: abc   # comment\n"
        "contexts:\n- name: x\n  context: {cluster: c, user: u, namespace: team}\n"
        "current-context: x\n")
    cfg = resolve_env(params(kubeconfig=str(path)))
    assert (cfg.host, cfg.token, cfg.namespace) == ("https://api.example.com:6443", "abc", "team")


def test_multiple_kubeconfig_files_merge_like_kubectl(tmp_path):
    first = kubeconfig("https://first:6443", user={"token": "first-token"}, name="shared")
    first["contexts"][0]["context"]["namespace"] = "first-ns"
    second = kubeconfig("https://second:6443", user={"token": "second-token"}, name="shared")
    second["current-context"] = "extra"
    extra = kubeconfig("https://extra:6443", user={"token": "extra-token"}, name="extra")
    for section in ("clusters", "users", "contexts"):
        second[section] += extra[section]
    del first["current-context"]
    a = write(tmp_path / "a", first)
    b = write(tmp_path / "b", second)
    env = {"KUBECONFIG": os.pathsep.join([a, str(tmp_path / "missing"), b])}
    cfg = resolve_env(params(), env=env, home=str(tmp_path))
    # current-context from the first file that sets it (b), entries from the first file that defines them
    assert cfg.context == "extra" and cfg.host == "https://extra:6443"
    cfg = resolve_env(params(context="shared"), env=env, home=str(tmp_path))
    assert cfg.host == "https://first:6443" and cfg.token == "first-token" and cfg.namespace == "first-ns"


def test_default_kubeconfig_in_home(tmp_path):
    (tmp_path / ".kube").mkdir()
    write(tmp_path / ".kube" / "config", kubeconfig(user={"token": "home-token"}))
    cfg = resolve_env(params(), home=str(tmp_path))
    assert cfg.token == "home-token"


def test_nothing_configured(tmp_path):
    with pytest.raises(errors.ConnectionConfigError, match="No kubeconfig found"):
        resolve_env(params(), home=str(tmp_path))


# ------------------------------------------------------------------------------------------------ precedence

def test_host_and_api_key_skip_kubeconfig(tmp_path):
    (tmp_path / ".kube").mkdir()
    write(tmp_path / ".kube" / "config", "not: [valid")
    cfg = resolve_env(params(host="api.example.com:6443/", api_key="k"), home=str(tmp_path))
    assert cfg.host == "https://api.example.com:6443" and cfg.token == "k" and cfg.source == "options"


def test_explicit_options_override_kubeconfig(tmp_path, fake):
    data = kubeconfig("https://ignored:6443", cluster={"insecure-skip-tls-verify": True, "proxy-url": "http://p:1"},
                      user={"token": "kube-token", "as": "bob"})
    cfg = resolve_env(params(kubeconfig=data, host=fake.url, api_key="explicit", ca_cert=fake.ca_path,
                             proxy="http://q:2", no_proxy="127.0.0.1", impersonate_user="alice",
                             impersonate_groups=["g1"]))
    assert cfg.host == fake.url and cfg.token == "explicit" and cfg.ca_file == fake.ca_path
    assert cfg.verify is True  # an explicit CA turns verification back on
    assert (cfg.proxy, cfg.no_proxy) == ("http://q:2", "127.0.0.1")
    assert (cfg.impersonate_user, cfg.impersonate_groups) == ("alice", ["g1"])
    get_through(cfg)
    assert fake.requests[0].headers["Impersonate-User"] == "alice"


def test_kubeconfig_impersonation(tmp_path):
    cfg = resolve_env(params(kubeconfig=kubeconfig(user={"token": "t", "as": "bob", "as-groups": ["a", "b"]})))
    assert (cfg.impersonate_user, cfg.impersonate_groups) == ("bob", ["a", "b"])


def test_username_password_replace_token(tmp_path):
    cfg = resolve_env(params(kubeconfig=kubeconfig(user={"token": "t"}), username="dev", password="pw"))
    assert cfg.token is None and (cfg.username, cfg.password) == ("dev", "pw") and "pw" in cfg.secrets
    with pytest.raises(errors.ConnectionConfigError, match="together"):
        resolve_env(params(kubeconfig=kubeconfig(user={"token": "t"}), username="dev"))


@pytest.mark.parametrize("opts,message", [
    ({"client_cert": "/nonexistent.crt"}, "client_cert and client_key must be given together"),
    ({"ca_cert": "/nonexistent/ca.crt"}, "ca_cert file /nonexistent/ca.crt does not exist"),
])
def test_bad_file_options(opts, message):
    with pytest.raises(errors.ConnectionConfigError, match=message):
        resolve_env(params(host="https://h", api_key="k", **opts))


@pytest.mark.parametrize("option", ["host", "api_key", "proxy", "no_proxy", "context"])
def test_non_string_options_rejected(option):
    with pytest.raises(errors.ConnectionConfigError, match="The %s option must be a string" % option):
        resolve_env(params(**dict({"host": "https://h", "api_key": "k"}, **{option: {"x": 1}})))


def test_proxy_headers_from_env():
    cfg = resolve_env(params(host="https://h", api_key="k"),
                      env={"K8S_AUTH_PROXY_HEADERS_PROXY_BASIC_AUTH": "u:secret-pw"})
    assert cfg.proxy_headers == {"proxy_basic_auth": "u:secret-pw"} and "u:secret-pw" in cfg.secrets


# ------------------------------------------------------------------------------------------------ in-cluster

def service_account(tmp_path, token="sa-token-xyz", namespace="openshift-image-registry", ca_pem=None):
    root = tmp_path / "sa"
    root.mkdir()
    (root / "token").write_text(token)
    (root / "namespace").write_text(namespace)
    if ca_pem:
        (root / "ca.crt").write_text(ca_pem)
    return str(root)


def test_in_cluster_service_account(tmp_path, fake):
    root = service_account(tmp_path, ca_pem=fake.ca.cert_pem)
    env = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(fake.port)}
    cfg = resolve_env(params(), env=env, incluster_root=root)
    assert cfg.source == "in-cluster" and cfg.namespace == "openshift-image-registry"
    assert cfg.host == fake.url and cfg.ca_file == os.path.join(root, "ca.crt")
    get_through(cfg)
    assert fake.requests[0].headers["Authorization"] == "Bearer sa-token-xyz"


def test_in_cluster_ipv6_and_precedence(tmp_path):
    root = service_account(tmp_path)
    env = {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}
    assert resolve_env(params(), env=env, incluster_root=root).host == "https://[fd00::1]:443"
    # an explicit kubeconfig wins over in-cluster
    cfg = resolve_env(params(kubeconfig=kubeconfig(user={"token": "kc"})), env=env, incluster_root=root)
    assert cfg.source == "kubeconfig" and cfg.token == "kc"
    # without the service env variables the kubeconfig in home is used
    (tmp_path / ".kube").mkdir()
    write(tmp_path / ".kube" / "config", kubeconfig(user={"token": "home"}))
    assert resolve_env(params(), incluster_root=root, home=str(tmp_path)).token == "home"


# ------------------------------------------------------------------------------------------------ exec plugin

def exec_script(tmp_path, body, name="cred-plugin"):
    path = tmp_path / name
    path.write_text("#!%s\nimport json, os, sys\n%s\n" % (sys.executable, body))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


TOKEN_PLUGIN = """
info = json.loads(os.environ["KUBERNETES_EXEC_INFO"])
assert info["spec"]["interactive"] is False
assert sys.argv[1:] == ["get-token", "--cluster", "demo"]
print(json.dumps({"apiVersion": info["apiVersion"], "kind": "ExecCredential",
                  "status": {"token": "exec-" + os.environ["PLUGIN_SECRET"] + "-" + info["apiVersion"][-7:]}}))
"""


@pytest.mark.parametrize("api_version", ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"])
def test_exec_plugin_token(tmp_path, fake, api_version):
    script = exec_script(tmp_path, TOKEN_PLUGIN)
    user = {"exec": {"apiVersion": api_version, "command": script, "args": ["get-token", "--cluster", "demo"],
                     "env": [{"name": "PLUGIN_SECRET", "value": "s3cr3t-value"}], "interactiveMode": "Never"}}
    cfg = resolve_env(params(kubeconfig=kubeconfig(fake.url, cluster={"certificate-authority": fake.ca_path},
                                                   user=user)))
    expected = "exec-s3cr3t-value-" + api_version[-7:]
    assert cfg.token == expected and expected in cfg.secrets and "s3cr3t-value" in cfg.secrets
    get_through(cfg)
    assert fake.requests[0].headers["Authorization"] == "Bearer " + expected


def test_exec_plugin_relative_command_and_client_cert(tmp_path):
    client_ca = make_ca("Client CA")
    pair = make_client_pair(client_ca, "exec-user")
    server = FakeApi(str(tmp_path), handler=lambda req: (200, IS), client_ca=client_ca).start()
    try:
        body = "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1', 'kind': 'ExecCredential', " \
               "'status': {'clientCertificateData': %r, 'clientKeyData': %r}}))" % (pair.cert_pem, pair.key_pem)
        (tmp_path / "bin").mkdir()
        exec_script(tmp_path / "bin", body, "cert-plugin")
        user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "./bin/cert-plugin",
                         "interactiveMode": "IfAvailable"}}
        path = write(tmp_path / "config", kubeconfig(server.url, cluster={"certificate-authority": server.ca_path},
                                                     user=user))
        cfg = resolve_env(params(kubeconfig=path))
        assert cfg.token is None and cfg.client_key_data == pair.key_pem
        get_through(cfg)
        assert server.requests[0].peer_cn == "exec-user"
    finally:
        server.stop()


def test_exec_plugin_cluster_info(tmp_path):
    script = exec_script(tmp_path, """
info = json.loads(os.environ["KUBERNETES_EXEC_INFO"])
print(json.dumps({"apiVersion": info["apiVersion"], "kind": "ExecCredential",
                  "status": {"token": info["spec"]["cluster"]["server"]}}))
""")
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": script, "provideClusterInfo": True}}
    cfg = resolve_env(params(kubeconfig=kubeconfig("https://api.x:6443", user=user)))
    assert cfg.token == "https://api.x:6443"


@pytest.mark.parametrize("exec_conf,body,message", [
    ({"apiVersion": "client.authentication.k8s.io/v1alpha1"}, "", "Unsupported exec credential plugin apiVersion"),
    ({"interactiveMode": "Always"}, "", "requires an interactive terminal"),
    ({}, "sys.stderr.write('error: not logged in to the SSO\\n'); sys.exit(3)",
     "failed with exit code 3: error: not logged in to the SSO"),
    ({}, "print('not json')", "did not print an ExecCredential"),
    ({}, "print(json.dumps({'kind': 'Other'}))", "not an ExecCredential"),
    ({}, "print(json.dumps({'kind': 'ExecCredential', 'apiVersion': 'client.authentication.k8s.io/v1beta1', "
         "'status': {'token': 'x'}}))", "returned apiVersion"),
    ({}, "print(json.dumps({'kind': 'ExecCredential', 'apiVersion': 'client.authentication.k8s.io/v1', "
         "'status': {}}))", "neither status.token"),
])
def test_exec_plugin_failures(tmp_path, exec_conf, body, message):
    script = exec_script(tmp_path, body)
    conf = dict({"apiVersion": "client.authentication.k8s.io/v1", "command": script}, **exec_conf)
    with pytest.raises(errors.ConnectionConfigError, match=message):
        resolve_env(params(kubeconfig=kubeconfig(user={"exec": conf})))


def test_exec_plugin_not_found_shows_install_hint():
    conf = {"apiVersion": "client.authentication.k8s.io/v1", "command": "no-such-plugin-xyz",
            "installHint": "Install it from https://example.com/plugin"}
    with pytest.raises(errors.ConnectionConfigError, match="was not found: Install it from"):
        resolve_env(params(kubeconfig=kubeconfig(user={"exec": conf})))


def test_exec_plugin_refreshed_after_401(tmp_path, fake):
    counter = tmp_path / "n"
    script = exec_script(tmp_path, """
n = int(open(%r).read()) + 1 if os.path.exists(%r) else 1
open(%r, "w").write(str(n))
print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                  "status": {"token": "tok-%%d" %% n}}))
""" % (str(counter), str(counter), str(counter)))
    fake.handler = lambda req: (200, IS) if req.headers["Authorization"] == "Bearer tok-2" else (401, {})
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": script}}
    cfg = resolve_env(params(kubeconfig=kubeconfig(fake.url, cluster={"certificate-authority": fake.ca_path},
                                                   user=user)))
    assert cfg.token == "tok-1"
    get_through(cfg)
    assert [r.headers["Authorization"] for r in fake.requests] == ["Bearer tok-1", "Bearer tok-2"]


# ------------------------------------------------------------------------------------------------ legacy

def jwt(exp):
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    return "%s.%s.%s" % (part({"alg": "none"}), part({"exp": exp, "sub": "x"}), "c2ln")


@pytest.mark.parametrize("provider", [
    {"name": "oidc", "config": {"id-token": jwt(int(time.time()) + 3600), "idp-issuer-url": "https://idp"}},
    {"name": "gcp", "config": {"access-token": "ya29.legacy-token", "expiry": "2999-01-01T00:00:00Z"}},
])
def test_legacy_auth_provider_uses_kubernetes_loader(tmp_path, fake, provider):
    pytest.importorskip("kubernetes")
    data = kubeconfig(fake.url, cluster={"certificate-authority-data": b64(fake.ca.cert_pem)},
                      user={"auth-provider": provider}, context_ns="legacy-ns")
    path = write(tmp_path / "config", data)
    for source in (path, data):
        cfg = resolve_env(params(kubeconfig=source))
        expected = provider["config"].get("id-token") or provider["config"]["access-token"]
        assert cfg.source == "kubernetes-client" and cfg.token == expected and cfg.namespace == "legacy-ns"
        get_through(cfg)
        assert fake.requests[-1].headers["Authorization"] == "Bearer " + expected


def test_legacy_auth_provider_without_credential(tmp_path):
    pytest.importorskip("kubernetes")
    data = kubeconfig(user={"auth-provider": {"name": "azure", "config": {"access-token": "x"}}})
    with pytest.raises(errors.ConnectionConfigError, match="could not produce a credential"):
        resolve_env(params(kubeconfig=data))


def test_legacy_auth_provider_without_kubernetes_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "kubernetes", None)  # import fails
    data = kubeconfig(user={"auth-provider": {"name": "oidc", "config": {}}})
    with pytest.raises(errors.ConnectionConfigError, match="pip install kubernetes"):
        resolve_env(params(kubeconfig=data))
