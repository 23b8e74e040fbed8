"""Run every integration target (tests/integration/targets/<name>) with real ansible-playbook.

Each target is a role run on localhost against a fresh simulator, or against the real cluster named by
K8S_AUTH_KUBECONFIG / K8S_AUTH_HOST when those are set. Targets list their needs in `aliases`:
`registry` (a real docker-registry with pushed images), `platform/<name>` (simulator platform),
`sim_only` (meaningless on a real cluster), `hidden` (a helper role, not a test).
"""
from __future__ import annotations

import json
import os

import pytest

from ansible_collections.ocp.registry.tests.lib.playbook import REPO_ROOT, run_playbook

TARGETS_DIR = os.path.join(REPO_ROOT, "tests", "integration", "targets")
REAL_CLUSTER = bool(os.environ.get("K8S_AUTH_KUBECONFIG") or os.environ.get("K8S_AUTH_HOST"))


def _aliases(target: str) -> list:
    path = os.path.join(TARGETS_DIR, target, "aliases")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return [line.split("#")[0].strip() for line in fh if line.split("#")[0].strip()]


def _targets() -> list:
    found = []
    for name in sorted(os.listdir(TARGETS_DIR)):
        if os.path.isfile(os.path.join(TARGETS_DIR, name, "tasks", "main.yml")) and "hidden" not in _aliases(name):
            found.append(name)
    return found


def _platform(aliases: list) -> str:
    for alias in aliases:
        if alias.startswith("platform/"):
            return alias.split("/", 1)[1]
    return "baremetal"


@pytest.fixture
def registry_vars(request, tmp_path_factory):
    """A fresh real docker-registry with demo/app:v1 and :latest pushed, as extra vars for a target."""
    from ansible_collections.ocp.registry.tests.lib.registry import start_registry

    images = request.getfixturevalue("oci_images")
    workdir = tmp_path_factory.mktemp("registry")
    registry = start_registry(str(workdir))
    try:
        digests = {}
        for label in ("v1", "v2", "v3"):
            digests[label] = registry.push(images[label], "scratch/digests:" + label)
        digests["demo/app:v1"] = registry.push(images["v1"], "demo/app:v1")
        digests["demo/app:latest"] = registry.push(images["v1"], "demo/app:latest")
        authfile = workdir / "auth.json"
        import base64
        token = base64.b64encode(f"{registry.user}:{registry.password}".encode()).decode()
        authfile.write_text(json.dumps({"auths": {registry.host: {"auth": token}}}))
        authfile.chmod(0o600)
        yield {
            "registry_host": registry.host,
            "registry_ca_file": registry.ca_file,
            "registry_cert_dir": registry.cert_dir,
            "registry_user": registry.user,
            "registry_password": registry.password,
            "registry_authfile": str(authfile),
            "oci_images": dict(images),
            "registry_digests": digests,
        }
    finally:
        registry.stop()


@pytest.mark.parametrize("target", _targets())
def test_target(target, request, tmp_path):
    aliases = _aliases(target)
    extra_vars = {"sim_enabled": False, "sim_url": "", "sim_token": "", "sim_ca": ""}
    sim = None
    if REAL_CLUSTER:
        if "sim_only" in aliases:
            pytest.skip(f"{target} needs the simulator (alias sim_only)")
        if "registry" in aliases:
            pytest.skip(f"{target} needs a registry on this host's loopback, unreachable from a real cluster")
    else:
        from ansible_collections.ocp.registry.tests.simulator.server import SimulatorServer

        sim = SimulatorServer(str(tmp_path / "sim"), platform=_platform(aliases))
        sim.start()
        request.addfinalizer(sim.stop)
        extra_vars.update(sim_enabled=True, sim_url=sim.url, sim_token=sim.admin_token, sim_ca=sim.ca_file)
    if "registry" in aliases:
        extra_vars.update(request.getfixturevalue("registry_vars"))
    playbook = f"""
- name: Integration target {target}
  hosts: localhost
  gather_facts: false
  roles:
    - {target}
"""
    result = run_playbook(playbook, sim=sim, extra_vars=extra_vars,
                          env={"ANSIBLE_ROLES_PATH": TARGETS_DIR})
    assert result.rc == 0 and not result.failed, (
        f"target {target} failed (rc={result.rc}):\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
    assert result.tasks, f"target {target} ran no task"
