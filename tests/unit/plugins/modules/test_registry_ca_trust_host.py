"""registry_ca_trust side=host, in-process, with every path under a temporary root."""
from __future__ import annotations

import json
import os
import stat
import sys

import pytest

from ansible_collections.ocp.registry.tests.lib import certs
from ansible_collections.ocp.registry.tests.lib.modules import run_module

CA = certs.make_ca("Trust CA")
CA2 = certs.make_ca("Trust CA 2")
REG = "hub.example.com:5000"


def _tree(root):
    out = []
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            out.append(os.path.relpath(os.path.join(base, name), root))
    return sorted(out)


@pytest.fixture
def env(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text('ID="rhel"\nID_LIKE="fedora"\n')
    marker = tmp_path / "refreshed.log"
    cmd = [sys.executable, "-c", "import sys; open(sys.argv[1], 'a').write('x')", str(marker)]
    params = {"registry": REG, "ca": CA.cert_pem, "root": str(root), "refresh_command": cmd}
    return root, marker, params


def _refreshes(marker):
    return len(marker.read_text()) if marker.exists() else 0


def test_four_runs_and_refresh_only_on_change(env):
    root, marker, params = env
    first = run_module("registry_ca_trust", params, check_mode=True, diff=True)
    assert first["changed"] and _tree(root) == ["etc", "etc/os-release"] and _refreshes(marker) == 0
    assert first["refreshed"] is False and first["refresh_command"] == params["refresh_command"]
    second = run_module("registry_ca_trust", params, diff=True)
    assert second["changed"] and second["refreshed"] and _refreshes(marker) == 1
    assert second["os_family"] == "RedHat"
    paths = [f["path"] for f in second["files"]]
    assert paths == [
        str(root / "etc/containers/certs.d/hub.example.com:5000/ca.crt"),
        str(root / "etc/docker/certs.d/hub.example.com:5000/ca.crt"),
        str(root / "etc/pki/ca-trust/source/anchors/ocp-registry-hub.example.com_5000.crt"),
    ]
    for p in paths:
        assert open(p).read() == CA.cert_pem
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(os.path.dirname(paths[0])).st_mode) == 0o755
    assert second["diff"]["before"]["files"][paths[0]] is None
    assert "CN=Trust CA" in second["diff"]["after"]["files"][paths[0]][0]
    third = run_module("registry_ca_trust", params, check_mode=True, diff=True)
    fourth = run_module("registry_ca_trust", params)
    assert not third["changed"] and not fourth["changed"]
    assert not fourth["refreshed"] and _refreshes(marker) == 1
    assert {f["action"] for f in fourth["files"]} == {"unchanged"}


def test_ca_change_rewrites_and_refreshes(env):
    root, marker, params = env
    run_module("registry_ca_trust", params)
    params["ca"] = CA2.cert_pem
    out = run_module("registry_ca_trust", params, diff=True)
    assert out["changed"] and _refreshes(marker) == 2
    assert {f["action"] for f in out["files"]} == {"written"}


def test_certs_d_only_never_refreshes(env):
    root, marker, params = env
    params["trust_stores"] = ["containers", "docker"]
    out = run_module("registry_ca_trust", params)
    assert out["changed"] and not out["refreshed"] and out["refresh_command"] is None and out["os_family"] is None
    assert _refreshes(marker) == 0


def test_absent_removes_exactly_what_it_wrote(env):
    root, marker, params = env
    docker_dir = root / "etc/docker/certs.d/hub.example.com:5000"
    docker_dir.mkdir(parents=True)
    (docker_dir / "client.cert").write_text("keep me")
    other = root / "etc/containers/certs.d/other.example.com"
    other.mkdir(parents=True)
    (other / "ca.crt").write_text("other")
    run_module("registry_ca_trust", params)
    absent = dict(params, state="absent")
    absent.pop("ca")
    check = run_module("registry_ca_trust", absent, check_mode=True, diff=True)
    assert check["changed"] and (root / "etc/containers/certs.d/hub.example.com:5000/ca.crt").exists()
    out = run_module("registry_ca_trust", absent, diff=True)
    assert out["changed"] and out["refreshed"] and _refreshes(marker) == 2
    assert not (root / "etc/containers/certs.d/hub.example.com:5000").exists()  # no empty dir left behind
    assert (docker_dir / "client.cert").read_text() == "keep me" and not (docker_dir / "ca.crt").exists()
    assert (other / "ca.crt").read_text() == "other"
    assert not (root / "etc/pki/ca-trust/source/anchors/ocp-registry-hub.example.com_5000.crt").exists()
    assert (root / "etc/pki/ca-trust/source/anchors").is_dir()  # the store directory itself stays
    by_store = {f["store"]: f for f in out["files"]}
    assert by_store["containers"]["directory_removed"] and not by_store["docker"]["directory_removed"]
    again = run_module("registry_ca_trust", absent)
    assert not again["changed"] and _refreshes(marker) == 2


def test_absent_removes_a_pre_existing_empty_dir(env):
    root, _marker, params = env
    empty = root / "etc/containers/certs.d/hub.example.com:5000"
    empty.mkdir(parents=True)
    out = run_module("registry_ca_trust", dict(params, state="absent", ca=None, trust_stores=["containers"]))
    assert out["changed"] and not empty.exists()


def test_mode_drift_is_fixed(env):
    root, marker, params = env
    params["trust_stores"] = ["containers"]
    run_module("registry_ca_trust", params)
    path = root / "etc/containers/certs.d/hub.example.com:5000/ca.crt"
    os.chmod(path, 0o600)
    out = run_module("registry_ca_trust", params)
    assert out["changed"] and out["files"][0]["action"] == "mode fixed"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


def test_refresh_failure_rolls_back_anchor(env):
    root, _marker, params = env
    params["refresh_command"] = [sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"]
    out = run_module("registry_ca_trust", params)
    assert out["failed"] and "boom" in out["msg"] and "rc=3" in out["msg"]
    assert not (root / "etc/pki/ca-trust/source/anchors/ocp-registry-hub.example.com_5000.crt").exists()
    # the next run tries again
    params["refresh_command"] = [sys.executable, "-c", "pass"]
    again = run_module("registry_ca_trust", params)
    assert again["changed"] and again["refreshed"]


def test_no_refresh_under_root_without_command(env):
    root, _marker, params = env
    del params["refresh_command"]
    params["os_family"] = "Debian"
    out = run_module("registry_ca_trust", params)
    assert out["changed"] and not out["refreshed"]
    assert "refresh was skipped" in json.dumps(out["warnings"])
    assert (root / "usr/local/share/ca-certificates/ocp-registry-hub.example.com_5000.crt").exists()


BAD = [
    ("leaf is not a CA", {"ca": certs.make_leaf(CA).cert_pem}, "ca"),
    ("not PEM", {"ca": "hello"}, "ca"),
    ("missing CA", {"ca": None}, "ca"),
    ("bad registry", {"registry": "https://hub.example.com/x"}, "registry"),
    ("cluster option", {"config_map": "x"}, "config_map"),
    ("anchor name", {"anchor_name": "../x.crt"}, "anchor_name"),
    ("unknown OS", {"os_family": "auto", "_os_release": "ID=arch\n"}, "os_family"),
]


@pytest.mark.parametrize("name,change,option", BAD, ids=[b[0] for b in BAD])
def test_bad_input_writes_nothing(env, name, change, option):
    root, marker, params = env
    change = dict(change)
    if "_os_release" in change:
        (root / "etc" / "os-release").write_text(change.pop("_os_release"))
    params.update(change)
    out = run_module("registry_ca_trust", {k: v for k, v in params.items() if v is not None})
    assert out.get("failed") and out.get("option") == option, out
    assert _tree(root) == ["etc", "etc/os-release"] and _refreshes(marker) == 0


def test_warns_when_an_empty_containers_dir_hides_docker(env):
    root, _marker, params = env
    (root / "etc/containers/certs.d/hub.example.com:5000").mkdir(parents=True)
    out = run_module("registry_ca_trust", dict(params, trust_stores=["docker"]))
    assert out["changed"] and "ignore" in json.dumps(out["warnings"])


def test_unwritable_store_gives_a_clear_error(env):
    root, _marker, params = env
    (root / "etc/containers").mkdir(parents=True)
    (root / "etc/containers/certs.d").write_text("a file where a directory should be")
    out = run_module("registry_ca_trust", dict(params, trust_stores=["containers"]))
    assert out["failed"] and out["msg"].startswith("cannot ") and "Not a directory" in out["msg"]
    assert "exception" not in out


def test_host_without_cryptography_still_works(env, monkeypatch):
    from ansible_collections.ocp.registry.plugins.module_utils import pem
    root, _marker, params = env
    params["trust_stores"] = ["containers"]
    monkeypatch.setattr(pem, "HAS_CRYPTOGRAPHY", False)
    out = run_module("registry_ca_trust", params, diff=True)
    assert out["changed"] and "only checked to be PEM" in json.dumps(out["warnings"])
    assert (root / "etc/containers/certs.d/hub.example.com:5000/ca.crt").read_text() == CA.cert_pem
    assert out["diff"]["after"]["files"][out["files"][0]["path"]][0].startswith("sha256 ")
    monkeypatch.setattr(pem, "HAS_CRYPTOGRAPHY", True)
    assert not run_module("registry_ca_trust", params)["changed"]  # same bytes either way
