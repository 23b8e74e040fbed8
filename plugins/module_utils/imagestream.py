# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Declarative ImageStreams: spec tags from task options, merge with the live stream, write on difference.

The live stream's spec tags carry server-owned or server-defaulted fields (``generation``,
``referencePolicy.type: Source``, ``importMode: Legacy``, ``annotations: null``). A desired tag is laid
over a copy of its live tag, and when the overlay means the same thing as the live tag the live tag is
kept verbatim, so an unchanged stream compares equal and is never written.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.ocp.registry.plugins.module_utils import image_reference as ir
from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError, NotFound

__all__ = [
    "TAG_OPTIONS",
    "STREAM_OPTIONS",
    "spec_tag_from_params",
    "merge_tags",
    "same_tag",
    "tag_changed_for_import",
    "current_event",
    "find_status_tag",
    "spec_tag",
    "import_pending",
    "write_stream",
    "KnownStreams",
    "stream_skeleton",
    "check_sources_exist",
    "summarize",
]

# Per-tag options, shared by the imagestream (tags[]) and imagestream_tag modules.
TAG_OPTIONS = {
    "name": {"type": "str", "required": True},
    "from_image": {"type": "str"},
    "from_tag": {"type": "str"},
    "from_digest": {"type": "str"},
    "from_namespace": {"type": "str"},
    "reference": {"type": "bool", "default": False},
    "reference_policy": {"type": "str", "choices": ["Source", "Local"]},
    "scheduled": {"type": "bool", "default": False},
    "import_mode": {"type": "str", "choices": ["Legacy", "PreserveOriginal"]},
    "insecure": {"type": "bool", "default": False},
    "annotations": {"type": "dict"},
}
TAG_SOURCES = ("from_image", "from_tag", "from_digest")

STREAM_OPTIONS = {
    "name": {"type": "str"},
    "namespace": {"type": "str"},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "lookup_local": {"type": "bool"},
    "labels": {"type": "dict"},
    "annotations": {"type": "dict"},
    "tags": {"type": "list", "elements": "dict", "options": TAG_OPTIONS,
             "mutually_exclusive": [list(TAG_SOURCES)], "required_one_of": [list(TAG_SOURCES)]},
    "prune_tags": {"type": "bool", "default": False},
    "import_repository": {"type": "dict", "options": {
        "from_image": {"type": "str", "required": True},
        "limit": {"type": "int"},
        "reference_policy": {"type": "str", "choices": ["Source", "Local"]},
        "scheduled": {"type": "bool", "default": False},
        "import_mode": {"type": "str", "choices": ["Legacy", "PreserveOriginal"]},
        "insecure": {"type": "bool", "default": False},
    }},
    "reimport": {"type": "bool", "default": False},
}


def _opt(prefix: str, key: str) -> str:
    return "%s.%s" % (prefix, key) if prefix else key


def spec_tag_from_params(tag: dict, stream: str, namespace: str, prefix: str = "") -> dict:
    """Build the TagReference that a task's tag options ask for (only the fields the task manages).

    Raises InputError naming the option for malformed references, a digest given with a tag, an insecure
    flag on a source that is not imported, or ``scheduled`` on a tag that is not a DockerImage.
    """
    ir.validate_tag(tag["name"], _opt(prefix, "name"))
    ref: Dict[str, Any] = {"name": tag["name"]}
    if tag.get("from_image"):
        option = _opt(prefix, "from_image")
        parsed = ir.parse_pull_spec(tag["from_image"], option, allow_scheme=True)
        if tag["from_image"].startswith("http://") and not tag.get("insecure"):
            raise InputError(
                "%s: %r asks for plain HTTP, which needs consent: set insecure: true on this tag if you trust "
                "the network, or use the registry's HTTPS address" % (option, tag["from_image"]), option=option)
        if "://" in tag["from_image"] and not tag["from_image"].startswith("http://"):
            raise InputError("%s: %r: a pull spec has no scheme; remove it" % (option, tag["from_image"]),
                             option=option)
        if tag.get("from_namespace"):
            raise InputError("%s: from_namespace applies to from_tag and from_digest, not to an external image"
                             % _opt(prefix, "from_namespace"), option=_opt(prefix, "from_namespace"))
        ref["from"] = {"kind": "DockerImage", "name": str(parsed)}
    elif tag.get("from_tag"):
        option = _opt(prefix, "from_tag")
        from ansible_collections.ocp.registry.plugins.module_utils import stream_reference

        parsed = stream_reference.parse_stream_tag(tag["from_tag"], option, default_stream=stream)
        src_ns = parsed.namespace or tag.get("from_namespace")
        if parsed.namespace and tag.get("from_namespace") and parsed.namespace != tag["from_namespace"]:
            raise InputError("%s: %r names namespace %s but from_namespace is %s; give it once"
                             % (option, tag["from_tag"], parsed.namespace, tag["from_namespace"]), option=option)
        if src_ns == namespace:
            src_ns = None
        if parsed.stream == stream and parsed.tag == tag["name"] and not src_ns:
            raise InputError("%s: tag %s cannot follow itself" % (option, tag["name"]), option=option)
        ref["from"] = {"kind": "ImageStreamTag", "name": "%s:%s" % (parsed.stream, parsed.tag)}
        if src_ns:
            ref["from"]["namespace"] = src_ns
    elif tag.get("from_digest"):
        option = _opt(prefix, "from_digest")
        from ansible_collections.ocp.registry.plugins.module_utils import stream_reference

        parsed = stream_reference.parse_stream_image(tag["from_digest"], option)
        src_ns = parsed.namespace or tag.get("from_namespace")
        if src_ns == namespace:
            src_ns = None
        ref["from"] = {"kind": "ImageStreamImage", "name": "%s@%s" % (parsed.stream or stream, parsed.digest)}
        if src_ns:
            ref["from"]["namespace"] = src_ns
    kind = ref.get("from", {}).get("kind")
    if tag.get("scheduled") and kind != "DockerImage":
        raise InputError("%s: scheduled import works only for an external image (from_image); the server "
                         "rejects it for %s" % (_opt(prefix, "scheduled"), kind), option=_opt(prefix, "scheduled"))
    if tag.get("insecure") and (kind != "DockerImage" or tag.get("reference")):
        raise InputError("%s: insecure only affects imports from an external registry (from_image without "
                         "reference); remove it" % _opt(prefix, "insecure"), option=_opt(prefix, "insecure"))
    ref["reference"] = bool(tag.get("reference"))
    policy = {"insecure": bool(tag.get("insecure")), "scheduled": bool(tag.get("scheduled"))}
    if tag.get("import_mode"):
        policy["importMode"] = tag["import_mode"]
    ref["importPolicy"] = policy
    ref["referencePolicy"] = {"type": tag.get("reference_policy") or "Source"}
    if tag.get("annotations") is not None:
        ref["annotations"] = {str(k): str(v) for k, v in tag["annotations"].items()}
    return ref


def _norm(tag: dict) -> dict:
    """What a TagReference means, with server defaults and empty values folded away."""
    frm = dict(tag.get("from") or {})
    if not frm.get("namespace"):
        frm.pop("namespace", None)
    if not frm.get("apiVersion"):
        frm.pop("apiVersion", None)
    policy = tag.get("importPolicy") or {}
    return {
        "name": tag.get("name"),
        "from": frm or None,
        "reference": bool(tag.get("reference")),
        "insecure": bool(policy.get("insecure")),
        "scheduled": bool(policy.get("scheduled")),
        "importMode": policy.get("importMode") or "Legacy",
        "referencePolicy": (tag.get("referencePolicy") or {}).get("type") or "Source",
        "annotations": tag.get("annotations") or {},
    }


def same_tag(a: dict, b: dict) -> bool:
    return _norm(a) == _norm(b)


def _overlay(live: dict, desired: dict) -> dict:
    """Lay the managed fields of ``desired`` over a copy of ``live``."""
    out = copy.deepcopy(live)
    out["name"] = desired["name"]
    if "from" in desired:
        out["from"] = copy.deepcopy(desired["from"])
    out["reference"] = desired.get("reference", False)
    policy = dict(out.get("importPolicy") or {})
    policy.update(desired.get("importPolicy") or {})
    out["importPolicy"] = policy
    if "referencePolicy" in desired:
        out["referencePolicy"] = copy.deepcopy(desired["referencePolicy"])
    if "annotations" in desired:
        out["annotations"] = copy.deepcopy(desired["annotations"])
    return out


def merge_tags(live_tags: Optional[List[dict]], desired: List[dict], prune: bool = False) -> List[dict]:
    """The spec tag list to store: live order kept, changed tags overlaid, new tags appended.

    An unchanged tag is returned as the identical live dict, so ``merge_tags(live, d) == live`` exactly
    when nothing needs writing.
    """
    live_tags = list(live_tags or [])
    wanted = {t["name"]: t for t in desired}
    out = []
    for live in live_tags:
        want = wanted.pop(live.get("name"), None)
        if want is None:
            if not prune:
                out.append(live)
            continue
        merged = _overlay(live, want)
        if same_tag(merged, live):
            out.append(live)
        else:
            merged.pop("generation", None)      # nil = "server decides"; it bumps a changed tag anyway
            out.append(merged)
    for tag in desired:
        if tag["name"] in wanted:
            new = copy.deepcopy(tag)
            new.setdefault("annotations", None)
            out.append(new)
    return out


def tag_changed_for_import(live_tags: Optional[List[dict]], merged: dict) -> bool:
    """True when ``merged`` is an importable tag that is new or whose source or import policy moved."""
    frm = merged.get("from") or {}
    if frm.get("kind") != "DockerImage" or merged.get("reference"):
        return False
    for live in live_tags or []:
        if live.get("name") == merged.get("name"):
            a, b = _norm(live), _norm(merged)
            return any(a[k] != b[k] for k in ("from", "reference", "insecure", "importMode"))
    return True


def import_pending(stream: Optional[dict], name: str) -> bool:
    """True when the tag has no image yet or its last import failed (ImportSuccess=False)."""
    status_tag = find_status_tag(stream, name) or {}
    if any(c.get("type") == "ImportSuccess" and c.get("status") == "False" for c in status_tag.get("conditions") or []):
        return True
    return not any(i.get("image") for i in (status_tag.get("items") or [])[:1])


def spec_tag(stream: Optional[dict], name: str) -> Optional[dict]:
    for tag in ((stream or {}).get("spec") or {}).get("tags") or []:
        if tag.get("name") == name:
            return tag
    return None


def find_status_tag(stream: Optional[dict], name: str) -> Optional[dict]:
    for tag in ((stream or {}).get("status") or {}).get("tags") or []:
        if tag.get("tag") == name:
            return tag
    return None


def current_event(stream: Optional[dict], name: str) -> Optional[dict]:
    """``status.tags[name].items[0]`` (the tag's current image) or None."""
    status_tag = find_status_tag(stream, name)
    items = (status_tag or {}).get("items") or []
    return items[0] if items else None


def stream_skeleton(name: str, namespace: str, labels: Optional[dict] = None,
                    annotations: Optional[dict] = None) -> dict:
    meta: Dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": meta, "spec": {"tags": []}}


def _view(obj: Optional[dict]) -> Optional[dict]:
    """The part of a stream shown in diffs: metadata name/labels/annotations and spec."""
    if obj is None:
        return None
    meta = obj.get("metadata") or {}
    view = {"metadata": {k: meta[k] for k in ("name", "namespace", "labels", "annotations") if meta.get(k)}}
    spec = copy.deepcopy(obj.get("spec") or {})
    for tag in spec.get("tags") or []:
        tag.pop("generation", None)
    view["spec"] = spec
    return view


def desired_stream(live: Optional[dict], name: str, namespace: str, params: dict,
                   desired_tags: List[dict]) -> dict:
    """The stream to store: ``live`` with the task's managed fields applied (or a new skeleton)."""
    obj = copy.deepcopy(live) if live else stream_skeleton(name, namespace, params.get("labels"),
                                                           params.get("annotations"))
    meta = obj.setdefault("metadata", {})
    for key in ("labels", "annotations"):
        if params.get(key):
            merged = dict(meta.get(key) or {})
            merged.update({str(k): str(v) for k, v in params[key].items()})
            meta[key] = merged
    spec = obj.setdefault("spec", {})
    if params.get("lookup_local") is not None:
        if bool((spec.get("lookupPolicy") or {}).get("local")) != params["lookup_local"]:
            spec["lookupPolicy"] = {"local": params["lookup_local"]}
    if desired_tags or params.get("prune_tags"):
        live_tags = spec.get("tags") or []
        merged = merge_tags(live_tags, desired_tags, prune=bool(params.get("prune_tags")))
        if merged != live_tags:
            spec["tags"] = merged
    return obj


def _changes(live: Optional[dict], full: dict) -> dict:
    """The skeleton for ``ensure_present``: identity plus the managed fields where ``full`` differs from ``live``.

    ``full`` is ``desired_stream(live, ...)``: the live stream with the task's fields applied. Spec tags are
    one value (a merge patch replaces the list), so an unchanged list is left out and never compared.
    """
    if live is None:
        return full
    meta, live_meta = full.get("metadata") or {}, live.get("metadata") or {}
    spec, live_spec = full.get("spec") or {}, live.get("spec") or {}
    skeleton: Dict[str, Any] = {"metadata": {"name": meta["name"], "namespace": meta["namespace"]}, "spec": {}}
    for key in ("labels", "annotations"):
        if meta.get(key) != live_meta.get(key):
            skeleton["metadata"][key] = meta.get(key)
    for key in ("tags", "lookupPolicy"):
        if spec.get(key) != live_spec.get(key):
            skeleton["spec"][key] = spec.get(key)
    return skeleton


def write_stream(client, live: Optional[dict], name: str, namespace: str, params: dict, desired_tags: List[dict],
                 check_mode: bool) -> Tuple[bool, Optional[dict], dict]:
    """Create or merge-patch the stream ``desired_stream`` describes; returns (changed, stored, desired).

    ``live`` is the stream as already read (None: it does not exist). ``ensure_present`` writes only what
    differs, with ``metadata.resourceVersion``; on a 409 it reads the stream again and the desired state is
    rebuilt from it, so a concurrent writer's tags are kept. ``desired`` is the full stream that the last
    round asked for (the "after" of the diff).
    """
    if live is not None:
        desired = desired_stream(live, name, namespace, params, desired_tags)
        changes = _changes(live, desired)
        if not changes["spec"] and len(changes["metadata"]) == 2:
            return False, live, desired  # nothing to write: the usual re-run, which then never loads ensure.py
    from ansible_collections.ocp.registry.plugins.module_utils import ensure

    built: Dict[str, dict] = {}

    def skeleton(current: Optional[dict]) -> dict:
        built["desired"] = desired_stream(current, name, namespace, params, desired_tags)
        return _changes(current, built["desired"])

    result = ensure.ensure_present(client, R.IMAGESTREAM, skeleton, check_mode=check_mode, name=name,
                                   namespace=namespace, live=ensure.ABSENT if live is None else live)
    return result["changed"], result["object"], built["desired"]


class KnownStreams(dict):
    """(namespace, name) -> exists, seeded from LIST results: a miss in a listed namespace is False."""

    def __init__(self, listed: Optional[Dict[str, Dict[str, dict]]] = None) -> None:
        super().__init__()
        self.listed = listed or {}
        for namespace, streams in self.listed.items():
            for name in streams:
                self[(namespace, name)] = True

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, key) or key[0] in self.listed

    def __getitem__(self, key):
        if not dict.__contains__(self, key) and key[0] in self.listed:
            return key[1] in self.listed[key[0]]
        return dict.__getitem__(self, key)


def check_sources_exist(client, namespace: str, stream: str, tags: List[dict], known: Dict[Tuple[str, str], Any],
                        prefix: str = "tags") -> None:
    """Fail before writing when a from_tag/from_digest names a stream that does not exist.

    ``known`` maps (namespace, stream) to True for streams that exist or that this task creates; it is
    updated with what is looked up, so each source stream costs at most one GET per task.
    """
    for index, tag in enumerate(tags):
        frm = tag.get("from") or {}
        if frm.get("kind") not in ("ImageStreamTag", "ImageStreamImage"):
            continue
        sep = ":" if frm["kind"] == "ImageStreamTag" else "@"
        src_stream = frm["name"].split(sep, 1)[0]
        src_ns = frm.get("namespace") or namespace
        if (src_ns, src_stream) == (namespace, stream):
            continue
        key = (src_ns, src_stream)
        if key not in known:
            known[key] = client.get_or_none(R.IMAGESTREAM, src_stream, namespace=src_ns) is not None
        if not known[key]:
            option = "%s[%d].%s" % (prefix, index, "from_tag" if sep == ":" else "from_digest")
            raise InputError("%s: the source image stream %s/%s does not exist; create it first (or list it "
                             "earlier in the same task)" % (option, src_ns, src_stream), option=option)


def summarize(stream: Optional[dict]) -> Optional[dict]:
    """A compact, plain-data view of a stream for results: repositories and tags with their current image."""
    if stream is None:
        return None
    meta = stream.get("metadata") or {}
    status = stream.get("status") or {}
    tags = []
    names = [t.get("name") for t in (stream.get("spec") or {}).get("tags") or []]
    names += [t.get("tag") for t in status.get("tags") or [] if t.get("tag") not in names]
    for name in names:
        ref = spec_tag(stream, name) or {}
        event = current_event(stream, name) or {}
        status_tag = find_status_tag(stream, name) or {}
        tags.append({
            "name": name,
            "from": ref.get("from"),
            "digest": event.get("image") or None,
            "pull_spec": event.get("dockerImageReference") or None,
            "generation": event.get("generation"),
            "conditions": status_tag.get("conditions") or [],
        })
    return {
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "resource_version": meta.get("resourceVersion"),
        "internal_repository": status.get("dockerImageRepository") or None,
        "public_repository": status.get("publicDockerImageRepository") or None,
        "lookup_local": bool(((stream.get("spec") or {}).get("lookupPolicy") or {}).get("local")),
        "tags": tags,
    }


def diff_view(before: Optional[dict], after: Optional[dict]) -> dict:
    return {"before": _view(before) or {}, "after": _view(after) or {}}


def get_stream(client, name: str, namespace: str) -> Optional[dict]:
    try:
        return client.get(R.IMAGESTREAM, name, namespace=namespace)
    except NotFound:
        return None
