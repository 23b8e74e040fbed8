"""playbooks/site.yml and playbooks/trust_hosts.yml with real ansible-playbook.

* site.yml in check mode on a fresh cluster sends no mutating request, then applies, then a check run and a
  second run report no change (the four-run pattern for the whole playbook);
* trust_hosts.yml on localhost writes the CA into the real /etc/containers/certs.d/localhost:<unique port>/,
  proves a skopeo login through it against a real docker-registry serving a route certificate, and is cleaned
  up afterwards.
"""
from __future__ import annotations

import os
import shutil

import pytest

from ansible_collections.ocp.registry.tests.lib import certs
from ansible_collections.ocp.registry.tests.lib.playbook import REPO_ROOT, run_playbook

SITE = os.path.join(REPO_ROOT, "playbooks", "site.yml")
TRUST = os.path.join(REPO_ROOT, "playbooks", "trust_hosts.yml")
ACCESS = {
    "install_wait_timeout": 120,
    "secure_access": [{"role": "registry-editor", "users": ["alice"]}],
}


def test_site_four_runs(simulator, sim_admin):
    sim_admin.reset()
    check = run_playbook(SITE, sim=simulator, extra_vars=ACCESS, check=True)
    assert check.rc == 0, check.stdout[-4000:]
    assert check.changed, "check mode predicted no change on a fresh cluster"
    assert sim_admin.mutating() == 0, "check mode wrote to the cluster"

    apply = run_playbook(SITE, sim=simulator, extra_vars=ACCESS)
    assert apply.rc == 0, apply.stdout[-4000:]
    assert apply.changed
    state = apply.task("ocp.registry.install : Publish the registry state")["result"]["ansible_facts"]
    assert state["install_state"]["available"] in (True, "True")

    sim_admin.reset()
    recheck = run_playbook(SITE, sim=simulator, extra_vars=ACCESS, check=True)
    again = run_playbook(SITE, sim=simulator, extra_vars=ACCESS)
    assert recheck.rc == 0 and again.rc == 0
    assert not recheck.changed, [t["task"] for t in recheck.changed]
    assert not again.changed, [t["task"] for t in again.changed]
    assert sim_admin.mutating() == 0


@pytest.fixture
def route_registry(tmp_path, registry_factory):
    """A docker-registry serving a route certificate (registry.apps.example.test, localhost) from a test CA."""
    ca = certs.make_ca("trust_hosts test CA", days=30)
    ca_cert = ca.write(str(tmp_path / "pki"), "ca")[0]
    leaf = certs.make_leaf(ca, hosts=("registry.apps.example.test", "localhost", "127.0.0.1"), days=20)
    cert, key = leaf.write(str(tmp_path / "pki"), "route")
    reg = registry_factory("route-registry", server_cert=cert, server_key=key)
    return reg, ca_cert


@pytest.mark.skipif(os.geteuid() != 0, reason="writes /etc/containers/certs.d (needs root)")
@pytest.mark.parametrize("tool", ["skopeo", "podman"])
def test_trust_hosts_real_certs_d(route_registry, tmp_path, tool):
    if shutil.which(tool) is None:
        pytest.skip("needs " + tool)
    reg, ca_cert = route_registry
    login = "localhost:" + reg.host.rsplit(":", 1)[1]
    certs_d = "/etc/containers/certs.d/" + login
    assert not os.path.exists(certs_d), "unexpected leftover " + certs_d
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("[registry_clients]\nlocalhost ansible_connection=local\n")
    extra = {
        "expose_trust_ca_path": ca_cert,
        "expose_trust_registries": [login],
        "expose_trust_stores": ["containers"],
        "expose_login_check": True,
        "expose_login_tool": tool,
        "expose_login_username": reg.user,
        "expose_login_password": reg.password,
    }
    try:
        first = run_playbook(TRUST, extra_vars=extra, inventory=str(inventory))
        assert first.rc == 0, first.stdout[-4000:]
        assert first.task("ocp.registry.expose : Trust the registry CA on this host")["changed"]
        assert first.task("ocp.registry.expose : The login worked")["failed"] is False
        with open(os.path.join(certs_d, "ca.crt"), encoding="utf-8") as fh, open(ca_cert, encoding="utf-8") as ca:
            assert fh.read().strip() == ca.read().strip()
        second = run_playbook(TRUST, extra_vars=extra, inventory=str(inventory))
        assert second.rc == 0 and not second.changed, [t["task"] for t in second.changed]
        assert reg.password not in first.stdout + second.stdout, "the login password leaked into the output"
    finally:
        cleanup = run_playbook(f"""
- name: Remove the test trust
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Stop trusting the test registry
      ocp.registry.registry_ca_trust:
        registry: "{login}"
        trust_stores: [containers]
        state: absent
""")
        shutil.rmtree(certs_d, ignore_errors=True)
    assert cleanup.rc == 0, cleanup.stdout[-3000:]
    assert not os.path.exists(certs_d)


def _patch_status(sim, path: str, status: dict) -> None:
    import json
    import ssl
    import urllib.request
    req = urllib.request.Request(sim.url + path + "/status", data=json.dumps({"status": status}).encode(),
                                 method="PATCH", headers={"Authorization": "Bearer " + sim.admin_token,
                                                          "Content-Type": "application/merge-patch+json"})
    with urllib.request.urlopen(req, context=ssl.create_default_context(cafile=sim.ca_file), timeout=30) as resp:
        assert resp.status == 200


def test_install_on_single_node_cluster_runs_one_replica(simulator):
    """infrastructureTopology SingleReplica (single-node OpenShift): one replica, as the operator would."""
    from ansible_collections.ocp.registry.tests.lib.modules import run_module

    _patch_status(simulator, "/apis/config.openshift.io/v1/infrastructures/cluster",
                  {"infrastructureTopology": "SingleReplica"})
    play = """
- name: Install on a single node
  hosts: localhost
  gather_facts: false
  roles:
    - role: ocp.registry.install
      vars:
        install_wait_timeout: 120
"""
    result = run_playbook(play, sim=simulator)
    assert result.rc == 0, result.stdout[-4000:]
    state = run_module("image_registry_info", {"kubeconfig": simulator.kubeconfig})
    assert state["replicas"] == 1 and state["available"] is True
