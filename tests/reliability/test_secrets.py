"""Secrets: every module and role runs with known secret values at -vvv with diff mode; stdout, stderr, task
results, diffs and the simulator's request log are scanned for the values and their base64 forms: zero
occurrences. Secrets never go on a command line either."""
from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess

import pytest

from ansible.module_utils import basic
from ansible_collections.ocp.registry.tests.lib import certs
from ansible_collections.ocp.registry.tests.lib.playbook import run_playbook
from ansible_collections.ocp.registry.tests.reliability import common
from ansible_collections.ocp.registry.tests.reliability.common import CA
from ansible_collections.ocp.registry.tests.simulator.auth import ADMIN

ROUTE_HOST = "secrets.apps.example.test"


def _secret(label):
    return "S3CR3T-%s-%s" % (label, secrets.token_hex(8))


class SecretSet:
    """One set of known secret values (a second set makes the diffs show secrets changing)."""

    def __init__(self, tag):
        self.token = _secret("token" + tag)
        self.kubeconfig_token = _secret("kctoken" + tag)
        self.pull_password = _secret("pull" + tag)
        self.http_secret = _secret("http" + tag)
        self.access_key = _secret("access" + tag)
        self.secret_key = _secret("s3key" + tag)
        self.role_access_key = _secret("roleaccess" + tag)
        self.role_secret_key = _secret("rolekey" + tag)
        self.login_password = _secret("login" + tag)
        self.route_pair = certs.make_leaf(CA, (ROUTE_HOST,))
        self.ca_key_pem = CA.key_pem

    def values(self):
        plain = [self.token, self.kubeconfig_token, self.pull_password, self.http_secret, self.access_key,
                 self.secret_key, self.role_access_key, self.role_secret_key, self.login_password]
        return plain, [self.route_pair.key_pem, self.ca_key_pem]


def _b64_forms(text):
    """Base64 renderings of ``text`` at each of the three alignments it can have inside a longer value."""
    raw = text.encode()
    forms = set()
    for pad in range(3):
        enc = base64.b64encode(b"\0" * pad + raw).decode()
        start = -(-(pad * 4) // 3) + (1 if pad else 0)
        body = enc[start:len(enc) - 4]
        if len(body) >= 12:
            forms.add(body)
    return forms


def needles(plain, pem_keys):
    """Strings whose presence anywhere means a leak."""
    out = {}
    for value in plain:
        out[value] = value
        for form in _b64_forms(value):
            out[form] = "base64 of " + value[:14]
            for form2 in _b64_forms(form):  # e.g. a password inside a dockerconfigjson inside Secret data
                out[form2] = "double base64 of " + value[:14]
    for pem in pem_keys:
        lines = [line for line in pem.splitlines() if line and "-----" not in line]
        for line in lines[1:-1][:4]:  # body lines of the key
            out[line] = "private key PEM line"
        for form in _b64_forms(pem):
            out[form] = "base64 of a private key PEM"
        out[json.dumps(pem)[1:60]] = "JSON-escaped private key"
    return out


def scan(label, text, found_needles):
    hits = sorted({what for needle, what in found_needles.items() if needle in text})
    assert not hits, "%s leaks: %s" % (label, hits)


def _all_needles(*sets, extra=()):
    out = {}
    for ss in sets:
        plain, pems = ss.values()
        out.update(needles(plain, pems))
    out.update(needles(list(extra), []))
    return out


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    yield from common.aws_sim_with_shop(tmp_path_factory, "secrets-sim")


def _auth(sim, ss):
    sim.auth.add_token(ADMIN, token=ss.token)
    return {"host": sim.url, "api_key": ss.token, "ca_cert": sim.ca_file}


def _inline_kubeconfig(sim, ss):
    sim.auth.add_token(ADMIN, token=ss.kubeconfig_token)
    with open(sim.ca_file, encoding="utf-8") as fh:
        ca_data = base64.b64encode(fh.read().encode()).decode()
    return {"apiVersion": "v1", "kind": "Config", "current-context": "sim",
            "clusters": [{"name": "sim", "cluster": {"server": sim.url, "certificate-authority-data": ca_data}}],
            "users": [{"name": "admin", "user": {"token": ss.kubeconfig_token}}],
            "contexts": [{"name": "sim", "context": {"cluster": "sim", "user": "admin", "namespace": "demo"}}]}


def module_tasks(sim, ss, work):
    """(module, params) for every module, each with the secret-bearing options it has."""
    os.makedirs(work, exist_ok=True)
    ca_cert_path, unused_key = CA.write(os.path.join(work, "ca"), "ca")
    pull = {"name": "pull-creds", "registry": "quay.io", "username": "robot", "password": ss.pull_password}
    return [
        ("imagestream", {"name": "app", "namespace": "demo", "pull_secret": pull,
                         "tags": [{"name": "v1", "from_image": "quay.io/example/app:v1", "reference": True}]}),
        ("imagestream_tag", {"namespace": "demo", "dest": ["app:v2"], "from_image": "quay.io/example/app:v2",
                             "reference": True, "pull_secret": pull}),
        ("imagestream_info", {"namespace": "demo", "kubeconfig": _inline_kubeconfig(sim, ss)}),
        ("image_trigger", {"kind": "Deployment", "name": "shop", "namespace": "demo",
                           "triggers": [{"container": "shop", "from_tag": "app:v1"}]}),
        ("image_registry_config", {"http_secret": ss.http_secret, "storage": {"s3": {
            "bucket": "secret-bucket", "region": "us-east-1", "access_key": ss.access_key,
            "secret_key": ss.secret_key}}}),
        ("image_pruner", {"keep_tag_revisions": 4}),
        ("image_registry_info", {"check": False}),
        ("registry_platform_info", {}),
        ("registry_route", {"mode": "custom", "name": "secret-route", "hostname": ROUTE_HOST,
                            "certificate": ss.route_pair.cert_pem, "key": ss.route_pair.key_pem,
                            "ca_certificate": CA.cert_pem}),
        ("registry_ca_trust", {"side": "cluster", "registry": "mirror.example.com", "ca": CA.cert_pem}),
        ("registry_access", {"role": "registry-viewer", "users": ["alice"]}),
        ("registry_storage_claim", {"name": "secret-claim", "size": "1Gi"}),
        ("registry_certificate", {"hostnames": ["registry.example.com"], "ca_cert_path": ca_cert_path,
                                  "ca_key": ss.ca_key_pem, "path": os.path.join(work, "reg.crt"),
                                  "key_path": os.path.join(work, "reg.key")}),
    ]


def _generated_key(work):
    path = os.path.join(work, "reg.key")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            return [fh.read()]
    return []


def test_module_results_in_process(sim, tmp_path, monkeypatch):
    """run_module at verbosity 3 with diff, two rounds with different secrets (so diffs show secrets
    changing), then a failing run that carries the secrets; results and the simulator log scanned. Every
    command the modules run is recorded: no secret on an argv."""
    argvs = []
    original_run_command = basic.AnsibleModule.run_command
    original_subprocess_run = subprocess.run

    def run_command(self, args, *a, **kw):
        argvs.append(list(args) if not isinstance(args, str) else [args])
        return original_run_command(self, args, *a, **kw)

    def subprocess_run(args, *a, **kw):
        argvs.append(list(args) if not isinstance(args, str) else [args])
        check = kw.pop("check", False)
        return original_subprocess_run(args, *a, check=check, **kw)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(subprocess, "run", subprocess_run)

    first, second = SecretSet("a"), SecretSet("b")
    results = []
    generated = []
    for ss in (first, second):
        work = str(tmp_path / ss.token[-6:])
        for module, params in module_tasks(sim, ss, work):
            if module != "registry_certificate" and "kubeconfig" not in params:
                params = dict(params, **_auth(sim, ss))
            for check in (True, False):
                result = common.run(sim, module, params, check=check, diff=True, verbosity=3)
                assert not result.get("failed"), "%s: %s" % (module, common.describe(result))
                results.append((module, result))
        generated += _generated_key(work)
        sim.wait_idle(30)
    # host side of registry_ca_trust: the refresh command is the user's argv, untouched
    root, cmd = common.host_root(tmp_path)
    host = common.run(None, "registry_ca_trust", {"side": "host", "registry": "hub.example.com", "ca": CA.cert_pem,
                                                  "root": str(root), "refresh_command": cmd})
    assert not host.get("failed"), common.describe(host)
    assert cmd in argvs
    # failures carry the secrets too: a rejected write must not echo them
    bad_params = dict(_auth(sim, first), http_secret=first.http_secret, replicas=-3,
                      storage={"s3": {"access_key": first.access_key}})
    bad = common.run(sim, "image_registry_config", bad_params, verbosity=3)
    assert bad.get("failed")
    results.append(("image_registry_config (failing)", bad))

    found = _all_needles(first, second, extra=generated)
    for module, result in results:
        scan("%s result" % module, json.dumps(result), found)
    scan("argv of commands run by modules", json.dumps(argvs), found)
    scan("GET /simulator/log", common.admin(sim).log(), found)
    with open(os.path.join(sim.state_dir, "simulator.log"), encoding="utf-8") as fh:
        scan("simulator.log", fh.read(), found)


def test_oauth_password_login_not_leaked(sim):
    """username/password (OAuth token login) at verbosity 3: neither the password nor the token it yields."""
    params = {"host": sim.url, "ca_cert": sim.ca_file, "username": "admin", "password": sim.admin_password,
              "namespace": "demo"}
    result = common.run(None, "imagestream_info", params, diff=True, verbosity=3)
    assert not result.get("failed"), common.describe(result)
    found = needles([sim.admin_password], [])
    scan("imagestream_info result", json.dumps(result), found)
    log = common.admin(sim).log()
    scan("simulator log", log, found)
    assert "access_token=sha256" not in log


# --------------------------------------------------------------------------------------------- playbooks
def _task(module, params, check=False):
    task = {"name": "%s %s" % (module, params.get("name") or params.get("mode") or ""), "ocp.registry." + module: params,
            "diff": True}
    if check:
        task["check_mode"] = True
    return task


def _playbook(tasks, roles_block=None):
    play = {"hosts": "localhost", "gather_facts": False, "tasks": tasks}
    plays = [play]
    if roles_block:
        plays.append(roles_block)
    return json.dumps(plays, indent=1)


def test_playbooks_at_vvv_with_diff(sim, tmp_path):
    """Real ansible-playbook (real no_log), -vvv --diff: all modules twice (secrets change between the runs),
    then every role (storage, secure and expose with their secret variables). Everything they print and return is scanned."""
    first, second = SecretSet("c"), SecretSet("d")
    outputs = []
    generated = []
    for ss in (first, second):
        work = str(tmp_path / ss.token[-6:])
        tasks = []
        for module, params in module_tasks(sim, ss, work):
            if module != "registry_certificate" and "kubeconfig" not in params:
                params = dict(params, **_auth(sim, ss))
            if ss is first:  # check mode once; the second run changes the secrets, so its diffs show them moving
                tasks.append(_task(module, params, check=True))
            tasks.append(_task(module, params))
        res = run_playbook(_playbook(tasks), env=common.PLAYBOOK_ENV, sim=sim, diff=True, verbosity=3, cwd=str(tmp_path))
        assert res.rc == 0, res.stdout[-4000:] + res.stderr[-2000:]
        assert any(t["changed"] for t in res.tasks)
        outputs.append(("modules run %s" % ss.token[-6:], res))
        generated += _generated_key(work)
        sim.wait_idle(30)

    cert_dir = tmp_path / "role-certs"
    roles = {"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "install role", "ansible.builtin.include_role": {"name": "ocp.registry.install"},
         "vars": {"install_wait": False}},
        {"name": "storage role with object storage credentials", "ansible.builtin.include_role": {
            "name": "ocp.registry.storage"}, "vars": {
                "storage_backend": "s3", "storage_s3": {"bucket": "role-bucket", "region": "us-east-1"},
                "storage_credentials": {"access_key": first.role_access_key, "secret_key": first.role_secret_key}}},
        {"name": "secure role generating a route certificate", "ansible.builtin.include_role": {
            "name": "ocp.registry.secure"}, "vars": {
                "secure_cert_dir": str(cert_dir),
                "secure_ca_cert_path": CA.write(str(tmp_path / "roleca"), "ca")[0],
                "secure_ca_key_path": str(tmp_path / "roleca" / "ca.key"),
                "secure_trust_route_hosts": False,
                "secure_route_certificates": [{"name": "secure-route", "hostnames": ["secure.apps.example.test"]}]}},
        {"name": "expose role with a login password", "ansible.builtin.include_role": {
            "name": "ocp.registry.expose"}, "vars": {
                "expose_default_route": True, "expose_wait": False,
                "expose_login_password": first.login_password}},
    ]}
    res = run_playbook(json.dumps([roles]), env=common.PLAYBOOK_ENV, sim=sim, diff=True, verbosity=3, cwd=str(tmp_path))
    assert res.rc == 0, res.stdout[-4000:] + res.stderr[-2000:]
    outputs.append(("roles", res))
    for base, unused_dirs, files in os.walk(cert_dir):
        for name in files:
            with open(os.path.join(base, name), encoding="utf-8") as fh:
                text = fh.read()
            if "PRIVATE KEY" in text:
                generated.append(text)
    assert generated, "no generated private key found to scan for"

    found = _all_needles(first, second, extra=generated)
    found.update(needles([sim.admin_token], []))
    for label, res in outputs:
        scan(label + " stdout", res.stdout, found)
        scan(label + " stderr", res.stderr, found)
        scan(label + " task results", json.dumps(res.tasks), found)
    scan("GET /simulator/log", common.admin(sim).log(), found)
    with open(os.path.join(sim.state_dir, "simulator.log"), encoding="utf-8") as fh:
        scan("simulator.log", fh.read(), found)


@pytest.mark.parametrize("offset", [0, 1, 2, 5])
def test_scanner_finds_planted_leaks(offset):
    """The scan itself works: a password inside a dockerconfigjson inside Secret data (double base64, at any
    alignment) and a private key PEM line are found."""
    password = _secret("planted")
    auth = base64.b64encode(("u" * offset + "robot:" + password).encode()).decode()
    dockerconfig = json.dumps({"auths": {"quay.io": {"auth": auth}}})
    secret_data = base64.b64encode(("x" * offset + dockerconfig).encode()).decode()
    found = needles([password], [CA.key_pem])
    with pytest.raises(AssertionError):
        scan("planted", json.dumps({"data": {".dockerconfigjson": secret_data}}), found)
    with pytest.raises(AssertionError):
        scan("planted", "key: " + CA.key_pem.splitlines()[3], found)
    scan("clean", json.dumps({"data": {".dockerconfigjson": "VALUE_REDACTED (abc)"}}), found)


def test_inline_kubeconfig_client_key_and_proxy_auth_not_leaked(sim):
    """An inline kubeconfig with client-key-data (and a proxy basic-auth header that is never used because the
    host is in no_proxy) at verbosity 3 with diff: neither the key nor the proxy password shows up."""
    cert_path, key_path = sim.issue_client_cert("admin", ("system:cluster-admins",), name="secrets-client")
    with open(cert_path, "rb") as fh:
        cert_b64 = base64.b64encode(fh.read()).decode()
    with open(key_path, "rb") as fh:
        key_pem = fh.read().decode()
    with open(sim.ca_file, "rb") as fh:
        ca_b64 = base64.b64encode(fh.read()).decode()
    proxy_password = _secret("proxy")
    kubeconfig = {"apiVersion": "v1", "kind": "Config", "current-context": "sim",
                  "clusters": [{"name": "sim", "cluster": {"server": sim.url, "certificate-authority-data": ca_b64}}],
                  "users": [{"name": "cert", "user": {"client-certificate-data": cert_b64,
                                                      "client-key-data": base64.b64encode(key_pem.encode()).decode()}}],
                  "contexts": [{"name": "sim", "context": {"cluster": "sim", "user": "cert", "namespace": "demo"}}]}
    params = {"kubeconfig": kubeconfig, "namespace": "demo", "no_proxy": "127.0.0.1",
              "proxy": "http://127.0.0.1:9", "proxy_headers": {"proxy_basic_auth": "user:" + proxy_password}}
    result = common.run(None, "imagestream_info", params, diff=True, verbosity=3)
    assert not result.get("failed"), common.describe(result)
    found = needles([proxy_password], [key_pem])
    scan("imagestream_info result", json.dumps(result), found)
