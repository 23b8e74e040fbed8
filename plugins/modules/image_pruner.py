#!/usr/bin/python
# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: image_pruner
short_description: Configure the automatic image pruner (imagepruners.imageregistry.operator.openshift.io/cluster)
version_added: 0.1.0
author:
  - ocp.registry maintainers (@ocp-collections)
description:
  - Sets the fields of the ImagePruner C(cluster) that the task names, and only those. The operator turns them
    into the C(image-pruner) CronJob in C(openshift-image-registry).
  - Creates the ImagePruner when the operator has not created it yet.
  - There is no removed state; O(suspend=true) turns pruning off.
  - With O(wait=true), returns once the ImagePruner reports Available=True and Degraded=False for the written
    generation (the operator has created the C(image-pruner) CronJob). Check mode never waits.
extends_documentation_fragment:
  - ocp.registry.auth
  - ocp.registry.auth.WAIT
  - ocp.registry.attributes
  - ocp.registry.attributes.ACTIONGROUP_REGISTRY
options:
  schedule:
    description:
      - Cron schedule of the pruning job, five fields such as C(0 0 * * *) or a macro such as C(@daily). An empty
        string selects the operator's default (C(0 0 * * *)).
    type: str
  suspend:
    description: Whether pruning is suspended.
    type: bool
  keep_tag_revisions:
    description: Number of revisions per tag to keep.
    type: int
  keep_younger_than_duration:
    description: Keep images younger than this duration, such as C(60m) or C(24h).
    type: str
  ignore_invalid_image_references:
    description: Whether the pruner ignores image references it cannot parse instead of failing.
    type: bool
  resources:
    description: Kubernetes resource requests and limits of the pruner pod.
    type: dict
  node_selector:
    description: Node labels the pruner pod must match.
    type: dict
  tolerations:
    description: Kubernetes tolerations of the pruner pod, as the API spells them.
    type: list
    elements: dict
  affinity:
    description: Kubernetes affinity of the pruner pod, as the API spells it.
    type: dict
  log_level:
    description: Log level of the pruner.
    type: str
    choices: [Normal, Debug, Trace, TraceAll]
  successful_jobs_history_limit:
    description: Number of successful pruner jobs to keep.
    type: int
  failed_jobs_history_limit:
    description: Number of failed pruner jobs to keep.
    type: int
seealso:
  - module: ocp.registry.image_registry_config
"""

EXAMPLES = r"""
- name: Prune nightly, keep 5 revisions and everything younger than a day
  ocp.registry.image_pruner:
    schedule: "0 2 * * *"
    suspend: false
    keep_tag_revisions: 5
    keep_younger_than_duration: 24h

- name: Stop pruning
  ocp.registry.image_pruner:
    suspend: true
"""

RETURN = r"""
pruner:
  description: The ImagePruner object after the task (predicted in check mode).
  returned: always
  type: dict
conditions:
  description: Available, Scheduled, Failed and Degraded conditions of the ImagePruner.
  returned: always
  type: list
  elements: dict
"""

import copy

# First, so that the module_utils below are compiled once, not twice (see compile_once.py).
from ansible_collections.ocp.registry.plugins.module_utils import compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.ocp.registry.plugins.module_utils.args_common import WAIT_ARG_SPEC
from ansible_collections.ocp.registry.plugins.module_utils.module import RegistryModule
from ansible_collections.ocp.registry.plugins.module_utils.pruner import ensure_pruner


def argument_spec():
    spec = {
        "schedule": {"type": "str"},
        "suspend": {"type": "bool"},
        "keep_tag_revisions": {"type": "int"},
        "keep_younger_than_duration": {"type": "str"},
        "ignore_invalid_image_references": {"type": "bool"},
        "resources": {"type": "dict"},
        "node_selector": {"type": "dict"},
        "tolerations": {"type": "list", "elements": "dict"},
        "affinity": {"type": "dict"},
        "log_level": {"type": "str", "choices": ["Normal", "Debug", "Trace", "TraceAll"]},
        "successful_jobs_history_limit": {"type": "int"},
        "failed_jobs_history_limit": {"type": "int"},
    }
    spec.update(copy.deepcopy(WAIT_ARG_SPEC))
    return spec


def main():
    module = RegistryModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(ensure_pruner)


if __name__ == "__main__":
    main()
