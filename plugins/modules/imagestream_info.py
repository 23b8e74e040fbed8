#!/usr/bin/python
# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: imagestream_info
short_description: List ImageStreams with their tags, current digests and full history
version_added: 0.1.0
author:
  - ocp.registry maintainers (@ocp-collections)
description:
  - Reads the ImageStreams of a namespace (or one stream), like C(oc describe is), C(oc get istag) and
    C(oc adm top imagestreams), and returns plain data that C(json_query) (jmespath) can filter.
  - Per stream the internal and public repository, the lookup policy, and per tag its spec (source, policies),
    current digest and pull spec, the full history (digest, pull spec, created, generation) and conditions.
  - With O(sizes=true) the size of each image is read from its Image metadata (one GET per distinct image).
extends_documentation_fragment:
  - ocp.registry.auth
  - ocp.registry.attributes.INFO_MODULE
options:
  name:
    description: Only this stream. An unknown stream gives an empty list.
    type: str
  namespace:
    description: Namespace to list; unset lists every namespace (or the kubeconfig context's namespace with O(name)).
    type: str
  label_selectors:
    description: Label selectors (ANDed), for example V(app=web).
    type: list
    elements: str
    default: []
  sizes:
    description:
      - Add C(size) in bytes per tag (the image's layers) and per stream (every distinct layer of the stream's images
        counted once, like C(oc adm top imagestreams)), where image metadata has it.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: All streams of a namespace
  ocp.registry.imagestream_info:
    namespace: my-project
  register: info

- name: Current digest of app:latest
  ansible.builtin.debug:
    msg: "{{ info.imagestreams | community.general.json_query(query) }}"
  vars:
    query: "[?name=='app'].tags[] | [?name=='latest'].digest | [0]"

- name: Every digest ever tagged in app (for a rollback by digest)
  ansible.builtin.debug:
    msg: "{{ info.imagestreams | community.general.json_query(query) }}"
  vars:
    query: "[?name=='app'].tags[].history[].digest"

- name: Tags whose last import failed
  ansible.builtin.debug:
    msg: "{{ info.imagestreams | community.general.json_query(query) }}"
  vars:
    query: "[].tags[?conditions[?type=='ImportSuccess' && status=='False']].name[]"

- name: Stream sizes like oc adm top imagestreams
  ocp.registry.imagestream_info:
    namespace: my-project
    sizes: true
"""

RETURN = r"""
imagestreams:
  description: The streams.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: Stream name., type: str}
    namespace: {description: Namespace., type: str}
    internal_repository: {description: Repository in the integrated registry., type: str,
                          sample: "image-registry.openshift-image-registry.svc:5000/my-project/app"}
    public_repository: {description: "Repository through the registry's public route, or null.", type: str}
    lookup_local: {description: Local lookup policy., type: bool}
    unique_images: {description: Number of distinct images in the history of all tags., type: int}
    images: {description: "Those distinct digests, newest first per tag.", type: list, elements: str}
    size: {description: "Bytes of the distinct layers of all images in the history (with O(sizes)); null when unknown.", type: int}
    tags:
      description: Spec and status tags.
      type: list
      elements: dict
      sample:
        - name: latest
          spec: {from: {kind: DockerImage, name: "quay.io/ns/app:v2"}, reference: false, reference_policy: Source,
                 scheduled: false, insecure: false, import_mode: Legacy, annotations: {}, generation: 3}
          digest: "sha256:1318..."
          pull_spec: "quay.io/ns/app@sha256:1318..."
          created: "2026-01-01T00:00:00Z"
          history:
            - {digest: "sha256:1318...", pull_spec: "quay.io/ns/app@sha256:1318...", created: "2026-01-01T00:00:00Z",
               generation: 3}
            - {digest: "sha256:c505...", pull_spec: "quay.io/ns/app@sha256:c505...", created: "2025-12-31T00:00:00Z",
               generation: 2}
          conditions: []
"""

# First, so that the module_utils below are compiled once, not twice (see compile_once.py).
from ansible_collections.ocp.registry.plugins.module_utils import compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.ocp.registry.plugins.module_utils.imagestream_info import argument_spec, run
from ansible_collections.ocp.registry.plugins.module_utils.module import RegistryModule


def main():
    module = RegistryModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
