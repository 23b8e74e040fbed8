"""playbooks/site.yml through ansible-runner, the engine AWX and Tower job templates use.

Builds a private_data_dir (project/ with the site playbook, inventory/, env/envvars with the collection path
and the cluster's kubeconfig, env/extravars with the job's variables) against a fresh simulator, runs it twice,
and checks the runner status and rc, the job events (playbook_on_start, runner_on_ok for our module tasks,
playbook_on_stats, no failure), that the second run changes nothing, and the registry state read back.
"""
from __future__ import annotations

import os
import shutil
import sys

import pytest
import yaml

from ansible_collections.ocp.registry.tests.lib.modules import run_module
from ansible_collections.ocp.registry.tests.lib.playbook import REPO_ROOT, collections_path

ansible_runner = pytest.importorskip("ansible_runner")


def _private_data_dir(base, kubeconfig: str, extravars: dict) -> str:
    pdd = os.path.join(str(base), "pdd")
    os.makedirs(os.path.join(pdd, "project"))
    os.makedirs(os.path.join(pdd, "inventory"))
    os.makedirs(os.path.join(pdd, "env"))
    shutil.copy(os.path.join(REPO_ROOT, "playbooks", "site.yml"), os.path.join(pdd, "project", "site.yml"))
    with open(os.path.join(pdd, "inventory", "hosts"), "w", encoding="utf-8") as fh:
        fh.write("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    envvars = {
        "ANSIBLE_COLLECTIONS_PATH": collections_path(),
        "K8S_AUTH_KUBECONFIG": kubeconfig,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCAL_TEMP": os.path.join(str(base), "ansible-tmp"),
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
    }
    with open(os.path.join(pdd, "env", "envvars"), "w", encoding="utf-8") as fh:
        yaml.safe_dump(envvars, fh)
    with open(os.path.join(pdd, "env", "extravars"), "w", encoding="utf-8") as fh:
        yaml.safe_dump(extravars, fh)
    return pdd


def _run(pdd: str):
    return ansible_runner.run(private_data_dir=pdd, playbook="site.yml", quiet=True)


def test_site_playbook_through_ansible_runner(simulator, tmp_path, monkeypatch):
    # ansible-runner starts the ansible-playbook it finds on PATH: the one of this interpreter's venv.
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    extravars = {
        "install_wait_timeout": 120,
        "secure_access": [{"role": "registry-viewer", "groups": ["developers"]}],
        "secure_metrics_enabled": True,
        "secure_metrics_service_accounts": ["openshift-monitoring/prometheus-k8s"],
    }
    pdd = _private_data_dir(tmp_path, simulator.kubeconfig, extravars)

    first = _run(pdd)
    events = list(first.events)
    stdout = first.stdout.read()
    assert first.status == "successful", stdout[-4000:]
    assert first.rc == 0
    kinds = [e["event"] for e in events]
    assert kinds[0] == "playbook_on_start" or "playbook_on_start" in kinds
    assert "playbook_on_stats" in kinds
    assert not [e for e in events if e["event"] in ("runner_on_failed", "runner_on_unreachable")
                and not e["event_data"].get("ignore_errors")]
    ok_actions = {e["event_data"].get("task_action") for e in events if e["event"] == "runner_on_ok"}
    for action in ("ocp.registry.registry_platform_info", "ocp.registry.registry_storage_claim",
                   "ocp.registry.image_registry_config", "ocp.registry.image_pruner",
                   "ocp.registry.image_registry_info", "ocp.registry.registry_access",
                   "ocp.registry.registry_route"):
        assert action in ok_actions, (action, sorted(a for a in ok_actions if a))
    stats = [e for e in events if e["event"] == "playbook_on_stats"][-1]["event_data"]
    assert stats.get("failures") in ({}, None) and stats.get("dark") in ({}, None)
    assert stats["changed"].get("localhost", 0) > 0

    second = _run(pdd)
    assert second.status == "successful" and second.rc == 0
    stats2 = [e for e in second.events if e["event"] == "playbook_on_stats"][-1]["event_data"]
    assert stats2["changed"] == {}, "the second run changed: %s" % [
        e["event_data"].get("task") for e in second.events if e["event"] == "runner_on_ok"
        and e["event_data"].get("res", {}).get("changed")]

    state = run_module("image_registry_info", {"kubeconfig": simulator.kubeconfig})
    assert state["management_state"] == "Managed" and state["available"] is True
    assert state["storage"]["pvc"]["claim"] == "image-registry-storage"
    assert state["default_route"] is True and state["public_hostnames"]
