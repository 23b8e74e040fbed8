"""ocp.registry.image_trigger (oc set triggers) against the simulator, and the seed 003 workflow end to end."""
from __future__ import annotations

import json

import pytest

from ansible_collections.ocp.registry.tests.unit.plugins.modules.imagestream_support import (
    CRONJOBS, DEPLOYMENTCONFIGS, DEPLOYMENTS, Runner, creds, deployment, image_of, make_ns, requests, trust_registry,
    warnings_of)
from ansible_collections.ocp.registry.plugins.module_utils.trigger import ANNOTATION


@pytest.fixture
def run(simulator, sim_admin):
    make_ns(simulator, "demo")
    return Runner(simulator, sim_admin)


def annotation(sim, rt, name):
    raw = sim.api.get(rt, "demo", name)["metadata"].get("annotations", {}).get(ANNOTATION)
    return json.loads(raw) if raw else None


def test_four_runs_deployment(run, simulator):
    deployment(simulator, "demo", "myapp", [("myapp", "quay.io/x/ubi:8"), ("side", "busybox")])
    params = dict(kind="Deployment", name="myapp", namespace="demo", triggers=[{"container": "myapp", "from_tag": "ubi:8"}])
    (c1, k1), (a1, ka1), (c2, k2), (a2, ka2) = run.four_runs("image_trigger", **params)
    assert [r["changed"] for r in (c1, a1, c2, a2)] == [True, True, False, False]
    assert k1["mutating"] == 0 and k2["mutating"] == 0 and ka2["mutating"] == 0 and ka2["total"] == 1
    assert ka1["mutating"] == 1
    assert annotation(simulator, DEPLOYMENTS, "myapp") == [
        {"from": {"kind": "ImageStreamTag", "name": "ubi:8"},
         "fieldPath": 'spec.template.spec.containers[?(@.name=="myapp")].image'}]
    assert c1["diff"]["after"]["metadata"]["annotations"][ANNOTATION][0]["from"]["name"] == "ubi:8"
    # change: pause it; then remove it
    res = run("image_trigger", kind="Deployment", name="myapp", namespace="demo",
              triggers=[{"container": "myapp", "from_tag": "ubi:8", "paused": True}])
    assert res["changed"] and annotation(simulator, DEPLOYMENTS, "myapp")[0]["paused"] is True
    res = run("image_trigger", kind="Deployment", name="myapp", namespace="demo", state="absent",
              triggers=[{"container": "myapp"}])
    assert res["changed"] and annotation(simulator, DEPLOYMENTS, "myapp") is None
    res = run("image_trigger", kind="Deployment", name="myapp", namespace="demo", state="absent")
    assert not res["changed"]


@pytest.mark.parametrize("kind,rt_name", [("StatefulSet", "statefulsets"), ("DaemonSet", "daemonsets")])
def test_statefulset_and_daemonset(run, simulator, kind, rt_name):
    from ansible_collections.ocp.registry.tests.simulator import catalog
    deployment(simulator, "demo", "w", [("main", "busybox")], kind=kind)
    params = dict(kind=kind, name="w", namespace="demo", triggers=[{"container": "main", "from_tag": "app:v1"}])
    assert run("image_trigger", **params)["changed"]
    assert annotation(simulator, catalog.get("apps", rt_name), "w") == [
        {"from": {"kind": "ImageStreamTag", "name": "app:v1"},
         "fieldPath": 'spec.template.spec.containers[?(@.name=="main")].image'}]
    res, counters = run.counted("image_trigger", **params)
    assert not res["changed"] and counters["mutating"] == 0


def test_cronjob_field_path_and_cross_namespace(run, simulator):
    deployment(simulator, "demo", "nightly", [("job", "busybox")], kind="CronJob")
    res = run("image_trigger", kind="CronJob", name="nightly", namespace="demo",
              triggers=[{"container": "job", "from_tag": "shared/tools:stable"}])
    assert res["changed"], res
    assert any("shared/tools does not exist yet" in w for w in warnings_of(res)), res
    assert annotation(simulator, CRONJOBS, "nightly") == [
        {"from": {"kind": "ImageStreamTag", "name": "tools:stable", "namespace": "shared"},
         "fieldPath": 'spec.jobTemplate.spec.template.spec.containers[?(@.name=="job")].image'}]


def test_deploymentconfig_spec_triggers(run, simulator):
    deployment(simulator, "demo", "legacy", [("web", "busybox")], kind="DeploymentConfig")
    params = dict(kind="DeploymentConfig", name="legacy", namespace="demo",
                  triggers=[{"container": "web", "from_tag": "app:latest"}])
    res = run("image_trigger", **params)
    assert res["changed"], res
    triggers = simulator.api.get(DEPLOYMENTCONFIGS, "demo", "legacy")["spec"]["triggers"]
    assert {"type": "ConfigChange"} in triggers
    ic = [t for t in triggers if t["type"] == "ImageChange"]
    assert ic[0]["imageChangeParams"]["containerNames"] == ["web"]
    assert ic[0]["imageChangeParams"]["from"] == {"kind": "ImageStreamTag", "name": "app:latest"}
    assert ic[0]["imageChangeParams"]["automatic"] is True
    res, counters = run.counted("image_trigger", **params)
    assert not res["changed"] and counters["mutating"] == 0
    res = run("image_trigger", kind="DeploymentConfig", name="legacy", namespace="demo", state="absent")
    assert res["changed"]
    assert simulator.api.get(DEPLOYMENTCONFIGS, "demo", "legacy")["spec"]["triggers"] == [{"type": "ConfigChange"}]


def test_existing_silent_failures_are_warned_and_not_rewritten(run, simulator):
    deployment(simulator, "demo", "broken", [("a", "busybox"), ("b", "busybox")])
    bad = [{"from": {"kind": "ImageStreamTag", "name": "nocolon"}, "fieldPath": "spec.template.spec.containers[0].image"},
           {"from": {"kind": "ImageStreamTag", "name": "s:t"}, "fieldPath": "spec.template.spec.containers[1].image",
            "pause": "true"}]
    simulator.api.patch(DEPLOYMENTS, "demo", "broken", "merge",
                        {"metadata": {"annotations": {ANNOTATION: json.dumps(bad)}}})
    res = run("image_trigger", kind="Deployment", name="broken", namespace="demo",
              triggers=[{"container": "a", "from_tag": "app:v1"}])
    assert res["changed"], res
    text = " ".join(warnings_of(res))
    assert "has no ':'" in text and "'pause' is unknown" in text
    entries = annotation(simulator, DEPLOYMENTS, "broken")
    assert {"from": {"kind": "ImageStreamTag", "name": "app:v1"},
            "fieldPath": 'spec.template.spec.containers[?(@.name=="a")].image'} in entries
    assert all(e["from"]["name"] != "nocolon" for e in entries)


def test_duplicate_field_paths_are_dropped_with_a_warning(run, simulator):
    deployment(simulator, "demo", "dup", [("a", "busybox"), ("b", "busybox")])
    fp = 'spec.template.spec.containers[?(@.name=="b")].image'
    dup = [{"from": {"kind": "ImageStreamTag", "name": "s:1"}, "fieldPath": fp},
           {"from": {"kind": "ImageStreamTag", "name": "s:2"}, "fieldPath": fp}]
    simulator.api.patch(DEPLOYMENTS, "demo", "dup", "merge", {"metadata": {"annotations": {ANNOTATION: json.dumps(dup)}}})
    res = run("image_trigger", kind="Deployment", name="dup", namespace="demo",
              triggers=[{"container": "a", "from_tag": "app:v1"}])
    assert res["changed"] and any("two triggers target" in w for w in warnings_of(res)), res
    entries = annotation(simulator, DEPLOYMENTS, "dup")
    assert [e["from"]["name"] for e in entries] == ["s:1", "app:v1"]


@pytest.mark.parametrize("params,needle", [
    ({"triggers": [{"container": "nope", "from_tag": "app:v1"}]}, "has no container 'nope'"),
    ({"triggers": [{"container": "web", "from_tag": "app"}]}, "has no ':'"),
    ({"triggers": [{"container": "web", "from_tag": "app:v1"}, {"container": "web", "from_tag": "app:v2"}]},
     "listed twice"),
    ({"triggers": [{"container": "web"}]}, "from_tag: required"),
    ({"name": "missing", "triggers": [{"container": "web", "from_tag": "app:v1"}]}, "does not exist"),
    ({"triggers": []}, "at least one trigger"),
])
def test_bad_input_writes_nothing(run, simulator, params, needle):
    deployment(simulator, "demo", "web", [("web", "busybox")])
    params = dict({"kind": "Deployment", "name": "web", "namespace": "demo"}, **params)
    res, counters = run.counted("image_trigger", **params)
    assert res.get("failed"), res
    assert needle in res["msg"], res["msg"]
    assert counters["mutating"] == 0


def test_seed_003_import_all_trigger_reimport_rollback(run, simulator, docker_registry, oci_images):
    """Seed 003: import --all from a repository; add a trigger to a Deployment; overwrite the tag in the registry;
    re-import; the Deployment's image moves to the new digest; roll back to the old digest; it moves back."""
    reg = docker_registry
    trust_registry(simulator, reg)
    old = reg.push(oci_images["v1"], "seed3/ubi:8")
    repo = "%s/seed3/ubi" % reg.host
    stream = dict(name="ubi", namespace="demo", pull_secret=creds(reg), import_repository={"from_image": repo})
    res = run("imagestream", **stream)
    assert res["changed"] and [(i["tag"], i["digest"]) for i in res["imports"]] == [("8", old)]

    deployment(simulator, "demo", "myapp", [("myapp", repo + ":8")])
    res = run("image_trigger", kind="Deployment", name="myapp", namespace="demo",
              triggers=[{"container": "myapp", "from_tag": "ubi:8"}])
    assert res["changed"]
    simulator.wait_idle(10)
    assert image_of(simulator, "demo", "myapp") == "%s@%s" % (repo, old)

    new = reg.push(oci_images["v2"], "seed3/ubi:8")
    assert new != old
    res = run("imagestream", reimport=True, **stream)
    assert res["changed"] and res["imports"][0]["digest"] == new and res["imports"][0]["previous_digest"] == old
    assert len(res["imports"]) == 1          # the repository import covers tag 8; it is not imported twice
    simulator.wait_idle(10)
    assert image_of(simulator, "demo", "myapp") == "%s@%s" % (repo, new)

    res = run("imagestream_tag", namespace="demo", dest=["ubi:8"], rollback=old)
    assert res["changed"] and res["tags"][0]["after"]["digest"] == old
    simulator.wait_idle(10)
    assert image_of(simulator, "demo", "myapp") == "%s@%s" % (repo, old)
    # the trigger task is still a no-op
    res = run("image_trigger", kind="Deployment", name="myapp", namespace="demo",
              triggers=[{"container": "myapp", "from_tag": "ubi:8"}])
    assert not res["changed"]


def test_conflict_with_a_concurrent_writer_is_retried(run, simulator, sim_admin):
    deployment(simulator, "demo", "busy", [("web", "busybox")])
    sim_admin.add_fault(method="PATCH", path="/deployments/busy$", bump=True, times=1)
    res, counters = run.counted("image_trigger", kind="Deployment", name="busy", namespace="demo",
                                triggers=[{"container": "web", "from_tag": "app:v1"}])
    assert res["changed"] and not res.get("failed"), res
    assert requests(counters, verb="patch", resource="deployments", code=409) == 1
    assert annotation(simulator, DEPLOYMENTS, "busy")[0]["from"]["name"] == "app:v1"


def test_deploymentconfig_follows_the_tag(run, simulator):
    """Seed 000's jenkins template uses a DeploymentConfig ImageChange trigger; the DC's image follows the tag."""
    run("imagestream", name="jenkins", namespace="demo",
        tags=[{"name": "latest", "from_image": "quay.io/openshift/jenkins:1", "reference": True}])
    deployment(simulator, "demo", "jenkins", [("jenkins", "placeholder")], kind="DeploymentConfig")
    res = run("image_trigger", kind="DeploymentConfig", name="jenkins", namespace="demo",
              triggers=[{"container": "jenkins", "from_tag": "jenkins:latest"}])
    assert res["changed"], res
    simulator.wait_idle(10)
    assert image_of(simulator, "demo", "jenkins", DEPLOYMENTCONFIGS) == "quay.io/openshift/jenkins:1"
    run("imagestream", name="jenkins", namespace="demo",
        tags=[{"name": "latest", "from_image": "quay.io/openshift/jenkins:2", "reference": True}])
    simulator.wait_idle(10)
    assert image_of(simulator, "demo", "jenkins", DEPLOYMENTCONFIGS) == "quay.io/openshift/jenkins:2"
    res = run("image_trigger", kind="DeploymentConfig", name="jenkins", namespace="demo",
              triggers=[{"container": "jenkins", "from_tag": "jenkins:latest"}])
    assert not res["changed"], res      # lastTriggeredImage written by the controller is not a difference


def test_many_objects_in_one_task(run, simulator):
    deployment(simulator, "demo", "web", [("web", "busybox")])
    deployment(simulator, "demo", "cron", [("job", "busybox")], kind="CronJob")
    objects = [{"kind": "Deployment", "name": "web", "triggers": [{"container": "web", "from_tag": "app:prod"}]},
               {"kind": "CronJob", "name": "cron", "triggers": [{"container": "job", "from_tag": "app:prod"}]}]
    res, counters = run.counted("image_trigger", check=True, diff=True, namespace="demo", objects=objects)
    assert res["changed"] and counters["mutating"] == 0 and len(res["diff"]) == 2
    res = run("image_trigger", namespace="demo", objects=objects)
    assert res["changed"] and [r["changed"] for r in res["results"]] == [True, True]
    res, counters = run.counted("image_trigger", namespace="demo", objects=objects)
    assert not res["changed"] and counters["total"] == 2 and counters["mutating"] == 0
    # bad input in the second object: nothing is written for the first either
    objects[0]["triggers"][0]["from_tag"] = "app:next"
    objects[1]["triggers"][0]["container"] = "nope"
    res, counters = run.counted("image_trigger", namespace="demo", objects=objects)
    assert res.get("failed") and "objects[1].triggers[0].container" in res["msg"] and counters["mutating"] == 0
