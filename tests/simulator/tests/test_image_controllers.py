"""The import controllers: spec tags imported asynchronously, re-import on generation 0, scheduled imports."""
import copy

import pytest

from ansible_collections.ocp.registry.tests.simulator.tests.image_e2e import (
    IMG, NS, add_pull_secret, start_image_sim, trust_registry_ca, unique_repo, wait_for, wait_until)

pytestmark = pytest.mark.registry


@pytest.fixture
def image_sim(simulator_factory):
    return start_image_sim(simulator_factory)


def _latest(stream, tag):
    for st in (stream.get("status") or {}).get("tags") or []:
        if st["tag"] == tag:
            return st
    return None


def _images(client, name, tag):
    st = _latest(client.stream(name), tag)
    return [e["image"] for e in (st or {}).get("items") or []]


def test_controller_imports_spec_tag_written_by_put(image_sim, docker_registry, oci_images):
    sim, client = image_sim
    reg = docker_registry
    trust_registry_ca(client, reg)
    add_pull_secret(client, reg)
    repo = unique_repo()
    d1 = reg.push(oci_images["v1"], f"{repo}:latest")
    created = client.post(f"{IMG}/namespaces/{NS}/imagestreams",
                          {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": "web"}})
    body = copy.deepcopy(created)
    body["spec"]["tags"] = [{"name": "prod", "from": {"kind": "DockerImage", "name": f"{reg.host}/{repo}:latest"}}]
    put = client.put(f"{IMG}/namespaces/{NS}/imagestreams/web", body)
    assert put["spec"]["tags"][0]["generation"] == put["metadata"]["generation"] == 2
    stream = wait_until(lambda: client.stream("web"), lambda s: (_latest(s, "prod") or {}).get("items"),
                        what="the controller's import")
    ev = _latest(stream, "prod")["items"][0]
    assert ev["image"] == d1
    assert ev["dockerImageReference"] == f"{reg.host}/{repo}@{d1}"
    # the import rewrites the spec tag (generation reset), so tag, event and stream move on together
    assert ev["generation"] == stream["spec"]["tags"][0]["generation"] == stream["metadata"]["generation"] == 3
    ist = client.get(f"{IMG}/namespaces/{NS}/imagestreamtags/web:prod")
    assert ist["image"]["metadata"]["name"] == d1

    # generation 0 asks for a re-import: the moved tag shows up on top of the history
    d2 = reg.push(oci_images["v2"], f"{repo}:latest")
    body = client.stream("web")
    body["spec"]["tags"][0]["generation"] = 0
    client.put(f"{IMG}/namespaces/{NS}/imagestreams/web", body)
    assert wait_for(lambda: _images(client, "web", "prod") == [d2, d1], what="re-import")
    final = client.stream("web")
    assert _latest(final, "prod")["items"][0]["generation"] == final["spec"]["tags"][0]["generation"]


def test_controller_records_failure_once(image_sim, docker_registry):
    sim, client = image_sim
    reg = docker_registry
    trust_registry_ca(client, reg)
    add_pull_secret(client, reg)
    client.post(f"{IMG}/namespaces/{NS}/imagestreams", {
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": "broken"},
        "spec": {"tags": [{"name": "x", "from": {"kind": "DockerImage", "name": f"{reg.host}/{unique_repo()}:x"}}]}})

    def failed():
        st = _latest(client.stream("broken"), "x")
        return st and st.get("conditions")
    cond = wait_for(failed, what="ImportSuccess=False")[0]
    assert (cond["type"], cond["status"], cond["reason"]) == ("ImportSuccess", "False", "NotFound")
    assert sim.wait_idle(30)
    rv = client.stream("broken")["metadata"]["resourceVersion"]
    assert sim.wait_idle(30)
    # no import loop: the stream is left alone once the failure is recorded
    assert client.stream("broken")["metadata"]["resourceVersion"] == rv
    stream = client.stream("broken")
    assert cond["generation"] == stream["spec"]["tags"][0]["generation"]


def test_reference_tags_are_not_imported(image_sim):
    sim, client = image_sim
    out = client.post(f"{IMG}/namespaces/{NS}/imagestreams", {
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": "refonly"},
        "spec": {"tags": [{"name": "x", "reference": True,
                           "from": {"kind": "DockerImage", "name": "127.0.0.1:1/nothing/here:x"}}]}})
    assert sim.wait_idle(30)
    st = _latest(client.stream("refonly"), "x")
    assert st["items"][0]["dockerImageReference"] == "127.0.0.1:1/nothing/here:x"
    assert not st.get("conditions")
    assert client.stream("refonly")["metadata"]["resourceVersion"] == out["metadata"]["resourceVersion"]


def test_controller_imports_deprecated_docker_image_repository(image_sim, docker_registry, oci_images):
    sim, client = image_sim
    reg = docker_registry
    trust_registry_ca(client, reg)
    add_pull_secret(client, reg)
    repo = unique_repo()
    d1 = reg.push(oci_images["v1"], f"{repo}:1.0")
    d2 = reg.push(oci_images["v2"], f"{repo}:latest")
    client.post(f"{IMG}/namespaces/{NS}/imagestreams", {
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": "mirror"},
        "spec": {"dockerImageRepository": f"{reg.host}/{repo}"}})
    stream = wait_until(lambda: client.stream("mirror"), lambda s: len((s.get("status") or {}).get("tags") or []) == 2,
                        what="repository import")
    assert _latest(stream, "1.0")["items"][0]["image"] == d1
    assert _latest(stream, "latest")["items"][0]["image"] == d2
    assert not stream["spec"].get("tags")     # status only, like the real repository import
    assert "openshift.io/image.dockerRepositoryCheck" in stream["metadata"]["annotations"]


def test_scheduled_import_picks_up_a_push(simulator_factory, docker_registry, oci_images):
    sim, client = start_image_sim(simulator_factory, import_interval=0.3)
    reg = docker_registry
    trust_registry_ca(client, reg)
    add_pull_secret(client, reg)
    repo = unique_repo()
    d1 = reg.push(oci_images["v1"], f"{repo}:stable")
    client.post(f"{IMG}/namespaces/{NS}/imagestreams", {
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": "sched"},
        "spec": {"tags": [
            {"name": "stable", "from": {"kind": "DockerImage", "name": f"{reg.host}/{repo}:stable"},
             "importPolicy": {"scheduled": True}},
            {"name": "manual", "from": {"kind": "DockerImage", "name": f"{reg.host}/{repo}:stable"}}]}})
    assert wait_for(lambda: _images(client, "sched", "stable") == [d1], what="first import")
    assert wait_for(lambda: _images(client, "sched", "manual") == [d1], what="first import of manual")
    d2 = reg.push(oci_images["v2"], f"{repo}:stable")
    assert wait_for(lambda: _images(client, "sched", "stable") == [d2, d1], what="scheduled re-import")
    # the unscheduled tag is not re-imported by the scheduler
    assert _images(client, "sched", "manual") == [d1]
