"""The connection options through real ansible-playbook runs (-vvvv): every way to authenticate works, and
no token, password or key shows up anywhere in the output."""
from __future__ import annotations

import base64
import os
import sys

import pytest
import yaml

from ansible_collections.ocp.registry.tests.lib.playbook import run_playbook

# ansible-test units runs without an ansible-playbook next to its interpreter: these need the real one.
pytestmark = pytest.mark.skipif(
    not os.path.exists(os.path.join(os.path.dirname(sys.executable), "ansible-playbook")),
    reason="needs ansible-playbook next to the Python running the tests")

TASK = "ocp.registry.registry_platform_info"


def playbook(module_args: str) -> str:
    return """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: probe
      %s:
%s
""" % (TASK, "\n".join("        " + line for line in module_args.strip().splitlines()))


def assert_clean(result, *secrets):
    text = result.stdout + result.stderr
    for secret in secrets:
        assert secret not in text, "secret leaked into the output"


def test_inline_kubeconfig_dict(simulator, tmp_path):
    kc = yaml.safe_load(open(simulator.kubeconfig, encoding="utf-8"))
    result = run_playbook(playbook("kubeconfig: \"{{ kc }}\""), extra_vars={"kc": kc}, verbosity=4,
                          env={"K8S_AUTH_KUBECONFIG": ""})
    probe = result.task("probe")
    assert not probe["failed"], probe
    assert probe["result"]["platform"] == "BareMetal"
    assert_clean(result, simulator.admin_token, simulator.developer_token)
    # ordinary kubeconfig strings are not masked (the option is not no_log as a whole)
    assert "current-context" in result.stdout


def test_env_kubeconfig_and_context(simulator):
    result = run_playbook(playbook("context: restricted"), sim=simulator, verbosity=4)
    probe = result.task("probe")
    assert probe["failed"] and 'User "developer" cannot get resource "infrastructures"' in probe["result"]["msg"]
    assert probe["result"]["status"] == 403
    # an expected error carries no traceback (ansible-core 2.19 itself adds "(traceback unavailable)")
    assert "Traceback" not in str(probe["result"].get("exception", ""))
    assert_clean(result, simulator.admin_token, simulator.developer_token)


def test_host_api_key_from_env(simulator):
    env = {"K8S_AUTH_HOST": simulator.url, "K8S_AUTH_API_KEY": simulator.admin_token,
           "K8S_AUTH_SSL_CA_CERT": simulator.ca_file, "K8S_AUTH_KUBECONFIG": "/nonexistent"}
    result = run_playbook(playbook("{}"), env=env, verbosity=4)
    assert not result.task("probe")["failed"], result.task("probe")
    assert_clean(result, simulator.admin_token)


def test_username_password_login(simulator):
    args = "host: %s\nca_cert: %s\nusername: admin\npassword: \"{{ pw }}\"" % (simulator.url, simulator.ca_file)
    result = run_playbook(playbook(args), extra_vars={"pw": simulator.admin_password}, verbosity=4,
                          env={"K8S_AUTH_KUBECONFIG": "/nonexistent"})
    assert not result.task("probe")["failed"], result.task("probe")
    assert_clean(result, simulator.admin_password,
                 base64.b64encode(("admin:%s" % simulator.admin_password).encode()).decode())


def test_client_certificate_and_wrong_ca(simulator, tmp_path):
    from ansible_collections.ocp.registry.tests.lib.certs import make_ca

    cert, key = simulator.issue_client_cert("system:admin", groups=("system:masters",))
    key_text = open(key, encoding="utf-8").read()
    args = "host: %s\nca_cert: %s\nclient_cert: %s\nclient_key: %s" % (simulator.url, simulator.ca_file, cert, key)
    result = run_playbook(playbook(args), verbosity=4, env={"K8S_AUTH_KUBECONFIG": "/nonexistent"})
    assert not result.task("probe")["failed"], result.task("probe")
    assert_clean(result, key_text.splitlines()[1])
    other = make_ca("Wrong CA").write(str(tmp_path), "wrong")[0]
    args = "host: %s\nca_cert: %s\napi_key: \"{{ tok }}\"" % (simulator.url, other)
    result = run_playbook(playbook(args), extra_vars={"tok": simulator.admin_token},
                          env={"K8S_AUTH_KUBECONFIG": "/nonexistent"})
    probe = result.task("probe")
    assert probe["failed"] and "x509: certificate verify failed" in probe["result"]["msg"]
    assert_clean(result, simulator.admin_token)
