#!/usr/bin/python
# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: image_trigger
short_description: Add, change or remove image-change triggers on workloads (oc set triggers)
version_added: 0.1.0
author:
  - ocp.registry maintainers (@ocp-collections)
description:
  - Manages the C(image.openshift.io/triggers) annotation of Deployments, StatefulSets, DaemonSets and CronJobs
    (with the right C(fieldPath) for each kind), and C(ImageChange) entries of a DeploymentConfig's C(spec.triggers),
    so that when an image stream tag moves the container image follows it.
  - Containers are selected by name (containers or init containers); the container must exist and the source must be
    V(stream:tag).
  - Existing triggers that the trigger controller would silently ignore (no colon in the name, a C(pause) key,
    a C(paused) string, a non-ImageStreamTag kind, an C(apiVersion), a fieldPath with the wrong base path or selector
    syntax, a missing container, duplicate fieldPaths) are reported as warnings; such entries are never written.
  - When triggers are written, a warning also says when the image stream does not exist yet or the tag has no image,
    as the controller then skips the trigger without a word (creating the trigger first is still allowed).
extends_documentation_fragment:
  - ocp.registry.auth
  - ocp.registry.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  kind:
    description: Kind of the workload.
    type: str
    required: true
    choices: [CronJob, DaemonSet, Deployment, DeploymentConfig, StatefulSet]
  name:
    description: Name of the workload.
    type: str
    required: true
  namespace:
    description: Namespace of the workload (default the kubeconfig context's namespace).
    type: str
  state:
    description:
      - V(present) adds or changes the listed triggers; V(absent) removes the listed containers' triggers, or every
        image trigger when O(triggers) is empty.
    type: str
    default: present
    choices: [present, absent]
  triggers:
    description: Triggers, one per container.
    type: list
    elements: dict
    suboptions:
      container:
        description: Container (or init container) name.
        type: str
        required: true
      from_tag:
        description: Image stream tag to follow, V(stream:tag) or V(namespace/stream:tag). Required with O(state=present).
        type: str
      from_namespace:
        description: Namespace of the stream (default the workload's namespace).
        type: str
      paused:
        description: Keep the trigger but do not act on it.
        type: bool
        default: false
  exclusive:
    description: With O(state=present), remove the image triggers of containers that O(triggers) does not list.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: oc set triggers deployment/myapp --from-image ubi:8 -c myapp
  ocp.registry.image_trigger:
    kind: Deployment
    name: myapp
    namespace: my-project
    triggers:
      - container: myapp
        from_tag: ubi:8

- name: A CronJob following a stream of another namespace, paused for now
  ocp.registry.image_trigger:
    kind: CronJob
    name: nightly
    namespace: my-project
    triggers:
      - container: job
        from_tag: shared/tools:stable
        paused: true

- name: Remove every image trigger of a DeploymentConfig
  ocp.registry.image_trigger:
    kind: DeploymentConfig
    name: legacy
    namespace: my-project
    state: absent
"""

RETURN = r"""
triggers:
  description: The workload's image triggers after the task.
  returned: success
  type: list
  elements: dict
  sample:
    - container: myapp
      from: "ubi:8"
      namespace: my-project
      paused: false
      field_path: 'spec.template.spec.containers[?(@.name=="myapp")].image'
      problems: []
"""

from ansible_collections.ocp.registry.plugins.module_utils.module import RegistryModule
from ansible_collections.ocp.registry.plugins.module_utils.trigger import argument_spec, run


def main():
    module = RegistryModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
