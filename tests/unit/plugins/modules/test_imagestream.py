"""ocp.registry.imagestream against the simulator (and a real docker-registry for imports)."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.tests.unit.plugins.modules.imagestream_support import (
    IMAGESTREAMS, Runner, creds, latest_digest, make_ns, requests, trust_registry, warnings_of)

D = "sha256:" + "c" * 64


@pytest.fixture
def run(simulator, sim_admin):
    make_ns(simulator, "demo", "shared")
    return Runner(simulator, sim_admin)


def test_four_runs_reference_and_istag(run):
    params = dict(name="app", namespace="demo", lookup_local=True,
                  tags=[{"name": "v1", "from_image": "quay.io/ns/app:v1", "reference": True},
                        {"name": "latest", "from_tag": "v1", "reference_policy": "Local"}])
    (c1, k1), (a1, ka1), (c2, k2), (a2, ka2) = run.four_runs("imagestream", **params)
    assert [r["changed"] for r in (c1, a1, c2, a2)] == [True, True, False, False], (c1, a1, c2, a2)
    assert k1["mutating"] == 0 and k2["mutating"] == 0
    assert requests(ka1, verb="get", resource="imagestreams") == 1
    assert requests(ka1, verb="create", resource="imagestreams") == 1
    assert ka1["mutating"] == 1          # no import: the only DockerImage tag is a reference
    assert ka2["total"] == 1 and ka2["mutating"] == 0     # a no-op is exactly one GET
    assert c1["diff"]["before"] == {} and c1["diff"]["after"]["spec"]["tags"][0]["name"] == "v1"
    tags = {t["name"]: t for t in a2["imagestream"]["tags"]}
    assert tags["latest"]["pull_spec"] == "quay.io/ns/app:v1"      # resolved through v1 by the server
    assert a2["imagestream"]["lookup_local"] is True
    assert a2["imagestream"]["internal_repository"].endswith("/demo/app")


def test_change_one_tag_keeps_others_and_prune(run, simulator):
    run("imagestream", name="app", namespace="demo",
        tags=[{"name": "a", "from_image": "quay.io/ns/app:a", "reference": True},
              {"name": "b", "from_image": "quay.io/ns/app:b", "reference": True}])
    (res, counters) = run.counted("imagestream", diff=True, name="app", namespace="demo",
                                  tags=[{"name": "a", "from_image": "quay.io/ns/app:a2", "reference": True}])
    assert res["changed"] and counters["mutating"] == 1
    assert res["diff"]["before"]["spec"]["tags"][0]["from"]["name"] == "quay.io/ns/app:a"
    assert res["diff"]["after"]["spec"]["tags"][0]["from"]["name"] == "quay.io/ns/app:a2"
    spec = simulator.api.get(IMAGESTREAMS, "demo", "app")["spec"]["tags"]
    assert [t["name"] for t in spec] == ["a", "b"]
    res = run("imagestream", name="app", namespace="demo", prune_tags=True,
              tags=[{"name": "a", "from_image": "quay.io/ns/app:a2", "reference": True}])
    assert res["changed"]
    obj = simulator.api.get(IMAGESTREAMS, "demo", "app")
    assert [t["name"] for t in obj["spec"]["tags"]] == ["a"]
    assert [t["tag"] for t in obj["status"]["tags"]] == ["a"]          # b's history went with it (oc tag -d)
    assert [t["name"] for t in res["imagestream"]["tags"]] == ["a"]


def test_streams_one_task_one_list_per_namespace(run):
    streams = [{"name": "s%d" % i, "tags": [{"name": "t", "from_image": "quay.io/ns/s%d:t" % i, "reference": True}]}
               for i in range(5)]
    streams.append({"name": "x", "namespace": "shared", "tags": [{"name": "t", "from_tag": "demo/s0:t"}]})
    res, counters = run.counted("imagestream", namespace="demo", streams=streams)
    assert res["changed"] and len(res["results"]) == 6
    assert requests(counters, verb="list", resource="imagestreams") == 2
    assert requests(counters, verb="create", resource="imagestreams") == 6
    assert requests(counters, verb="get", resource="imagestreams") == 0      # the LISTs said they are missing
    res, counters = run.counted("imagestream", namespace="demo", streams=streams)
    assert not res["changed"]
    assert counters["total"] == 2 and counters["mutating"] == 0
    assert "imagestream" not in res
    streams[1]["tags"][0]["from_image"] = "quay.io/ns/s1:u"
    res, counters = run.counted("imagestream", namespace="demo", streams=streams)
    assert [r["changed"] for r in res["results"]] == [False, True, False, False, False, False]
    assert counters["total"] == 3 and requests(counters, verb="patch", resource="imagestreams") == 1


@pytest.mark.parametrize("params,needle", [
    ({"tags": [{"name": "v1", "from_image": "quay.io/ns/app:v1@" + D}]}, "tags[0].from_image"),
    ({"tags": [{"name": "v1", "from_image": "Quay.io/ns/APP:v1"}]}, "tags[0].from_image"),
    ({"tags": [{"name": "v1", "from_image": "http://reg.local/ns/app:v1"}]}, "insecure: true"),
    ({"tags": [{"name": "v1", "from_tag": "missing:v1"}]}, "demo/missing does not exist"),
    ({"tags": [{"name": "v1", "from_tag": "nocolon"}, {"name": "v2", "from_tag": "v1", "scheduled": True}]},
     "tags[1].scheduled"),
    ({"tags": [{"name": "v1", "from_digest": "app@sha256:123"}]}, "tags[0].from_digest"),
    ({"tags": [{"name": "v1", "from_image": "quay.io/a:b"}, {"name": "v1", "from_image": "quay.io/a:c"}]},
     "listed twice"),
    ({"tags": [{"name": "v1", "from_image": "quay.io/a:b", "from_tag": "x:y"}]}, "mutually exclusive"),
    ({"tags": [{"name": "v1"}]}, "one of the following is required"),
    ({"import_repository": {"from_image": "quay.io/ns/app:v1"}}, "import_repository.from_image"),
    ({"name": "Bad_Name"}, "name"),
])
def test_bad_input_writes_nothing(run, params, needle):
    params = dict({"name": "app", "namespace": "demo"}, **params)
    res, counters = run.counted("imagestream", **params)
    assert res.get("failed"), res
    assert needle in res["msg"], res["msg"]
    assert counters["mutating"] == 0


def test_state_absent(run, simulator):
    run("imagestream", name="gone", namespace="demo", tags=[{"name": "t", "from_image": "a.io/b:c", "reference": True}])
    res, counters = run.counted("imagestream", check=True, name="gone", namespace="demo", state="absent")
    assert res["changed"] and counters["mutating"] == 0
    res = run("imagestream", name="gone", namespace="demo", state="absent")
    assert res["changed"] and simulator.api.get_or_none(IMAGESTREAMS, "demo", "gone") is None
    res, counters = run.counted("imagestream", name="gone", namespace="demo", state="absent")
    assert not res["changed"] and counters["mutating"] == 0


# --- real registry -------------------------------------------------------------------------------

@pytest.fixture
def reg(docker_registry, oci_images, simulator):
    trust_registry(simulator, docker_registry)
    return docker_registry


def test_import_reports_digest_and_is_idempotent(run, reg, oci_images, simulator):
    digest = reg.push(oci_images["v1"], "is1/app:v1")
    params = dict(name="app", namespace="demo", pull_secret=creds(reg),
                  tags=[{"name": "v1", "from_image": "%s/is1/app:v1" % reg.host}])
    res, counters = run.counted("imagestream", **params)
    assert res["changed"], res
    [imp] = res["imports"]
    assert imp["succeeded"] and imp["digest"] == digest and imp["moved"]
    assert imp["pull_spec"] == "%s/is1/app@%s" % (reg.host, digest)
    assert requests(counters, verb="create", resource="imagestreamimports") == 1
    assert requests(counters, verb="create", resource="secrets") == 1
    assert res["pull_secrets"] == [{"name": "reg-creds", "namespace": "demo", "changed": True}]
    assert reg.password not in str(res)
    assert latest_digest(simulator, "demo", "app", "v1") == digest
    res, counters = run.counted("imagestream", **params)
    assert not res["changed"] and counters["mutating"] == 0 and res["imports"] == []
    # reimport with nothing moved: changed false; then overwrite the tag in the registry: changed, moved
    res = run("imagestream", reimport=True, **params)
    assert not res["changed"] and res["imports"][0]["digest"] == digest and not res["imports"][0]["moved"]
    digest2 = reg.push(oci_images["v2"], "is1/app:v1")
    # check mode predicts the move with a dry-run import: nothing stored, not a mutating request
    res, counters = run.counted("imagestream", check=True, reimport=True, **params)
    assert res["changed"] and res["imports"][0]["digest"] == digest2 and counters["mutating"] == 0
    assert requests(counters, verb="create", resource="imagestreamimports", dry_run=True) == 1
    assert latest_digest(simulator, "demo", "app", "v1") == digest
    res = run("imagestream", reimport=True, **params)
    assert res["changed"] and res["imports"][0]["digest"] == digest2
    assert res["imports"][0]["previous_digest"] == digest
    assert latest_digest(simulator, "demo", "app", "v1") == digest2


@pytest.mark.parametrize("case,needle", [
    ("missing", "not found"),
    ("noauth", "unauthorized"),
    ("untrusted", "x509"),
])
def test_import_errors_carry_the_registry_reason(run, docker_registry, oci_images, simulator, case, needle):
    reg = docker_registry
    reg.push(oci_images["v1"], "is2/app:v1")
    if case != "untrusted":
        trust_registry(simulator, reg)
    params = dict(name="app-" + case, namespace="demo",
                  tags=[{"name": "v1", "from_image": "%s/is2/app:%s" % (reg.host, "nope" if case == "missing" else "v1")}])
    if case != "noauth":
        params["pull_secret"] = creds(reg)
    res = run("imagestream", **params)
    assert res.get("failed"), res
    assert needle in res["msg"].lower(), res["msg"]
    assert res["imports"][0]["succeeded"] is False and res["imports"][0]["hint"]
    # the failed tag is retried by the next run (no reimport needed), so fixing the cause and re-running works
    res = run("imagestream", fail_on_import_error=False, **params)
    assert not res.get("failed") and res["imports"][0]["succeeded"] is False
    assert any("failed to import" in w for w in warnings_of(res)), sorted(res)
    if case == "noauth":
        params["pull_secret"] = creds(reg)
        res = run("imagestream", **params)
        assert not res.get("failed") and res["imports"][0]["succeeded"] and res["changed"], res
        res, counters = run.counted("imagestream", **params)
        assert not res["changed"] and counters["mutating"] == 0


def test_import_repository_with_limit(run, reg, oci_images):
    for tag, img in (("a", "v1"), ("b", "v2"), ("c", "v3")):
        reg.push(oci_images[img], "is3/repo:%s" % tag)
    params = dict(name="repo", namespace="demo", pull_secret=creds(reg),
                  import_repository={"from_image": "%s/is3/repo" % reg.host, "limit": 2})
    res = run("imagestream", **params)
    assert res["changed"], res
    # the server orders a repository's tags (version-like tags, newest first); the limit takes the first two
    assert len(res["imports"]) == 2 and {i["tag"] for i in res["imports"]} < {"a", "b", "c"}
    assert all(i["succeeded"] for i in res["imports"])
    res, counters = run.counted("imagestream", **params)
    assert not res["changed"] and counters["mutating"] == 0
    res = run("imagestream", name="all", namespace="demo", pull_secret=creds(reg),
              import_repository={"from_image": "%s/is3/repo" % reg.host})
    assert sorted(i["tag"] for i in res["imports"]) == ["a", "b", "c"]


def test_wait_and_cross_namespace_follow(run):
    run("imagestream", name="base", namespace="shared",
        tags=[{"name": "8", "from_image": "quay.io/ns/ubi:8", "reference": True}])
    res = run("imagestream", name="app", namespace="demo", wait=True, wait_timeout=10,
              tags=[{"name": "base", "from_tag": "shared/base:8", "reference_policy": "Local"}])
    assert res["changed"] and not res.get("failed"), res
    assert res["imagestream"]["tags"][0]["pull_spec"] == "quay.io/ns/ubi:8"


def test_unreachable_registry_is_an_import_condition_not_a_hang(run):
    res = run("imagestream", name="app", namespace="demo", fail_on_import_error=False, wait=True, wait_timeout=10,
              tags=[{"name": "v1", "from_image": "127.0.0.1:1/ns/app:v1"}])
    assert not res.get("failed"), res
    assert res["imports"][0]["succeeded"] is False
    assert res["imagestream"]["tags"][0]["conditions"][0]["type"] == "ImportSuccess"


@pytest.mark.parametrize("stream,settled", [
    (None, False),
    ({"spec": {"tags": [{"name": "a", "generation": 2}]}, "status": {"tags": []}}, False),
    ({"spec": {"tags": [{"name": "a", "generation": 2}]},
      "status": {"tags": [{"tag": "a", "items": [{"generation": 1}]}]}}, False),
    ({"spec": {"tags": [{"name": "a", "generation": 2}]},
      "status": {"tags": [{"tag": "a", "items": [{"generation": 2}]}]}}, True),
    ({"spec": {"tags": [{"name": "a", "generation": 2}]},
      "status": {"tags": [{"tag": "a", "conditions": [{"type": "ImportSuccess", "generation": 2}]}]}}, True),
])
def test_settled(stream, settled):
    from ansible_collections.ocp.registry.plugins.module_utils.imagestream_followup import settled as is_settled
    assert is_settled(stream, [{"name": "a", "from": {"kind": "DockerImage", "name": "x/y:z"}}]) is settled


def test_concurrent_writer_conflict_is_retried_and_its_change_kept(run, simulator, sim_admin):
    params = dict(name="app", namespace="demo", tags=[{"name": "a", "from_image": "quay.io/ns/a:1", "reference": True}])
    run("imagestream", **params)
    sim_admin.add_fault(method="PATCH", path="/imagestreams/app$", bump=True, times=1)
    params["tags"][0]["from_image"] = "quay.io/ns/a:2"
    res, counters = run.counted("imagestream", **params)
    assert res["changed"] and not res.get("failed"), res
    assert requests(counters, verb="patch", resource="imagestreams", code=409) == 1
    assert requests(counters, verb="patch", resource="imagestreams", code=200) == 1
    obj = simulator.api.get(IMAGESTREAMS, "demo", "app")
    assert obj["spec"]["tags"][0]["from"]["name"] == "quay.io/ns/a:2"
    assert "simulator.ocp.registry/bump" in obj["metadata"]["annotations"]      # the other writer's change stays
    res, counters = run.counted("imagestream", **params)
    assert not res["changed"] and counters["mutating"] == 0


def test_streams_check_mode_writes_nothing(run):
    streams = [{"name": "c%d" % i, "tags": [{"name": "t", "from_image": "quay.io/ns/c:%d" % i, "reference": True}]}
               for i in range(3)]
    res, counters = run.counted("imagestream", check=True, diff=True, namespace="demo", streams=streams)
    assert res["changed"] and counters["mutating"] == 0 and counters["total"] == 1
    assert len(res["diff"]) == 3 and res["diff"][0]["before"] == {}


@pytest.mark.parametrize("fault", [{"status": 503}, {"reset": True}])
def test_import_post_is_retried_after_a_server_error(run, reg, oci_images, sim_admin, simulator, fault):
    """The import POST is sent again (an ImageStreamImport has no GET to look for): one result, one image."""
    digest = reg.push(oci_images["v1"], "is5/app:v1")
    sim_admin.add_fault(method="POST", path="/imagestreamimports$", times=1, **fault)
    res, counters = run.counted("imagestream", name="app5", namespace="demo", pull_secret=creds(reg),
                                tags=[{"name": "v1", "from_image": "%s/is5/app:v1" % reg.host}])
    assert res["changed"] and not res.get("failed"), res
    assert [(r["tag"], r["digest"], r["succeeded"]) for r in res["imports"]] == [("v1", digest, True)]
    if "status" in fault:
        assert requests(counters, verb="create", resource="imagestreamimports", code=503) == 1
    assert requests(counters, verb="create", resource="imagestreamimports", code=201) == 1
    assert requests(counters, verb="get", resource="imagestreamimports") == 0
    obj = simulator.api.get(IMAGESTREAMS, "demo", "app5")
    assert [t["name"] for t in obj["spec"]["tags"]] == ["v1"]
    status = {t["tag"]: t for t in obj["status"]["tags"]}
    assert list(status) == ["v1"] and [i["image"] for i in status["v1"]["items"]] == [digest]


def test_insecure_only_when_asked(run, docker_registry, oci_images):
    """The test registry's CA is not trusted here: the import fails with x509 unless the tag sets insecure."""
    reg = docker_registry
    digest = reg.push(oci_images["v2"], "is6/app:v1")
    params = dict(name="app6", namespace="demo", pull_secret=creds(reg),
                  tags=[{"name": "v1", "from_image": "%s/is6/app:v1" % reg.host}])
    res = run("imagestream", **params)
    assert res.get("failed") and "x509" in res["msg"].lower() and "insecure: true" in res["msg"], res["msg"]
    params["tags"][0]["insecure"] = True
    res = run("imagestream", **params)
    assert not res.get("failed") and res["imports"][0]["digest"] == digest, res
    assert res["imagestream"]["tags"][0]["from"]["name"] == "%s/is6/app:v1" % reg.host


def test_plain_http_registry_needs_consent(run, registry_factory, oci_images):
    reg = registry_factory("plain", tls=False)
    digest = reg.push(oci_images["v1"], "is7/app:v1")
    params = dict(name="app7", namespace="demo", pull_secret=creds(reg),
                  tags=[{"name": "v1", "from_image": "http://%s/is7/app:v1" % reg.host}])
    res, counters = run.counted("imagestream", **params)
    assert res.get("failed") and "insecure: true" in res["msg"] and counters["mutating"] == 0
    params["tags"][0]["insecure"] = True
    res = run("imagestream", **params)
    assert not res.get("failed") and res["imports"][0]["digest"] == digest, res


def test_pull_secret_by_name(run, reg, oci_images, simulator):
    reg.push(oci_images["v1"], "is8/app:v1")
    tags = [{"name": "v1", "from_image": "%s/is8/app:v1" % reg.host}]
    res, counters = run.counted("imagestream", name="app8", namespace="demo", pull_secret={"name": "nope"}, tags=tags)
    assert res.get("failed") and "pull_secret.name" in res["msg"] and counters["mutating"] == 0
    run("imagestream", name="other", namespace="demo", pull_secret=creds(reg, "named"))
    res = run("imagestream", name="app8", namespace="demo", pull_secret={"name": "named"}, tags=tags)
    assert not res.get("failed") and res["imports"][0]["succeeded"], res
    assert res["pull_secrets"] == [{"name": "named", "namespace": "demo", "changed": False}]


def test_streams_source_must_come_earlier_and_is_found_without_extra_get(run):
    later = [{"name": "app", "tags": [{"name": "b", "from_tag": "base:1"}]},
             {"name": "base", "tags": [{"name": "1", "from_image": "quay.io/ns/base:1", "reference": True}]}]
    res, counters = run.counted("imagestream", namespace="demo", streams=later)
    assert res.get("failed") and "streams[0].tags[0].from_tag" in res["msg"] and counters["mutating"] == 0
    assert counters["total"] == 1                                 # the LIST answered "does base exist?"
    res = run("imagestream", namespace="demo", streams=list(reversed(later)))
    assert res["changed"] and not res.get("failed"), res
    assert res["results"][1]["imagestream"]["tags"][0]["pull_spec"] == "quay.io/ns/base:1"


@pytest.mark.parametrize("mode", ["Legacy", "PreserveOriginal"])
def test_import_mode_with_a_manifest_list(run, reg, oci_images, tmp_path, mode):
    from ansible_collections.ocp.registry.tests.lib.registry import build_image
    amd = reg.push(oci_images["v1"], "is9/multi:amd64")
    arm = reg.push(build_image(str(tmp_path), "arm", "arm-1", arch="arm64"), "is9/multi:arm64")
    index = reg.push_manifest_list("is9/multi:latest", [(amd, {"architecture": "amd64", "os": "linux"}),
                                                        (arm, {"architecture": "arm64", "os": "linux"})])
    res = run("imagestream", name="multi-" + mode.lower(), namespace="demo", pull_secret=creds(reg),
              tags=[{"name": "latest", "from_image": "%s/is9/multi:latest" % reg.host, "import_mode": mode}])
    assert not res.get("failed"), res
    # Legacy picks the linux/amd64 image out of the list; PreserveOriginal keeps the list itself
    assert res["imports"][0]["digest"] == (amd if mode == "Legacy" else index)
    again, counters = run.counted("imagestream", name="multi-" + mode.lower(), namespace="demo",
                                  tags=[{"name": "latest", "from_image": "%s/is9/multi:latest" % reg.host,
                                         "import_mode": mode}])
    assert not again["changed"] and counters["mutating"] == 0


def test_labels_annotations_and_lookup_policy_are_merged(run, simulator):
    run("imagestream", name="meta", namespace="demo", labels={"team": "a"}, annotations={"note": "x"})
    simulator.api.patch(IMAGESTREAMS, "demo", "meta", "merge", {"metadata": {"labels": {"other": "kept"}}})
    res, counters = run.counted("imagestream", diff=True, name="meta", namespace="demo", labels={"team": "b"},
                                lookup_local=True)
    assert res["changed"] and counters["mutating"] == 1
    assert res["diff"]["after"]["metadata"]["labels"] == {"team": "b", "other": "kept"}
    obj = simulator.api.get(IMAGESTREAMS, "demo", "meta")
    assert obj["metadata"]["labels"] == {"team": "b", "other": "kept"}
    assert obj["metadata"]["annotations"]["note"] == "x" and obj["spec"]["lookupPolicy"] == {"local": True}
    res, counters = run.counted("imagestream", name="meta", namespace="demo", labels={"team": "b"}, lookup_local=True)
    assert not res["changed"] and counters["mutating"] == 0


def test_scheduled_tag_follows_the_registry(simulator_factory, docker_registry, oci_images):
    """scheduled: true sets importPolicy.scheduled; the simulator's scheduled importer (interval shortened for the
    test) then moves the tag when the registry's tag is overwritten, with no further task."""
    import time
    from ansible_collections.ocp.registry.tests.lib.fixtures import SimAdmin
    sim = simulator_factory("sched", import_interval=0.5)
    make_ns(sim, "demo")
    trust_registry(sim, docker_registry)
    run = Runner(sim, SimAdmin(sim))
    first = docker_registry.push(oci_images["v1"], "is10/app:v1")
    res = run("imagestream", name="app", namespace="demo", pull_secret=creds(docker_registry),
              tags=[{"name": "v1", "from_image": "%s/is10/app:v1" % docker_registry.host, "scheduled": True}])
    assert res["imports"][0]["digest"] == first
    second = docker_registry.push(oci_images["v3"], "is10/app:v1")
    deadline = time.monotonic() + 30
    while latest_digest(sim, "demo", "app", "v1") != second and time.monotonic() < deadline:
        sim.wait_idle(5)
        time.sleep(0.2)
    assert latest_digest(sim, "demo", "app", "v1") == second
    # the task itself is still a no-op: the scheduled import is the cluster's business
    res, counters = run.counted("imagestream", name="app", namespace="demo",
                                tags=[{"name": "v1", "from_image": "%s/is10/app:v1" % docker_registry.host,
                                       "scheduled": True}])
    assert not res["changed"] and counters["mutating"] == 0


# Code a run does not need is not imported (each module run is a fresh interpreter that compiles what it
# imports; docs/design.md "Start-up cost"). Checked on the real no-op path against the simulator.
RARE_PATH_UTILS = ("ensure", "imagestream_import", "imagestream_followup", "pull_secret", "stream_reference",
                   "api_errors", "api_auth", "api_proxy", "kubeconfig_plugins", "redact", "waiting")


def test_no_op_re_run_imports_only_the_hot_path(run, simulator):
    import json
    import os
    import subprocess
    import sys

    params = dict(name="lean", namespace="demo", kubeconfig=simulator.kubeconfig,
                  tags=[{"name": "v1", "from_image": "quay.io/ns/app:v1", "reference": True}])
    assert run("imagestream", **params)["changed"] is True
    code = (
        "import json, sys\n"
        "from ansible_collections.ocp.registry.tests.lib.modules import run_module\n"
        "result = run_module('imagestream', json.loads(sys.argv[1]))\n"
        "loaded = sorted(m.rsplit('.', 1)[-1] for m in sys.modules\n"
        "                if m.startswith('ansible_collections.ocp.registry.plugins.module_utils.'))\n"
        "other = sorted(m for m in ('yaml', 'http.client', 'email') if m in sys.modules)\n"
        "print(json.dumps({'changed': result.get('changed'), 'failed': result.get('failed'), 'msg': result.get('msg'),\n"
        "                  'loaded': loaded, 'other': other}))\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(params)], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["changed"] is False and not out["failed"], out
    assert "api" in out["loaded"] and "imagestream_apply" in out["loaded"]  # the run really went through them
    assert sorted(set(out["loaded"]) & set(RARE_PATH_UTILS)) == []
    assert out["other"] == []
