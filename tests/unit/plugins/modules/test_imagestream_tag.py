"""ocp.registry.imagestream_tag (oc tag) against the simulator and a real docker-registry."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.tests.unit.plugins.modules.imagestream_support import (
    IMAGESTREAMS, Runner, creds, latest_digest, make_ns, requests, trust_registry)

D = "sha256:" + "d" * 64


@pytest.fixture
def run(simulator, sim_admin):
    make_ns(simulator, "demo", "other")
    return Runner(simulator, sim_admin)


@pytest.fixture
def reg(docker_registry, oci_images, simulator):
    trust_registry(simulator, docker_registry)
    return docker_registry


def history(sim, ns, stream, tag):
    obj = sim.api.get(IMAGESTREAMS, ns, stream)
    for t in (obj.get("status") or {}).get("tags") or []:
        if t["tag"] == tag:
            return [i.get("image") for i in t.get("items") or []]
    return []


def test_seed_002_tag_move_delete_restore(run, reg, oci_images, simulator):
    """Seed 002: tag v1 from a registry; latest -> v1; latest -> v2 (history shows both); delete v1; restore it
    from history by digest."""
    d1 = reg.push(oci_images["v1"], "seed2/app:v1")
    d2 = reg.push(oci_images["v2"], "seed2/app:v2")
    src = "%s/seed2/app" % reg.host
    secret = creds(reg)

    # oc tag <registry>/app:v1 app:v1, four runs
    params = dict(namespace="demo", dest=["app:v1"], from_image=src + ":v1", pull_secret=secret)
    (c1, k1), (a1, _ka1), (c2, k2), (a2, ka2) = run.four_runs("imagestream_tag", **params)
    assert [r["changed"] for r in (c1, a1, c2, a2)] == [True, True, False, False]
    assert k1["mutating"] == 0 and k2["mutating"] == 0 and ka2["mutating"] == 0
    assert a1["tags"][0]["before"] is None and a1["tags"][0]["after"]["digest"] == d1
    assert a1["tags"][0]["imports"][0]["digest"] == d1

    # oc tag app:v1 app:latest (copies v1's current image)
    res = run("imagestream_tag", namespace="demo", dest=["app:latest"], from_tag="app:v1")
    assert res["changed"] and res["tags"][0]["after"]["digest"] == d1
    assert run("imagestream_tag", namespace="demo", dest=["app:latest"], from_tag="app:v1")["changed"] is False

    # oc tag <registry>/app:v2 app:latest: history shows both, newest first
    res = run("imagestream_tag", namespace="demo", dest=["app:latest"], from_image=src + ":v2")
    assert res["changed"]
    assert res["tags"][0]["before"]["digest"] == d1 and res["tags"][0]["after"]["digest"] == d2
    assert history(simulator, "demo", "app", "latest")[:2] == [d2, d1]

    # oc tag -d app:v1, check mode first
    res, counters = run.counted("imagestream_tag", check=True, namespace="demo", dest=["app:v1"], state="absent")
    assert res["changed"] and counters["mutating"] == 0
    res = run("imagestream_tag", namespace="demo", dest=["app:v1"], state="absent")
    assert res["changed"] and res["tags"][0]["before"]["digest"] == d1 and res["tags"][0]["after"] is None
    assert history(simulator, "demo", "app", "v1") == []
    assert d1 in history(simulator, "demo", "app", "latest")       # still reachable
    res, counters = run.counted("imagestream_tag", namespace="demo", dest=["app:v1"], state="absent")
    assert not res["changed"] and counters["mutating"] == 0

    # restore v1 from history by digest (rollback previous is impossible: v1 has no history any more)
    res = run("imagestream_tag", namespace="demo", dest=["app:v1"], rollback="previous")
    assert res.get("failed") and "give the digest" in res["msg"]
    res, counters = run.counted("imagestream_tag", check=True, namespace="demo", dest=["app:v1"], rollback=d1)
    assert res["changed"] and counters["mutating"] == 0 and res["tags"][0]["after"]["digest"] == d1
    res = run("imagestream_tag", namespace="demo", dest=["app:v1"], rollback=d1)
    assert res["changed"] and res["tags"][0]["after"]["digest"] == d1
    assert latest_digest(simulator, "demo", "app", "v1") == d1
    res, counters = run.counted("imagestream_tag", namespace="demo", dest=["app:v1"], rollback=d1)
    assert not res["changed"] and counters["mutating"] == 0

    # roll latest back to its previous image; repeating it is a no-op, not a flip back
    res = run("imagestream_tag", namespace="demo", dest=["app:latest"], rollback="previous")
    assert res["changed"] and res["tags"][0]["before"]["digest"] == d2 and res["tags"][0]["after"]["digest"] == d1
    res, counters = run.counted("imagestream_tag", namespace="demo", dest=["app:latest"], rollback="previous")
    assert not res["changed"] and counters["mutating"] == 0 and res["notes"]
    # and forward again by generation of the v2 event
    obj = simulator.api.get(IMAGESTREAMS, "demo", "app")
    gen = next(i["generation"] for t in obj["status"]["tags"] if t["tag"] == "latest" for i in t["items"]
               if i["image"] == d2)
    res = run("imagestream_tag", namespace="demo", dest=["app:latest"], rollback=str(gen))
    assert res["changed"] and res["tags"][0]["after"]["digest"] == d2


def test_alias_and_multiple_dests_and_cross_namespace(run, simulator):
    run("imagestream", name="base", namespace="other",
        tags=[{"name": "8", "from_image": "quay.io/ns/ubi:8", "reference": True}])
    params = dict(namespace="demo", dest=["app:stable", "web:stable"], from_tag="other/base:8", alias=True)
    res, counters = run.counted("imagestream_tag", diff=True, **params)
    assert res["changed"], res
    assert requests(counters, verb="create", resource="imagestreams") == 2       # streams created like oc tag
    for stream in ("app", "web"):
        spec = simulator.api.get(IMAGESTREAMS, "demo", stream)["spec"]["tags"][0]
        assert spec["from"] == {"kind": "ImageStreamTag", "name": "base:8", "namespace": "other"}
    assert res["tags"][0]["after"]["pull_spec"] == "quay.io/ns/ubi:8"
    assert set(res["diff"]["after"]) == {"demo/app:stable", "demo/web:stable"}
    res, counters = run.counted("imagestream_tag", **params)
    assert not res["changed"] and counters["mutating"] == 0 and counters["total"] == 2


@pytest.mark.parametrize("params,needle", [
    ({"dest": ["app:v1"], "from_image": "quay.io/ns/app:v1@" + D}, "both a tag and a digest"),
    ({"dest": ["app"], "from_image": "quay.io/ns/app:v1"}, "dest[0]"),
    ({"dest": ["app:v1"], "from_tag": "nostream:v1"}, "does not exist"),
    ({"dest": ["app:v1"], "from_tag": "src:empty"}, "has no image yet"),
    ({"dest": ["app:v1"], "from_image": "quay.io/ns/app:v1", "alias": True}, "alias"),
    ({"dest": ["app:v1"], "from_image": "http://quay.io/ns/app:v1"}, "insecure: true"),
    ({"dest": ["app:v1"], "from_digest": "src@" + D, "insecure": True}, "insecure"),
    ({"dest": ["src:a"], "rollback": D}, "not in the history"),
    ({"dest": ["src:a"], "rollback": "yesterday"}, "not 'previous'"),
    ({"dest": ["src:a"], "rollback": "99"}, "no history entry with generation 99"),
    ({"dest": ["app:v1"]}, "state is present but any of the following are missing"),
    ({"dest": ["app:v1"], "from_image": "quay.io/a:b", "rollback": "previous"}, "mutually exclusive"),
])
def test_bad_input_writes_nothing(run, params, needle):
    run("imagestream", name="src", namespace="demo",
        tags=[{"name": "a", "from_image": "quay.io/ns/src:a", "reference": True},
              {"name": "empty", "from_tag": "a", "reference": True}])
    params = dict({"namespace": "demo"}, **params)
    res, counters = run.counted("imagestream_tag", **params)
    assert res.get("failed"), res
    assert needle in res["msg"], res["msg"]
    assert counters["mutating"] == 0


def test_from_tag_copies_the_current_image_across_namespaces(run, reg, oci_images, simulator):
    digest = reg.push(oci_images["v3"], "tagx/base:8")
    run("imagestream", name="base", namespace="other", pull_secret=creds(reg),
        tags=[{"name": "8", "from_image": "%s/tagx/base:8" % reg.host}])
    res = run("imagestream_tag", namespace="demo", dest=["app:base"], from_tag="base:8", from_namespace="other")
    assert res["changed"] and res["tags"][0]["after"]["digest"] == digest, res
    spec = simulator.api.get(IMAGESTREAMS, "demo", "app")["spec"]["tags"][0]
    assert spec["from"] == {"kind": "ImageStreamImage", "name": "base@" + digest, "namespace": "other"}
    res, counters = run.counted("imagestream_tag", namespace="demo", dest=["app:base"], from_tag="base:8",
                                from_namespace="other")
    assert not res["changed"] and counters["mutating"] == 0
