"""An exec credential plugin run by a real module (AnsibleModule.run_command) against the simulator."""
from __future__ import annotations

import json
import sys

import yaml

from ansible_collections.ocp.registry.tests.lib.modules import run_module

PLUGIN = """import json, os
print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                  "status": {"token": os.environ["SIM_TOKEN_FOR_PLUGIN"]}}))
"""


def test_module_authenticates_through_exec_plugin(simulator, tmp_path):
    script = tmp_path / "cred-plugin"
    script.write_text("#!%s\n%s" % (sys.executable, PLUGIN))
    script.chmod(0o755)
    kubeconfig = {
        "apiVersion": "v1", "kind": "Config", "current-context": "exec",
        "clusters": [{"name": "sim", "cluster": {"server": simulator.url, "certificate-authority": simulator.ca_file}}],
        "users": [{"name": "plugin", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1", "command": str(script), "interactiveMode": "Never",
            "env": [{"name": "SIM_TOKEN_FOR_PLUGIN", "value": simulator.admin_token}]}}}],
        "contexts": [{"name": "exec", "context": {"cluster": "sim", "user": "plugin"}}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig))

    result = run_module("image_registry_info", {"kubeconfig": str(path)})

    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False
    assert "management_state" in json.dumps(result)
    assert simulator.admin_token not in json.dumps(result)


def test_failing_plugin_reports_its_stderr(simulator, tmp_path):
    script = tmp_path / "broken-plugin"
    script.write_text("#!%s\nimport sys\nsys.stderr.write('login expired, run sso-login\\n')\nsys.exit(3)\n"
                      % sys.executable)
    script.chmod(0o755)
    kubeconfig = {
        "apiVersion": "v1", "kind": "Config", "current-context": "exec",
        "clusters": [{"name": "sim", "cluster": {"server": simulator.url, "certificate-authority": simulator.ca_file}}],
        "users": [{"name": "plugin", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1", "command": str(script)}}}],
        "contexts": [{"name": "exec", "context": {"cluster": "sim", "user": "plugin"}}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig))

    result = run_module("image_registry_info", {"kubeconfig": str(path)})

    assert result["failed"] is True
    assert "exit code 3" in result["msg"] and "login expired, run sso-login" in result["msg"]
