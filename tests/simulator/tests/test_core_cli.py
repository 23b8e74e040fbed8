"""The CLI (python -m tests.simulator serve) and persistence through --state-file."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import yaml

from ansible_collections.ocp.registry.tests.simulator.server import SimulatorServer
from ansible_collections.ocp.registry.tests.simulator.tests.core_helpers import Raw

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__)))))
CM = "/api/v1/namespaces/sandbox/configmaps"


class _Started:
    """Enough of a SimulatorServer for core_helpers.Raw, read from the state dir files."""

    def __init__(self, state_dir: str):
        with open(os.path.join(state_dir, "kubeconfig")) as fh:
            cfg = yaml.safe_load(fh)
        self.url = cfg["clusters"][0]["cluster"]["server"]
        self.port = int(self.url.rsplit(":", 1)[1])
        self.ca_file = os.path.join(state_dir, "ca.crt")
        self.admin_token = next(u["user"]["token"] for u in cfg["users"] if u["name"] == "admin")
        self.developer_token = next(u["user"]["token"] for u in cfg["users"] if u["name"] == "developer")
        self.kubeconfig = os.path.join(state_dir, "kubeconfig")
        self.contexts = {c["name"]: c["context"] for c in cfg["contexts"]}
        self.current = cfg["current-context"]


def _serve(state_dir, *extra):
    proc = subprocess.Popen([sys.executable, "-m", "tests.simulator", "serve", "--state-dir", str(state_dir),
                             "--port", "0", *extra], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    ready = os.path.join(state_dir, "ready")
    deadline = time.monotonic() + 60
    while not os.path.exists(ready):      # wait for the condition (the file), not for a fixed time
        if proc.poll() is not None:
            raise AssertionError(f"simulator exited early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("simulator did not become ready")
        time.sleep(0.02)
    return proc


def _stop(proc, sig=signal.SIGTERM):
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, out, err


def test_cli_serve_files_sigterm_and_state_file(tmp_path):
    state_dir = tmp_path / "state"
    state_file = tmp_path / "store.json"
    proc = _serve(state_dir, "--platform", "aws", "--state-file", str(state_file), "--controller-delay", "0.05")
    try:
        for name in ("ca.crt", "kubeconfig", "admin-password", "ready"):
            assert (state_dir / name).exists(), name
        assert oct((state_dir / "admin-password").stat().st_mode & 0o777) == "0o600"
        info = _Started(str(state_dir))
        assert info.url.startswith("https://127.0.0.1:")
        assert info.current == "admin" and info.contexts["restricted"]["user"] == "developer"
        assert (state_dir / "ready").read_text().strip() == info.url
        raw = Raw(info)
        code, _headers, infra = raw.request("GET", "/apis/config.openshift.io/v1/infrastructures/cluster")
        assert code == 200 and infra["status"]["platformStatus"] == {"type": "AWS", "aws": {"region": "us-east-1"}}
        code, _headers, created = raw.request("POST", CM, {"apiVersion": "v1", "kind": "ConfigMap",
                                                           "metadata": {"name": "kept"}, "data": {"a": "1"}})
        assert code == 201
        raw.close()
    finally:
        rc, out, err = _stop(proc)
    assert rc == 0, err
    assert "simulator serving at https://127.0.0.1:" in out
    assert not (state_dir / "ready").exists()
    saved = json.loads(state_file.read_text())
    assert any(o["metadata"]["name"] == "kept" for o in saved["objects"]["/configmaps"])

    proc = _serve(state_dir, "--platform", "aws", "--state-file", str(state_file))
    try:
        info2 = _Started(str(state_dir))
        raw = Raw(info2)
        code, _headers, got = raw.request("GET", f"{CM}/kept")
        assert code == 200 and got["metadata"]["uid"] == created["metadata"]["uid"]
        assert int(got["metadata"]["resourceVersion"]) == int(created["metadata"]["resourceVersion"])
        code, _headers, newer = raw.request("POST", CM, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "n"}})
        assert int(newer["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
        raw.close()
    finally:
        rc, _out, err = _stop(proc, signal.SIGINT)
    assert rc == 0, err


def test_cli_rejects_unknown_platform(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tests.simulator", "serve", "--state-dir", str(tmp_path),
                           "--platform", "mainframe"], cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "mainframe" in proc.stderr


def test_in_process_state_file_round_trip(tmp_path):
    state_file = str(tmp_path / "s.json")
    with SimulatorServer(str(tmp_path / "a"), state_file=state_file, controllers=False) as sim:
        Raw(sim).request("POST", CM, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p"}})
    with SimulatorServer(str(tmp_path / "b"), state_file=state_file, controllers=False) as sim:
        assert Raw(sim).request("GET", f"{CM}/p")[0] == 200
        names = [n["metadata"]["name"] for n in sim.api.list(("", "nodes"))["items"]]
        assert names == ["master-0", "master-1", "master-2", "worker-0", "worker-1"]   # not duplicated
