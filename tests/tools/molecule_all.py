"""Run every Molecule scenario (`make molecule`), plus the install scenario across the platform matrix.

Each run is `molecule test -s <scenario>` (destroy, syntax, prepare, converge, idempotence, verify, destroy;
see extensions/molecule/config.yml) with HOME isolated under .cache/molecule/<run>, so runs can go in
parallel without sharing Molecule's ephemeral directories, and MOLECULE_SIM_PLATFORM naming the simulator's
platform. Prints one result line per run and exits non-zero when any run fails.

    python tests/tools/molecule_all.py [-j JOBS] [-s SCENARIO ...] [--platforms baremetal,aws,...] [-v]
"""
from __future__ import annotations

import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys
import re
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)

import stack  # noqa: E402

REPO_ROOT = stack.REPO_ROOT
SCENARIO_ROOT = os.path.join(REPO_ROOT, "extensions", "molecule")
PLATFORMS = ("baremetal", "vsphere", "aws", "gcp", "azure", "openstack")
MATRIX_SCENARIO = "install"
_STEP = re.compile(r"^\S+ > (\S+): Executed: (\w+)")


def scenarios() -> list:
    return sorted(name for name in os.listdir(SCENARIO_ROOT)
                  if os.path.isfile(os.path.join(SCENARIO_ROOT, name, "molecule.yml")))


def plan(names: list, platforms: tuple) -> list:
    """(scenario, platform) runs: every scenario on baremetal, the matrix scenario on every platform."""
    runs = []
    for name in names:
        for platform in (platforms if name == MATRIX_SCENARIO else ("baremetal",)):
            runs.append((name, platform))
    return runs


def _molecule() -> str:
    candidate = os.path.join(os.path.dirname(sys.executable), "molecule")
    return candidate if os.path.exists(candidate) else (shutil.which("molecule") or "molecule")


def run_one(name: str, platform: str, verbose: bool) -> tuple:
    stack._import_lib()  # builds .cache/collections/ansible_collections/ocp/registry -> checkout
    run_id = "%s-%s" % (name, platform)
    home = os.path.join(REPO_ROOT, ".cache", "molecule", run_id)
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    log_path = os.path.join(REPO_ROOT, ".cache", "molecule", run_id + ".log")
    env = dict(os.environ)
    env.update(
        HOME=home,
        MOLECULE_SIM_PLATFORM=platform,
        ANSIBLE_COLLECTIONS_PATH=stack.collections_path(),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        PY_COLORS="0",
        NO_COLOR="1",
        ANSIBLE_LOCAL_TEMP=os.path.join(home, ".ansible", "tmp"),
        PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
    )
    for var in ("K8S_AUTH_KUBECONFIG", "K8S_AUTH_HOST", "K8S_AUTH_API_KEY"):
        env.pop(var, None)  # the scenario talks to its own simulator
    started = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.run([_molecule(), "test", "-s", name], cwd=REPO_ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT, timeout=1800, check=False)
    elapsed = time.monotonic() - started
    with open(log_path, encoding="utf-8") as fh:
        text = fh.read()
    if verbose or proc.returncode:
        tail = "\n".join(text.splitlines()[-80:])
    else:
        tail = ""
    return name, platform, proc.returncode, elapsed, log_path, tail, _steps(text)


def _steps(text: str) -> str:
    """Molecule's per-action results in order (e.g. 'converge:ok idempotence:ok verify:ok')."""
    found = []
    for line in text.splitlines():
        match = _STEP.match(line.strip())
        if match:
            found.append("%s:%s" % (match.group(1), "ok" if match.group(2) == "Successful" else match.group(2).lower()))
    return " ".join(found)


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="molecule_all.py")
    parser.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("MOLECULE_JOBS", "3")))
    parser.add_argument("-s", "--scenario", action="append", help="only these scenarios (repeatable)")
    parser.add_argument("--platforms", default=",".join(PLATFORMS),
                        help="platform matrix of the install scenario (comma separated)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    names = args.scenario or scenarios()
    unknown = set(names) - set(scenarios())
    if unknown:
        print("unknown scenario(s): %s; have %s" % (", ".join(sorted(unknown)), ", ".join(scenarios())))
        return 2
    runs = plan(names, tuple(p for p in args.platforms.split(",") if p))
    print("molecule: %d runs (%s), %d at a time" % (len(runs), ", ".join("%s/%s" % r for r in runs), args.jobs),
          flush=True)
    failures = 0
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_one, name, platform, args.verbose) for name, platform in runs]
        for future in concurrent.futures.as_completed(futures):
            name, platform, rc, elapsed, log_path, tail, steps = future.result()
            status = "PASS" if rc == 0 else "FAIL"
            failures += rc != 0
            print("%s  %-8s %-10s %5.0fs  %s  (log %s)" % (
                status, name, platform, elapsed, steps, os.path.relpath(log_path, REPO_ROOT)), flush=True)
            if tail:
                print(tail, flush=True)
    print("molecule: %d passed, %d failed in %.0fs" % (len(runs) - failures, failures, time.monotonic() - started))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
