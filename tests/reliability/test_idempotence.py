"""Idempotence: check -> apply -> check -> apply gives changed True, True, False, False for every mutating module
and role, and the check runs make zero mutating requests. Info modules never change anything."""
from __future__ import annotations

import json

import pytest

from ansible_collections.ocp.registry.tests.lib.playbook import run_playbook
from ansible_collections.ocp.registry.tests.reliability import common
from ansible_collections.ocp.registry.tests.reliability.common import CA, LEAF, ROUTE_HOST


def _stream_params(sim, tmp_path):
    common.make_ns(sim, "demo")
    return {"name": "app", "namespace": "demo", "lookup_local": True, "labels": {"team": "a"},
            "tags": [{"name": "v1", "from_image": "quay.io/example/app:v1", "reference": True},
                     {"name": "latest", "from_tag": "v1"}]}


def _tag_params(sim, tmp_path):
    common.make_ns(sim, "demo")
    return {"namespace": "demo", "dest": ["web:v1", "web:stable"], "from_image": "quay.io/example/web:v1",
            "reference": True}


def _trigger_params(sim, tmp_path):
    common.deployment(sim, "demo", "shop", container="shop")
    return {"kind": "Deployment", "name": "shop", "namespace": "demo",
            "triggers": [{"container": "shop", "from_tag": "shop:v1"}]}


def _config_params(sim, tmp_path):
    return {"replicas": 2, "log_level": "Debug", "node_selector": {"node-role.kubernetes.io/infra": ""},
            "tolerations": [{"key": "infra", "operator": "Exists", "effect": "NoSchedule"}],
            "read_only": False, "requests": {"read": {"max_running": 10}}}


def _config_proxy_params(sim, tmp_path):
    # The registry's own proxy settings (option `proxy`, a dict) must not be taken for the connection's proxy.
    return {"proxy": {"https": "http://proxy.example.com:3128", "no_proxy": ".cluster.local"}}


def _pruner_params(sim, tmp_path):
    return {"schedule": "0 2 * * *", "keep_tag_revisions": 5, "keep_younger_than_duration": "24h",
            "log_level": "Debug", "failed_jobs_history_limit": 2}


def _route_default_params(sim, tmp_path):
    return {"mode": "default", "wait_timeout": 30, "wait_sleep": 1}


def _route_custom_params(sim, tmp_path):
    return {"mode": "custom", "name": "public", "hostname": ROUTE_HOST, "certificate": LEAF.cert_pem,
            "key": LEAF.key_pem, "ca_certificate": CA.cert_pem}


def _route_standalone_params(sim, tmp_path):
    common.make_ns(sim, "mirror")
    return {"mode": "route", "name": "mirror", "namespace": "mirror", "service": "mirror-registry",
            "port": "5000", "termination": "passthrough", "hostname": "mirror.apps.example.test"}


def _ca_trust_cluster_params(sim, tmp_path):
    return {"side": "cluster", "registry": "mirror.example.com:5000", "ca": CA.cert_pem}


def _access_params(sim, tmp_path):
    return {"role": "registry-viewer", "users": ["alice"], "groups": ["devs"]}


def _access_ns_params(sim, tmp_path):
    common.make_ns(sim, "sandbox")
    return {"role": "system:image-builder", "namespace": "sandbox", "service_accounts": ["ci"]}


def _metrics_params(sim, tmp_path):
    return {"role": "prometheus-scraper", "metrics_role": True,
            "service_accounts": ["openshift-monitoring/prometheus-k8s"]}


def _claim_params(sim, tmp_path):
    return {"name": "registry-data", "size": "50Gi", "access_mode": "ReadWriteOnce", "storage_class": "thin-csi",
            "labels": {"app": "registry"}}


def _certificate_params(sim, tmp_path):
    ca_cert, ca_key = CA.write(str(tmp_path / "ca"), "ca")
    (tmp_path / "out").mkdir()
    return {"hostnames": ["registry.example.com", "172.30.0.5"], "ca_cert_path": ca_cert, "ca_key_path": ca_key,
            "path": str(tmp_path / "out" / "registry.crt"), "key_path": str(tmp_path / "out" / "registry.key")}


def _ca_trust_host_params(sim, tmp_path):
    root, cmd = common.host_root(tmp_path)
    return {"side": "host", "registry": "hub.example.com:5000", "ca": CA.cert_pem, "root": str(root),
            "refresh_command": cmd, "os_family": "RedHat"}


def _absent(module, present_factory, **absent):
    """A factory that first makes the object with ``present_factory`` and returns the params removing it."""
    def factory(sim, tmp_path):
        params = present_factory(sim, tmp_path)
        made = common.run(sim, module, params)
        assert not made.get("failed") and made["changed"], common.describe(made)
        sim.wait_idle(30)
        out = dict(params, state="absent")
        out.update(absent)
        return out
    return factory


# (id, module, platform or None for host-side modules, params factory)
MUTATING = [
    ("imagestream", "imagestream", "baremetal", _stream_params),
    ("imagestream_tag", "imagestream_tag", "baremetal", _tag_params),
    ("image_trigger", "image_trigger", "baremetal", _trigger_params),
    ("image_registry_config", "image_registry_config", "aws", _config_params),
    ("image_registry_config-proxy", "image_registry_config", "aws", _config_proxy_params),
    ("image_pruner", "image_pruner", "baremetal", _pruner_params),
    ("registry_route-default", "registry_route", "aws", _route_default_params),
    ("registry_route-custom", "registry_route", "aws", _route_custom_params),
    ("registry_route-route", "registry_route", "baremetal", _route_standalone_params),
    ("registry_ca_trust-cluster", "registry_ca_trust", "baremetal", _ca_trust_cluster_params),
    ("registry_access", "registry_access", "baremetal", _access_params),
    ("registry_access-namespace", "registry_access", "baremetal", _access_ns_params),
    ("registry_access-metrics", "registry_access", "baremetal", _metrics_params),
    ("registry_storage_claim", "registry_storage_claim", "baremetal", _claim_params),
    ("registry_certificate", "registry_certificate", None, _certificate_params),
    ("registry_ca_trust-host", "registry_ca_trust", None, _ca_trust_host_params),
    # state=absent: the object exists first; check -> remove -> check -> remove
    ("imagestream-absent", "imagestream", "baremetal", _absent("imagestream", _stream_params, tags=None, labels=None,
                                                               lookup_local=None)),
    ("imagestream_tag-absent", "imagestream_tag", "baremetal", _absent("imagestream_tag", _tag_params,
                                                                       from_image=None, reference=False)),
    ("image_trigger-absent", "image_trigger", "baremetal", _absent("image_trigger", _trigger_params)),
    ("registry_route-custom-absent", "registry_route", "aws", _absent("registry_route", _route_custom_params,
                                                                      certificate=None, key=None,
                                                                      ca_certificate=None)),
    ("registry_ca_trust-cluster-absent", "registry_ca_trust", "baremetal",
     _absent("registry_ca_trust", _ca_trust_cluster_params, ca=None)),
    ("registry_ca_trust-host-absent", "registry_ca_trust", None,
     _absent("registry_ca_trust", _ca_trust_host_params, ca=None)),
    ("registry_access-absent", "registry_access", "baremetal", _absent("registry_access", _access_params)),
    ("registry_storage_claim-absent", "registry_storage_claim", "baremetal",
     _absent("registry_storage_claim", _claim_params)),
]


@pytest.mark.parametrize("module,platform,factory", [c[1:] for c in MUTATING], ids=[c[0] for c in MUTATING])
def test_module_four_runs(simulator_factory, tmp_path, module, platform, factory):
    sim = simulator_factory(platform=platform or "baremetal")
    sim.wait_idle(30)
    admin = common.admin(sim)
    work = tmp_path / "work"  # the simulator keeps its state (and log) elsewhere under tmp_path
    work.mkdir()
    params = factory(sim, work)
    changed, mutating = [], []
    files_before = None
    for check in (True, False, True, False):
        sim.wait_idle(30)
        admin.reset()
        if check:
            files_before = common.tree(work)
        result = common.run(sim, module, params, check=check, diff=True)
        assert not result.get("failed"), common.describe(result)
        common.no_traceback(result)
        changed.append(result["changed"])
        mutating.append(admin.mutating())
        if check:
            assert common.tree(work) == files_before, "check mode touched files"
    assert changed == [True, True, False, False], changed
    assert mutating[0] == 0 and mutating[2] == 0, mutating
    assert mutating[3] == 0, "the second apply wrote: %s" % mutating
    if platform is not None:
        assert mutating[1] >= 1
    else:
        assert mutating == [0, 0, 0, 0], "a host-side module talked to the API: %s" % mutating


INFO = [
    ("imagestream_info", {"namespace": "openshift"}),
    ("imagestream_info", {"namespace": "demo", "name": "app", "sizes": True}),
    ("image_registry_info", {}),
    ("image_registry_info", {"check": True, "check_timeout": 2}),
    ("registry_platform_info", {}),
]


@pytest.fixture(scope="module")
def info_sim(tmp_path_factory):
    from ansible_collections.ocp.registry.tests.simulator.server import SimulatorServer

    server = SimulatorServer(str(tmp_path_factory.mktemp("info-sim")), platform="aws")
    server.start()
    try:
        server.wait_idle(30)
        common.make_ns(server, "demo")
        common.run(server, "imagestream", _stream_params(server, None))
        server.wait_idle(30)
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("module,params", INFO, ids=["%s-%d" % (c[0], i) for i, c in enumerate(INFO)])
@pytest.mark.parametrize("check", [True, False], ids=["check", "run"])
def test_info_module_never_changes(info_sim, module, params, check):
    admin = common.admin(info_sim)
    admin.reset()
    result = common.run(info_sim, module, params, check=check)
    assert not result.get("failed"), common.describe(result)
    common.no_traceback(result)
    assert result["changed"] is False
    assert admin.mutating() == 0, admin.counters()


# --------------------------------------------------------------------------------------------- roles
ROLE_CASES = {
    "install": ("baremetal", {"install_storage_backend": "pvc", "install_wait_timeout": 120,
                              "install_pruner_keep_tag_revisions": 4}),
    "storage": ("baremetal", {"storage_backend": "block", "storage_pvc_claim": "registry-block",
                              "storage_pvc_size": "50Gi", "storage_pvc_storage_class": "thin-csi"}),
    "secure": ("aws", {"secure_access": [{"role": "registry-viewer", "users": ["alice"]}],
                       "secure_metrics_enabled": True,
                       "secure_metrics_service_accounts": ["openshift-monitoring/prometheus-k8s"],
                       "secure_cluster_trust": [{"registry": "mirror.example.com:5000", "ca": CA.cert_pem}]}),
    "expose": ("aws", {"expose_default_route": True, "expose_wait_timeout": 60}),
}

ROLE_PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  roles:
    - role: ocp.registry.{role}
"""


@pytest.mark.slow
@pytest.mark.parametrize("role", sorted(ROLE_CASES))
def test_role_four_runs(simulator_factory, tmp_path, role):
    platform, extra = ROLE_CASES[role]
    sim = simulator_factory(platform=platform)
    sim.wait_idle(30)
    admin = common.admin(sim)
    extra = dict(extra)
    if role == "secure":
        extra["secure_cert_dir"] = str(tmp_path / "certs")
    counts, mutating = [], []
    third_changed = []
    for check in (True, False, True, False):
        sim.wait_idle(30)
        admin.reset()
        res = run_playbook(ROLE_PLAYBOOK.format(role=role), env=common.PLAYBOOK_ENV, sim=sim, extra_vars=extra, check=check, cwd=str(tmp_path))
        assert res.rc == 0, "%s run %d failed:\n%s\n%s" % (role, len(counts) + 1, res.stdout[-4000:], res.stderr[-2000:])
        counts.append(len(res.changed))
        mutating.append(admin.mutating())
        if len(counts) == 3:
            third_changed = [t["task"] for t in res.changed]
    assert counts[0] > 0 and counts[1] > 0, counts
    assert counts[2:] == [0, 0], "changed tasks %s; third run changed %s" % (counts, json.dumps(third_changed))
    assert mutating[0] == 0 and mutating[2] == 0 and mutating[3] == 0, mutating
