"""compile_once: our module_utils compiled once from a zip, with the same file names as before.

Each case builds a zip laid out as AnsiballZ lays out a payload (the real compile_once.py source inside) and
imports from it in a fresh interpreter that counts ``compile()`` calls per file. The control runs the same
imports without compile_once and must see the double compile, so the check can fail.
"""
from __future__ import annotations

import ast
import glob
import json
import os
import py_compile
import subprocess
import sys
import zipfile

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import compile_once

UTILS_DIR = "ansible_collections/ocp/registry/plugins/module_utils/"
UTILS_PKG = UTILS_DIR.rstrip("/").replace("/", ".")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))

# Runs in a fresh interpreter: argv = zip, JSON list of modules to import. Prints what the checks need.
PROBE = r"""
import builtins, collections, json, sys, zipimport
zip_path, names = sys.argv[1], json.loads(sys.argv[2])
compiles = collections.Counter()
real_compile = builtins.compile


def counting_compile(source, filename, *args, **kwargs):
    compiles[str(filename)[len(zip_path) + 1:]] += 1
    return real_compile(source, filename, *args, **kwargs)


builtins.compile = counting_compile
sys.path.insert(0, zip_path)
modules = [__import__(name, fromlist=["*"]) for name in names]
builtins.compile = real_compile
utils = sys.path_importer_cache[zip_path + "/" + "ansible_collections/ocp/registry/plugins/module_utils"]
other = sys.path_importer_cache[zip_path + "/" + "ansible_collections/other"]
fresh = zipimport.zipimporter(zip_path + "/" + "ansible_collections/ocp/registry/plugins/module_utils")


def answers(importer):
    out = {}
    for name in ("plain", "sub", "withpyc", "nowhere"):
        try:
            out[name] = importer.get_filename(name)
        except ImportError as exc:
            out[name] = type(exc).__name__
    return out


print(json.dumps({
    "compiles": compiles,
    "files": {m.__name__: [m.__file__, m.__spec__.origin] for m in modules},
    "utils_patched": "get_filename" in vars(utils),
    "other_patched": "get_filename" in vars(other),
    "class_untouched": zipimport.zipimporter.get_filename is type(fresh).get_filename
                       and "get_filename" not in vars(fresh),
    "expected": answers(fresh), "got": answers(utils),
}))
"""


@pytest.fixture(scope="module")
def payload(tmp_path_factory):
    """A zip like an AnsiballZ payload: our module_utils (the real compile_once), a package, a .pyc, another dir."""
    tmp = tmp_path_factory.mktemp("payload")
    with open(compile_once.__file__, encoding="utf-8") as fh:
        real_source = fh.read()
    with_pyc_src = tmp / "withpyc.py"
    with_pyc_src.write_text("VALUE = 'bytecode'\n")
    py_compile.compile(str(with_pyc_src), cfile=str(tmp / "withpyc.pyc"), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    path = str(tmp / "payload.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for pkg in ("ansible_collections", "ansible_collections/ocp", "ansible_collections/ocp/registry",
                    "ansible_collections/ocp/registry/plugins", UTILS_DIR.rstrip("/"), "ansible_collections/other"):
            zf.writestr(pkg + "/__init__.py", "")
        zf.writestr(UTILS_DIR + "compile_once.py", real_source)
        zf.writestr(UTILS_DIR + "plain.py", "VALUE = 'plain'\n")
        zf.writestr(UTILS_DIR + "sub/__init__.py", "VALUE = 'package'\n")
        zf.write(str(with_pyc_src), UTILS_DIR + "withpyc.py")
        zf.write(str(tmp / "withpyc.pyc"), UTILS_DIR + "withpyc.pyc")
        zf.writestr("ansible_collections/other/elsewhere.py", "VALUE = 'other'\n")
    return path


def probe(zip_path: str, names: list) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, zip_path, json.dumps(names)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


IMPORTS = [UTILS_PKG + ".plain", UTILS_PKG + ".sub", UTILS_PKG + ".withpyc", "ansible_collections.other.elsewhere"]


def test_without_it_zipimport_compiles_each_source_twice(payload):
    out = probe(payload, IMPORTS)
    assert out["compiles"][UTILS_DIR + "plain.py"] == 2
    assert out["compiles"][UTILS_DIR + "sub/__init__.py"] == 2
    assert out["utils_patched"] is False


def test_with_it_our_module_utils_compile_once_and_keep_their_file_names(payload):
    before = probe(payload, IMPORTS)
    after = probe(payload, [UTILS_PKG + ".compile_once"] + IMPORTS)
    assert after["compiles"][UTILS_DIR + "plain.py"] == 1
    assert after["compiles"][UTILS_DIR + "sub/__init__.py"] == 1
    assert UTILS_DIR + "withpyc.py" not in after["compiles"]  # the bytecode was used, as without it
    assert after["compiles"]["ansible_collections/other/elsewhere.py"] == 2  # other importers untouched
    for name in IMPORTS:
        assert after["files"][name] == before["files"][name]
    assert after["files"][UTILS_PKG + ".withpyc"][0].endswith("withpyc.pyc")


def test_only_the_importer_of_our_module_utils_changes(payload):
    out = probe(payload, [UTILS_PKG + ".compile_once"] + IMPORTS)
    assert out["utils_patched"] is True
    assert out["other_patched"] is False
    assert out["class_untouched"] is True


def test_its_answers_match_the_original_for_source_package_bytecode_and_missing(payload):
    out = probe(payload, [UTILS_PKG + ".compile_once"] + IMPORTS)
    assert out["got"] == out["expected"]
    assert out["got"]["plain"].endswith(UTILS_DIR + "plain.py")
    assert out["got"]["sub"].endswith(UTILS_DIR + "sub/__init__.py")
    assert out["got"]["nowhere"] == "ZipImportError"


def test_outside_a_zip_it_changes_nothing():
    # Imported here from the file system (as unit tests and ansible-test do): no importer got a patched method.
    assert not any("get_filename" in vars(importer) for importer in list(sys.path_importer_cache.values())
                   if importer is not None and hasattr(importer, "__dict__"))


def test_every_module_imports_it_before_other_module_utils():
    modules = sorted(glob.glob(os.path.join(REPO, "plugins", "modules", "*.py")))
    assert len(modules) >= 13
    prefix = "ansible_collections.ocp.registry.plugins.module_utils"
    for path in modules:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), path)
        ours = [node for node in tree.body if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(prefix)]
        assert ours, path
        first = ours[0]
        assert first.module == prefix and [alias.name for alias in first.names] == ["compile_once"], path
