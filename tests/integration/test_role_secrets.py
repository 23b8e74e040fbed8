"""Storage credentials given to the roles never show up in the output, even with -vv, and a rerun is a no-op."""
from __future__ import annotations

from ansible_collections.ocp.registry.tests.lib.modules import run_module
from ansible_collections.ocp.registry.tests.lib.playbook import run_playbook

ACCESS = "AKIAEXAMPLESECRET0001"
SECRET = "s3cr3t-Value-That-Must-Not-Leak"

PLAY = """
- name: Storage with credentials
  hosts: localhost
  gather_facts: false
  roles:
    - role: ocp.registry.storage
"""


def test_s3_credentials_stay_hidden(simulator_factory):
    sim = simulator_factory(platform="aws")
    extra = {
        "storage_backend": "s3",
        "storage_s3": {"bucket": "my-registry", "region": "eu-west-1", "encrypt": True},
        "storage_credentials": {"access_key": ACCESS, "secret_key": SECRET},
    }
    first = run_playbook(PLAY, sim=sim, extra_vars=extra, verbosity=2)
    assert first.rc == 0, first.stdout[-4000:]
    for text in (first.stdout, first.stderr):
        assert SECRET not in text and ACCESS not in text
    for task in first.tasks:
        assert SECRET not in str(task["result"]), task["task"]
    second = run_playbook(PLAY, sim=sim, extra_vars=extra, verbosity=2)
    assert second.rc == 0 and not second.changed, [t["task"] for t in second.changed]
    assert SECRET not in second.stdout

    state = run_module("image_registry_info", {"kubeconfig": sim.kubeconfig})
    assert state["spec_storage"]["s3"]["bucket"] == "my-registry"
    assert state["replicas"] == 2 and state["rollout_strategy"] == "RollingUpdate"
