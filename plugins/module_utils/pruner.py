# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""imagepruners.imageregistry.operator.openshift.io/cluster: options -> spec, validation, ensure."""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.ocp.registry.plugins.module_utils import conditions, resources
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError
from ansible_collections.ocp.registry.plugins.module_utils.storage import DURATION, to_api

__all__ = ["PRUNER_NAME", "SPEC_FIELDS", "spec_from_params", "validate_params", "desired_pruner", "ensure_pruner"]

PRUNER_NAME = "cluster"

SPEC_FIELDS = {
    "schedule": "schedule",
    "suspend": "suspend",
    "keep_tag_revisions": "keepTagRevisions",
    "keep_younger_than_duration": "keepYoungerThanDuration",
    "ignore_invalid_image_references": "ignoreInvalidImageReferences",
    "resources": "resources",
    "node_selector": "nodeSelector",
    "tolerations": "tolerations",
    "affinity": "affinity",
    "log_level": "logLevel",
    "successful_jobs_history_limit": "successfulJobsHistoryLimit",
    "failed_jobs_history_limit": "failedJobsHistoryLimit",
}

_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_FIELD = re.compile(r"^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?)*$")


def _valid_schedule(schedule: str) -> bool:
    text = schedule.strip()
    if text == "":
        return True  # the operator's default, 0 0 * * *
    if text.startswith("@"):
        return text in _MACROS or text.startswith("@every ")
    if text.startswith(("TZ=", "CRON_TZ=")):
        return False  # the CronJob API rejects time zones in the schedule
    fields = text.split()
    return len(fields) == 5 and all(_FIELD.match(f) for f in fields)


def spec_from_params(params: dict) -> dict:
    return to_api(params, SPEC_FIELDS)


def validate_params(params: dict) -> None:
    """Raise InputError naming the option and the fix; nothing has been written yet."""
    schedule = params.get("schedule")
    if schedule is not None and not _valid_schedule(schedule):
        raise InputError("schedule: %r is not a cron schedule; use five fields such as '0 0 * * *' (minute hour "
                         "day-of-month month day-of-week), a macro such as @daily, or '' for the default"
                         % schedule, option="schedule")
    for option in ("keep_tag_revisions", "successful_jobs_history_limit", "failed_jobs_history_limit"):
        value = params.get(option)
        if value is not None and value < 0:
            raise InputError("%s: must be 0 or more, got %s" % (option, value), option=option)
    duration = params.get("keep_younger_than_duration")
    if duration is not None and not DURATION.match(duration):
        raise InputError("keep_younger_than_duration: %r is not a duration such as 60m, 24h or 1h30m" % duration,
                         option="keep_younger_than_duration")


def desired_pruner(params: dict) -> dict:
    return {
        "apiVersion": resources.IMAGEPRUNER.api_version,
        "kind": resources.IMAGEPRUNER.kind,
        "metadata": {"name": PRUNER_NAME},
        "spec": spec_from_params(params),
    }


def ensure_pruner(module: Any) -> dict:
    from ansible_collections.ocp.registry.plugins.module_utils.ensure import ensure_present

    params = module.params
    validate_params(params)
    res = ensure_present(module.client, resources.IMAGEPRUNER, desired_pruner(params),
                         check_mode=module.check_mode, diff=module._diff)
    result = {"changed": res["changed"], "pruner": res["object"]}
    if module._diff and res.get("diff") is not None:
        result["diff"] = res["diff"]
    if params.get("wait") and not module.check_mode:
        result["pruner"] = conditions.wait_for_pruner(module.client, params["wait_timeout"], params["wait_sleep"])
    result["conditions"] = conditions.summary(result["pruner"], ("Available", "Scheduled", "Failed", "Degraded"))
    return result
