"""Playbook generators for the benchmark cases (ours and the peers), used by benchmarks/run.py.

Every generator returns a `Job`: the playbook text (JSON, which is YAML), the number of module tasks it runs and
the number of objects it handles. Playbooks run on localhost; modules take their connection from the environment
(K8S_AUTH_KUBECONFIG), ours and the peers alike. A job is run twice in the same namespace: the first run creates
or changes, the second run is the no-op re-run.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

TAGS = ("a", "b", "c")
IMAGE = "quay.io/bench/app"


@dataclass
class Job:
    playbook: str
    tasks: int
    objects: int


def _play(tasks: list, name: str = "bench") -> str:
    return json.dumps([{"name": name, "hosts": "localhost", "gather_facts": False, "tasks": tasks}], indent=1)


def empty() -> Job:
    """The start-up of ansible-playbook itself: subtracted from every other job's wall time."""
    return Job(_play([]), 0, 0)


def ping_loop(count: int) -> Job:
    """The floor: a loop of ansible.builtin.ping tasks (one module run per item, no API request)."""
    return Job(_play([{"name": "ping", "ansible.builtin.ping": {}, "loop": f"{{{{ range({count}) | list }}}}"}]),
               count, count)


# ------------------------------------------------------------------------------------------------
# ImageStreams with three reference tags each (no image import, so the job is exactly the object)
def _our_tags() -> list:
    return [{"name": t, "from_image": f"{IMAGE}:{t}", "reference": True} for t in TAGS]


def _api_tags() -> list:
    return [{"name": t, "from": {"kind": "DockerImage", "name": f"{IMAGE}:{t}"}, "reference": True,
             "referencePolicy": {"type": "Source"}} for t in TAGS]


def _stream_doc(name: str, namespace: str) -> dict:
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
            "metadata": {"name": name, "namespace": namespace}, "spec": {"tags": _api_tags()}}


def ours_streams_loop(namespace: str, count: int) -> Job:
    task = {"name": "imagestream loop", "ocp.registry.imagestream": {
        "name": "s{{ item }}", "namespace": namespace, "tags": _our_tags()},
        "loop": f"{{{{ range({count}) | list }}}}"}
    return Job(_play([task]), count, count)


def ours_streams_one(namespace: str, count: int) -> Job:
    streams = [{"name": f"s{i}", "tags": _our_tags()} for i in range(count)]
    task = {"name": "imagestream streams", "ocp.registry.imagestream": {"namespace": namespace, "streams": streams}}
    return Job(_play([task]), 1, count)


def k8s_streams_loop(namespace: str, count: int) -> Job:
    doc = _stream_doc("s{{ item }}", namespace)
    task = {"name": "k8s loop", "kubernetes.core.k8s": {"state": "present", "definition": doc},
            "loop": f"{{{{ range({count}) | list }}}}"}
    return Job(_play([task]), count, count)


def k8s_streams_one(namespace: str, count: int) -> Job:
    """The peer's one-task form: one k8s task with a multi-document YAML definition (JSON documents)."""
    text = "\n---\n".join(json.dumps(_stream_doc(f"s{i}", namespace)) for i in range(count))
    task = {"name": "k8s multi-document", "kubernetes.core.k8s": {"state": "present", "definition": text}}
    return Job(_play([task]), 1, count)


# ------------------------------------------------------------------------------------------------
# A fourth tag in each of N existing streams (imagestream_tag; the peer patches the stream)
def ours_tag_loop(namespace: str, count: int) -> Job:
    task = {"name": "imagestream_tag loop", "ocp.registry.imagestream_tag": {
        "dest": ["s{{ item }}:extra"], "namespace": namespace, "from_image": f"{IMAGE}:extra", "reference": True},
        "loop": f"{{{{ range({count}) | list }}}}"}
    return Job(_play([task]), count, count)


def k8s_tag_loop(namespace: str, count: int) -> Job:
    doc = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
           "metadata": {"name": "s{{ item }}", "namespace": namespace},
           "spec": {"tags": [{"name": "extra", "from": {"kind": "DockerImage", "name": f"{IMAGE}:extra"},
                              "reference": True, "referencePolicy": {"type": "Source"}}]}}
    # strategic merge (the k8s default for an existing object) adds the tag by its name key
    task = {"name": "k8s tag loop", "kubernetes.core.k8s": {"state": "present", "definition": doc},
            "loop": f"{{{{ range({count}) | list }}}}"}
    return Job(_play([task]), count, count)


def ours_info(namespace: str, count: int) -> Job:
    task = {"name": "imagestream_info", "ocp.registry.imagestream_info": {"namespace": namespace}}
    return Job(_play([task]), 1, count)


def k8s_info(namespace: str, count: int) -> Job:
    task = {"name": "k8s_info", "kubernetes.core.k8s_info": {
        "api_version": "image.openshift.io/v1", "kind": "ImageStream", "namespace": namespace}}
    return Job(_play([task]), 1, count)


# ------------------------------------------------------------------------------------------------
# Registry configuration (configs.imageregistry.operator.openshift.io/cluster)
BENCH_LABEL = "bench.ocp.registry/run"


def ours_config(value: str) -> Job:
    task = {"name": "image_registry_config", "ocp.registry.image_registry_config": {
        "node_selector": {BENCH_LABEL: value}}}
    return Job(_play([task]), 1, 1)


def k8s_config(value: str) -> Job:
    doc = {"apiVersion": "imageregistry.operator.openshift.io/v1", "kind": "Config", "metadata": {"name": "cluster"},
           "spec": {"nodeSelector": {BENCH_LABEL: value}}}
    task = {"name": "k8s config merge", "kubernetes.core.k8s": {"state": "present", "merge_type": "merge",
                                                                "definition": doc}}
    return Job(_play([task]), 1, 1)


# ------------------------------------------------------------------------------------------------
# A custom registry route with its TLS secret
def ours_route(name: str, hostname: str, cert_file: str, key_file: str) -> Job:
    task = {"name": "registry_route custom", "ocp.registry.registry_route": {
        "mode": "custom", "name": name, "hostname": hostname, "certificate_path": cert_file, "key_path": key_file}}
    return Job(_play([task]), 1, 1)


def k8s_route(name: str, hostname: str, cert_file: str, key_file: str) -> Job:
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
              "metadata": {"name": f"{name}-tls", "namespace": "openshift-image-registry"},
              "data": {"tls.crt": f"{{{{ lookup('file', '{cert_file}') | b64encode }}}}",
                       "tls.key": f"{{{{ lookup('file', '{key_file}') | b64encode }}}}"}}
    config = {"apiVersion": "imageregistry.operator.openshift.io/v1", "kind": "Config", "metadata": {"name": "cluster"},
              "spec": {"routes": [{"name": name, "hostname": hostname, "secretName": f"{name}-tls"}]}}
    tasks = [{"name": "k8s tls secret", "kubernetes.core.k8s": {"state": "present", "definition": secret},
              "no_log": True},
             {"name": "k8s config routes", "kubernetes.core.k8s": {"state": "present", "merge_type": "merge",
                                                                   "definition": config}}]
    return Job(_play(tasks), 2, 1)


# ------------------------------------------------------------------------------------------------
# Import of a repository with 50 tags from a real docker-registry
def ours_import(namespace: str, repository: str) -> Job:
    task = {"name": "imagestream import_repository", "ocp.registry.imagestream": {
        "name": "many", "namespace": namespace, "import_repository": {"from_image": repository}}}
    return Job(_play([task]), 1, 1)


def okd_import(namespace: str, repository: str) -> Job:
    task = {"name": "openshift_import_image all", "community.okd.openshift_import_image": {
        "name": "many", "namespace": namespace, "source": repository, "all": True}}
    return Job(_play([task]), 1, 1)
