"""How much of a no-op imagestream task is compiling our module_utils inside AnsiballZ (a diagnostic).

AnsiballZ ships sources only, and CPython's zipimport compiles every imported ``.py`` twice (once in
``find_spec`` through ``zipimporter.get_filename``, once in ``exec_module``): CPython issue gh-141276, with a
fix proposed in python/cpython#153799. Our modules import ``compile_once.py`` first, which spares our own
module_utils the second compile (ansible-core's are still compiled twice). This script keeps the AnsiballZ files of one no-op
``ocp.registry.imagestream`` task and one ``ansible.builtin.ping`` task (``ANSIBLE_KEEP_REMOTE_FILES``) and
builds experimental variants of them (none of them is what AnsiballZ ships):

* ``precompiled``: ours with ``.pyc`` files next to our module_utils sources: ``ours - precompiled`` is the
  compilation of our code;
* ``twice``: ours with ``compile_once.py`` disabled, so zipimport compiles our code twice again:
  ``twice - ours`` is what compile_once saves;
* ``ping_fixed``/``ours_fixed``: both with ``zipimporter.get_filename`` patched not to compile, as the
  proposed CPython fix does, so every source (ansible-core's too) is compiled once: what the two tasks would
  cost on a fixed CPython;
* ``trimmed``/``trimmed_fixed``: ours with every function of our module_utils that the no-op run never calls
  emptied and every type annotation dropped (found by tracing the run): an upper bound of what moving rarely
  used code out of the hot path and giving up type hints could save, without and with the CPython fix.

It runs them interleaved and prints the medians of CPU time per run; ``ours - ping`` is what our module adds
in the module process.

    python benchmarks/ansiballz_compile.py [--runs 40] [--peers-venv PATH]
"""
from __future__ import annotations

import argparse
import ast
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


def rebuild_payload(wrapper: str, rewrite) -> str:
    """The AnsiballZ wrapper text with each of our module_utils sources replaced by ``rewrite(name, data)``.

    ``name`` is the path below OUR_UTILS; ``rewrite`` returns the zip entries to write instead, {path: bytes}.
    Every other file of the payload is copied as it is.
    """
    match = re.search(r'zip_data=(["\'])(.*?)\1', wrapper, re.S)
    if not match:
        raise RuntimeError("no zip_data in the AnsiballZ wrapper (ansible-core layout changed?)")
    source = zipfile.ZipFile(io.BytesIO(base64.b64decode(match.group(2))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            ours = info.filename.startswith(OUR_UTILS) and info.filename.endswith(".py") and data.strip()
            entries = rewrite(info.filename[len(OUR_UTILS):], data) if ours else {info.filename: data}
            for path, content in entries.items():
                target.writestr(zipfile.ZipInfo(path, info.date_time), content, zipfile.ZIP_DEFLATED)
    return wrapper.replace(match.group(2), base64.b64encode(out.getvalue()).decode())


def precompiled(wrapper: str) -> str:
    """The AnsiballZ wrapper text with .pyc files (unchecked hash) added beside our module_utils sources."""
    def with_bytecode(name: str, data: bytes) -> dict:
        path = OUR_UTILS + name
        header = importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little") + importlib.util.source_hash(data)
        return {path: data, path + "c": header + marshal.dumps(compile(data, path, "exec"))}

    return rebuild_payload(wrapper, with_bytecode)


def without_compile_once(wrapper: str) -> str:
    """The AnsiballZ wrapper text with compile_once.py not installing itself: our code compiled twice again."""
    def disable(name: str, data: bytes) -> dict:
        if name == "compile_once.py":
            if b"\n_install()\n" not in data:
                raise RuntimeError("compile_once.py no longer ends with _install(): update this experiment")
            data = data.replace(b"\n_install()\n", b"\npass  # disabled for the experiment\n")
        return {OUR_UTILS + name: data}

    return rebuild_payload(wrapper, disable)


# CPython gh-141276 / python/cpython#153799, simulated for the experiment: the module's file name without
# compiling its source (the fix keeps bytecode checks; these payloads carry no bytecode of their own).
SINGLE_COMPILE_PATCH = """
import zipimport as _zipimport


def _get_filename_without_compiling(self, fullname):
    files = self._get_files() if hasattr(self, "_get_files") else self._files
    path = _zipimport._get_module_path(self, fullname)
    for suffix, unused_bytecode, unused_package in _zipimport._zip_searchorder:
        entry = files.get(path + suffix)
        if entry is not None:
            return entry[0]
    raise _zipimport.ZipImportError("can't find module %r" % fullname, name=fullname)


_zipimport.zipimporter.get_filename = _get_filename_without_compiling
"""


def single_compile(wrapper: str) -> str:
    """The AnsiballZ wrapper text with the zipimport double compile removed (an experiment only)."""
    marker = "from __future__ import annotations\n"
    if marker not in wrapper:
        raise RuntimeError("no __future__ import in the AnsiballZ wrapper (ansible-core layout changed?)")
    return wrapper.replace(marker, marker + SINGLE_COMPILE_PATCH, 1)


# Runs a kept AnsiballZ file (argv[1]) under sys.settrace and writes {path: [first lines of the functions that
# ran]} of our module_utils to argv[2]; the module's own output goes to stdout as usual.
TRACE_DRIVER = """
import json, sys
wrapper, out = sys.argv[1], sys.argv[2]
ran = {}


def trace(frame, event, arg):
    name = frame.f_code.co_filename
    if "%s" in name:
        ran.setdefault(name.split("%s", 1)[1], set()).add(frame.f_code.co_firstlineno)


sys.argv = [wrapper]
sys.settrace(trace)
try:
    with open(wrapper, encoding="utf-8") as fh:
        exec(compile(fh.read(), wrapper, "exec"), {"__name__": "__main__", "__file__": wrapper})
except SystemExit:
    pass
finally:
    sys.settrace(None)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({k: sorted(v) for k, v in ran.items()}, fh)
""" % (OUR_UTILS, OUR_UTILS)


class _Trim(ast.NodeTransformer):
    """Empty the functions that did not run (by first line) and drop annotations (NamedTuple fields excepted)."""

    def __init__(self, ran_lines: set) -> None:
        self.ran_lines = ran_lines

    def visit_FunctionDef(self, node):
        self.generic_visit(node)
        node.returns = None
        first_lines = {node.lineno} | {d.lineno for d in node.decorator_list}
        if not first_lines & self.ran_lines:
            node.body = [ast.Pass()]
        return node

    def visit_arg(self, node):
        node.annotation = None
        return node

    def visit_ClassDef(self, node):
        if any(getattr(base, "id", None) == "NamedTuple" for base in node.bases):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    self.visit(item)
            return node
        return self.generic_visit(node)

    def visit_AnnAssign(self, node):
        if node.value is None:
            return ast.Pass()
        return ast.Assign(targets=[node.target], value=node.value, lineno=node.lineno)


def trimmed(wrapper: str, ran: dict) -> str:
    """The AnsiballZ wrapper text with our module_utils trimmed to what ``ran`` (from TRACE_DRIVER) shows."""
    def trim(name: str, data: bytes) -> dict:
        tree = _Trim(set(ran.get(name, ()))).visit(ast.parse(data))
        return {OUR_UTILS + name: ast.unparse(ast.fix_missing_locations(tree)).encode("utf-8")}

    return rebuild_payload(wrapper, trim)


def functions_that_ran(python: str, path: str, env: dict, workdir: str) -> dict:
    out = os.path.join(workdir, "ansiballz-trace.json")
    res = subprocess.run([python, "-c", TRACE_DRIVER, path, out], env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    if res.returncode != 0 or '"changed": false' not in res.stdout:
        raise RuntimeError("the traced run was not a no-op: %s %s" % (res.stdout[-1000:], res.stderr[-1000:]))
    with open(out, encoding="utf-8") as fh:
        return json.load(fh)


def compiles_per_import(python: str, patched: bool) -> int:
    """How often importing one module from a zip compiles it: counted by its SyntaxWarning (gh-141276)."""
    probe = (SINGLE_COMPILE_PATCH if patched else "") + "\n".join([
        "import os, sys, tempfile, warnings, zipfile",
        "path = os.path.join(tempfile.mkdtemp(), 'probe.zip')",
        "with zipfile.ZipFile(path, 'w') as archive:",
        "    archive.writestr('probe_module.py', 'x = 1 is 1\\n')  # a SyntaxWarning at each compile",
        "sys.path.insert(0, path)",
        "with warnings.catch_warnings(record=True) as seen:",
        "    warnings.simplefilter('always')",
        "    import probe_module",
        "print(sum(issubclass(w.category, SyntaxWarning) for w in seen))"])
    res = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    return int(res.stdout.strip())


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
    compiles = {"stock": compiles_per_import(runner.python, False), "fixed": compiles_per_import(runner.python, True)}
    if compiles["fixed"] != 1:
        raise RuntimeError("the simulated zipimport fix does not work on %s: %s" % (runner.python, compiles))
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
    with open(files["ping"], encoding="utf-8") as fh:
        ping_wrapper = fh.read()
    ran = functions_that_ran(runner.python, files["imagestream"], runner.env, runner.workdir)
    variants = {"precompiled": precompiled(wrapper), "twice": without_compile_once(wrapper),
                "ours_fixed": single_compile(wrapper),
                "ping_fixed": single_compile(ping_wrapper), "trimmed": trimmed(wrapper, ran)}
    variants["trimmed_fixed"] = single_compile(variants["trimmed"])
    for name, text in variants.items():
        files[name] = os.path.join(runner.workdir, "AnsiballZ_%s.py" % name)
        with open(files[name], "w", encoding="utf-8") as fh:
            fh.write(text)
    samples: dict = {name: [] for name in files}
    for unused in range(runs):
        for name, path in files.items():  # interleaved, so drift hits the three alike
            samples[name].append(cpu_of(runner.python, path, runner.env))
    med = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    return {"runs": runs, "compiles_per_zip_import": compiles, "cpu_ms": {k: round(v, 1) for k, v in med.items()},
            "ours_minus_ping_ms": round(med["imagestream"] - med["ping"], 1),
            "compile_ms": round(med["imagestream"] - med["precompiled"], 1),
            "compile_once_saves_ms": round(med["twice"] - med["imagestream"], 1),
            "rest_ms": round(med["precompiled"] - med["ping"], 1),
            "fixed_ours_minus_ping_ms": round(med["ours_fixed"] - med["ping_fixed"], 1),
            "fixed_saves_ms": {"imagestream": round(med["imagestream"] - med["ours_fixed"], 1),
                               "ping": round(med["ping"] - med["ping_fixed"], 1)},
            "trimmed_saves_ms": round(med["imagestream"] - med["trimmed"], 1),
            "trimmed_fixed_saves_ms": round(med["imagestream"] - med["trimmed_fixed"], 1)}


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
