"""image.openshift.io/triggers on Deployments, StatefulSets, DaemonSets, CronJobs; DeploymentConfig ImageChange.

Images land on tags through imagestreammappings (what the integrated registry posts after a push), so no
registry is needed here; the trigger controller then rewrites the container images over plain HTTPS PUTs.
"""
import json

import pytest

from ansible_collections.ocp.registry.tests.simulator.controllers import triggers as tr
from ansible_collections.ocp.registry.tests.simulator.tests.image_e2e import (
    IMG, NS, start_image_sim, wait_for, wait_until)

HOST = "image-registry.openshift-image-registry.svc:5000"
D1 = "sha256:" + "a1" * 32
D2 = "sha256:" + "b2" * 32

APPS = "/apis/apps/v1/namespaces/" + NS
BATCH = "/apis/batch/v1/namespaces/" + NS
DCS = "/apis/apps.openshift.io/v1/namespaces/" + NS + "/deploymentconfigs"


@pytest.fixture
def image_sim(simulator_factory):
    return start_image_sim(simulator_factory)


def map_image(client, stream, tag, digest, ref=None, ns=NS):
    client.post(f"{IMG}/namespaces/{ns}/imagestreammappings", {
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping", "metadata": {"name": stream},
        "tag": tag, "image": {"metadata": {"name": digest},
                              "dockerImageReference": ref or f"quay.io/example/{stream}@{digest}"}})


def make_stream(client, name, tag="latest", policy="Source", ns=NS):
    client.post(f"{IMG}/namespaces/{ns}/imagestreams", {
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": name},
        "spec": {"tags": [{"name": tag, "referencePolicy": {"type": policy}}]}})   # images come from mappings


def pod_template(containers=("web",), init=()):
    return {"metadata": {"labels": {"app": "t"}},
            "spec": {"containers": [{"name": c, "image": "placeholder:0"} for c in containers],
                     "initContainers": [{"name": c, "image": "placeholder:0"} for c in init] or None}}


def triggers(*entries):
    return {"image.openshift.io/triggers": json.dumps(list(entries))}


def trig(stream_tag, field_path, **kw):
    t = {"from": {"kind": "ImageStreamTag", "name": stream_tag}, "fieldPath": field_path}
    t.update(kw)
    return t


def deployment(name, annotations, containers=("web",), init=()):
    tpl = pod_template(containers, init)
    if not init:
        tpl["spec"].pop("initContainers")
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "annotations": annotations},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "t"}}, "template": tpl}}


def images_of(obj, base=("spec", "template", "spec"), kind="containers"):
    pod = obj
    for p in base:
        pod = pod[p]
    return [c["image"] for c in pod.get(kind) or []]


def test_deployment_source_and_local_policies(image_sim):
    sim, client = image_sim
    make_stream(client, "src")
    make_stream(client, "loc", policy="Local")
    map_image(client, "src", "latest", D1)
    map_image(client, "loc", "latest", D1)
    client.post(f"{APPS}/deployments", deployment("web", triggers(
        trig("src:latest", 'spec.template.spec.containers[?(@.name=="web")].image'),
        trig("loc:latest", "spec.template.spec.initContainers[0].image")), init=("init",)))
    want_src = f"quay.io/example/src@{D1}"
    want_loc = f"{HOST}/{NS}/loc@{D1}"
    got = wait_until(lambda: client.get(f"{APPS}/deployments/web"),
                     lambda d: images_of(d) == [want_src] and images_of(d, kind="initContainers") == [want_loc],
                     what="trigger on create")
    assert got["metadata"]["annotations"]["image.openshift.io/triggers"]   # annotation untouched
    # a new image on the tag rolls the container forward
    map_image(client, "src", "latest", D2)
    wait_for(lambda: images_of(client.get(f"{APPS}/deployments/web")) == [f"quay.io/example/src@{D2}"],
             what="trigger on tag change")
    # a manual edit of a triggered image is reverted

    def edit():
        d = client.get(f"{APPS}/deployments/web")
        d["spec"]["template"]["spec"]["containers"][0]["image"] = "manual:1"
        code, out = client.request("PUT", f"{APPS}/deployments/web", d)
        assert code in (200, 409), out
        return code == 200     # 409: a controller wrote in between; read again
    wait_for(edit, what="a manual edit")
    wait_for(lambda: images_of(client.get(f"{APPS}/deployments/web")) == [f"quay.io/example/src@{D2}"],
             what="revert of a manual edit")


def test_statefulset_daemonset_cronjob(image_sim):
    sim, client = image_sim
    make_stream(client, "app")
    map_image(client, "app", "latest", D1)
    want = f"quay.io/example/app@{D1}"
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet",
           "metadata": {"name": "db", "annotations": triggers(
               trig("app:latest", "spec.template.spec.containers[0].image"))},
           "spec": {"serviceName": "db", "replicas": 1, "selector": {"matchLabels": {"app": "t"}},
                    "template": {"metadata": {"labels": {"app": "t"}},
                                 "spec": {"containers": [{"name": "db", "image": "placeholder:0"}]}}}}
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet",
          "metadata": {"name": "agent", "annotations": triggers(
              trig("app:latest", 'spec.template.spec.containers[?(@.name=="agent")].image'))},
          "spec": {"selector": {"matchLabels": {"app": "t"}},
                   "template": {"metadata": {"labels": {"app": "t"}},
                                "spec": {"containers": [{"name": "agent", "image": "placeholder:0"}]}}}}
    cj = {"apiVersion": "batch/v1", "kind": "CronJob",
          "metadata": {"name": "job", "annotations": triggers(
              trig("app:latest", 'spec.jobTemplate.spec.template.spec.containers[?(@.name=="job")].image'))},
          "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {
              "spec": {"restartPolicy": "OnFailure", "containers": [{"name": "job", "image": "placeholder:0"}]}}}}}}
    client.post(f"{APPS}/statefulsets", sts)
    client.post(f"{APPS}/daemonsets", ds)
    client.post(f"{BATCH}/cronjobs", cj)
    cj_base = ("spec", "jobTemplate", "spec", "template", "spec")
    wait_for(lambda: images_of(client.get(f"{APPS}/statefulsets/db")) == [want], what="statefulset")
    wait_for(lambda: images_of(client.get(f"{APPS}/daemonsets/agent")) == [want], what="daemonset")
    wait_for(lambda: images_of(client.get(f"{BATCH}/cronjobs/job"), cj_base) == [want], what="cronjob")


def test_paused_bad_paths_and_other_kinds_are_ignored(image_sim):
    sim, client = image_sim
    make_stream(client, "app")
    make_stream(client, "other", ns="default")
    map_image(client, "app", "latest", D1)
    map_image(client, "other", "latest", D2, ns="default")
    client.post(f"{APPS}/deployments", deployment("mixed", triggers(
        trig("app:latest", "spec.template.spec.containers[0].image", paused=True),
        trig("app:latest", "spec.containers[1].image"),                       # wrong base path: skipped
        trig("app:latest", 'spec.template.spec.containers[?(@.name=="ghost")].image'),   # no such container
        trig("app", "spec.template.spec.containers[2].image"),                # no ':' in the name
        {"from": {"kind": "DockerImage", "name": "app:latest"}, "fieldPath": "spec.template.spec.containers[3].image"},
        # cross-namespace trigger, applied
        {"from": {"kind": "ImageStreamTag", "name": "other:latest", "namespace": "default"},
         "fieldPath": "spec.template.spec.containers[4].image"},
    ), containers=("a", "b", "c", "d", "e")))
    want_cross = f"quay.io/example/other@{D2}"
    wait_for(lambda: images_of(client.get(f"{APPS}/deployments/mixed"))[4] == want_cross, what="cross-namespace")
    assert sim.wait_idle(30)
    assert images_of(client.get(f"{APPS}/deployments/mixed")) == ["placeholder:0"] * 4 + [want_cross]
    # a string "paused" makes the whole annotation invalid: nothing is applied
    client.post(f"{APPS}/deployments", deployment("strpause", {"image.openshift.io/triggers": json.dumps([
        {"from": {"kind": "ImageStreamTag", "name": "app:latest"}, "paused": "false",
         "fieldPath": "spec.template.spec.containers[0].image"}])}))
    map_image(client, "app", "latest", D2)
    assert sim.wait_idle(30)
    assert images_of(client.get(f"{APPS}/deployments/strpause")) == ["placeholder:0"]


def test_deploymentconfig_image_change_trigger(image_sim):
    sim, client = image_sim
    make_stream(client, "app")
    dc = {"apiVersion": "apps.openshift.io/v1", "kind": "DeploymentConfig", "metadata": {"name": "legacy"},
          "spec": {"replicas": 1, "selector": {"app": "t"},
                   "template": {"metadata": {"labels": {"app": "t"}},
                                "spec": {"containers": [{"name": "web", "image": " "},
                                                        {"name": "side", "image": "side:1"}]}},
                   "triggers": [{"type": "ConfigChange"},
                                {"type": "ImageChange", "imageChangeParams": {
                                    "automatic": True, "containerNames": ["web"],
                                    "from": {"kind": "ImageStreamTag", "name": "app:latest"}}}]}}
    manual = json.loads(json.dumps(dc))
    manual["metadata"]["name"] = "manual"
    manual["spec"]["triggers"][1]["imageChangeParams"]["automatic"] = False
    client.post(DCS, dc)
    client.post(DCS, manual)
    map_image(client, "app", "latest", D1)
    want = f"quay.io/example/app@{D1}"

    def fired(name, image, version):
        d = client.get(f"{DCS}/{name}")
        params = d["spec"]["triggers"][1]["imageChangeParams"]
        ok = images_of(d) == [image, "side:1"] and params.get("lastTriggeredImage") == image and \
            (d.get("status") or {}).get("latestVersion") == version
        causes = ((d.get("status") or {}).get("details") or {}).get("causes") or []
        ok = ok and [c["imageTrigger"]["from"]["name"] for c in causes] == [image]
        return d if ok else None

    try:
        wait_for(lambda: fired("legacy", want, 1), what="DC image change")
    except AssertionError as e:
        raise AssertionError(f"{e}; dc={client.get(f'{DCS}/legacy')}; errors={sim.manager.errors}") from None
    map_image(client, "app", "latest", D2)
    wait_for(lambda: fired("legacy", f"quay.io/example/app@{D2}", 2), what="second DC image change")
    assert sim.wait_idle(30)
    m = client.get(f"{DCS}/manual")
    assert images_of(m) == [" ", "side:1"]
    assert not (m.get("status") or {}).get("latestVersion")


# ----------------------------------------------------------------------------------- parsing units
@pytest.mark.parametrize("value,ok", [
    ('[{"from": {"kind": "ImageStreamTag", "name": "a:b"}, "fieldPath": "x"}]', True),
    ('[{"from": {"kind": "ImageStreamTag", "name": "a:b"}, "fieldPath": "x", "paused": "false"}]', False),
    ('[{"fieldPath": "x"}, {"fieldPath": "x"}]', False),
    ('{"fieldPath": "x"}', False),
    ("not json", False),
    ('[{"from": {"kind": "ImageStreamTag", "name": "a:b"}, "fieldPath": "x", "pause": "false"}]', True),
])
def test_parse_triggers(value, ok):
    assert (tr.parse_triggers(value) is not None) is ok


def test_locate_container_forms():
    obj = {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}],
                                          "initContainers": [{"name": "i", "image": "3"}]}}}}
    base = "spec.template.spec"
    assert tr.locate_container(obj, base, "spec.template.spec.containers[1].image")["name"] == "b"
    assert tr.locate_container(obj, base, 'spec.template.spec.containers[?(@.name=="a")].image')["name"] == "a"
    assert tr.locate_container(obj, base, "spec.template.spec.initContainers[0].image")["name"] == "i"
    assert tr.locate_container(obj, base, "spec.containers[0].image") is None
    for bad in ("spec.template.spec.containers[5].image", 'spec.template.spec.containers[?(@.name == "a")].image',
                "spec.template.spec.containers[0].name", 'spec.template.spec.containers[?(@.name=="z")].image'):
        with pytest.raises(tr.TriggerError):
            tr.locate_container(obj, base, bad)


@pytest.mark.parametrize("value", [
    '[{"from": {"kind": "ImageStreamTag", "name": 5}, "fieldPath": "x"}]',
    '[{"from": "app:latest", "fieldPath": "x"}]',
    '[{"from": {"kind": "ImageStreamTag", "name": "a:b"}, "fieldPath": 3}]',
    '[null]',
])
def test_parse_triggers_rejects_undecodable(value):
    assert tr.parse_triggers(value) is None


def test_malformed_objects_never_break_the_controller():
    weird = [
        {"metadata": {"namespace": "n", "annotations": {tr.TRIGGER_ANNOTATION: "[]"}}, "spec": None},
        {"metadata": {"namespace": "n"}, "spec": {"triggers": {"type": "ImageChange"}}},
        {"metadata": {"namespace": "n"}, "spec": {"triggers": [None, "x", {"type": "ImageChange"},
                                                               {"type": "ImageChange", "imageChangeParams": []},
                                                               {"type": "ImageChange", "imageChangeParams": {
                                                                   "from": {"kind": "ImageStreamTag", "name": 1}}}]}},
    ]
    for obj in weird:
        assert tr.dc_image_triggers(obj) == []
        assert tr.active_triggers(obj) == []
    with pytest.raises(tr.TriggerError):
        tr.locate_container({"spec": {"template": {"spec": {"containers": "x"}}}}, "spec.template.spec",
                            "spec.template.spec.containers[0].image")
    with pytest.raises(tr.TriggerError):
        tr.locate_container({"spec": {"template": ["x"]}}, "spec.template.spec",
                            "spec.template.spec.containers[0].image")
