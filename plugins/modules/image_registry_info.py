#!/usr/bin/python
# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: image_registry_info
short_description: Report the state of the OpenShift integrated image registry
version_added: 0.1.0
author:
  - ocp.registry maintainers (@ocp-collections)
description:
  - Reads the registry Config, the ClusterOperator C(image-registry), the registry routes and
    C(images.config.openshift.io/cluster), and reports management state, effective storage, replicas,
    conditions and host names. Never changes anything.
  - With O(check=true), also sends C(GET /v2/) to each public host name over TLS with the cluster token and
    reports whether it was reached and the HTTP status. DNS, connection and TLS errors are reported, not raised.
extends_documentation_fragment:
  - ocp.registry.auth
  - ocp.registry.attributes.INFO_MODULE
  - ocp.registry.attributes.ACTIONGROUP_REGISTRY
options:
  check:
    description: Probe C(https://<host>/v2/) for each public host name (or O(check_hosts)).
    type: bool
    default: false
  check_hosts:
    description:
      - Hosts to probe instead of the public host names found, as C(host) or C(host:port), for example a load
        balancer in front of the routes.
    type: list
    elements: str
  check_validate_certs:
    description: Verify the registry's TLS certificate and host name. Turn off only for throw-away clusters.
    type: bool
    default: true
  check_ca_path:
    description: PEM file with the CA that signed the route certificates (the system trust store otherwise).
    type: path
  check_timeout:
    description: Seconds to wait for each probe.
    type: int
    default: 10
notes:
  - The token is sent only to the probed hosts, over TLS, and never appears in the result.
seealso:
  - module: ocp.registry.image_registry_config
"""

EXAMPLES = r"""
- name: Read the registry state
  ocp.registry.image_registry_info:
  register: registry

- name: Show where to push
  ansible.builtin.debug:
    msg: "{{ registry.public_hostnames | first | default(registry.internal_hostname) }}"

- name: Check that the public route answers
  ocp.registry.image_registry_info:
    check: true
    check_ca_path: /etc/pki/ca-trust/source/anchors/ingress-ca.crt
  register: probe
"""

RETURN = r"""
exists:
  description: Whether the Config C(cluster) exists.
  returned: always
  type: bool
management_state:
  description: C(spec.managementState) of the Config.
  returned: always
  type: str
  sample: Managed
storage:
  description: The effective storage the operator configured (C(status.storage)).
  returned: always
  type: dict
  sample: {pvc: {claim: image-registry-storage}, managementState: Managed}
storage_managed:
  description: Whether the operator owns the storage (C(status.storageManaged)).
  returned: always
  type: bool
spec_storage:
  description: The requested storage (C(spec.storage)).
  returned: always
  type: dict
replicas:
  description: Requested number of registry pods.
  returned: always
  type: int
ready_replicas:
  description: Registry pods that are ready.
  returned: always
  type: int
rollout_strategy:
  description: C(spec.rolloutStrategy) (empty means RollingUpdate).
  returned: always
  type: str
default_route:
  description: Whether the default route is enabled.
  returned: always
  type: bool
available:
  description:
    - True when the Config (for its current generation) and the ClusterOperator are Available, not Progressing and
      not Degraded.
  returned: always
  type: bool
conditions:
  description: Available, Progressing and Degraded conditions of the Config.
  returned: always
  type: list
  elements: dict
all_conditions:
  description: Every condition of the Config, as the operator wrote them.
  returned: always
  type: list
  elements: dict
cluster_operator_conditions:
  description: Available, Progressing and Degraded conditions of the ClusterOperator C(image-registry).
  returned: always
  type: list
  elements: dict
internal_hostname:
  description:
    - The in-cluster registry address from C(images.config.openshift.io/cluster) status; while that is not
      written yet and the registry is Managed, the well-known service address.
  returned: always
  type: str
  sample: image-registry.openshift-image-registry.svc:5000
public_hostnames:
  description: Host names of C(default-route) (when enabled) and of each C(spec.routes) entry.
  returned: always
  type: list
  elements: str
routes:
  description: The registry routes, with C(name), C(host), C(admitted) and C(exists).
  returned: always
  type: list
  elements: dict
image_config:
  description: Settings of C(images.config.openshift.io/cluster).
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the object exists.
      type: bool
    external_registry_hostnames:
      description: C(spec.externalRegistryHostnames).
      type: list
      elements: str
    additional_trusted_ca:
      description: Name of the ConfigMap in C(openshift-config) named by C(spec.additionalTrustedCA).
      type: str
    allowed_registries_for_import:
      description: C(spec.allowedRegistriesForImport).
      type: list
      elements: dict
    registry_sources:
      description: C(spec.registrySources).
      type: dict
    status:
      description: C(internal_registry_hostname) and C(external_registry_hostnames) from the status.
      type: dict
config:
  description: The Config object with C(spec.httpSecret) redacted; null when it does not exist.
  returned: always
  type: dict
check:
  description: One entry per probed host.
  returned: when O(check=true)
  type: list
  elements: dict
  contains:
    host:
      description: The probed host.
      type: str
    url:
      description: The probed URL.
      type: str
    reached:
      description: Whether an HTTP answer came back over a verified TLS connection (or an unverified one with
        O(check_validate_certs=false)).
      type: bool
    status:
      description: HTTP status of the answer (200 when the token was accepted, 401 when it was not).
      type: int
    authenticated:
      description: Whether the status was 200.
      type: bool
    error:
      description: Why the host was not reached (DNS, connection or TLS problem).
      type: str
"""

# First, so that the module_utils below are compiled once, not twice (see compile_once.py).
from ansible_collections.ocp.registry.plugins.module_utils import compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.ocp.registry.plugins.module_utils.module import RegistryModule
from ansible_collections.ocp.registry.plugins.module_utils.registry_info import registry_info


def argument_spec():
    return {
        "check": {"type": "bool", "default": False},
        "check_hosts": {"type": "list", "elements": "str"},
        "check_validate_certs": {"type": "bool", "default": True},
        "check_ca_path": {"type": "path"},
        "check_timeout": {"type": "int", "default": 10},
    }


def main():
    module = RegistryModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(registry_info)


if __name__ == "__main__":
    main()
