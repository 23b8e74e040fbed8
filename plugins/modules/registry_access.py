#!/usr/bin/python
# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: registry_access
short_description: Grant registry roles to users, groups and service accounts; define the metrics scraper role
version_added: 0.1.0
description:
  - Binds a registry role (for example C(registry-viewer) to pull, C(registry-editor) to push, or
    C(system:image-builder) to push into one project) to users, groups and service accounts, with one
    ClusterRoleBinding (cluster-wide) or one RoleBinding (when O(namespace) is set) owned by this task.
  - With O(metrics_role=true) it also makes sure the ClusterRole named O(role) exists and allows exactly
    C(get) on C(image.openshift.io) C(registry/metrics), the role the product documentation calls
    C(prometheus-scraper), before binding it.
  - The role reference of an existing binding cannot change; a binding of the same name that grants another
    role makes the task fail before anything is written.
author:
  - ocp.registry maintainers (@ocp-collections)
extends_documentation_fragment:
  - ocp.registry.auth
  - ocp.registry.attributes
options:
  role:
    description: Name of the role to grant (and to define, with O(metrics_role)).
    type: str
    required: true
  role_kind:
    description: Kind of the role. C(Role) needs O(namespace).
    type: str
    choices: [ClusterRole, Role]
    default: ClusterRole
  namespace:
    description:
      - Grant the role in this namespace only (a RoleBinding). Unset or empty grants it cluster-wide
        (a ClusterRoleBinding).
    type: str
  binding_name:
    description: Name of the binding. Defaults to C(ocp-registry-<role>) with C(:) replaced by C(-).
    type: str
  users:
    description: User names to bind.
    type: list
    elements: str
    default: []
  groups:
    description: Group names to bind.
    type: list
    elements: str
    default: []
  service_accounts:
    description:
      - Service accounts to bind, as C(<namespace>/<name>) or C(system:serviceaccount:<namespace>:<name>).
        A bare C(<name>) means a service account in O(namespace) (namespaced bindings only).
    type: list
    elements: str
    default: []
  exclusive:
    description:
      - When true the binding's subjects are exactly the given ones (others are removed from this binding).
        When false the given subjects are added to those already bound.
    type: bool
    default: true
  metrics_role:
    description:
      - Also create or correct the ClusterRole O(role) with the single rule that allows reading the registry
        metrics. With no subject given, only the role is defined.
    type: bool
    default: false
  state:
    description: C(present) creates or updates the binding; C(absent) deletes it (the metrics role is kept).
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Let the developers group pull from the registry
  ocp.registry.registry_access:
    role: registry-viewer
    groups: [developers]

- name: Let the CI robot push images into the builds project
  ocp.registry.registry_access:
    role: system:image-builder
    namespace: builds
    service_accounts: [ci/pipeline]

- name: Define the metrics scraper role and bind it to Prometheus' service account
  ocp.registry.registry_access:
    role: prometheus-scraper
    metrics_role: true
    service_accounts: [openshift-monitoring/prometheus-k8s]
"""

RETURN = r"""
binding:
  description: The binding after the task (predicted in check mode); null when absent or not needed.
  returned: always
  type: dict
  contains:
    kind:
      description: C(ClusterRoleBinding) or C(RoleBinding).
      type: str
      returned: success
    name:
      description: Binding name.
      type: str
      returned: success
    namespace:
      description: Namespace of a RoleBinding.
      type: str
      returned: success
    role_ref:
      description: The granted role (C(apiGroup), C(kind), C(name)).
      type: dict
      returned: success
    subjects:
      description: Bound subjects (C(kind), C(name), C(namespace), C(apiGroup)).
      type: list
      elements: dict
      returned: success
metrics_role:
  description: The metrics ClusterRole (name and rules) when O(metrics_role=true), else null.
  returned: always
  type: dict
"""

# First, so that the module_utils below are compiled once, not twice (see compile_once.py).
from ansible_collections.ocp.registry.plugins.module_utils import compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.ocp.registry.plugins.module_utils.access import run
from ansible_collections.ocp.registry.plugins.module_utils.module import RegistryModule


def argument_spec() -> dict:
    return {
        "role": {"type": "str", "required": True},
        "role_kind": {"type": "str", "choices": ["ClusterRole", "Role"], "default": "ClusterRole"},
        "namespace": {"type": "str"},
        "binding_name": {"type": "str"},
        "users": {"type": "list", "elements": "str", "default": []},
        "groups": {"type": "list", "elements": "str", "default": []},
        "service_accounts": {"type": "list", "elements": "str", "default": []},
        "exclusive": {"type": "bool", "default": True},
        "metrics_role": {"type": "bool", "default": False},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }


def main() -> None:
    module = RegistryModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
