"""The image API through the kubernetes Python client (dynamic client, discovery included)."""
import os

import pytest

from ansible_collections.ocp.registry.tests.simulator.tests.image_e2e import (
    NS, add_pull_secret, start_image_sim, trust_registry_ca, unique_repo)

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import config as kconfig, dynamic  # noqa: E402
from kubernetes.dynamic.exceptions import BadRequestError, NotFoundError  # noqa: E402

pytestmark = pytest.mark.registry


@pytest.fixture
def image_sim(simulator_factory):
    return start_image_sim(simulator_factory)


def test_dynamic_client_import_and_istag(image_sim, docker_registry, oci_images):
    sim, client = image_sim
    reg = docker_registry
    trust_registry_ca(client, reg)
    add_pull_secret(client, reg)
    repo = unique_repo()
    d1 = reg.push(oci_images["v1"], f"{repo}:latest")
    kubeconfig = os.path.join(sim.state_dir, "kubeconfig")
    dyn = dynamic.DynamicClient(kconfig.new_client_from_config(config_file=kubeconfig))
    isi_api = dyn.resources.get(api_version="image.openshift.io/v1", kind="ImageStreamImport")
    out = isi_api.create(namespace=NS, body={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamImport", "metadata": {"name": "dyn"},
        "spec": {"import": True, "images": [{"from": {"kind": "DockerImage", "name": f"{reg.host}/{repo}:latest"},
                                             "to": {"name": "v1"}}]}})
    assert out.status.images[0].image.metadata.name == d1
    istags = dyn.resources.get(api_version="image.openshift.io/v1", kind="ImageStreamTag")
    ist = istags.get(namespace=NS, name="dyn:v1")
    assert ist.image.metadata.name == d1 and ist.tag.name == "v1"
    with pytest.raises(BadRequestError):
        istags.get(namespace=NS, name="dyn")
    with pytest.raises(NotFoundError):
        istags.get(namespace=NS, name="dyn:nope")
    streams = dyn.resources.get(api_version="image.openshift.io/v1", kind="ImageStream")
    listed = streams.get(namespace=NS)
    assert [s.metadata.name for s in listed.items] == ["dyn"]
    # oc tag equivalent: a tracking tag through the istag API, resolved at once by the server
    istags.create(namespace=NS, body={"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
                                      "metadata": {"name": "dyn:prod"},
                                      "tag": {"from": {"kind": "ImageStreamTag", "name": "dyn:v1"}}})
    assert istags.get(namespace=NS, name="dyn:prod").image.metadata.name == d1
    istags.delete(namespace=NS, name="dyn:prod")
    with pytest.raises(NotFoundError):
        istags.get(namespace=NS, name="dyn:prod")
