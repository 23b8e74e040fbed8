#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: registry_ca_trust
short_description: Make hosts or the cluster trust a registry's CA
version_added: 0.1.0
author:
  - ocp.registry maintainers (@ocp-collections)
description:
  - "O(side=host) (runs on the target host, as root): writes the CA for O(registry) into
    C(/etc/containers/certs.d/<host[:port]>/ca.crt) (podman, skopeo, buildah, CRI-O),
    C(/etc/docker/certs.d/<host[:port]>/ca.crt) (docker) and the OS trust store, then runs the OS refresh
    command (C(update-ca-trust extract) on RHEL and Fedora, C(update-ca-certificates) on Debian, Ubuntu and
    SUSE) only when the trust store file changed. Files are written atomically with mode C(0644)."
  - "O(side=cluster) (talks to the API): puts the CA under the key C(host) or C(host..port) of a config map in
    C(openshift-config), keeping its other keys, and points C(images.config.openshift.io/cluster)
    C(spec.additionalTrustedCA) at it, so image imports, builds and nodes trust the registry."
  - O(state=absent) removes exactly what O(state=present) writes. On the host it also removes the per-host
    C(certs.d) directory when it is left empty, because containers/image uses the first per-host directory
    that exists, so an empty C(/etc/containers/certs.d/<host>) would hide C(/etc/docker/certs.d/<host>).
requirements:
  - Python C(cryptography) 3.1 or later where the task runs, to check that O(ca) is a CA certificate. Without
    it the CA is only checked to be PEM, with a warning.
extends_documentation_fragment:
  - ocp.registry.auth
  - ocp.registry.attributes
  - ocp.registry.attributes.ACTIONGROUP_REGISTRY
attributes:
  diff_mode:
    details: Certificate subjects and SHA-256 fingerprints per file (host) or per config map key (cluster).
options:
  side:
    description:
      - C(host) writes files on the target host; C(cluster) writes the config map and the image config.
      - The connection options are used only with C(cluster).
    type: str
    choices: [host, cluster]
    default: host
  registry:
    description:
      - The registry as clients name it, C(host) or C(host:port), without scheme or path, for example
        C(default-route-openshift-image-registry.apps.example.com) or C(mirror.example.com:5000).
    type: str
    required: true
  ca:
    description:
      - The CA certificate(s) to trust, as PEM text. Each must be a CA (basicConstraints CA:TRUE) or a
        self-signed certificate. Required with O(state=present) unless O(ca_path) is given.
    type: str
  ca_path:
    description: Path to the CA certificate(s) (PEM) on the host where the task runs.
    type: path
  state:
    description: Whether the CA should be trusted.
    type: str
    choices: [present, absent]
    default: present
  trust_stores:
    description:
      - O(side=host) only. Which stores to write. Default is all three.
      - C(containers) is C(/etc/containers/certs.d), C(docker) is C(/etc/docker/certs.d), C(system) is the OS
        trust store of O(os_family).
    type: list
    elements: str
    choices: [containers, docker, system]
  root:
    description:
      - O(side=host) only. Directory that all paths are relative to, C(/) by default. With any other root
        the OS refresh command runs only when O(refresh_command) is set (for image builds and tests).
    type: path
  os_family:
    description:
      - O(side=host) only. OS family that decides the trust store directory and refresh command; by default
        it is read from C(<root>/etc/os-release). Pass C({{ ansible_os_family }}) to use gathered facts.
    type: str
    choices: [auto, RedHat, Debian, Suse]
  refresh_command:
    description:
      - O(side=host) only. Command (argument list, no shell) that refreshes the OS trust store after the
        anchor file changed, instead of the OS family's default. If it fails, the anchor change is rolled back
        and the task fails, so the next run tries again.
    type: list
    elements: str
  anchor_name:
    description:
      - O(side=host) only. File name in the OS trust store directory. Must end in C(.crt). Defaults to
        C(ocp-registry-<host>_<port>.crt).
    type: str
  config_map:
    description:
      - O(side=cluster) only. Name of the config map in C(openshift-config). Defaults to the one
        C(spec.additionalTrustedCA) already names, or C(registry-cas) when none is set.
      - Naming another config map than the one currently referenced re-points C(additionalTrustedCA), with a
        warning, because the CAs in the old one stop being trusted.
      - With O(state=absent), the config map is deleted (and C(additionalTrustedCA) cleared) only when this
        module created it and no other CA is left in it.
    type: str
notes:
  - On the host, run with C(become=true); the files belong to root.
  - The cluster side does not restart anything; the image registry operator and the machine config
    operator pick the change up.
seealso:
  - module: ocp.registry.registry_certificate
  - module: ocp.registry.registry_route
"""

EXAMPLES = r"""
- name: Trust the registry's CA on every node and workstation (podman, skopeo, docker, system)
  ocp.registry.registry_ca_trust:
    registry: hub.example.com
    ca_path: /etc/origin/master/ca.crt
  become: true

- name: Only for containers/image tools, registry on a port
  ocp.registry.registry_ca_trust:
    registry: mirror.example.com:5000
    ca: "{{ lookup('file', 'pki/ca.crt') }}"
    trust_stores: [containers]
  become: true

- name: Let the cluster trust an external registry for image imports
  ocp.registry.registry_ca_trust:
    side: cluster
    registry: mirror.example.com:5000
    ca: "{{ lookup('file', 'pki/ca.crt') }}"
  delegate_to: localhost

- name: Stop trusting it again
  ocp.registry.registry_ca_trust:
    registry: mirror.example.com:5000
    state: absent
  become: true
"""

RETURN = r"""
side:
  description: The side that was handled.
  returned: always
  type: str
registry:
  description: The registry as used for the file names (host side) or as given (cluster side).
  returned: always
  type: str
files:
  description: O(side=host). One entry per trust store file with what was done.
  returned: when O(side=host)
  type: list
  elements: dict
  sample:
    - {store: containers, path: /etc/containers/certs.d/mirror.example.com:5000/ca.crt, action: written,
       directory_removed: false}
os_family:
  description: O(side=host). The OS family used for the system trust store (null without C(system)).
  returned: when O(side=host)
  type: str
refreshed:
  description: O(side=host). Whether the trust store refresh command ran.
  returned: when O(side=host)
  type: bool
refresh_command:
  description: O(side=host). The refresh command that ran or would run (null when none was needed).
  returned: when O(side=host)
  type: list
  elements: str
key:
  description: O(side=cluster). The config map key, C(host) or C(host..port).
  returned: when O(side=cluster)
  type: str
  sample: mirror.example.com..5000
config_map:
  description: O(side=cluster). Name of the config map in C(openshift-config).
  returned: when O(side=cluster)
  type: str
config_map_deleted:
  description: O(side=cluster). Whether the (emptied, module-created) config map was deleted.
  returned: when O(side=cluster)
  type: bool
additional_trusted_ca:
  description: O(side=cluster). The config map C(spec.additionalTrustedCA) names afterwards.
  returned: when O(side=cluster)
  type: str
"""

# First, so that the module_utils below are compiled once, not twice (see compile_once.py).
from ansible_collections.ocp.registry.plugins.module_utils import compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.ocp.registry.plugins.module_utils.ca_trust import run
from ansible_collections.ocp.registry.plugins.module_utils.module import RegistryModule


def argument_spec():
    return dict(
        side=dict(type="str", choices=["host", "cluster"], default="host"),
        registry=dict(type="str", required=True),
        ca=dict(type="str"),
        ca_path=dict(type="path"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        trust_stores=dict(type="list", elements="str", choices=["containers", "docker", "system"]),
        root=dict(type="path"),
        os_family=dict(type="str", choices=["auto", "RedHat", "Debian", "Suse"]),
        refresh_command=dict(type="list", elements="str"),
        anchor_name=dict(type="str"),
        config_map=dict(type="str"),
    )


def main():
    module = RegistryModule(argument_spec=argument_spec(), supports_check_mode=True,
                            mutually_exclusive=[("ca", "ca_path")])
    module.run(run)


if __name__ == "__main__":
    main()
