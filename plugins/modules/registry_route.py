#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: registry_route
short_description: Expose an image registry through an OpenShift route
version_added: 0.1.0
author:
  - ocp.registry maintainers (@ocp-collections)
description:
  - "O(mode=default): sets C(spec.defaultRoute) on C(configs.imageregistry.operator.openshift.io/cluster); the
    operator then creates the reencrypt route C(default-route) in C(openshift-image-registry)."
  - "O(mode=custom): adds (or updates) the entry O(name) in C(spec.routes) of that config, with O(hostname) and,
    when a certificate is given, a C(kubernetes.io/tls) secret in C(openshift-image-registry) that the module
    creates from O(certificate), O(key) and O(ca_certificate) (keys C(tls.crt), C(tls.key), C(tls.cacrt), as the
    operator reads them). Other entries of C(spec.routes) are kept."
  - "O(mode=route): a standalone Route O(name) in O(namespace) to O(service) (passthrough, reencrypt or edge),
    for a 3.x-style registry service or a mirror registry running in the cluster."
  - Before any write, a certificate is checked to be PEM, to match the key, to have subjectAltNames that cover
    O(hostname) and not to be expired; a warning is given when it expires within 30 days.
  - O(state=absent) removes what the module manages.
  - With O(wait=true) the module waits for the route to be admitted (O(state=present)) or to be gone
    (O(state=absent)) and returns the admitted host(s). It reads the route quickly at first, then every
    O(wait_sleep) seconds.
  - Private keys are never returned or shown in diffs.
requirements:
  - Python C(cryptography) 3.1 or later where the task runs, when a certificate is given.
extends_documentation_fragment:
  - ocp.registry.auth
  - ocp.registry.auth.WAIT
  - ocp.registry.attributes
  - ocp.registry.attributes.ACTIONGROUP_REGISTRY
attributes:
  action:
    description: Has an action plugin, so parts of the task run on the controller.
    support: full
    details: Reads the C(*_path) files on the controller.
  check_mode:
    details: Reads the objects and predicts the result; never writes and never waits.
  diff_mode:
    details: Secret data and route keys appear as redaction markers.
options:
  mode:
    description: Which kind of route to manage (see the description).
    type: str
    choices: [default, custom, route]
    default: default
  state:
    description: Whether the route should exist.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - O(mode=custom) the C(spec.routes) entry name (and so the Route name); C(default-route) is reserved.
      - O(mode=route) the Route name. Required for both modes.
    type: str
  namespace:
    description: O(mode=route) only. Namespace of the Route and the service. Required with O(mode=route).
    type: str
  hostname:
    description:
      - The route host. Required with O(mode=custom). With O(mode=route) the router generates one when omitted;
        it is required there when a certificate is given, so the certificate can be checked against it.
    type: str
  secret_name:
    description:
      - O(mode=custom) only. Name of the TLS secret in C(openshift-image-registry). Defaults to C(<name>-tls).
      - Without O(certificate), an existing secret of that name is referenced and left alone.
      - With O(state=absent) the secret the entry references (or O(secret_name)) is deleted only when this
        module created it (label C(app.kubernetes.io/managed-by=ocp.registry)). The same holds for a secret the
        entry stops referencing because O(secret_name) changed.
    type: str
  certificate:
    description:
      - The serving certificate as PEM text, optionally followed by intermediate certificates.
      - O(mode=custom), or O(mode=route) with O(termination=edge) or O(termination=reencrypt).
    type: str
  certificate_path:
    description: Like O(certificate), read from a file on the controller (absolute, or relative to C(files/) like C(copy)'s C(src)).
    type: path
  key:
    description: The certificate's private key as PEM text (unencrypted). Never logged or returned.
    type: str
  key_path:
    description: Like O(key), read from a file on the controller.
    type: path
  ca_certificate:
    description: The CA certificate that issued O(certificate), as PEM text (C(tls.cacrt) / C(spec.tls.caCertificate)).
    type: str
  ca_certificate_path:
    description: Like O(ca_certificate), read from a file on the controller.
    type: path
  destination_ca_certificate:
    description:
      - O(mode=route) with O(termination=reencrypt) only. CA that the router uses to verify the registry service's
        certificate. When omitted the router trusts the service CA.
    type: str
  destination_ca_certificate_path:
    description: Like O(destination_ca_certificate), read from a file on the controller.
    type: path
  service:
    description: O(mode=route) only. The service the route sends traffic to. Required with O(mode=route).
    type: str
  port:
    description: O(mode=route) only. Target port of the service, a port name or a number.
    type: str
  termination:
    description:
      - O(mode=route) only. C(passthrough) (the registry serves TLS itself, like C(oc create route passthrough)),
        C(reencrypt) or C(edge). Defaults to C(passthrough).
    type: str
    choices: [passthrough, reencrypt, edge]
  insecure_edge_termination_policy:
    description: O(mode=route) only. What to do with plain HTTP requests; C(Allow) is not possible with passthrough.
    type: str
    choices: [None, Allow, Redirect]
notes:
  - The C(*_path) options are read on the controller by the module's action plugin, so the files do not need to
    exist on the host the task runs on.
  - Do not manage the same C(spec.routes) entries with this module and M(ocp.registry.image_registry_config).
seealso:
  - module: ocp.registry.registry_certificate
  - module: ocp.registry.registry_ca_trust
"""

EXAMPLES = r"""
- name: Expose the integrated registry through its default route
  ocp.registry.registry_route:
    mode: default
    wait: true
  register: route

- name: A custom host name with its own certificate
  ocp.registry.registry_route:
    mode: custom
    name: public-routes
    hostname: registry.example.com
    certificate_path: pki/registry.crt
    key_path: pki/registry.key
    ca_certificate_path: pki/ca.crt
    wait: true

- name: Passthrough route in front of a 3.x-style docker-registry service
  ocp.registry.registry_route:
    mode: route
    name: docker-registry
    namespace: default
    service: docker-registry
    port: "5000"
    hostname: hub.example.com
    termination: passthrough

- name: Reencrypt route to a mirror registry, verifying its serving certificate
  ocp.registry.registry_route:
    mode: route
    name: mirror
    namespace: mirror
    service: mirror-registry
    port: https
    hostname: mirror.apps.example.com
    termination: reencrypt
    certificate: "{{ lookup('file', 'pki/mirror.crt') }}"
    key: "{{ lookup('file', 'pki/mirror.key') }}"
    destination_ca_certificate: "{{ lookup('file', 'pki/ca.crt') }}"
  no_log: true

- name: Remove the custom route and the secret the module made
  ocp.registry.registry_route:
    mode: custom
    name: public-routes
    state: absent
"""

RETURN = r"""
host:
  description: The first admitted host of the route, else its C(spec.host); null when the route does not exist (yet).
  returned: always
  type: str
  sample: default-route-openshift-image-registry.apps.example.com
hosts:
  description: Every host the routers admitted.
  returned: always
  type: list
  elements: str
admitted:
  description: Whether at least one router admitted the route.
  returned: always
  type: bool
rejections:
  description: Routers that refused the route, with C(host), C(router), C(reason) and C(message).
  returned: when a router rejected the route
  type: list
  elements: dict
  sample: [{host: hub.example.com, router: default, reason: HostAlreadyClaimed, message: "..."}]
route:
  description: The Route object as read last, with C(spec.tls.key) redacted; null when it does not exist.
  returned: always
  type: dict
secret:
  description: O(mode=custom). Name, namespace, type and keys of the TLS secret (never its data).
  returned: when O(mode=custom) and O(state=present)
  type: dict
  sample: {name: public-routes-tls, namespace: openshift-image-registry, type: kubernetes.io/tls,
           keys: [tls.cacrt, tls.crt, tls.key]}
certificate:
  description: Metadata of the given certificate (subject, issuer, SANs, validity, fingerprint).
  returned: when a certificate was given
  type: dict
mode:
  description: The mode used.
  returned: always
  type: str
state:
  description: The state asked for.
  returned: always
  type: str
"""

import copy

# First, so that the module_utils below are compiled once, not twice (see compile_once.py).
from ansible_collections.ocp.registry.plugins.module_utils import compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.ocp.registry.plugins.module_utils.args_common import WAIT_ARG_SPEC
from ansible_collections.ocp.registry.plugins.module_utils.module import RegistryModule
from ansible_collections.ocp.registry.plugins.module_utils.route import run


def argument_spec():
    spec = dict(
        mode=dict(type="str", choices=["default", "custom", "route"], default="default"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        name=dict(type="str"),
        namespace=dict(type="str"),
        hostname=dict(type="str"),
        secret_name=dict(type="str", no_log=False),
        certificate=dict(type="str"),
        certificate_path=dict(type="path"),
        key=dict(type="str", no_log=True),
        key_path=dict(type="path", no_log=False),
        ca_certificate=dict(type="str"),
        ca_certificate_path=dict(type="path"),
        destination_ca_certificate=dict(type="str"),
        destination_ca_certificate_path=dict(type="path"),
        service=dict(type="str"),
        port=dict(type="str"),
        termination=dict(type="str", choices=["passthrough", "reencrypt", "edge"]),
        insecure_edge_termination_policy=dict(type="str", choices=["None", "Allow", "Redirect"]),
    )
    spec.update(copy.deepcopy(WAIT_ARG_SPEC))
    return spec


def main():
    module = RegistryModule(
        argument_spec=argument_spec(), supports_check_mode=True,
        mutually_exclusive=[("certificate", "certificate_path"), ("key", "key_path"),
                            ("ca_certificate", "ca_certificate_path"),
                            ("destination_ca_certificate", "destination_ca_certificate_path")],
        required_if=[("mode", "custom", ("name",)), ("mode", "route", ("name", "namespace"))],
    )
    module.run(run)


if __name__ == "__main__":
    main()
