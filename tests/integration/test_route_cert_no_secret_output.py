"""Real ansible-playbook runs at -vvvv with --diff: no private key material reaches any output.

registry_route (custom and edge route, key from a controller file and from a lookup) and registry_certificate
(CA key as a file and as content) are run; stdout and stderr are scanned for the key bodies and their base64.
"""
from __future__ import annotations

import base64

import pytest

from ansible_collections.ocp.registry.tests.lib import certs
from ansible_collections.ocp.registry.tests.lib.playbook import run_playbook

pytestmark = pytest.mark.slow


def _markers(*pems):
    found = []
    for text in pems:
        body = text.splitlines()[1:-1]
        found += body[:3] + body[-2:-1]
        found.append(base64.b64encode(text.encode()).decode()[:40])
    return found


def test_no_key_material_in_playbook_output(simulator_factory, tmp_path):
    sim = simulator_factory(platform="aws")
    sim.wait_idle(30)
    ca = certs.make_ca("Scan CA")
    leaf = certs.make_leaf(ca, ("registry.example.com",))
    cert_path, key_path = leaf.write(str(tmp_path), "tls")
    ca_cert, ca_key = ca.write(str(tmp_path / "ca"), "ca")
    playbook = f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Custom route from controller files
      ocp.registry.registry_route:
        mode: custom
        name: scan
        hostname: registry.example.com
        certificate_path: {cert_path}
        key_path: {key_path}
        ca_certificate_path: {ca_cert}
        wait: true
        wait_sleep: 1
    - name: Edge route with the key as content
      ocp.registry.registry_route:
        mode: route
        name: edge
        namespace: default
        service: svc
        termination: edge
        hostname: registry.example.com
        certificate_path: {cert_path}
        key: "{{{{ lookup('file', '{key_path}') }}}}"
    - name: Key mismatch (fails)
      ocp.registry.registry_route:
        mode: custom
        name: bad
        hostname: registry.example.com
        certificate_path: {cert_path}
        key_path: {ca_key}
      ignore_errors: true
    - name: Server certificate with the CA key as content
      ocp.registry.registry_certificate:
        ca_cert_path: {ca_cert}
        ca_key: "{{{{ lookup('file', '{ca_key}') }}}}"
        hostnames: [registry.example.com]
        path: {tmp_path}/server.crt
        key_path: {tmp_path}/server.key
    - name: Remove the custom route
      ocp.registry.registry_route:
        mode: custom
        name: scan
        state: absent
"""
    result = run_playbook(playbook, sim=sim, diff=True, verbosity=4)
    assert result.rc == 0, result.stdout[-3000:]
    server_key = (tmp_path / "server.key").read_text()
    output = result.stdout + result.stderr
    leaked = [m for m in _markers(leaf.key_pem, ca.key_pem, server_key) if m in output]
    assert not leaked, "private key material in playbook output"
    assert "PRIVATE KEY-----" not in output
    assert "VALUE_REDACTED" in output  # the diff showed the secret's keys, redacted
