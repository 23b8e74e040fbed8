# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""What an imagestream run does after writing a stream, only when the task asks for it.

Importing a whole repository (``import_repository``), deleting the status history of pruned tags
(``prune_tags``) and waiting for imports to settle (``wait``). Kept apart from imagestream_apply so a run
that needs none of them does not compile this code (every module run is a fresh interpreter).
"""

from __future__ import annotations

import time
from typing import List, Optional

from ansible_collections.ocp.registry.plugins.module_utils import imagestream as IS
from ansible_collections.ocp.registry.plugins.module_utils import imagestream_import as ISI
from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.errors import ApiTimeout

__all__ = ["import_repository", "drop_pruned_history", "settled", "wait_settled"]


def import_repository(client, plan, before: dict) -> List[dict]:
    """Import the tags of ``import_repository`` (all, or the first ``limit``); returns per-tag results."""
    repo = plan.item["import_repository"]
    policy = {"insecure": bool(repo.get("insecure")), "scheduled": bool(repo.get("scheduled"))}
    if repo.get("import_mode"):
        policy["importMode"] = repo["import_mode"]
    ref_policy = {"type": repo.get("reference_policy") or "Source"}
    for live in ((plan.stored or plan.live or {}).get("status") or {}).get("tags") or []:
        items = live.get("items") or []
        before.setdefault(live.get("tag"), items[0].get("image") if items else None)
    repository = {"from": {"kind": "DockerImage", "name": repo["from_image"]}, "importPolicy": policy,
                  "referencePolicy": ref_policy}
    if repo.get("limit"):
        request = ISI.build_import(plan.name, plan.namespace, repository=repository, do_import=False)
        probe = ISI.post_import(client, request)
        status = (probe.get("status") or {}).get("repository") or {}
        tags = [e.get("tag") for e in status.get("images") or [] if e.get("tag")]
        tags += [t for t in status.get("additionalTags") or [] if t not in tags]
        if not tags:
            return ISI.parse_results(probe, before)
        tags = tags[:repo["limit"]]
        images = [{"from": {"kind": "DockerImage", "name": "%s:%s" % (repo["from_image"], t)}, "to": {"name": t},
                   "importPolicy": policy, "referencePolicy": ref_policy} for t in tags]
        isi = ISI.post_import(client, ISI.build_import(plan.name, plan.namespace, images=images))
    else:
        isi = ISI.post_import(client, ISI.build_import(plan.name, plan.namespace, repository=repository))
    plan.stored = (isi.get("status") or {}).get("import") or plan.stored
    plan.changed = plan.changed or plan.live is None
    return ISI.parse_results(isi, before)


def drop_pruned_history(client, plan, check_mode: bool) -> None:
    """A pruned spec tag leaves its status history behind; delete it through imagestreamtags (oc tag -d)."""
    if not plan.item.get("prune_tags") or check_mode or plan.stored is None:
        return
    kept = {t.get("name") for t in (plan.stored.get("spec") or {}).get("tags") or []}
    pruned = {t.get("name") for t in ((plan.live or {}).get("spec") or {}).get("tags") or []} - kept
    deleted = False
    for name in sorted(pruned):
        if IS.find_status_tag(plan.stored, name) is not None:
            client.delete(R.IMAGESTREAMTAG, "%s:%s" % (plan.name, name), namespace=plan.namespace)
            deleted = True
    if deleted:
        plan.stored = IS.get_stream(client, plan.name, plan.namespace)


def settled(stream: Optional[dict], tags: List[dict]) -> bool:
    """Every tag with a source shows an event (or an import condition) at its spec generation."""
    if stream is None:
        return False
    for ref in tags:
        if ref.get("reference") and (ref.get("from") or {}).get("kind") == "DockerImage":
            continue
        live_ref = IS.spec_tag(stream, ref["name"]) or {}
        gen = live_ref.get("generation") or 0
        status_tag = IS.find_status_tag(stream, ref["name"]) or {}
        seen = [(i.get("generation") or 0) for i in (status_tag.get("items") or [])[:1]]
        seen += [(c.get("generation") or 0) for c in status_tag.get("conditions") or []]
        if not seen or max(seen) < gen:
            return False
    return True


def wait_settled(client, plan, timeout: int, sleep: int) -> None:
    """Poll the stream until every tag with a source shows the result of its latest import."""
    deadline = time.monotonic() + timeout
    stream = plan.stored
    while not settled(stream, plan.tags):
        if time.monotonic() >= deadline:
            raise ApiTimeout("ImageStream %s/%s: tags not imported after %ds" % (plan.namespace, plan.name, timeout),
                             last=IS.summarize(stream), target="ImageStream %s/%s" % (plan.namespace, plan.name))
        time.sleep(max(0.2, min(sleep, deadline - time.monotonic())))
        stream = IS.get_stream(client, plan.name, plan.namespace)
    plan.stored = stream
