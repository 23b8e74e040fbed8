"""Role entry points reject wrong input with a clear message before any API request.

Each case runs a role through real ansible-playbook against a fresh simulator and checks the failure message
and that the simulator saw no request at all (argument_specs validation and preflight run before the first
module task), then that the role's meta/argument_specs.yml and defaults/main.yml agree.
"""
from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.ocp.registry.tests.lib.playbook import REPO_ROOT, run_playbook

ROLES = ("install", "storage", "secure", "expose")


def _play(role: str, tasks_from: str | None = None) -> str:
    extra = f"\n        tasks_from: {tasks_from}" if tasks_from else ""
    return f"""
- name: Argument spec check
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run the role
      ansible.builtin.include_role:
        name: ocp.registry.{role}{extra}
"""


CASES = [
    # (role, tasks_from, extra vars, text expected in the failure)
    ("install", None, {"install_replicas": "many"},
     "install_replicas"),
    ("install", None, {"install_management_state": "Enabled"},
     "install_management_state must be one of: Managed, Removed, Unmanaged"),
    ("install", None, {"install_infra_nodes": "sometimes"},
     "install_infra_nodes"),
    ("storage", None, {"storage_backend": "nfs"},
     "storage_backend must be one of"),
    ("storage", None, {"storage_pvc_create": "maybe"},
     "storage_pvc_create"),
    ("storage", None, {"storage_s3": "my-bucket"},
     "storage_s3"),
    ("secure", None, {"secure_metrics_enabled": "perhaps"},
     "secure_metrics_enabled"),
    ("secure", None, {"secure_cert_validity_days": "a year"},
     "secure_cert_validity_days"),
    ("expose", None, {"expose_wait_timeout": "soon"},
     "expose_wait_timeout"),
    ("expose", None, {"expose_login_tool": "docker"},
     "expose_login_tool must be one of: skopeo, podman"),
    ("expose", "trust_host", {"expose_trust_stores": ["keychain"]},
     "expose_trust_stores"),
]


@pytest.mark.parametrize("role,tasks_from,extra_vars,expected", CASES,
                         ids=[f"{c[0]}-{next(iter(c[2]))}" for c in CASES])
def test_wrong_type_is_rejected_before_any_request(simulator, sim_admin, role, tasks_from, extra_vars, expected):
    sim_admin.reset()
    result = run_playbook(_play(role, tasks_from), sim=simulator, extra_vars=extra_vars)
    assert result.rc != 0
    failed = result.failed
    assert failed, result.stdout[-3000:]
    msg = failed[0]["result"].get("msg", "")
    assert "Validation of arguments failed" in msg, msg
    assert expected in msg, msg
    assert sim_admin.counters()["total"] == 0, "the role reached the API before validating its arguments"


PREFLIGHT = [
    ("storage", {"storage_backend": "empty_dir"}, "Refusing emptyDir storage"),
    ("storage", {"storage_backend": "block", "storage_replicas": 2},
     "only one pod can mount the claim"),
    ("storage", {"storage_backend": "s3", "storage_s3": {"bucket": "b", "secret_key": "x"}},
     "move ['secret_key'] into storage_credentials"),
    ("storage", {"storage_backend": "pvc", "storage_credentials": {"access_key": "x"}},
     "the pvc backend takes only"),
    ("install", {"install_platform": "mainframe"}, "is not a platform this role knows"),
    ("secure", {"secure_route_certificates": [{"name": "public", "hostnames": ["r.example.com"]}]},
     "set secure_ca_cert_path and secure_ca_key_path"),
    ("expose", {"expose_routes": [{"name": "default-route", "hostname": "r.example.com"}]},
     "default-route (reserved)"),
    ("expose", {"expose_login_check": True}, "expose_login_check needs"),
]


@pytest.mark.parametrize("role,extra_vars,expected", PREFLIGHT, ids=[f"{c[0]}-{i}" for i, c in enumerate(PREFLIGHT)])
def test_preflight_refuses_before_writing(simulator, sim_admin, role, extra_vars, expected):
    sim_admin.reset()
    result = run_playbook(_play(role), sim=simulator, extra_vars=extra_vars)
    assert result.rc != 0
    msgs = [t["result"].get("msg", "") for t in result.failed]
    msgs += [item.get("msg", "") for t in result.failed for item in t["result"].get("results", [])]
    assert any(expected in m for m in msgs), msgs or result.stdout[-3000:]
    assert sim_admin.mutating() == 0


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_match_defaults(role):
    """Every default is declared in meta/argument_specs.yml (main) with the same default, and vice versa."""
    base = os.path.join(REPO_ROOT, "roles", role)
    with open(os.path.join(base, "defaults", "main.yml"), encoding="utf-8") as fh:
        defaults = yaml.safe_load(fh) or {}
    with open(os.path.join(base, "meta", "argument_specs.yml"), encoding="utf-8") as fh:
        specs = yaml.safe_load(fh)["argument_specs"]
    options = specs["main"]["options"]
    assert set(defaults) == set(options), (sorted(set(defaults) ^ set(options)))
    for name, spec in options.items():
        assert name.startswith("%s_" % role), name
        if "default" in spec:
            assert spec["default"] == defaults[name], name
        else:
            assert defaults[name] is None, name
        assert spec.get("description"), name
    for entry, spec in specs.items():
        for name in spec.get("options", {}):
            assert name in defaults, f"{entry}: {name} has no default in defaults/main.yml"
