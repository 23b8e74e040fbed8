"""A real AnsiballZ payload compiles each of our module_utils once (compile_once.py), and still works.

ansible-playbook runs ocp.registry.imagestream with ANSIBLE_KEEP_REMOTE_FILES, so the AnsiballZ file that
ansible-core built is kept; running it again (a no-op against the same cluster) in an interpreter that counts
``compile()`` calls shows what zipimport compiled. ansible-core's own files are the control: zipimport still
compiles those twice, so a count that cannot tell once from twice would fail here.
"""
from __future__ import annotations

import glob
import json
import subprocess
import sys

from ansible_collections.ocp.registry.tests.lib.playbook import ansible_env, run_playbook

UTILS = "ansible_collections/ocp/registry/plugins/module_utils/"

COUNTING_RUN = r"""
import builtins, collections, json, runpy, sys
compiles = collections.Counter()
real_compile = builtins.compile


def counting_compile(source, filename, *args, **kwargs):
    name = str(filename)
    compiles[name.split(".zip/", 1)[-1]] += 1
    return real_compile(source, filename, *args, **kwargs)


builtins.compile = counting_compile
try:
    runpy.run_path(sys.argv[1], run_name="__main__")
except SystemExit:
    pass
finally:
    builtins.compile = real_compile
    with open(sys.argv[2], "w", encoding="utf-8") as fh:
        json.dump(compiles, fh)
"""

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Stream
      ocp.registry.imagestream:
        name: compiled-once
        namespace: sandbox
        tags:
          - name: v1
            from_image: quay.io/ns/app:v1
            reference: true
"""


def test_kept_payload_compiles_our_module_utils_once(simulator, tmp_path):
    assert run_playbook(PLAY, sim=simulator).rc == 0  # create
    remote = tmp_path / "remote"
    kept = run_playbook(PLAY, sim=simulator, env={"ANSIBLE_KEEP_REMOTE_FILES": "1", "ANSIBLE_REMOTE_TEMP": str(remote)})
    assert kept.rc == 0 and not kept.changed, kept.stdout[-3000:]
    payload = glob.glob(str(remote / "*" / "AnsiballZ_imagestream.py"))
    assert len(payload) == 1, payload

    counts_file = tmp_path / "compiles.json"
    proc = subprocess.run([sys.executable, "-c", COUNTING_RUN, payload[0], str(counts_file)], capture_output=True,
                          text=True, env=ansible_env(simulator), timeout=120, check=False)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result.get("changed") is False and not result.get("failed"), proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(counts_file, encoding="utf-8") as fh:
        compiles = json.load(fh)

    ours = {name[len(UTILS):]: count for name, count in compiles.items() if name.startswith(UTILS)}
    assert {"api.py", "imagestream_apply.py", "module.py"} <= set(ours), ours  # the run went through them
    # Loaded by the stock importer before compile_once takes effect: the (empty) package and compile_once itself.
    assert ours.pop("__init__.py") == 2 and ours.pop("compile_once.py") == 2
    assert set(ours.values()) == {1}, ours
    assert compiles["ansible/module_utils/basic.py"] == 2  # the control: zipimport's own double compile
