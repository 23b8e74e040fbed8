"""playbooks/import_images.yml against the simulator and a real docker-registry.

The four-run pattern (check, apply, check, apply: changed, changed, unchanged, unchanged; no write in check
mode), the imported digests equal the registry's, the scheduled flag is set, the credentials never appear in
the output, and the Deployment's image-change trigger follows the mirrored tag.
"""
from __future__ import annotations

import json
import os
import ssl
import urllib.request

from ansible_collections.ocp.registry.tests.lib.modules import run_module
from ansible_collections.ocp.registry.tests.lib.playbook import REPO_ROOT, run_playbook

PLAYBOOK = os.path.join(REPO_ROOT, "playbooks", "import_images.yml")


def _api(sim, method, path, body=None):
    req = urllib.request.Request(sim.url + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": "Bearer " + sim.admin_token,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ssl.create_default_context(cafile=sim.ca_file), timeout=30) as resp:
        return json.loads(resp.read() or b"{}")


def test_import_images_four_runs(simulator, sim_admin, registry_factory, oci_images):
    reg = registry_factory("upstream")
    digest_v1 = reg.push(oci_images["v1"], "team/app:v1")
    reg.push(oci_images["v1"], "team/app:latest")
    # The cluster must trust the upstream registry's CA (what the secure role's secure_cluster_trust does).
    trust = run_module("registry_ca_trust", {"kubeconfig": simulator.kubeconfig, "side": "cluster",
                                             "registry": reg.host, "ca_path": reg.ca_file})
    assert not trust.get("failed"), trust
    _api(simulator, "POST", "/apis/apps/v1/namespaces/sandbox/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "sandbox"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "app:latest"}]}}}})
    extra = {
        "registry_import_namespace": "sandbox",
        "registry_import_images": [{"name": "app", "from": reg.host + "/team/app", "tags": ["v1", "latest"],
                                    "scheduled": True,
                                    "triggers": [{"kind": "Deployment", "name": "web", "container": "web",
                                                  "tag": "latest"}]}],
        "registry_import_pull_secret": {"name": "upstream", "registry": reg.host, "username": reg.user,
                                        "password": reg.password},
    }
    sim_admin.reset()
    runs = []
    for check in (True, False, True, False):
        run = run_playbook(PLAYBOOK, sim=simulator, extra_vars=extra, check=check)
        assert run.rc == 0, run.stdout[-4000:]
        assert reg.password not in run.stdout + run.stderr
        runs.append(run)
        if check and len(runs) == 1:
            assert sim_admin.mutating() == 0, "check mode wrote to the cluster"
    assert [bool(r.changed) for r in runs] == [True, True, False, False], [
        [t["task"] for t in r.changed] for r in runs]

    state = runs[1].task("Publish what is mirrored")["result"]["results"][-1]["ansible_facts"]["registry_import_state"]
    assert state["sandbox/app"]["tags"] == {"v1": digest_v1, "latest": digest_v1}

    info = run_module("imagestream_info", {"kubeconfig": simulator.kubeconfig, "namespace": "sandbox",
                                           "name": "app"})
    tags = {t["name"]: t for t in info["imagestreams"][0]["tags"]}
    assert tags["latest"]["spec"]["scheduled"] is True and tags["v1"]["digest"] == digest_v1

    web = _api(simulator, "GET", "/apis/apps/v1/namespaces/sandbox/deployments/web")
    triggers = json.loads(web["metadata"]["annotations"]["image.openshift.io/triggers"])
    source = triggers[0]["from"]
    assert source["kind"] == "ImageStreamTag" and source["name"] == "app:latest"
    assert source.get("namespace", "sandbox") == "sandbox"
    assert "web" in triggers[0]["fieldPath"]
