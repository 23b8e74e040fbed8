#!/usr/bin/python
# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: registry_storage_claim
short_description: Create the PersistentVolumeClaim that holds the image registry's data
version_added: 0.1.0
description:
  - Creates (or removes) a PersistentVolumeClaim for the OpenShift integrated image registry, with the size,
    access mode, volume mode and storage class you choose, in C(openshift-image-registry) by default.
  - Use it before pointing the registry at the claim with M(ocp.registry.image_registry_config)
    (C(storage.pvc.claim)). A ReadWriteMany claim allows two or more registry replicas; a ReadWriteOnce or block
    claim allows one replica with the C(Recreate) rollout strategy.
  - Access modes, volume mode and storage class cannot change once a claim exists; the module fails with a
    message naming the option before writing anything. The size can only grow (volume expansion).
  - An existing claim that already matches is left alone (one GET, no write).
author:
  - ocp.registry maintainers (@ocp-collections)
extends_documentation_fragment:
  - ocp.registry.auth
  - ocp.registry.attributes
options:
  name:
    description: Name of the claim.
    type: str
    default: image-registry-storage
  namespace:
    description: Namespace of the claim.
    type: str
    default: openshift-image-registry
  state:
    description: C(present) creates or expands the claim; C(absent) deletes it (and, with most storage classes, its data).
    type: str
    choices: [present, absent]
    default: present
  size:
    description:
      - Requested capacity, a Kubernetes quantity such as C(100Gi) (the documented minimum for the registry).
      - Growing an existing claim patches its request; shrinking is refused.
    type: str
    default: 100Gi
  access_mode:
    description:
      - C(ReadWriteMany) for a highly available registry (2 or more replicas).
      - C(ReadWriteOnce) for a single replica with the C(Recreate) rollout strategy (block storage, for example).
    type: str
    choices: [ReadWriteMany, ReadWriteOnce]
    default: ReadWriteMany
  volume_mode:
    description: C(Filesystem), or C(Block) for a raw block volume.
    type: str
    choices: [Filesystem, Block]
    default: Filesystem
  storage_class:
    description:
      - StorageClass of the claim. Leave unset to use the cluster's default class; an empty string asks for no
        class (static binding).
    type: str
  labels:
    description: Labels to set on the claim (merged with existing ones).
    type: dict
  annotations:
    description: Annotations to set on the claim (merged with existing ones).
    type: dict
notes:
  - The operator itself creates C(image-registry-storage) (ReadWriteMany, 100Gi) when C(storage.pvc.claim) is left
    empty, and refuses a claim of that name that it did not create. When you create the claim with this module,
    name it explicitly in C(storage.pvc.claim).
"""

EXAMPLES = r"""
- name: A 200Gi ReadWriteMany claim on the cephfs class, for two registry replicas
  ocp.registry.registry_storage_claim:
    size: 200Gi
    access_mode: ReadWriteMany
    storage_class: ocs-storagecluster-cephfs

- name: A block claim for a single-replica registry (vSphere VMDK)
  ocp.registry.registry_storage_claim:
    name: image-registry-block
    access_mode: ReadWriteOnce
    volume_mode: Block
    storage_class: thin-csi
"""

RETURN = r"""
claim:
  description: The claim after the task (the predicted claim in check mode); null after C(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Claim name.
      type: str
      returned: success
    namespace:
      description: Claim namespace.
      type: str
      returned: success
    size:
      description: Requested size.
      type: str
      returned: success
      sample: 100Gi
    access_modes:
      description: Access modes.
      type: list
      elements: str
      returned: success
    volume_mode:
      description: Volume mode.
      type: str
      returned: success
    storage_class:
      description: StorageClass name (null when unset).
      type: str
      returned: success
    phase:
      description: Claim phase (C(Pending), C(Bound) or C(Lost)) when the cluster reported one.
      type: str
      returned: success
"""

# First, so that the module_utils below are compiled once, not twice (see compile_once.py).
from ansible_collections.ocp.registry.plugins.module_utils import compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.ocp.registry.plugins.module_utils.module import RegistryModule
from ansible_collections.ocp.registry.plugins.module_utils.storage_claim import run


def argument_spec() -> dict:
    return {
        "name": {"type": "str", "default": "image-registry-storage"},
        "namespace": {"type": "str", "default": "openshift-image-registry"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "size": {"type": "str", "default": "100Gi"},
        "access_mode": {"type": "str", "choices": ["ReadWriteMany", "ReadWriteOnce"], "default": "ReadWriteMany"},
        "volume_mode": {"type": "str", "choices": ["Filesystem", "Block"], "default": "Filesystem"},
        "storage_class": {"type": "str"},
        "labels": {"type": "dict"},
        "annotations": {"type": "dict"},
    }


def main() -> None:
    module = RegistryModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
