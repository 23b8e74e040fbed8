"""pruner.py: options -> ImagePruner spec and validation."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.plugins.modules.image_pruner import argument_spec
from ansible_collections.ocp.registry.plugins.module_utils import pruner
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError


def params(**kw):
    out = {name: None for name in argument_spec()}
    out.update(kw)
    return out


def test_spec():
    p = params(schedule="0 2 * * *", suspend=False, keep_tag_revisions=5, keep_younger_than_duration="24h",
               ignore_invalid_image_references=True, log_level="Debug", successful_jobs_history_limit=1,
               failed_jobs_history_limit=2, node_selector={"a": "b"}, tolerations=[{"operator": "Exists"}])
    assert pruner.spec_from_params(p) == {
        "schedule": "0 2 * * *", "suspend": False, "keepTagRevisions": 5, "keepYoungerThanDuration": "24h",
        "ignoreInvalidImageReferences": True, "logLevel": "Debug", "successfulJobsHistoryLimit": 1,
        "failedJobsHistoryLimit": 2, "nodeSelector": {"a": "b"}, "tolerations": [{"operator": "Exists"}],
    }
    assert pruner.desired_pruner(params())["spec"] == {}


BAD = [
    ("schedule with 4 fields", dict(schedule="0 0 * *"), "schedule", "five fields"),
    ("schedule garbage", dict(schedule="every day"), "schedule", "cron"),
    ("schedule with TZ", dict(schedule="TZ=UTC 0 0 * * *"), "schedule", "cron"),
    ("unknown macro", dict(schedule="@fortnightly"), "schedule", "macro"),
    ("negative revisions", dict(keep_tag_revisions=-1), "keep_tag_revisions", "0 or more"),
    ("negative success history", dict(successful_jobs_history_limit=-1), "successful_jobs_history_limit", "0 or more"),
    ("negative failed history", dict(failed_jobs_history_limit=-2), "failed_jobs_history_limit", "0 or more"),
    ("bad duration", dict(keep_younger_than_duration="1 day"), "keep_younger_than_duration", "duration"),
]


@pytest.mark.parametrize("label,kw,option,fix", BAD, ids=[c[0] for c in BAD])
def test_validate_rejects(label, kw, option, fix):
    with pytest.raises(InputError) as err:
        pruner.validate_params(params(**kw))
    assert err.value.option == option and fix in err.value.msg


@pytest.mark.parametrize("schedule", ["", "0 0 * * *", "*/15 * * * *", "0 2 * * 1-5", "30 4 1,15 * *", "@daily",
                                      "@every 12h", "0 0 * JAN MON"])
def test_valid_schedules(schedule):
    pruner.validate_params(params(schedule=schedule, keep_younger_than_duration="1h30m"))
