# Test-only callback: writes every task result of a playbook run as JSON lines, for the test harness.
from __future__ import annotations

DOCUMENTATION = """
name: recorder
type: aggregate
short_description: record task results as JSON lines (test harness only)
description: Writes one JSON object per task result to the file named by OCP_TEST_RECORD_FILE.
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "recorder"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._path = os.environ.get("OCP_TEST_RECORD_FILE")

    def _write(self, result, status: str) -> None:
        if not self._path:
            return
        res = dict(result._result)
        record = {
            "task": result._task.get_name(),
            "action": result._task.action,
            "host": result._host.get_name(),
            "status": status,
            "changed": bool(res.get("changed", False)),
            "failed": status in ("failed", "unreachable"),
            "skipped": status == "skipped",
            "result": res,
        }
        with open(self._path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str) + "\n")

    def v2_runner_on_ok(self, result) -> None:
        self._write(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:
        self._write(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result) -> None:
        self._write(result, "skipped")

    def v2_runner_on_unreachable(self, result) -> None:
        self._write(result, "unreachable")
