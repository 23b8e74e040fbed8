"""ocp.registry.imagestream_info against the simulator, and seed 000 (a tag that follows a push to the internal
registry)."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.tests.simulator import catalog
from ansible_collections.ocp.registry.tests.unit.plugins.modules.imagestream_support import (
    Runner, creds, make_ns, trust_registry)

MAPPINGS = catalog.get("image.openshift.io", "imagestreammappings")
INTERNAL = "image-registry.openshift-image-registry.svc:5000"


@pytest.fixture
def run(simulator, sim_admin):
    make_ns(simulator, "demo", "ci")
    return Runner(simulator, sim_admin)


def test_list_namespace_and_one_stream(run):
    run("imagestream", namespace="demo", streams=[
        {"name": "a", "labels": {"team": "x"}, "tags": [{"name": "t", "from_image": "quay.io/ns/a:t", "reference": True}]},
        {"name": "b", "tags": [{"name": "t", "from_tag": "a:t"}]}])
    res, counters = run.counted("imagestream_info", check=True, namespace="demo")
    assert not res["changed"] and counters["mutating"] == 0 and counters["total"] == 1
    assert [s["name"] for s in res["imagestreams"]] == ["a", "b"]
    b = res["imagestreams"][1]
    assert b["internal_repository"] == INTERNAL + "/demo/b"
    assert b["tags"][0]["spec"]["from"] == {"kind": "ImageStreamTag", "name": "a:t"}
    assert b["tags"][0]["pull_spec"] == "quay.io/ns/a:t" and b["tags"][0]["history"][0]["generation"] == 1
    res = run("imagestream_info", namespace="demo", name="a")
    assert [s["name"] for s in res["imagestreams"]] == ["a"]
    assert run("imagestream_info", namespace="demo", name="missing")["imagestreams"] == []
    assert [s["name"] for s in run("imagestream_info", namespace="demo", label_selectors=["team=x"])["imagestreams"]] == ["a"]


def test_bad_input(run):
    res, counters = run.counted("imagestream_info", namespace="demo", name="Bad Name")
    assert res.get("failed") and "name" in res["msg"] and counters["total"] == 0


def test_seed_000_tag_follows_internal_registry_push(run, simulator, docker_registry, oci_images):
    """Seed 000: jenkins:latest first points at an external image; then an image is pushed to the integrated registry
    and the istag (and a stream that follows it) moves to the internal pull spec.

    What stands in for the push: the simulator has no integrated registry, so the image is pushed with skopeo to
    the real test registry (to get a real manifest digest), and then the ImageStreamMapping that the integrated
    registry posts after a push is posted to the simulator, naming the internal repository
    (image-registry.openshift-image-registry.svc:5000/ci/jenkins@<digest>). That is the API event a real push makes.
    """
    reg = docker_registry
    trust_registry(simulator, reg)
    d1 = reg.push(oci_images["v1"], "seed0/jenkins-1-centos7:latest")
    d2 = reg.push(oci_images["v3"], "seed0/pushed:latest")
    jenkins = dict(name="jenkins", namespace="ci", pull_secret=creds(reg),
                   tags=[{"name": "latest", "from_image": "%s/seed0/jenkins-1-centos7:latest" % reg.host},
                         {"name": "current", "from_tag": "latest"}])
    assert run("imagestream", **jenkins)["imports"][0]["digest"] == d1
    res = run("imagestream", name="app", namespace="demo", tags=[{"name": "base", "from_tag": "ci/jenkins:latest"}])
    assert res["changed"]

    internal_ref = "%s/ci/jenkins@%s" % (INTERNAL, d2)
    simulator.api.create(MAPPINGS, "ci", {
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
        "metadata": {"name": "jenkins", "namespace": "ci"}, "tag": "latest",
        "image": {"metadata": {"name": d2, "annotations": {"openshift.io/image.managed": "true"}},
                  "dockerImageReference": internal_ref}})
    simulator.wait_idle(10)

    info = run("imagestream_info", namespace="ci", name="jenkins", sizes=True)["imagestreams"][0]
    tags = {t["name"]: t for t in info["tags"]}
    assert tags["latest"]["digest"] == d2 and tags["latest"]["pull_spec"] == internal_ref
    assert [h["digest"] for h in tags["latest"]["history"]] == [d2, d1]
    # a tag of the same stream that follows latest moves with the push (server-side tag tracking)
    assert tags["current"]["digest"] == d2 and tags["current"]["pull_spec"] == internal_ref
    assert info["unique_images"] == 2
    assert tags["latest"]["history"][1]["pull_spec"] == "%s/seed0/jenkins-1-centos7@%s" % (reg.host, d1)
    assert isinstance(info["size"], int) and info["size"] > 0      # the imported image has layer sizes
    # a tag of another stream that references ci/jenkins:latest was resolved when it was written and is not
    # tracked across streams (as on a real cluster): it keeps the image it had
    app = run("imagestream_info", namespace="demo", name="app")["imagestreams"][0]
    assert app["tags"][0]["digest"] == d1
    # the declared stream did not drift: same task, nothing to write
    res, counters = run.counted("imagestream", **jenkins)
    assert not res["changed"] and counters["mutating"] == 0


def test_json_query_example_works(run):
    jmespath = pytest.importorskip("jmespath")
    run("imagestream", name="app", namespace="demo",
        tags=[{"name": "latest", "from_image": "quay.io/ns/app:v1", "reference": True}])
    run("imagestream", name="app", namespace="demo",
        tags=[{"name": "latest", "from_image": "quay.io/ns/app:v2", "reference": True}])
    data = run("imagestream_info", namespace="demo")["imagestreams"]
    assert jmespath.search("[?name=='app'].tags[] | [?name=='latest'].pull_spec | [0]", data) == "quay.io/ns/app:v2"
    # two reference events with no image collapse into one (same image "", server rule), so one entry
    assert jmespath.search("[?name=='app'].tags[].history[].pull_spec", data) == ["quay.io/ns/app:v2"]
    assert jmespath.search("[].tags[?conditions[?type=='ImportSuccess' && status=='False']].name[]", data) == []


def test_all_namespaces_when_namespace_is_unset(run):
    run("imagestream", name="one", namespace="demo", tags=[{"name": "t", "from_image": "a.io/b:c", "reference": True}])
    run("imagestream", name="two", namespace="ci", tags=[{"name": "t", "from_image": "a.io/b:c", "reference": True}])
    names = {(s["namespace"], s["name"]) for s in run("imagestream_info")["imagestreams"]}
    assert {("demo", "one"), ("ci", "two")} <= names
