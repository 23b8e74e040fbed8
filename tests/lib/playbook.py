"""Run real ansible-playbook against the simulator (or a real cluster) and return per-task results."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from typing import Any, Optional

_HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(_HERE))


@dataclasses.dataclass
class PlaybookResult:
    rc: int
    stdout: str
    stderr: str
    tasks: list

    def task(self, name: str) -> dict:
        """The last recorded result of the task called ``name`` (last host wins)."""
        found = [t for t in self.tasks if t["task"] == name]
        if not found:
            raise KeyError(f"no task named {name!r}; tasks: {[t['task'] for t in self.tasks]}")
        return found[-1]

    def results(self, name: str) -> list:
        return [t for t in self.tasks if t["task"] == name]

    @property
    def changed(self) -> list:
        return [t for t in self.tasks if t["changed"]]

    @property
    def failed(self) -> list:
        return [t for t in self.tasks if t["failed"]]


def collections_path() -> str:
    """The directory holding ansible_collections/ocp/registry (the checkout itself or the conftest shim)."""
    parts = REPO_ROOT.split(os.sep)
    if parts[-3:] == ["ansible_collections", "ocp", "registry"]:
        return os.sep.join(parts[:-3])
    return os.path.join(REPO_ROOT, ".cache", "collections")


def ansible_env(sim: Any = None, env: Optional[dict] = None) -> dict:
    """Environment for child ansible processes: collection path, our callback, the cluster's kubeconfig."""
    child = dict(os.environ)
    collections = collections_path()
    others = [p for p in child.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p and p != collections]
    child["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join([collections] + others)
    child.update(
        ANSIBLE_CALLBACK_PLUGINS=os.path.join(_HERE, "callback"),
        ANSIBLE_CALLBACKS_ENABLED="recorder",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_HOST_KEY_CHECKING="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_FORCE_COLOR="0",
    )
    bin_dir = os.path.dirname(sys.executable)
    child["PATH"] = bin_dir + os.pathsep + child.get("PATH", "")
    if sim is not None:
        child["K8S_AUTH_KUBECONFIG"] = sim.kubeconfig
    if env:
        child.update(env)
    return child


def run_playbook(playbook: str, *, sim: Any = None, extra_vars: Optional[dict] = None, check: bool = False,
                 diff: bool = False, verbosity: int = 0, env: Optional[dict] = None,
                 inventory: Optional[str] = None, cwd: Optional[str] = None,
                 timeout: int = 900) -> PlaybookResult:
    """Run ``ansible-playbook``; ``playbook`` is a path or YAML text."""
    with tempfile.TemporaryDirectory(prefix="ocp-pb-") as tmp:
        if os.path.exists(playbook):
            path = playbook
        else:
            path = os.path.join(tmp, "playbook.yml")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(playbook)
        record = os.path.join(tmp, "record.jsonl")
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), path,
               "-i", inventory or "localhost,", "-c", "local"]
        if extra_vars:
            vars_file = os.path.join(tmp, "extra_vars.json")
            with open(vars_file, "w", encoding="utf-8") as fh:
                json.dump(extra_vars, fh)
            cmd += ["-e", "@" + vars_file]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        child_env = ansible_env(sim, env)
        child_env["OCP_TEST_RECORD_FILE"] = record
        child_env.setdefault("ANSIBLE_LOCAL_TEMP", os.path.join(tmp, "ansible-local"))
        child_env.setdefault("ANSIBLE_REMOTE_TEMP", os.path.join(tmp, "ansible-remote"))
        proc = subprocess.run(cmd, cwd=cwd or REPO_ROOT, env=child_env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        tasks = []
        if os.path.exists(record):
            with open(record, encoding="utf-8") as fh:
                tasks = [json.loads(line) for line in fh if line.strip()]
        return PlaybookResult(proc.returncode, proc.stdout, proc.stderr, tasks)
