"""TLS: no code path disables certificate verification unless the user asks for it, a wrong CA fails with a
clear certificate-verification message for every API module, and the registry check never falls back to no
verification."""
from __future__ import annotations

import base64
import importlib
import os
import re

import pytest
import yaml

from ansible.module_utils import basic
from ansible_collections.ocp.registry.tests.lib.playbook import REPO_ROOT
from ansible_collections.ocp.registry.tests.reliability import common
from ansible_collections.ocp.registry.tests.reliability.common import API_MODULES, MODULES, OTHER_CA

# Minimal valid parameters per API module (read-only or check mode is enough: the TLS handshake comes first).
PARAMS = {
    "image_pruner": {"keep_tag_revisions": 3},
    "image_registry_config": {"replicas": 2},
    "image_registry_info": {},
    "image_trigger": {"kind": "Deployment", "name": "shop", "namespace": "demo",
                      "triggers": [{"container": "shop", "from_tag": "app:v1"}]},
    "imagestream": {"name": "app", "namespace": "demo"},
    "imagestream_info": {"namespace": "demo"},
    "imagestream_tag": {"namespace": "demo", "dest": ["app:v1"], "from_image": "quay.io/a/b:1", "reference": True},
    "registry_access": {"role": "registry-viewer", "users": ["alice"]},
    "registry_ca_trust": {"side": "cluster", "registry": "mirror.example.com", "ca": common.CA.cert_pem},
    "registry_platform_info": {},
    "registry_route": {"mode": "default"},
    "registry_storage_claim": {"size": "1Gi"},
}
VERIFY_FAILED = re.compile(r"certificate verify failed")

# Places in plugins/ allowed to turn verification off, each only on a path the user asked for.
ALLOWED_INSECURE = {
    ("plugins/module_utils/api.py", "ctx.check_hostname = False"):
        "build_ssl_context: only when config.verify is false (validate_certs: false or the kubeconfig's "
        "insecure-skip-tls-verify)",
    ("plugins/module_utils/api.py", "ctx.verify_mode = ssl.CERT_NONE"): "same branch as above",
    ("plugins/module_utils/registry_info.py", "ctx.check_hostname = False"):
        "_ssl_context: only when check_validate_certs: false",
    ("plugins/module_utils/registry_info.py", "ctx.verify_mode = ssl.CERT_NONE"): "same branch as above",
    ("plugins/module_utils/kubeconfig.py", 'if cluster.get("insecure-skip-tls-verify"):'):
        "reads the user's kubeconfig setting",
    ("plugins/module_utils/kubeconfig.py", "cfg.verify = False"):
        "the kubeconfig's insecure-skip-tls-verify (the line above)",
    ("plugins/module_utils/kubeconfig_plugins.py", 'cluster = {"server": cfg.host, "insecure-skip-tls-verify": not cfg.verify}'):
        "passes the resolved setting on to an exec credential plugin (KUBERNETES_EXEC_INFO)",
    ("plugins/module_utils/kubeconfig_plugins.py", "cfg.verify = bool(conf.verify_ssl)"):
        "legacy auth-provider kubeconfigs loaded through the kubernetes package keep their own setting",
    ("plugins/module_utils/kubeconfig.py", 'cfg.verify = bool(p["validate_certs"])'):
        "the validate_certs option itself",
    ("plugins/module_utils/api.py", '"validate_certs: false only for throw-away test clusters."'):
        "text of the certificate-verification error message (advice, not code)",
}
INSECURE_PATTERNS = [
    r"verify\s*=\s*False", r"CERT_NONE", r"check_hostname\s*=\s*False", r"_create_unverified_context",
    r"insecure-skip-tls-verify", r"\.verify\s*=\s*(False|not\b|bool\()", r"validate_certs[\"']?\s*[:=]\s*(false|no|False)",
    r"--tls-verify[= ]false", r"InsecureSkipVerify", r"disable_warnings",
]


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    yield from common.aws_sim_with_shop(tmp_path_factory, "tls-sim")


@pytest.fixture(scope="module")
def wrong_ca(tmp_path_factory):
    path, unused_key = OTHER_CA.write(str(tmp_path_factory.mktemp("wrong-ca")), "wrong")
    return path


def _wrong_ca_kubeconfig(sim, tmp_path):
    with open(sim.kubeconfig, encoding="utf-8") as fh:
        kc = yaml.safe_load(fh)
    for cluster in kc["clusters"]:
        cluster["cluster"].pop("certificate-authority", None)
        cluster["cluster"]["certificate-authority-data"] = base64.b64encode(OTHER_CA.cert_pem.encode()).decode()
    path = tmp_path / "wrong-ca.kubeconfig"
    path.write_text(yaml.safe_dump(kc))
    return str(path)


def _assert_verify_failure(result, admin, module):
    common.no_traceback(result)
    assert result.get("failed") is True, "%s connected through a wrong CA: %s" % (module, common.describe(result))
    assert VERIFY_FAILED.search(result["msg"]), "%s: unclear TLS failure: %s" % (module, result["msg"])
    assert admin.mutating() == 0


@pytest.mark.parametrize("module", API_MODULES)
def test_wrong_ca_option_fails_clearly(sim, wrong_ca, module):
    admin = common.admin(sim)
    admin.reset()
    params = dict(PARAMS[module], host=sim.url, api_key=sim.admin_token, ca_cert=wrong_ca)
    _assert_verify_failure(common.run(sim, module, params), admin, module)


@pytest.mark.parametrize("module", API_MODULES)
def test_wrong_ca_in_kubeconfig_fails_clearly(sim, tmp_path, module):
    admin = common.admin(sim)
    admin.reset()
    params = dict(PARAMS[module], kubeconfig=_wrong_ca_kubeconfig(sim, tmp_path))
    _assert_verify_failure(common.run(sim, module, params), admin, module)


@pytest.mark.parametrize("module", API_MODULES)
def test_no_ca_means_system_trust_not_no_verification(sim, module, monkeypatch):
    """host + api_key without ca_cert: the system trust store is used (which does not know the simulator's CA),
    never an unverified connection."""
    monkeypatch.setenv("SSL_CERT_FILE", OTHER_CA.write(os.path.join(os.path.dirname(sim.ca_file), "sys"), "sys")[0])
    monkeypatch.setenv("SSL_CERT_DIR", "/nonexistent")
    admin = common.admin(sim)
    admin.reset()
    params = dict(PARAMS[module], host=sim.url, api_key=sim.admin_token)
    _assert_verify_failure(common.run(sim, module, params), admin, module)


def test_validate_certs_false_is_the_users_choice(sim, wrong_ca):
    """The one way to skip verification is asking for it."""
    params = dict(PARAMS["imagestream_info"], host=sim.url, api_key=sim.admin_token, ca_cert=wrong_ca,
                  validate_certs=False)
    result = common.run(sim, "imagestream_info", params)
    assert not result.get("failed"), common.describe(result)


class _Captured(Exception):
    pass


def _argument_spec(module):
    captured = {}
    original = basic.AnsibleModule.__init__

    def init(self, argument_spec=None, **kwargs):
        captured.update(argument_spec or {})
        raise _Captured()

    basic.AnsibleModule.__init__ = init
    try:
        mod = importlib.import_module("ansible_collections.ocp.registry.plugins.modules." + module)
        with pytest.raises(_Captured):
            mod.main()
    finally:
        basic.AnsibleModule.__init__ = original
    return captured


def _walk_spec(spec, prefix=""):
    for name, opt in spec.items():
        yield prefix + name, opt
        for sub in ("options", "suboptions"):
            if isinstance(opt.get(sub), dict):
                yield from _walk_spec(opt[sub], prefix + name + ".")


@pytest.mark.parametrize("module", MODULES)
def test_argspec_verifies_by_default(module):
    """validate_certs unset (= verify, unless the kubeconfig itself says otherwise) in every API module; every
    option that can weaken TLS defaults to the safe value."""
    spec = _argument_spec(module)
    if module in API_MODULES:
        assert "validate_certs" in spec, "%s has no validate_certs option" % module
        assert spec["validate_certs"].get("default") in (None, True)
    for name, opt in _walk_spec(spec):
        leaf = name.rsplit(".", 1)[-1]
        if re.search(r"validate|verify", leaf):
            assert opt.get("default") in (None, True), "%s: %s defaults to %r" % (module, name, opt.get("default"))
        if re.search(r"insecure|skip_tls|no_verify", leaf):
            assert opt.get("default") in (None, False), "%s: %s defaults to %r" % (module, name, opt.get("default"))


def _source_files():
    for top in ("plugins", "roles", "playbooks"):
        for base, unused_dirs, files in os.walk(os.path.join(REPO_ROOT, top)):
            if "__pycache__" in base:
                continue
            for name in files:
                if name.endswith((".py", ".yml", ".yaml", ".j2")):
                    yield os.path.join(base, name)


def test_static_scan_no_unasked_insecure_tls():
    """Every line in plugins/, roles/ and playbooks/ that weakens TLS is in ALLOWED_INSECURE with a reason;
    a new one fails this test until it is reviewed and listed."""
    found = []
    for path in _source_files():
        rel = os.path.relpath(path, REPO_ROOT)
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                code = line.split("#", 1)[0] if path.endswith(".py") else line
                stripped = code.strip()
                if not stripped or stripped.startswith(("-", '"', "'")) and "description" in stripped:
                    continue
                if any(re.search(p, code) for p in INSECURE_PATTERNS):
                    found.append((rel, stripped, number))
    unexpected = [(rel, text, number) for rel, text, number in found if (rel, text) not in ALLOWED_INSECURE]
    # Documentation text is not code: module DOCUMENTATION mentions the options by name.
    unexpected = [u for u in unexpected if not _is_doc_line(u[0], u[2])]
    assert not unexpected, "unreviewed TLS-weakening code:\n" + "\n".join("%s:%d: %s" % (r, n, t) for r, t, n in unexpected)
    stale = set(ALLOWED_INSECURE) - {(rel, text) for rel, text, unused in found}
    assert not stale, "ALLOWED_INSECURE lists lines that no longer exist: %s" % sorted(stale)


def _is_doc_line(rel, number):
    """True when line ``number`` of a module file is inside its DOCUMENTATION/EXAMPLES/RETURN string."""
    if not rel.startswith("plugins/modules/") and not rel.startswith("plugins/doc_fragments/"):
        return False
    with open(os.path.join(REPO_ROOT, rel), encoding="utf-8") as fh:
        lines = fh.readlines()
    inside = False
    for index, line in enumerate(lines, 1):
        if re.match(r'^\s*(DOCUMENTATION|EXAMPLES|RETURN)\s*=\s*r?"""', line) or re.match(r'^\s*[A-Z_]+\s*=\s*r"""', line):
            inside = True
        elif inside and line.strip().endswith('"""'):
            if index == number:
                return True
            inside = False
        if index == number:
            return inside
    return False


# ------------------------------------------------------------------------------- registry check (probe)
def test_registry_check_wrong_ca_reports_unverified(sim, wrong_ca):
    """image_registry_info check: true against a TLS endpoint signed by a CA the check does not trust reports a
    verification failure; it never falls back to an unverified connection."""
    host = "127.0.0.1:%d" % sim.port  # any TLS server will do: the handshake is what is checked
    base = {"check": True, "check_hosts": [host], "check_timeout": 5}
    wrong = common.run(sim, "image_registry_info", dict(base, check_ca_path=wrong_ca))
    assert not wrong.get("failed"), common.describe(wrong)
    probe = wrong["check"][0]
    assert probe["reached"] is False and probe["status"] is None, probe
    assert "certificate verif" in probe["error"], probe

    system = common.run(sim, "image_registry_info", base)  # system trust store: does not know the sim CA
    assert system["check"][0]["reached"] is False and "certificate verif" in system["check"][0]["error"]

    right = common.run(sim, "image_registry_info", dict(base, check_ca_path=sim.ca_file))
    assert right["check"][0]["reached"] is True and right["check"][0]["error"] is None, right["check"]

    asked = common.run(sim, "image_registry_info", dict(base, check_validate_certs=False))
    assert asked["check"][0]["reached"] is True  # only when the user turns verification off


@pytest.mark.parametrize("line", [
    "ctx = ssl._create_unverified_context()", "requests.get(url, verify=False)", "ctx.verify_mode = ssl.CERT_NONE",
    "ctx.check_hostname = False", "cfg.verify = False", "  validate_certs: false", "urllib3.disable_warnings()",
    "argv: [skopeo, copy, --tls-verify=false]", '"insecure-skip-tls-verify": True'])
def test_static_scan_patterns_catch_known_forms(line):
    assert any(re.search(p, line) for p in INSECURE_PATTERNS)


@pytest.mark.parametrize("line", ["cfg.verify = True", "ctx.check_hostname = True", "validate_certs: true"])
def test_static_scan_patterns_pass_safe_forms(line):
    assert not any(re.search(p, line) for p in INSECURE_PATTERNS)
