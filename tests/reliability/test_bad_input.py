"""Bad input: a corpus of invalid inputs across every module and role. Each gives a clear error naming the
option (or saying how to fix it), and nothing is written: the simulator counts zero mutating requests and
host-side modules leave no file behind."""
from __future__ import annotations

import fcntl
import json
import os
import re

import pytest

from ansible_collections.ocp.registry.tests.lib.playbook import PlaybookResult, run_playbook
from ansible_collections.ocp.registry.tests.reliability import common
from ansible_collections.ocp.registry.tests.reliability.common import CA, LEAF, OTHER_CA, ROUTE_HOST
from ansible_collections.ocp.registry.tests.simulator.server import SimulatorServer

MISSING = "/nonexistent/reliability/file.pem"
S3 = {"bucket": "b", "region": "us-east-1"}


def case(module, params, expect, note=""):
    """``expect``: a regex (case-insensitive) the failure message must match, normally the option's name."""
    return {"module": module, "params": params, "expect": expect, "note": note}


# Placeholders resolved per test: "@CA_CERT" / "@CA_KEY" / "@OTHER_KEY" (files), "@OUT" (output directory).
MODULE_CASES = [
    # imagestream
    case("imagestream", {"name": "Bad_Name", "namespace": "demo"}, "name"),
    case("imagestream", {"namespace": "demo"}, "name|streams", "neither name nor streams"),
    case("imagestream", {"name": "app", "namespace": "demo", "state": "gone"}, "state"),
    case("imagestream", {"name": "app", "namespace": "demo", "tags": "v1"}, "tags"),
    case("imagestream", {"name": "app", "namespace": "demo",
                         "tags": [{"name": "v1", "from_image": "quay.io/a/b:1", "reference_policy": "Sometimes"}]},
         "reference_policy"),
    case("imagestream", {"name": "app", "namespace": "demo",
                         "tags": [{"name": "v1", "from_image": "quay.io/a/b:1", "from_tag": "other:1"}]},
         "from_image|from_tag"),
    case("imagestream", {"name": "app", "namespace": "demo",
                         "tags": [{"name": "v1", "from_image": "quay.io/a/b", "from_digest": "sha256:xyz"}]},
         "from_digest|digest"),
    case("imagestream", {"name": "app", "namespace": "demo", "tags": [{"name": "bad:tag", "from_tag": "v1"}]},
         "name|tag"),
    case("imagestream", {"name": "app", "namespace": "demo",
                         "tags": [{"name": "v1", "from_image": "Quay.IO//UPPER case:1"}]}, "from_image|reference"),
    case("imagestream", {"name": "app", "namespace": "demo",
                         "import_repository": {"from_image": "quay.io/a/b", "limit": "many"}}, "limit"),
    case("imagestream", {"name": "app", "namespace": "demo", "pull_secret": {"registry": "quay.io"}},
         "name", "pull_secret without a name"),
    case("imagestream", {"name": "app", "namespace": "demo",
                         "tags": [{"name": "v1", "from_image": "quay.io/a/b:1"}],
                         "pull_secret": {"name": "creds", "registry": "quay.io", "username": "bob"}},
         "password", "missing credentials"),
    # imagestream_tag
    case("imagestream_tag", {"namespace": "demo", "from_image": "quay.io/a/b:1"}, "dest"),
    case("imagestream_tag", {"namespace": "demo", "dest": ["notag"], "from_image": "quay.io/a/b:1"}, "dest"),
    case("imagestream_tag", {"namespace": "demo", "dest": ["app:v1"], "from_image": "quay.io/a/b:1",
                             "from_tag": "x:1"}, "from_image|from_tag"),
    case("imagestream_tag", {"namespace": "demo", "dest": ["app:v1"], "from_image": "quay.io/a/b:1",
                             "import_mode": "Fast"}, "import_mode"),
    case("imagestream_tag", {"namespace": "demo", "dest": ["app:v1"], "from_image": "quay.io/a/b:1",
                             "alias": True}, "alias"),
    case("imagestream_tag", {"namespace": "demo", "dest": ["app:v1"], "rollback": "sha256:" + "0" * 64,
                             "from_image": "quay.io/a/b:1"}, "rollback"),
    case("imagestream_tag", {"namespace": "demo", "dest": ["app:v1"], "from_tag": "nosuchstream:v9",
                             "alias": True}, "nosuchstream|from_tag", "reference to a stream that does not exist"),
    # image_trigger
    case("image_trigger", {"kind": "Pod", "name": "shop", "namespace": "demo"}, "kind"),
    case("image_trigger", {"kind": "Deployment", "name": "shop", "namespace": "demo",
                           "triggers": [{"from_tag": "shop:v1"}]}, "container"),
    case("image_trigger", {"kind": "Deployment", "name": "shop", "namespace": "demo",
                           "triggers": [{"container": "shop", "from_tag": "no-tag-here"}]}, "from_tag"),
    case("image_trigger", {"kind": "Deployment", "name": "nosuch", "namespace": "demo",
                           "triggers": [{"container": "shop", "from_tag": "shop:v1"}]}, "nosuch",
         "workload that does not exist"),
    case("image_trigger", {"kind": "Deployment", "name": "shop", "namespace": "demo",
                           "triggers": [{"container": "sidecar", "from_tag": "shop:v1"}]}, "container|sidecar",
         "container that does not exist"),
    # image_registry_config
    case("image_registry_config", {"management_state": "Enabled"}, "management_state"),
    case("image_registry_config", {"replicas": "two"}, "replicas"),
    case("image_registry_config", {"replicas": -1}, "replicas"),
    case("image_registry_config", {"rollout_strategy": "BlueGreen"}, "rollout_strategy"),
    case("image_registry_config", {"log_level": "Verbose"}, "log_level"),
    case("image_registry_config", {"routes": [{"hostname": "r.example.com"}]}, "name"),
    case("image_registry_config", {"storage": {"s3": S3, "pvc": {"claim": "x"}}}, "s3|pvc|mutually exclusive",
         "conflicting storage backends"),
    case("image_registry_config", {"storage": {"empty_dir": {}}}, "acknowledge_non_production"),
    case("image_registry_config", {"storage": {"s3": dict(S3, access_key="AKIA1")}}, "secret_key",
         "half of the credentials"),
    case("image_registry_config", {"storage": {"pvc": {"claim": "Bad Claim"}}}, "claim"),
    case("image_registry_config", {"storage": {"pvc": {"claim": "no-such-claim"}}}, "claim|no-such-claim",
         "a claim that does not exist"),
    case("image_registry_config", {"tolerations": ["infra"]}, "tolerations"),
    case("image_registry_config", {"storage": {"s3": dict(S3, trusted_ca="no-such-configmap")}},
         "trusted_ca|no-such-configmap", "a config map that does not exist"),
    # image_pruner
    case("image_pruner", {"schedule": "every day"}, "schedule"),
    case("image_pruner", {"keep_tag_revisions": -1}, "keep_tag_revisions"),
    case("image_pruner", {"keep_younger_than_duration": "1 week"}, "keep_younger_than_duration"),
    case("image_pruner", {"log_level": "Loud"}, "log_level"),
    case("image_pruner", {"suspend": "sometimes"}, "suspend"),
    # registry_route
    case("registry_route", {"mode": "public"}, "mode"),
    case("registry_route", {"mode": "custom", "name": "pub"}, "hostname"),
    case("registry_route", {"mode": "custom", "name": "default-route", "hostname": ROUTE_HOST}, "name|default-route"),
    case("registry_route", {"mode": "custom", "name": "pub", "hostname": ROUTE_HOST, "certificate": "hello",
                            "key": LEAF.key_pem}, "certificate", "bad PEM"),
    case("registry_route", {"mode": "custom", "name": "pub", "hostname": "other.example.org",
                            "certificate": LEAF.cert_pem, "key": LEAF.key_pem}, "hostname|subjectAltName|SAN",
         "wrong SANs"),
    case("registry_route", {"mode": "custom", "name": "pub", "hostname": ROUTE_HOST, "certificate": LEAF.cert_pem,
                            "key": OTHER_CA.key_pem}, "key", "key of another certificate"),
    case("registry_route", {"mode": "custom", "name": "pub", "hostname": ROUTE_HOST, "certificate_path": MISSING,
                            "key": LEAF.key_pem}, "certificate_path"),
    case("registry_route", {"mode": "route", "name": "mirror", "service": "svc"}, "namespace"),
    case("registry_route", {"mode": "route", "name": "mirror", "namespace": "demo", "service": "svc",
                            "termination": "none"}, "termination"),
    # registry_ca_trust
    case("registry_ca_trust", {"side": "both", "registry": "r.example.com", "ca": CA.cert_pem}, "side"),
    case("registry_ca_trust", {"side": "cluster", "registry": "r.example.com", "ca": "not a pem"}, r"\bca\b"),
    case("registry_ca_trust", {"side": "cluster", "registry": "r.example.com", "ca_path": MISSING}, "ca_path"),
    case("registry_ca_trust", {"side": "cluster", "registry": "r.example.com", "ca": CA.cert_pem,
                               "ca_path": MISSING}, "ca|ca_path"),
    case("registry_ca_trust", {"side": "cluster", "registry": "https://r.example.com/path", "ca": CA.cert_pem},
         "registry"),
    case("registry_ca_trust", {"side": "cluster", "registry": "r.example.com"}, r"\bca\b|ca_path", "no CA given"),
    case("registry_ca_trust", {"side": "cluster", "registry": "r.example.com", "ca": CA.cert_pem,
                               "config_map": "Bad_CM"}, "config_map"),
    case("registry_ca_trust", {"side": "cluster", "registry": "r.example.com", "ca": LEAF.key_pem}, r"\bca\b",
         "a private key given as the CA"),
    # registry_access
    case("registry_access", {"role": "registry-viewer", "role_kind": "Group", "users": ["a"]}, "role_kind"),
    case("registry_access", {"role": "edit", "role_kind": "Role", "users": ["a"]}, "namespace"),
    case("registry_access", {"role": "registry-viewer", "service_accounts": ["a/b/c"]}, "service_accounts"),
    case("registry_access", {"role": "registry-viewer", "users": ["alice"], "state": "maybe"}, "state"),
    case("registry_access", {"role": "bad/role", "users": ["alice"]}, "role"),
    # registry_storage_claim
    case("registry_storage_claim", {"size": "lots"}, "size"),
    case("registry_storage_claim", {"access_mode": "ReadOnlyMany"}, "access_mode"),
    case("registry_storage_claim", {"name": "Bad_Name"}, "name"),
    case("registry_storage_claim", {"volume_mode": "Raw"}, "volume_mode"),
    case("registry_storage_claim", {"labels": {"bad key!": "x"}}, "labels"),
    # info modules
    case("imagestream_info", {"namespace": "demo", "label_selectors": ["a=b=c"]}, "label_selectors"),
    case("imagestream_info", {"namespace": "demo", "sizes": "maybe"}, "sizes"),
    case("image_registry_info", {"check_timeout": "soon"}, "check_timeout"),
    case("image_registry_info", {"check": True, "check_hosts": ["registry.example.com"], "check_ca_path": MISSING},
         "check_ca_path"),
    case("registry_platform_info", {"platform": "aws"}, "platform", "an option the module does not have"),
    # connection settings (every API module shares them)
    case("imagestream_info", {"namespace": "demo", "kubeconfig": MISSING}, "kubeconfig"),
    case("imagestream_info", {"namespace": "demo", "context": "no-such-context"}, "context|no-such-context"),
    case("imagestream_info", {"namespace": "demo", "@HOST": True, "username": "bob"}, "password",
         "username without password"),
    case("image_registry_info", {"@HOST": True}, "api_key|credential|token|Unauthorized|401",
         "host without any credentials"),
    case("image_registry_info", {"@KUBECONFIG": True, "validate_certs": "perhaps"}, "validate_certs"),
]

HOST_CASES = [
    # registry_certificate (files: nothing may be written)
    case("registry_certificate", {"hostnames": [], "ca_cert_path": "@CA_CERT", "ca_key_path": "@CA_KEY"},
         "hostnames"),
    case("registry_certificate", {"hostnames": ["bad host!"], "ca_cert_path": "@CA_CERT",
                                  "ca_key_path": "@CA_KEY"}, "hostnames|bad host"),
    case("registry_certificate", {"hostnames": ["r.example.com"], "ca_cert_path": MISSING,
                                  "ca_key_path": "@CA_KEY"}, "ca_cert_path"),
    case("registry_certificate", {"hostnames": ["r.example.com"], "ca_cert_path": "@CA_CERT",
                                  "ca_key": "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n"},
         "ca_key", "bad PEM"),
    case("registry_certificate", {"hostnames": ["r.example.com"], "ca_cert_path": "@CA_CERT",
                                  "ca_key_path": "@OTHER_KEY"}, "ca_key", "key of another CA"),
    case("registry_certificate", {"hostnames": ["r.example.com"], "ca_cert_path": "@CA_CERT",
                                  "ca_key_path": "@CA_KEY", "key_type": "dsa"}, "key_type"),
    case("registry_certificate", {"hostnames": ["r.example.com"], "ca_cert_path": "@CA_CERT",
                                  "ca_key_path": "@CA_KEY", "validity_days": "long"}, "validity_days"),
    case("registry_certificate", {"hostnames": ["r.example.com"], "ca_cert_path": "@CA_CERT",
                                  "ca_key_path": "@CA_KEY", "key_size": 123}, "key_size"),
    case("registry_certificate", {"hostnames": ["r.example.com"], "ca_cert_path": "@CA_CERT",
                                  "ca_key_path": "@CA_KEY", "@PATH": "@OUT/missing-dir/registry.crt"}, "path"),
    case("registry_certificate", {"hostnames": ["r.example.com"], "ca_cert_path": "@CA_CERT",
                                  "ca_key_path": "@CA_KEY", "validity_days": 10, "renew_before_days": 30},
         "renew_before_days|validity_days"),
    # registry_ca_trust, host side
    case("registry_ca_trust", {"side": "host", "registry": "r.example.com", "ca": CA.cert_pem,
                               "trust_stores": ["windows"]}, "trust_stores"),
    case("registry_ca_trust", {"side": "host", "registry": "r.example.com", "ca": "garbage"}, r"\bca\b"),
    case("registry_ca_trust", {"side": "host", "registry": "r.example.com", "ca": CA.cert_pem,
                               "os_family": "Windows"}, "os_family"),
    case("registry_ca_trust", {"side": "host", "registry": "../../etc/passwd", "ca": CA.cert_pem}, "registry",
         "a registry name that escapes the trust directory"),
    case("registry_ca_trust", {"side": "host", "registry": "r.example.com", "ca": CA.cert_pem,
                               "anchor_name": "../escape"}, "anchor_name"),
]


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    server = SimulatorServer(str(tmp_path_factory.mktemp("bad-input-sim")), platform="aws")
    server.start()
    try:
        server.wait_idle(30)
        common.deployment(server, "demo", "shop", container="shop")
        common.run(server, "imagestream", {"name": "app", "namespace": "demo",
                                           "tags": [{"name": "v1", "from_image": "quay.io/a/b:1", "reference": True}]})
        server.wait_idle(30)
        yield server
    finally:
        server.stop()


def _check_failure(result, expect):
    common.no_traceback(result)
    assert result.get("failed") is True, "accepted bad input: %s" % common.describe(result)
    msg = str(result.get("msg") or "")
    assert msg.strip(), "empty failure message"
    assert re.search(expect, msg, re.I), "message does not name the option (%s): %s" % (expect, msg)


def _ids(cases):
    """Readable test ids: module, index, and the option the message must name."""
    return ["%s-%d-%s" % (c["module"], i, re.sub(r"[^a-z0-9_]+", "", c["expect"].split("|")[0].lower()) or "msg")
            for i, c in enumerate(cases)]


@pytest.mark.parametrize("item", MODULE_CASES, ids=_ids(MODULE_CASES))
def test_module_bad_input(sim, item):
    admin = common.admin(sim)
    sim.wait_idle(30)
    admin.reset()
    params = dict(item["params"])
    if params.pop("@HOST", None):
        params.update(host=sim.url, ca_cert=sim.ca_file)
    if params.pop("@KUBECONFIG", None):
        params["kubeconfig"] = sim.kubeconfig
    result = common.run(sim, item["module"], params)
    _check_failure(result, item["expect"])
    assert admin.mutating() == 0, "bad input wrote to the cluster: %s" % admin.counters()["requests"]


@pytest.mark.parametrize("item", HOST_CASES, ids=_ids(HOST_CASES))
def test_host_module_bad_input(tmp_path, item):
    ca_cert, ca_key = CA.write(str(tmp_path / "ca"), "ca")
    unused_cert, other_key = OTHER_CA.write(str(tmp_path / "other"), "other")
    out = tmp_path / "out"
    out.mkdir()
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text('ID="rhel"\n')
    subst = {"@CA_CERT": ca_cert, "@CA_KEY": ca_key, "@OTHER_KEY": other_key}
    params = {}
    for key, value in item["params"].items():
        if isinstance(value, str):
            value = subst.get(value, value).replace("@OUT", str(out))
        params[key] = value
    if item["module"] == "registry_certificate":
        params["path"] = params.pop("@PATH", str(out / "registry.crt"))
        params["key_path"] = str(out / "registry.key")
    else:
        marker = tmp_path / "refreshed"
        params.update(root=str(root), refresh_command=["touch", str(marker)])
    before = common.tree(tmp_path)
    result = common.run(None, item["module"], params)
    _check_failure(result, item["expect"])
    assert common.tree(tmp_path) == before, "bad input wrote files"
    assert not os.path.exists(tmp_path / "refreshed")


# --------------------------------------------------------------------------------------------- roles
ROLE_CASES = [
    ("install", {"install_storage_backend": "nfs"}, "install_storage_backend"),
    ("install", {"install_management_state": "On"}, "install_management_state"),
    ("install", {"install_replicas": "three"}, "install_replicas"),
    ("install", {"install_pruner_keep_tag_revisions": -2}, "install_pruner_keep_tag_revisions"),
    ("install", {"install_storage_backend": "empty_dir", "install_replicas": 3},
     "empty_dir|replica|acknowledge"),
    ("storage", {"storage_backend": "nfs"}, "storage_backend"),
    ("storage", {"storage_backend": "s3", "storage_s3": {"bucket": "b", "region": "r"},
                 "storage_credentials": {"account_key": "x"}}, "storage_credentials"),
    ("storage", {"storage_backend": "s3",
                 "storage_s3": {"bucket": "b", "region": "r", "secret_key": "x"}},
     "storage_credentials|secret_key"),
    ("storage", {"storage_backend": "empty_dir"}, "storage_empty_dir_acknowledge_non_production"),
    ("storage", {"storage_backend": "pvc", "storage_pvc_size": "lots"}, "storage_pvc_size"),
    ("storage", {"storage_backend": "block", "storage_replicas": 2}, "replica"),
    ("storage", {"storage_backend": "pvc", "storage_pvc_claim": "Bad_Claim"},
     "storage_pvc_claim"),
    ("secure", {"secure_route_certificates": [{"name": "pub", "hostnames": ["r.example.com"]}],
                "secure_ca_cert_path": MISSING, "secure_ca_key_path": MISSING},
     "does not exist|secure_ca_cert_path"),
    ("secure", {"secure_route_certificates": [{"name": "pub", "hostnames": ["r.example.com"]}]},
     "secure_ca_cert_path"),
    ("secure", {"secure_access": [{"role": "registry-viewer"}]}, "secure_access"),
    ("secure", {"secure_cluster_trust": [{"registry": "r.example.com"}]}, "secure_cluster_trust"),
    ("secure", {"secure_metrics_enabled": True}, "secure_metrics"),
    ("expose", {"expose_login_tool": "docker"}, "expose_login_tool"),
    ("expose", {"expose_trust_stores": ["windows"]}, "expose_trust_stores"),
    ("expose", {"expose_routes": "public"}, "expose_routes"),
    ("expose", {"expose_trust_group": "registry_hosts", "expose_trust_registries": ["r.example.com"],
                "expose_trust_ca_path": MISSING}, "expose_trust_ca_path"),
    ("expose", {"expose_trust_group": "registry_hosts", "expose_trust_registries": ["r.example.com"]},
     "expose_trust_ca"),
    ("expose", {"expose_login_check": True, "expose_login_registry": "r.example.com"},
     "expose_login_password|password"),
]

ROLE_PLAYBOOK_HEAD = """
- hosts: localhost
  gather_facts: false
  tasks:
"""
ROLE_CASE_TASKS = """
    - name: "case {n}"
      ansible.builtin.debug: {{msg: "case {n}"}}
    - name: "block {n}"
      block:
        - name: "role {n}"
          ansible.builtin.include_role:
            name: ocp.registry.{role}
          vars: {vars}
      rescue:
        - name: "rescued {n}"
          ansible.builtin.debug: {{msg: "rescued {n}"}}
    - name: "counters {n}"
      ansible.builtin.uri:
        url: "{{{{ sim_url }}}}/simulator/counters"
        headers: {{Authorization: "Bearer {{{{ sim_token }}}}"}}
        ca_path: "{{{{ sim_ca }}}}"
        return_content: true
"""


def _run_role_cases(tmp_dir):
    """All role cases in one ansible-playbook run: each include_role in a block whose rescue catches its failure,
    followed by a read of the simulator's counters (so each case's writes can be told apart)."""
    server = SimulatorServer(os.path.join(tmp_dir, "sim"), platform="aws")
    server.start()
    try:
        server.wait_idle(30)
        common.admin(server).reset()
        text = ROLE_PLAYBOOK_HEAD + "".join(
            ROLE_CASE_TASKS.format(n=n, role=role, vars=json.dumps(extra)) for n, (role, extra, unused) in
            enumerate(ROLE_CASES))
        os.makedirs(os.path.join(tmp_dir, "cwd"), exist_ok=True)
        res = run_playbook(text, env=common.PLAYBOOK_ENV, sim=server, cwd=os.path.join(tmp_dir, "cwd"),
                           extra_vars={"sim_url": server.url, "sim_token": server.admin_token,
                                       "sim_ca": server.ca_file})
    finally:
        server.stop()
    return {"rc": res.rc, "stdout": res.stdout[-5000:], "stderr": res.stderr[-3000:], "tasks": res.tasks}


@pytest.fixture(scope="module")
def role_runs(tmp_path_factory, worker_id):
    """The role playbook runs once per test session, also under pytest-xdist (workers share the result file)."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent
    result_file = shared / "reliability-bad-input-roles.json"
    with open(shared / "reliability-bad-input-roles.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if result_file.exists():
                data = json.loads(result_file.read_text())
            else:
                data = _run_role_cases(str(tmp_path_factory.mktemp("bad-input-roles")))
                result_file.write_text(json.dumps(data))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    res = PlaybookResult(data["rc"], data["stdout"], data["stderr"], data["tasks"])
    per_case: dict = {}
    current = None
    for task in res.tasks:
        m = re.match(r"case (\d+)$", task["task"])
        if m:
            current = int(m.group(1))
            per_case[current] = []
        elif current is not None:
            per_case[current].append(task)
    return res, per_case


@pytest.mark.slow
@pytest.mark.parametrize("n", range(len(ROLE_CASES)), ids=["%s-%d" % (c[0], i) for i, c in enumerate(ROLE_CASES)])
def test_role_bad_input(role_runs, n):
    res, per_case = role_runs
    role, unused_vars, expect = ROLE_CASES[n]
    assert res.rc == 0, res.stdout[-3000:]
    tasks = per_case.get(n, [])
    failed = [t for t in tasks if t["failed"]]
    rescued = [t for t in tasks if t["task"] == "rescued %d" % n]
    assert failed and rescued, "the %s role accepted bad input; tasks run: %s" % (role, [t["task"] for t in tasks])
    result = failed[0]["result"]
    # a failed loop item carries its own message (shown per item in the output)
    msg = " ".join([str(result.get("msg") or ""), json.dumps(result.get("argument_errors") or "")] +
                   [str(item.get("msg") or "") for item in result.get("results") or [] if item.get("failed")])
    assert re.search(expect, msg, re.I), "message does not name the variable (%s): %s" % (expect, msg[:1500])
    assert "Traceback" not in json.dumps(result)
    writes = [t["task"] for t in tasks if t["changed"]]
    assert not writes, "tasks changed something before the failure: %s" % writes
    # mutating requests counted between the previous case's counters task and this one's
    before = _mutating(res, n - 1) if n else 0
    assert _mutating(res, n) - before == 0, "the role wrote to the cluster before failing"


def _mutating(res, n):
    return res.task("counters %d" % n)["result"]["json"]["mutating"]
