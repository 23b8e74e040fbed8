#!/usr/bin/python
# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: registry_platform_info
short_description: Report the cluster's platform and the registry storage it implies
version_added: 0.1.0
description:
  - Reads C(infrastructures.config.openshift.io/cluster) and reports the platform type (C(BareMetal), C(VSphere),
    C(AWS), C(GCP), C(Azure), C(OpenStack), ...), the infrastructure topology, and which registry storage the
    platform provides, as the image registry operator decides it at bootstrap.
  - Bare metal, vSphere and other platforms without shared object storage report C(default_storage=pvc); the
    registry starts C(Removed) there and needs storage before it can be C(Managed).
  - Never changes anything.
author:
  - ocp.registry maintainers (@ocp-collections)
extends_documentation_fragment:
  - ocp.registry.auth
  - ocp.registry.attributes.INFO_MODULE
options: {}
seealso:
  - module: ocp.registry.image_registry_info
"""

EXAMPLES = r"""
- name: Find out where the registry can keep its images
  ocp.registry.registry_platform_info:
  register: platform

- name: Use object storage on clouds
  ansible.builtin.debug:
    msg: "{{ platform.platform }} -> {{ platform.default_storage }}"
"""

RETURN = r"""
exists:
  description: Whether the Infrastructure object C(cluster) exists.
  returned: always
  type: bool
platform:
  description: C(status.platformStatus.type) (or C(status.platform)); empty when unknown.
  returned: always
  type: str
  sample: BareMetal
infrastructure_name:
  description: C(status.infrastructureName), the prefix of generated bucket names.
  returned: always
  type: str
infrastructure_topology:
  description: C(status.infrastructureTopology), C(HighlyAvailable) or C(SingleReplica).
  returned: always
  type: str
control_plane_topology:
  description: C(status.controlPlaneTopology).
  returned: always
  type: str
object_storage:
  description: Whether the platform has object storage the operator can provision (S3, GCS, Azure, Swift, IBM COS).
  returned: always
  type: bool
default_storage:
  description: C(s3), C(gcs), C(azure), C(swift), C(ibmcos), C(pvc) or C(empty_dir); empty when the platform is unknown.
  returned: always
  type: str
  sample: pvc
api_server_url:
  description: C(status.apiServerURL).
  returned: always
  type: str
"""

# First, so that the module_utils below are compiled once, not twice (see compile_once.py).
from ansible_collections.ocp.registry.plugins.module_utils import compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.ocp.registry.plugins.module_utils.module import RegistryModule
from ansible_collections.ocp.registry.plugins.module_utils.platform import run


def main() -> None:
    module = RegistryModule(argument_spec={}, supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
