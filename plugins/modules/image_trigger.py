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
options:
  kind:
    description: Kind of the workload. Required with O(name).
    type: str
    choices: [CronJob, DaemonSet, Deployment, DeploymentConfig, StatefulSet]
  name:
    description: Name of the workload. Required unless O(objects) is given.
    type: str
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
  objects:
    description:
      - Many workloads in one task (one GET each when nothing changes; every object is read and checked before the
        first write). Unset O(objects[].namespace), O(objects[].state) and O(objects[].exclusive) come from the task.
    type: list
    elements: dict
    suboptions:
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
        description: Namespace (default O(namespace)).
        type: str
      state:
        description: As O(state).
        type: str
        choices: [present, absent]
      triggers:
        description: As O(triggers).
        type: list
        elements: dict
        suboptions:
          container:
            description: Container (or init container) name.
            type: str
            required: true
          from_tag:
            description: Image stream tag to follow, V(stream:tag) or V(namespace/stream:tag).
            type: str
          from_namespace:
            description: Namespace of the stream.
            type: str
          paused:
            description: Keep the trigger but do not act on it.
            type: bool
            default: false
      exclusive:
        description: As O(exclusive).
        type: bool
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

- name: Several workloads in one task
  ocp.registry.image_trigger:
    namespace: my-project
    objects:
      - {kind: Deployment, name: web, triggers: [{container: web, from_tag: "app:prod"}]}
      - {kind: StatefulSet, name: db, triggers: [{container: db, from_tag: "postgres:15"}]}

- name: Remove every image trigger of a DeploymentConfig
  ocp.registry.image_trigger:
    kind: DeploymentConfig
    name: legacy
    namespace: my-project
    state: absent
"""

RETURN = r"""
results:
  description: With O(objects), one entry per workload (kind, name, namespace, changed, triggers).
  returned: with O(objects)
  type: list
  elements: dict
triggers:
  description: The workload's image triggers after the task.
  returned: without O(objects)
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

# First, so that the module_utils below are compiled once, not twice (see compile_once.py).
from ansible_collections.ocp.registry.plugins.module_utils import compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.ocp.registry.plugins.module_utils.module import RegistryModule
from ansible_collections.ocp.registry.plugins.module_utils.trigger import (
    MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF, REQUIRED_TOGETHER, argument_spec, run)


def main():
    module = RegistryModule(argument_spec=argument_spec(), supports_check_mode=True,
                            mutually_exclusive=MUTUALLY_EXCLUSIVE, required_one_of=REQUIRED_ONE_OF,
                            required_together=REQUIRED_TOGETHER)
    module.run(run)


if __name__ == "__main__":
    main()
