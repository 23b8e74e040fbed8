# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""``oc tag`` semantics as an idempotent job: point tags at a source, delete tags, roll tags back.

* ``from_tag`` without ``alias`` copies the source tag's *current* image (the spec tag becomes an
  ImageStreamImage ``stream@digest``), as ``oc tag`` does; with ``alias`` the tag follows the source tag.
* ``state: absent`` deletes the tag (spec and history) through ``imagestreamtags``; the images stay
  reachable through the other tags' history.
* ``rollback`` pins the tag to an image from history (``previous``, a digest, or a history generation).
  A digest is looked up in the history of every tag of the stream, so a deleted tag can be restored.
"""

from __future__ import annotations

import copy
import re
from typing import Dict, List, Optional, Tuple

from ansible_collections.ocp.registry.plugins.module_utils import image_reference as ir
from ansible_collections.ocp.registry.plugins.module_utils import stream_reference as sr
from ansible_collections.ocp.registry.plugins.module_utils import imagestream as IS
from ansible_collections.ocp.registry.plugins.module_utils import imagestream_apply as APPLY
from ansible_collections.ocp.registry.plugins.module_utils import imagestream_import as ISI
from ansible_collections.ocp.registry.plugins.module_utils import pull_secret as PS
from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError

__all__ = ["argument_spec", "run", "rollback_target"]

_SOURCES = ("from_image", "from_tag", "from_digest")


def argument_spec() -> dict:
    # The per-tag options are the imagestream module's tags[] options (without the tag name: dest names it).
    spec = {key: copy.deepcopy(value) for key, value in IS.TAG_OPTIONS.items() if key != "name"}
    spec.update({
        "dest": {"type": "list", "elements": "str", "required": True, "aliases": ["tags"]},
        "namespace": {"type": "str"},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "alias": {"type": "bool", "default": False},
        "rollback": {"type": "str"},
        "fail_on_import_error": {"type": "bool", "default": True},
        "pull_secret": {"type": "dict", "no_log": False, "options": copy.deepcopy(PS.PULL_SECRET_OPTIONS)},
    })
    return spec


MUTUALLY_EXCLUSIVE = [("from_image", "from_tag", "from_digest", "rollback")]
REQUIRED_IF = [("state", "present", ("from_image", "from_tag", "from_digest", "rollback"), True)]


def _event_view(event: Optional[dict]) -> Optional[dict]:
    if not event:
        return None
    return {"digest": event.get("image") or None, "pull_spec": event.get("dockerImageReference"),
            "generation": event.get("generation"), "created": event.get("created")}


def rollback_target(stream: Optional[dict], tag: str, rollback: str) -> Tuple[Optional[dict], Optional[str]]:
    """The history event to restore: returns (event, None), or (None, reason) when nothing is to do.

    ``rollback`` is ``previous``, a digest, or a history generation (digits). Raises InputError when the
    target cannot be found.
    """
    status_tag = IS.find_status_tag(stream, tag) or {}
    items = status_tag.get("items") or []
    current = items[0] if items else None
    spec = IS.spec_tag(stream, tag) or {}
    frm = spec.get("from") or {}
    if rollback == "previous":
        if not current:
            raise InputError("rollback: tag %s has no history (deleted or never imported); give the digest to "
                             "restore instead (imagestream_info lists every digest in the stream's history)" % tag,
                             option="rollback")
        if frm.get("kind") == "ImageStreamImage" and frm.get("name", "").endswith("@" + (current.get("image") or "")):
            return None, "tag %s is already pinned to %s from its history" % (tag, current.get("image"))
        for event in items[1:]:
            if event.get("image") and event.get("image") != current.get("image"):
                return event, None
        raise InputError("rollback: tag %s has no earlier image in its history" % tag, option="rollback")
    if re.match(r"^[0-9]+$", rollback):
        generation = int(rollback)
        for event in items:
            if event.get("generation") == generation:
                if current and event.get("image") == current.get("image"):
                    return None, "tag %s already points at generation %d's image" % (tag, generation)
                return event, None
        known = sorted({e.get("generation") for e in items if e.get("generation") is not None})
        raise InputError("rollback: tag %s has no history entry with generation %d (known: %s)"
                         % (tag, generation, ", ".join(str(g) for g in known) or "none"), option="rollback")
    try:
        digest = ir.parse_digest(rollback, "rollback")
    except InputError:
        raise InputError("rollback: %r is not 'previous', a digest (sha256:...) or a history generation (a number)"
                         % rollback, option="rollback")
    if current and current.get("image") == digest:
        return None, "tag %s already points at %s" % (tag, digest)
    for status in ((stream or {}).get("status") or {}).get("tags") or []:
        for event in status.get("items") or []:
            if event.get("image") == digest:
                return event, None
    raise InputError("rollback: %s is not in the history of any tag of the stream; tag it from its pull spec with "
                     "from_image instead" % digest, option="rollback")


def _source_params(params: dict, namespace: str) -> dict:
    """The per-tag option dict for spec_tag_from_params (name filled in per destination)."""
    if params.get("alias") and not params.get("from_tag"):
        raise InputError("alias: only applies to from_tag (follow another tag); remove it", option="alias")
    keys = ("from_image", "from_tag", "from_digest", "from_namespace", "reference", "reference_policy", "scheduled",
            "import_mode", "insecure", "annotations")
    return {k: params.get(k) for k in keys}


def _parse_dests(params: dict, namespace: Optional[str]) -> List[Tuple[str, str, str]]:
    out = []
    for index, dest in enumerate(params["dest"]):
        option = "dest[%d]" % index
        parsed = sr.parse_stream_tag(dest, option, default_namespace=namespace)
        if not parsed.namespace:
            raise InputError("%s: no namespace; give namespace or write namespace/stream:tag" % option, option=option)
        key = (parsed.namespace, parsed.stream, parsed.tag)
        if key in out:
            raise InputError("%s: %s is listed twice" % (option, dest), option=option)
        out.append(key)
    return out


def _resolve_from_tag(client, src: dict, namespace: str, streams: Dict[Tuple[str, str], Optional[dict]]) -> dict:
    """oc tag without --alias: pin to the source tag's current image (ImageStreamImage)."""
    parsed = sr.parse_stream_tag(src["from_tag"], "from_tag")
    src_ns = parsed.namespace or src.get("from_namespace") or namespace
    key = (src_ns, parsed.stream)
    if key not in streams:
        streams[key] = IS.get_stream(client, parsed.stream, src_ns)
    if streams[key] is None:
        raise InputError("from_tag: the source image stream %s/%s does not exist" % key, option="from_tag")
    event = IS.current_event(streams[key], parsed.tag)
    if not event or not event.get("image"):
        raise InputError("from_tag: %s/%s:%s has no image yet; set alias: true to follow the tag instead of copying "
                         "its current image, or import it first" % (src_ns, parsed.stream, parsed.tag),
                         option="from_tag")
    out = dict(src)
    out["from_tag"] = None
    out["from_digest"] = "%s/%s@%s" % (src_ns, parsed.stream, event["image"])
    out["from_namespace"] = None
    return out


PlanResult = Tuple[List[dict], Dict[Tuple[str, str], List[dict]], List[str]]


def _plan_destinations(params: dict, dests, streams, src) -> PlanResult:
    """Per destination: the result entry, and the spec tags to write grouped by stream (nothing written yet)."""
    by_stream: Dict[Tuple[str, str], List[dict]] = {}
    results: List[dict] = []
    notes: List[str] = []
    for ns, stream, tag in dests:
        live = streams[(ns, stream)]
        entry = {"name": "%s:%s" % (stream, tag), "namespace": ns, "changed": False,
                 "before": _event_view(IS.current_event(live, tag)), "after": None, "imports": []}
        results.append(entry)
        if params["state"] == "absent":
            entry["changed"] = bool(IS.spec_tag(live, tag) or IS.find_status_tag(live, tag))
            continue
        tag_src = src
        if params.get("rollback"):
            event, note = rollback_target(live, tag, params["rollback"])
            if event is None:
                notes.append(note)
                entry["after"] = entry["before"]
                continue
            existing = IS.spec_tag(live, tag) or {}
            tag_src = {"from_digest": "%s@%s" % (stream, event["image"]),
                       "reference_policy": params.get("reference_policy")
                       or (existing.get("referencePolicy") or {}).get("type"),
                       "import_mode": (existing.get("importPolicy") or {}).get("importMode")}
            entry["target"] = _event_view(event)
        ref = IS.spec_tag_from_params(dict(tag_src, name=tag), stream, ns, "")
        by_stream.setdefault((ns, stream), []).append(ref)
    return results, by_stream, notes


def _write_stream_tags(client, ns: str, stream: str, refs: List[dict], live: Optional[dict], results: List[dict],
                       check_mode: bool) -> List[dict]:
    """Write one stream's destination tags, import what changed, fill the entries; returns failed imports."""
    plan = APPLY.StreamPlan({"name": stream, "namespace": ns, "_prefix": "", "state": "present", "reimport": False})
    plan.tags = refs
    plan.live = live
    _changed, plan.stored, _desired = IS.write_stream(client, live, stream, ns, {}, refs, check_mode)
    APPLY.import_changed_tags(client, plan, check_mode)
    wanted = {r["name"]: r for r in refs}
    for entry in results:
        tag = entry["name"].split(":", 1)[1]
        if entry["namespace"] != ns or entry["name"] != "%s:%s" % (stream, tag) or tag not in wanted:
            continue
        live_ref = IS.spec_tag(live, tag)
        new_ref = wanted[tag] if check_mode else IS.spec_tag(plan.stored, tag)
        imports = [r for r in plan.imports if r.get("tag") == tag]
        entry["imports"] = imports
        entry["changed"] = (live_ref is None or not IS.same_tag(live_ref, new_ref or {})
                            or any(r.get("moved") for r in imports))
        if check_mode:
            entry["after"] = entry.get("target") or (entry["before"] if not entry["changed"] else None)
        else:
            entry["after"] = _event_view(IS.current_event(plan.stored, tag))
    return [r for r in plan.imports if not r["succeeded"]]


def run(module) -> dict:
    params = dict(module.params)
    namespace = params.get("namespace")
    if not namespace and any("/" not in d for d in params["dest"]):
        namespace = module.default_namespace
    dests = _parse_dests(params, namespace)
    state = params["state"]
    if state == "absent" and any(params.get(k) for k in _SOURCES + ("rollback",)):
        raise InputError("state: absent deletes the tags; remove from_image/from_tag/from_digest/rollback",
                         option="state")
    src = _source_params(params, namespace) if state == "present" and not params.get("rollback") else None
    if src:  # validate the source before any request
        IS.spec_tag_from_params(dict(src, name=dests[0][2]), dests[0][1], dests[0][0], "")
    client = module.client
    check_mode = module.check_mode
    streams: Dict[Tuple[str, str], Optional[dict]] = {}
    for ns, stream, _tag in dests:
        if (ns, stream) not in streams:
            streams[(ns, stream)] = IS.get_stream(client, stream, ns)
    if src and src.get("from_tag") and not params.get("alias"):
        src = _resolve_from_tag(client, src, namespace or dests[0][0], streams)

    results, by_stream, notes = _plan_destinations(params, dests, streams, src)
    known: Dict[Tuple[str, str], bool] = {k: v is not None for k, v in streams.items()}
    for (ns, stream), refs in by_stream.items():
        known[(ns, stream)] = True
        live_tags = ((streams[(ns, stream)] or {}).get("spec") or {}).get("tags") or []
        changed_refs = [t for t in IS.merge_tags(live_tags, refs) if not any(t is lt for lt in live_tags)]
        IS.check_sources_exist(client, ns, stream, changed_refs, known, prefix="dest")

    # Everything is validated: write.
    secrets = []
    if params.get("pull_secret") and by_stream:
        for ns in sorted({key[0] for key in by_stream}):
            secrets.append(PS.ensure_pull_secret(client, ns, params["pull_secret"], check_mode))
    if state == "absent" and not check_mode:
        for entry in results:
            if entry["changed"]:
                client.delete(R.IMAGESTREAMTAG, entry["name"], namespace=entry["namespace"])
    failed: List[dict] = []
    for (ns, stream), refs in by_stream.items():
        failed.extend(_write_stream_tags(client, ns, stream, refs, streams[(ns, stream)], results, check_mode))

    out = {"changed": any(e["changed"] for e in results) or any(s["changed"] for s in secrets), "tags": results}
    if secrets:
        out["pull_secrets"] = secrets
    if notes:
        out["notes"] = notes
    if module._diff:
        out["diff"] = {"before": {e["namespace"] + "/" + e["name"]: e["before"] for e in results},
                       "after": {e["namespace"] + "/" + e["name"]: (None if state == "absent" else e["after"])
                                 for e in results}}
    if failed and params.get("fail_on_import_error"):
        ISI.raise_for_failures(failed, ", ".join("%s/%s" % (e["namespace"], e["name"]) for e in results),
                               out["changed"], extra={"tags": results})
    return out
