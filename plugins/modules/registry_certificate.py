#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: registry_certificate
short_description: Make or renew a CA-signed server certificate for a registry
version_added: 0.1.0
author:
  - ocp.registry maintainers (@ocp-collections)
description:
  - Issues a server certificate and private key for the host names of a registry (service DNS names,
    the service IP, route hosts), signed by a CA you give, like C(oc adm ca create-server-cert).
  - "Runs where the task runs (the controller with C(delegate_to: localhost), or a target host) and uses the
    Python C(cryptography) library that ansible-core depends on; no C(openssl) binary is needed."
  - Idempotent. A new key and certificate are made only when a file is missing or unusable, the host names
    change, the certificate was not signed by the given CA, the key type or size changes, O(include_ca)
    changes, or the certificate expires within O(renew_before_days), or O(common_name) is set and differs.
    Otherwise only file modes are fixed.
  - The key file gets mode C(0600) and the certificate C(0644); both are written atomically.
  - Results and diffs carry certificate metadata (subject, issuer, SANs, validity), never key material.
requirements:
  - Python C(cryptography) 3.1 or later where the task runs (ansible-core's own dependency on the controller).
extends_documentation_fragment:
  - ocp.registry.attributes
attributes:
  check_mode:
    details: Reports whether the pair would be (re)generated and the predicted metadata; writes nothing.
  diff_mode:
    details: Metadata only (subject, issuer, not_after, SANs, file modes).
options:
  hostnames:
    description:
      - Host names and IP addresses the certificate must be valid for, for example
        C(image-registry.openshift-image-registry.svc), C(172.30.0.5) or C(registry.apps.example.com).
      - IP addresses become IP SANs, everything else DNS SANs. A C(:port) suffix (C(172.30.0.5:5000)) is
        dropped, as C(oc adm ca create-server-cert) does. A wildcard may be the whole first label.
      - The first DNS name (or IP) is the subject common name unless O(common_name) is set.
    type: list
    elements: str
    required: true
  path:
    description: Where to write the certificate (PEM). Its directory must exist.
    type: path
    required: true
  key_path:
    description: Where to write the private key (PEM, PKCS#8, mode C(0600)). Its directory must exist.
    type: path
    required: true
  ca_cert:
    description:
      - The signing CA certificate as PEM text. Exactly one of O(ca_cert) and O(ca_cert_path) is required.
    type: str
  ca_cert_path:
    description: Path to the signing CA certificate (PEM) on the host where the task runs.
    type: path
  ca_key:
    description:
      - The signing CA private key as PEM text (unencrypted). Exactly one of O(ca_key) and O(ca_key_path)
        is required. Never logged or returned.
    type: str
  ca_key_path:
    description: Path to the signing CA private key (PEM, unencrypted) on the host where the task runs.
    type: path
  common_name:
    description: Subject common name. Clients ignore it (they check the SANs); defaults to the first host name.
    type: str
  key_type:
    description: Type of the new private key.
    type: str
    choices: [rsa, ecdsa, ed25519]
    default: rsa
  key_size:
    description:
      - Key size in bits. RSA 2048 (default), 3072 or 4096; ECDSA 256 (default), 384 or 521; Ed25519 has
        no size.
    type: int
  validity_days:
    description:
      - Validity of a new certificate, in days. It is capped at the CA's own expiry.
    type: int
    default: 730
  renew_before_days:
    description:
      - Renew the certificate when it expires within this many days. Must be smaller than O(validity_days).
    type: int
    default: 30
  include_ca:
    description:
      - Append the CA certificate after the server certificate in O(path), so servers send the chain.
    type: bool
    default: true
  force:
    description: Always make a new key and certificate.
    type: bool
    default: false
notes:
  - Key files are written with mode C(0600) owned by the user the task runs as; use M(ansible.builtin.file)
    afterwards to hand them to another owner.
seealso:
  - module: ocp.registry.registry_route
  - module: ocp.registry.registry_ca_trust
"""

EXAMPLES = r"""
- name: Serving certificate for a 3.x-style registry service and its route
  ocp.registry.registry_certificate:
    ca_cert_path: /etc/origin/master/ca.crt
    ca_key_path: /etc/origin/master/ca.key
    hostnames:
      - hub.example.com
      - docker-registry.default.svc.cluster.local
      - 172.30.132.252:5000
    path: /etc/secrets/registry.crt
    key_path: /etc/secrets/registry.key

- name: ECDSA certificate on the controller, renewed 60 days before expiry
  ocp.registry.registry_certificate:
    ca_cert: "{{ lookup('file', 'pki/ca.crt') }}"
    ca_key: "{{ lookup('file', 'pki/ca.key') }}"
    hostnames: [registry.apps.example.com]
    key_type: ecdsa
    renew_before_days: 60
    path: pki/registry.crt
    key_path: pki/registry.key
  delegate_to: localhost
  no_log: true
"""

RETURN = r"""
path:
  description: Path of the certificate file.
  returned: always
  type: str
key_path:
  description: Path of the private key file.
  returned: always
  type: str
regenerated:
  description: Whether a new key and certificate were (or, in check mode, would be) made.
  returned: always
  type: bool
reasons:
  description: Why the pair was (or would be) regenerated; empty when it was kept.
  returned: always
  type: list
  elements: str
  sample: ["hostnames changed"]
certificate:
  description:
    - Metadata of the certificate now on disk (in check mode, the predicted subject, issuer, not_after
      and SANs). Never contains key material.
  returned: always
  type: dict
  sample:
    subject: CN=hub.example.com
    issuer: CN=openshift-signer@1700000000
    serial_number: 4f1c...
    not_before: "2026-01-01T00:00:00Z"
    not_after: "2027-12-31T00:00:00Z"
    dns_names: [hub.example.com]
    ip_addresses: [172.30.132.252]
    is_ca: false
    sha256_fingerprint: 9a0b...
"""

# First, so that the module_utils below are compiled once, not twice (see compile_once.py).
from ansible_collections.ocp.registry.plugins.module_utils import compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.ocp.registry.plugins.module_utils.certificate import run
from ansible_collections.ocp.registry.plugins.module_utils.module import RegistryModule


def argument_spec():
    return dict(
        hostnames=dict(type="list", elements="str", required=True),
        path=dict(type="path", required=True),
        key_path=dict(type="path", required=True, no_log=False),
        ca_cert=dict(type="str"),
        ca_cert_path=dict(type="path"),
        ca_key=dict(type="str", no_log=True),
        ca_key_path=dict(type="path", no_log=False),
        common_name=dict(type="str"),
        key_type=dict(type="str", choices=["rsa", "ecdsa", "ed25519"], default="rsa", no_log=False),
        key_size=dict(type="int", no_log=False),
        validity_days=dict(type="int", default=730),
        renew_before_days=dict(type="int", default=30),
        include_ca=dict(type="bool", default=True),
        force=dict(type="bool", default=False),
    )


def main():
    module = RegistryModule(
        argument_spec=argument_spec(), auth=False, supports_check_mode=True,
        required_one_of=[("ca_cert", "ca_cert_path"), ("ca_key", "ca_key_path")],
        mutually_exclusive=[("ca_cert", "ca_cert_path"), ("ca_key", "ca_key_path")],
    )
    module.run(run)


if __name__ == "__main__":
    main()
