"""How much of a no-op imagestream task is compiling our module_utils inside AnsiballZ (a diagnostic).

AnsiballZ ships sources only, and CPython's zipimport compiles every imported ``.py`` twice (once in
``find_spec`` through ``zipimporter.get_filename``, once in ``exec_module``). This script keeps the AnsiballZ
files of one no-op ``ocp.registry.imagestream`` task and one ``ansible.builtin.ping`` task
(``ANSIBLE_KEEP_REMOTE_FILES``), builds a third payload from the first with precompiled ``.pyc`` files next to
our module_utils sources (an experiment only: AnsiballZ never does this), runs the three interleaved and prints
the medians of CPU time per run. ``ours - ping`` is what our module adds in the module process;
``ours - precompiled`` is the part that is compilation of our code.

    python benchmarks/ansiballz_compile.py [--runs 40] [--peers-venv PATH]
"""
from __future__ import annotations

import argparse
import base64
import glob
import importlib.util
import io
import json
import marshal
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases  # noqa: E402  (the benchmark's playbook generators)

OUR_UTILS = "ansible_collections/ocp/registry/plugins/module_utils/"


def precompiled(wrapper: str) -> str:
    """The AnsiballZ wrapper text with .pyc files (unchecked hash) added beside our module_utils sources."""
    match = re.search(r'zip_data=(["\'])(.*?)\1', wrapper, re.S)
    if not match:
        raise RuntimeError("no zip_data in the AnsiballZ wrapper (ansible-core layout changed?)")
    source = zipfile.ZipFile(io.BytesIO(base64.b64decode(match.group(2))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, data)
            if info.filename.startswith(OUR_UTILS) and info.filename.endswith(".py"):
                code = compile(data, info.filename, "exec")
                header = importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little") + importlib.util.source_hash(data)
                target.writestr(info.filename + "c", header + marshal.dumps(code))
    return wrapper.replace(match.group(2), base64.b64encode(out.getvalue()).decode())


def cpu_of(python: str, path: str, env: dict) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = subprocess.run([python, path], env=env, capture_output=True, text=True, timeout=120, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0 or '"failed": true' in res.stdout or '"changed": true' in res.stdout:
        raise RuntimeError("%s did not run as a no-op: %s %s" % (path, res.stdout[-1000:], res.stderr[-1000:]))
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(runner, sim, runs: int) -> dict:
    """Keep the AnsiballZ files of a no-op imagestream task and of ping, add the precompiled variant, time all three.

    ``runner``/``sim`` are benchmarks/run.py's Runner and Simulator.
    """
    namespace = "b-ansiballz"
    sim.namespace(namespace)
    remote = os.path.join(runner.workdir, "ansiballz-remote")
    stream = {"name": "s0", "namespace": namespace,
              "tags": [{"name": t, "from_image": "%s:%s" % (cases.IMAGE, t), "reference": True} for t in cases.TAGS]}
    job = cases.Job(cases._play([{"ocp.registry.imagestream": stream}, {"ansible.builtin.ping": {}}]), 2, 1)
    runner.run(job, "create the stream")
    saved_env = dict(runner.env)
    runner.env.update(ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=remote)
    try:
        if runner.run(job, "keep the AnsiballZ files")["changed_tasks"]:
            raise RuntimeError("the imagestream task was not a no-op")
    finally:
        runner.env = saved_env
    files = {name: glob.glob(os.path.join(remote, "*", "AnsiballZ_%s.py" % name))[0] for name in ("imagestream", "ping")}
    with open(files["imagestream"], encoding="utf-8") as fh:
        wrapper = fh.read()
    files["precompiled"] = os.path.join(runner.workdir, "AnsiballZ_precompiled.py")
    with open(files["precompiled"], "w", encoding="utf-8") as fh:
        fh.write(precompiled(wrapper))
    samples: dict = {name: [] for name in files}
    for unused in range(runs):
        for name, path in files.items():  # interleaved, so drift hits the three alike
            samples[name].append(cpu_of(runner.python, path, runner.env))
    med = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    return {"runs": runs, "cpu_ms": {k: round(v, 1) for k, v in med.items()},
            "ours_minus_ping_ms": round(med["imagestream"] - med["ping"], 1),
            "compile_ms": round(med["imagestream"] - med["precompiled"], 1),
            "rest_ms": round(med["precompiled"] - med["ping"], 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--peers-venv", default=None)
    parser.add_argument("--merge", metavar="RESULTS_JSON",
                        help="also store the result in a results.json (then: run.py --render RESULTS_JSON)")
    args = parser.parse_args()
    import run as bench  # the benchmark's simulator and environment helpers

    venv = bench.peers_venv(args.peers_venv)
    workdir = tempfile.mkdtemp(prefix="ansiballz-", dir=os.path.join(bench.REPO, ".cache"))
    sim = bench.Simulator(workdir)
    try:
        sim.start()
        result = measure(bench.Runner(workdir, venv, sim, bench.collections_farm()), sim, args.runs)
    finally:
        sim.stop()
    print(json.dumps(result, indent=1))
    if args.merge:
        with open(args.merge, encoding="utf-8") as fh:
            saved = json.load(fh)
        saved["meta"]["ansiballz"] = result
        with open(args.merge, "w", encoding="utf-8") as fh:
            json.dump(saved, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
