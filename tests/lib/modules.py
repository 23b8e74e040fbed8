"""Run a collection module in-process, as AnsiballZ would, and return its result.

Much faster than a playbook (no fork, no ansible-playbook start-up), so unit tests of modules against the
simulator use this; integration targets still go through real ansible-playbook.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import json
from typing import Any

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

_PKG = "ansible_collections.ocp.registry.plugins.modules."


def run_module(name: str, params: dict[str, Any], *, check_mode: bool = False, diff: bool = False,
               verbosity: int = 0) -> dict[str, Any]:
    """Run ``plugins/modules/<name>.py`` with ``params``; return the parsed exit/fail JSON."""
    args = dict(params)
    args.update(_ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_verbosity=verbosity,
                _ansible_remote_tmp="/tmp", _ansible_keep_remote_files=False)
    module = importlib.import_module(_PKG + name)
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit:
            pass
        else:  # a module must always exit through exit_json/fail_json
            raise AssertionError(f"module {name} returned without exit_json/fail_json")
    text = out.getvalue()
    try:
        result = json.loads(text[text.index("{"):])
    except ValueError as exc:  # pragma: no cover - shows what the module printed
        raise AssertionError(f"module {name} printed no JSON result: {text!r}") from exc
    # AnsibleModule caches nothing between runs except this flag; reset so the next run parses its own args.
    basic._ANSIBLE_ARGS = None
    return result
