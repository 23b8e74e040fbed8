# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The imagestream module's job: validate every stream, then write the differences, then import.

Requests: one GET for a single stream, or one LIST per namespace for a ``streams`` list; a write only for a
stream that differs; one ImageStreamImport per stream whose importable tags changed (or on ``reimport``).
All input is validated, and every source stream is looked up, before the first write.
"""

from __future__ import annotations

import copy
from typing import Dict, List, Optional

from ansible_collections.ocp.registry.plugins.module_utils import imagestream as IS
from ansible_collections.ocp.registry.plugins.module_utils import image_reference as ir
from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.args_common import PULL_SECRET_OPTIONS
from ansible_collections.ocp.registry.plugins.module_utils.errors import BadRequest, InputError

__all__ = ["argument_spec", "run", "StreamPlan", "import_changed_tags"]

INHERITED = ("namespace", "state", "prune_tags", "reimport", "lookup_local")


def argument_spec() -> dict:
    item = copy.deepcopy(IS.STREAM_OPTIONS)
    for key in INHERITED:
        item[key].pop("default", None)
    item["name"]["required"] = True
    spec = copy.deepcopy(IS.STREAM_OPTIONS)
    spec.update({
        "streams": {"type": "list", "elements": "dict", "options": item},
        "pull_secret": {"type": "dict", "no_log": False, "options": copy.deepcopy(PULL_SECRET_OPTIONS)},
        "fail_on_import_error": {"type": "bool", "default": True},
        "wait": {"type": "bool", "default": False},
        "wait_timeout": {"type": "int", "default": 120},
        "wait_sleep": {"type": "int", "default": 1},
    })
    return spec


def _items(params: dict) -> List[dict]:
    if not params.get("streams"):
        return [dict(params, _prefix="")]
    out = []
    for index, item in enumerate(params["streams"]):
        merged = dict(item)
        for key in INHERITED:
            if merged.get(key) is None:
                merged[key] = params.get(key)
        merged["_prefix"] = "streams[%d]." % index
        out.append(merged)
    return out


class StreamPlan:
    __slots__ = ("item", "name", "namespace", "prefix", "tags", "live", "desired", "changed", "stored", "imports",
                 "repo_due")

    def __init__(self, item: dict) -> None:
        self.item = item
        self.prefix = item["_prefix"]
        self.name = item["name"]
        self.namespace = item["namespace"]
        self.tags: List[dict] = []
        self.live: Optional[dict] = None
        self.desired: Optional[dict] = None
        self.changed = False
        self.stored: Optional[dict] = None
        self.imports: List[dict] = []
        self.repo_due = False


def _validate(item: dict) -> StreamPlan:
    prefix = item["_prefix"]
    if not item.get("namespace"):
        raise InputError("%snamespace: required (give it per stream or once for the task)" % prefix,
                         option=prefix + "namespace")
    ir.validate_name(item["namespace"], prefix + "namespace", "namespace name")
    ir.validate_name(item.get("name") or "", prefix + "name")
    plan = StreamPlan(item)
    seen = set()
    for index, tag in enumerate(item.get("tags") or []):
        tag_prefix = "%stags[%d]" % (prefix, index)
        ref = IS.spec_tag_from_params(tag, plan.name, plan.namespace, tag_prefix)
        if ref["name"] in seen:
            raise InputError("%s.name: tag %s is listed twice" % (tag_prefix, ref["name"]), option=tag_prefix + ".name")
        seen.add(ref["name"])
        plan.tags.append(ref)
    repo = item.get("import_repository")
    if repo:
        option = prefix + "import_repository.from_image"
        parsed = ir.parse_pull_spec(repo["from_image"], option)
        if parsed.tag or parsed.digest:
            raise InputError("%s: %r names a tag or digest; give the repository only (all its tags are imported)"
                             % (option, repo["from_image"]), option=option)
        if repo.get("limit") is not None and repo["limit"] < 1:
            raise InputError("%simport_repository.limit: must be at least 1" % prefix,
                             option=prefix + "import_repository.limit")
    if item.get("state") == "absent" and (plan.tags or repo):
        raise InputError("%stags: state absent deletes the whole stream; remove tags/import_repository, or use "
                         "ocp.registry.imagestream_tag to delete single tags" % prefix, option=prefix + "tags")
    return plan


def _fetch_live(client, plans: List[StreamPlan]) -> Dict[str, Dict[str, dict]]:
    """Read the live streams: one GET for a single stream, else one LIST per namespace (returned by namespace)."""
    if len(plans) == 1:
        plans[0].live = IS.get_stream(client, plans[0].name, plans[0].namespace)
        return {}
    by_ns: Dict[str, Dict[str, dict]] = {}
    for plan in plans:
        if plan.namespace not in by_ns:
            by_ns[plan.namespace] = {(s.get("metadata") or {}).get("name"): s
                                     for s in client.list(R.IMAGESTREAM, namespace=plan.namespace)}
        plan.live = by_ns[plan.namespace].get(plan.name)
    return by_ns


def _repo_due(plan: StreamPlan) -> bool:
    repo = plan.item.get("import_repository")
    if not repo:
        return False
    if plan.item.get("reimport") or plan.live is None:
        return True
    prefix = repo["from_image"] + ":"
    return not any(((t.get("from") or {}).get("name") or "").startswith(prefix)
                   for t in (plan.live.get("spec") or {}).get("tags") or [])


def import_changed_tags(client, plan: StreamPlan, check_mode: bool) -> None:
    """Import the tags whose source changed or whose last import failed (or never produced an image);
    with ``reimport`` every importable tag of the stream.

    In check mode only ``reimport`` asks the registry, with a dry-run import (``spec.import: false`` and
    ``dryRun=All``: nothing is stored), so the prediction says whether a digest would move.
    """
    if plan.item.get("state") == "absent" or (check_mode and not plan.item.get("reimport")):
        return
    live_tags = ((plan.live or {}).get("spec") or {}).get("tags") or []
    stored_tags = ((plan.stored or {}).get("spec") or {}).get("tags") or []
    by_name = {t.get("name"): t for t in stored_tags}
    names = [t["name"] for t in plan.tags]
    if plan.item.get("reimport"):
        names += [t.get("name") for t in stored_tags if t.get("name") not in names]
    before = {n: (IS.current_event(plan.live, n) or {}).get("image") for n in names}
    repo_prefix = ((plan.item.get("import_repository") or {}).get("from_image") or "\0") + ":"
    due = []
    for name in names:
        merged = by_name.get(name) or next((t for t in plan.tags if t["name"] == name), None)
        if merged is None:
            continue
        importable = (merged.get("from") or {}).get("kind") == "DockerImage" and not merged.get("reference")
        if importable and plan.repo_due and merged["from"]["name"].startswith(repo_prefix):
            continue    # the repository import below covers it
        if importable and (plan.item.get("reimport") or IS.tag_changed_for_import(live_tags, merged)
                           or IS.import_pending(plan.stored or plan.live, name)):
            due.append((name, merged))
    if not due and not (plan.repo_due and not check_mode):
        return  # nothing to import: the usual re-run, which then never loads the import code
    import_api = _import_code()
    images = [import_api.image_spec(merged["from"]["name"], name, merged) for name, merged in due]
    results = []
    if images and check_mode:
        try:
            request = import_api.build_import(plan.name, plan.namespace, images=images, do_import=False)
            probe = import_api.post_import(client, request, dry_run=True)
        except BadRequest:  # a server that refuses dryRun for imports: no prediction rather than a write
            return
        plan.imports = import_api.parse_results(probe, before)
        plan.changed = plan.changed or any(r.get("moved") for r in plan.imports)
        return
    if images:
        isi = import_api.post_import(client, import_api.build_import(plan.name, plan.namespace, images=images))
        results.extend(import_api.parse_results(isi, before))
        plan.stored = (isi.get("status") or {}).get("import") or plan.stored
    if check_mode:
        return
    if plan.repo_due:
        results.extend(_followup_code().import_repository(client, plan, before))
    plan.imports = results
    if any(r.get("moved") for r in results):
        plan.changed = True


def _import_code():
    """imagestream_import, loaded only when a run imports (each module run compiles what it imports)."""
    from ansible_collections.ocp.registry.plugins.module_utils import imagestream_import

    return imagestream_import


def _result(plan: StreamPlan) -> dict:
    return {"name": plan.name, "namespace": plan.namespace, "state": plan.item.get("state") or "present",
            "changed": plan.changed, "imagestream": IS.summarize(plan.stored), "imports": plan.imports}


def _followup_code():
    """imagestream_followup: repository imports, pruned history, waiting; loaded only by runs that do them."""
    from ansible_collections.ocp.registry.plugins.module_utils import imagestream_followup

    return imagestream_followup


def _pull_secret_code():
    from ansible_collections.ocp.registry.plugins.module_utils import pull_secret

    return pull_secret


def default_namespace(module, params: dict) -> Optional[str]:
    """The task's namespace, else the kubeconfig context's namespace (only looked up when needed)."""
    if params.get("namespace"):
        return params["namespace"]
    if params.get("streams") and all(i.get("namespace") for i in params["streams"]):
        return None
    return module.default_namespace


def run(module) -> dict:
    params = dict(module.params)
    params["namespace"] = default_namespace(module, params)
    check_mode = module.check_mode
    items = _items(params)
    if not items[0].get("name") and not params.get("streams"):
        raise InputError("name: required (or give streams)", option="name")
    plans = [_validate(item) for item in items]
    names = [(p.namespace, p.name) for p in plans]
    if len(set(names)) != len(names):
        raise InputError("streams: a stream is listed twice", option="streams")
    client = module.client
    listed = _fetch_live(client, plans)
    # Streams known to exist when each stream is written: listed ones, then each stream of the task in order
    # (the server rejects a tag whose source stream does not exist yet, so a source must come earlier).
    known = IS.KnownStreams(listed)
    for plan in plans:
        known[(plan.namespace, plan.name)] = plan.item.get("state") != "absent"
        if plan.item.get("state") == "absent":
            continue
        desired = IS.desired_stream(plan.live, plan.name, plan.namespace, plan.item, plan.tags)
        live_tags = ((plan.live or {}).get("spec") or {}).get("tags") or []
        changed_tags = [t for t in (desired.get("spec") or {}).get("tags") or [] if t not in live_tags]
        IS.check_sources_exist(client, plan.namespace, plan.name, changed_tags, known, prefix=plan.prefix + "tags")
        plan.repo_due = _repo_due(plan)
    secrets = []
    if params.get("pull_secret"):
        for namespace in sorted({p.namespace for p in plans if p.item.get("state") != "absent"}):
            secrets.append(_pull_secret_code().ensure_pull_secret(client, namespace, params["pull_secret"], check_mode))
    for plan in plans:
        if plan.item.get("state") == "absent":
            plan.changed = plan.live is not None
            if plan.changed and not check_mode:
                client.delete(R.IMAGESTREAM, plan.name, namespace=plan.namespace)
            plan.desired = None
            continue
        plan.changed, plan.stored, plan.desired = IS.write_stream(client, plan.live, plan.name, plan.namespace,
                                                                  plan.item, plan.tags, check_mode)
        if plan.item.get("prune_tags") and not check_mode:
            _followup_code().drop_pruned_history(client, plan, check_mode)
        if plan.repo_due and check_mode:
            plan.changed = True
        import_changed_tags(client, plan, check_mode)
        if params.get("wait") and not check_mode:
            _followup_code().wait_settled(client, plan, params["wait_timeout"], params["wait_sleep"])
    results = [_result(p) for p in plans]
    out = {"changed": any(p.changed for p in plans) or any(s["changed"] for s in secrets), "results": results}
    if secrets:
        out["pull_secrets"] = secrets
    if not params.get("streams"):
        out["imagestream"] = results[0]["imagestream"]
        out["imports"] = results[0]["imports"]
    if module._diff:
        if len(plans) == 1:
            out["diff"] = IS.diff_view(plans[0].live, plans[0].desired)
        else:
            out["diff"] = [dict(IS.diff_view(p.live, p.desired), before_header="%s/%s" % (p.namespace, p.name),
                                after_header="%s/%s" % (p.namespace, p.name)) for p in plans if p.changed]
    failed = [r for p in plans for r in p.imports if not r["succeeded"]]
    if failed and params.get("fail_on_import_error") and not check_mode:
        _import_code().raise_for_failures(failed, ", ".join("%s/%s" % k for k in names),
                                          any(p.changed for p in plans), extra={"results": results})
    if failed:
        module.warn("%d tag(s) failed to import; see imports[].reason and .hint" % len(failed))
    return out
