# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Image-change triggers (``oc set triggers --from-image``).

Deployments, StatefulSets, DaemonSets and CronJobs carry them in the ``image.openshift.io/triggers``
annotation: a JSON array of ``{"from": {"kind": "ImageStreamTag", "name": "stream:tag"[, "namespace"]},
"fieldPath": "<pod spec path>.containers[?(@.name==\"c\")].image"[, "paused": true]}``. The trigger
controller ignores bad entries silently (image-api.md section 6); ``check_entry`` names each such mistake
so the module can warn instead of writing one. DeploymentConfigs use typed ``spec.triggers`` entries.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.ocp.registry.plugins.module_utils import image_reference as ir
from ansible_collections.ocp.registry.plugins.module_utils import stream_reference as sr
from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.errors import Conflict, InputError, NotFound

__all__ = ["ANNOTATION", "POD_SPEC_PATHS", "KINDS", "argument_spec", "field_path", "parse_field_path",
           "check_entry", "parse_annotation", "containers_of", "run"]

ANNOTATION = "image.openshift.io/triggers"
POD_SPEC_PATHS = {
    "Deployment": "spec.template.spec",
    "StatefulSet": "spec.template.spec",
    "DaemonSet": "spec.template.spec",
    "CronJob": "spec.jobTemplate.spec.template.spec",
    "DeploymentConfig": "spec.template.spec",
}
KINDS = {"Deployment": R.DEPLOYMENT, "StatefulSet": R.STATEFULSET, "DaemonSet": R.DAEMONSET, "CronJob": R.CRONJOB,
         "DeploymentConfig": R.DEPLOYMENTCONFIG}
_PATH_RE = re.compile(r"^(?P<base>.+)\.(?P<list>containers|initContainers)\[(?P<sel>[^\]]*)\]\.image$")
_SEL_NAME_RE = re.compile(r'^\?\(@\.name=="(?P<name>[^"]+)"\)$')


TRIGGER_OPTIONS = {
    "container": {"type": "str", "required": True},
    "from_tag": {"type": "str"},
    "from_namespace": {"type": "str"},
    "paused": {"type": "bool", "default": False},
}
OBJECT_OPTIONS = {
    "kind": {"type": "str", "required": True, "choices": sorted(KINDS)},
    "name": {"type": "str", "required": True},
    "namespace": {"type": "str"},
    "state": {"type": "str", "choices": ["present", "absent"]},
    "triggers": {"type": "list", "elements": "dict", "options": TRIGGER_OPTIONS},
    "exclusive": {"type": "bool"},
}


def argument_spec() -> dict:
    return {
        "kind": {"type": "str", "choices": sorted(KINDS)},
        "name": {"type": "str"},
        "namespace": {"type": "str"},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "triggers": {"type": "list", "elements": "dict", "options": copy.deepcopy(TRIGGER_OPTIONS)},
        "exclusive": {"type": "bool", "default": False},
        "objects": {"type": "list", "elements": "dict", "options": copy.deepcopy(OBJECT_OPTIONS)},
    }


MUTUALLY_EXCLUSIVE = [("name", "objects"), ("kind", "objects"), ("triggers", "objects")]
REQUIRED_ONE_OF = [("name", "objects")]
REQUIRED_TOGETHER = [("kind", "name")]


def _get(obj: dict, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = (obj or {}).get(part) if isinstance(obj, dict) else None
    return obj


def containers_of(obj: dict, kind: str) -> Dict[str, List[str]]:
    pod = _get(obj, POD_SPEC_PATHS[kind]) or {}
    return {lst: [c.get("name") for c in pod.get(lst) or []] for lst in ("containers", "initContainers")}


def field_path(kind: str, container: str, init: bool = False) -> str:
    return '%s.%s[?(@.name=="%s")].image' % (POD_SPEC_PATHS[kind], "initContainers" if init else "containers",
                                             container)


def parse_field_path(path: str, kind: str, obj: dict) -> Tuple[Optional[str], Optional[str]]:
    """(container name, None) for a fieldPath the controller understands, else (None, why it is ignored)."""
    match = _PATH_RE.match(path or "")
    if not match:
        return None, "fieldPath %r must end in containers[...].image or initContainers[...].image" % path
    if match.group("base") != POD_SPEC_PATHS[kind]:
        return None, "fieldPath %r does not start with %s, the pod spec of a %s, so it is skipped" % (
            path, POD_SPEC_PATHS[kind], kind)
    names = containers_of(obj, kind)[match.group("list")]
    sel = match.group("sel")
    if sel.isdigit():
        index = int(sel)
        if index >= len(names):
            return None, "fieldPath %r: there is no %s[%d]" % (path, match.group("list"), index)
        return names[index], None
    by_name = _SEL_NAME_RE.match(sel)
    if not by_name:
        return None, ('fieldPath %r: the selector must be an index or exactly ?(@.name=="NAME") '
                      '(double quotes, no spaces)' % path)
    if by_name.group("name") not in names:
        return None, "fieldPath %r names container %s, which the %s does not have" % (
            path, by_name.group("name"), kind)
    return by_name.group("name"), None


def check_entry(entry: Any, kind: str, obj: dict) -> Tuple[Optional[str], List[str]]:
    """Return (container, problems) for one annotation entry; problems explain why the controller ignores it."""
    problems = []
    if not isinstance(entry, dict):
        return None, ["entry %r is not an object" % (entry,)]
    frm = entry.get("from") or {}
    if "pause" in entry:
        problems.append("key 'pause' is unknown and ignored (the field is 'paused', a boolean)")
    if "paused" in entry and not isinstance(entry["paused"], bool):
        problems.append("'paused' is %r, not a boolean: the whole annotation fails to parse" % (entry["paused"],))
    if frm.get("kind") != "ImageStreamTag":
        problems.append("from.kind is %r; only ImageStreamTag triggers are acted on" % (frm.get("kind"),))
    if frm.get("apiVersion"):
        problems.append("from.apiVersion must be empty; the trigger is ignored")
    if ":" not in (frm.get("name") or ""):
        problems.append("from.name %r has no ':' (stream:tag); the trigger is ignored" % (frm.get("name"),))
    container, why = parse_field_path(entry.get("fieldPath") or "", kind, obj)
    if why:
        problems.append(why)
    return container, problems


def parse_annotation(obj: dict) -> Tuple[List[Any], Optional[str]]:
    raw = ((obj.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)
    if raw in (None, ""):
        return [], None
    try:
        value = json.loads(raw)
    except ValueError:
        return [], "annotation %s is not valid JSON, so no trigger of it works" % ANNOTATION
    if not isinstance(value, list):
        return [], "annotation %s must be a JSON array, so no trigger of it works" % ANNOTATION
    return value, None


def _norm_entry(entry: dict) -> tuple:
    frm = entry.get("from") or {}
    return (frm.get("kind"), frm.get("name"), frm.get("namespace") or None, entry.get("fieldPath"),
            entry.get("paused") is True)


def _key(entries: List[dict]) -> List[str]:
    return sorted(json.dumps(_norm_entry(e)) for e in entries)


def _desired_entry(kind: str, container: str, init: bool, tag: sr.StreamTag, namespace: str,
                   paused: bool) -> dict:
    frm = {"kind": "ImageStreamTag", "name": str(tag)}
    if tag.namespace and tag.namespace != namespace:
        frm["namespace"] = tag.namespace
    entry = {"from": frm, "fieldPath": field_path(kind, container, init)}
    if paused:
        entry["paused"] = True
    return entry


def _validate(params: dict, obj: dict, namespace: str) -> List[dict]:
    kind = params["kind"]
    names = containers_of(obj, kind)
    wanted = []
    seen = set()
    for index, trig in enumerate(params.get("triggers") or []):
        option = "%striggers[%d]" % (params.get("_prefix", ""), index)
        container = trig["container"]
        if container in seen:
            raise InputError("%s.container: %s is listed twice (two triggers on one field are invalid)"
                             % (option, container), option=option + ".container")
        seen.add(container)
        if container not in names["containers"] and container not in names["initContainers"]:
            raise InputError("%s.container: %s %s/%s has no container %r (containers: %s; init containers: %s)"
                             % (option, kind, namespace, params["name"], container,
                                ", ".join(names["containers"]) or "none",
                                ", ".join(names["initContainers"]) or "none"), option=option + ".container")
        init = container not in names["containers"]
        tag = None
        if params["state"] == "present":
            if not trig.get("from_tag"):
                raise InputError("%s.from_tag: required with state present (stream:tag)" % option,
                                 option=option + ".from_tag")
            tag = sr.parse_stream_tag(trig["from_tag"], option + ".from_tag")
            if trig.get("from_namespace"):
                ir.validate_name(trig["from_namespace"], option + ".from_namespace", "namespace name")
                tag = sr.StreamTag(trig["from_namespace"], tag.stream, tag.tag)
        wanted.append({"container": container, "init": init, "tag": tag, "paused": bool(trig.get("paused"))})
    return wanted


def _annotation_plan(module, params: dict, obj: dict, namespace: str, wanted: List[dict]) -> Optional[str]:
    """The new annotation value, or None when the live one already means the same.

    Existing entries with a silent failure mode are reported with a warning. An entry for a container this
    task manages is rewritten; another broken entry is left alone unless the annotation is written anyway,
    and then it is dropped (or, for a non-boolean ``paused``, which breaks the whole annotation, dropped too).
    """
    kind = params["kind"]
    entries, broken = parse_annotation(obj)
    if broken:
        module.warn(broken + "; it is replaced")
    managed = {w["container"] for w in wanted}
    drop_all = params["state"] == "absent" and not wanted
    replace_all = params["exclusive"] and params["state"] == "present"
    out = []
    force = bool(broken)
    for entry in entries:
        container, problems = check_entry(entry, kind, obj)
        if problems:
            module.warn("%s %s/%s: trigger %s: %s" % (
                kind, namespace, params["name"], json.dumps(entry, sort_keys=True), "; ".join(problems)))
        if container in managed or replace_all or drop_all:
            force = force or bool(problems)
            continue
        fatal = isinstance(entry, dict) and "paused" in entry and not isinstance(entry["paused"], bool)
        if fatal:
            force = True
        if (problems and not container) or fatal:
            continue
        if any(e.get("fieldPath") == entry.get("fieldPath") for e in out):
            module.warn("%s %s/%s: two triggers target %s, which makes the whole annotation invalid; the second is "
                        "dropped" % (kind, namespace, params["name"], entry.get("fieldPath")))
            force = True
            continue
        out.append(entry)
    if params["state"] == "present":
        for w in wanted:
            out.append(_desired_entry(kind, w["container"], w["init"], w["tag"], namespace, w["paused"]))
    live_dicts = [e for e in entries if isinstance(e, dict)]
    if not force and len(live_dicts) == len(entries) and \
            _key(out) == _key(live_dicts):
        return None
    return json.dumps(out, separators=(",", ":")) if out else ""


def _dc_plan(params: dict, obj: dict, namespace: str, wanted: List[dict]) -> Optional[List[dict]]:
    live = copy.deepcopy((obj.get("spec") or {}).get("triggers") or [])
    managed = {w["container"] for w in wanted}
    out = []
    for trig in live:
        if trig.get("type") != "ImageChange":
            out.append(trig)
            continue
        params_ = trig.get("imageChangeParams") or {}
        names = [n for n in params_.get("containerNames") or []
                 if n not in managed and not (params["exclusive"] and params["state"] == "present")]
        if params["state"] == "absent" and not wanted:
            names = []
        if names:
            if names != params_.get("containerNames"):
                trig = copy.deepcopy(trig)
                trig["imageChangeParams"]["containerNames"] = names
            out.append(trig)
    if params["state"] == "present":
        for w in wanted:
            frm = {"kind": "ImageStreamTag", "name": str(w["tag"])}
            if w["tag"].namespace and w["tag"].namespace != namespace:
                frm["namespace"] = w["tag"].namespace
            existing = next((t for t in live if t.get("type") == "ImageChange"
                             and (t.get("imageChangeParams") or {}).get("containerNames") == [w["container"]]
                             and _same_from((t.get("imageChangeParams") or {}).get("from"), frm, namespace)
                             and bool((t.get("imageChangeParams") or {}).get("automatic")) == (not w["paused"])),
                            None)
            out.append(existing or {"type": "ImageChange", "imageChangeParams": {
                "automatic": not w["paused"], "containerNames": [w["container"]], "from": frm}})
    return None if out == live else out


def _same_from(a: Optional[dict], b: dict, namespace: str) -> bool:
    a = a or {}
    return (a.get("kind"), a.get("name"), a.get("namespace") or namespace) == (
        b.get("kind"), b.get("name"), b.get("namespace") or namespace)


def _view(kind: str, obj: Optional[dict]) -> dict:
    if not obj:
        return {}
    if kind == "DeploymentConfig":
        return {"spec": {"triggers": (obj.get("spec") or {}).get("triggers") or []}}
    raw = ((obj.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        value = raw
    return {"metadata": {"annotations": {ANNOTATION: value}}}


def _items(module) -> List[dict]:
    params = module.params
    if not params.get("objects"):
        return [dict(params, _prefix="")]
    out = []
    for index, obj in enumerate(params["objects"]):
        item = dict(obj, _prefix="objects[%d]." % index)
        for key in ("namespace", "state", "exclusive"):
            if item.get(key) is None:
                item[key] = params.get(key)
        out.append(item)
    return out


def _check_input(item: dict, namespace: Optional[str]) -> None:
    """Input checks that need no request."""
    prefix = item["_prefix"]
    if not namespace:
        raise InputError("%snamespace: required" % prefix, option=prefix + "namespace")
    ir.validate_name(namespace, prefix + "namespace", "namespace name")
    if item["state"] == "present" and not item.get("triggers") and not item["exclusive"]:
        raise InputError("%striggers: give at least one trigger with state present" % prefix,
                         option=prefix + "triggers")
    for index, trig in enumerate(item.get("triggers") or []):
        if item["state"] == "present" and trig.get("from_tag"):
            sr.parse_stream_tag(trig["from_tag"], "%striggers[%d].from_tag" % (prefix, index))


def run(module) -> dict:
    """One GET per object; every object is read and checked before the first write."""
    items = _items(module)
    for item in items:
        if not item.get("namespace"):
            item["namespace"] = module.default_namespace
        _check_input(item, item["namespace"])
    client = module.client
    plans = []
    for item in items:
        res = KINDS[item["kind"]]
        try:
            obj = client.get(res, item["name"], namespace=item["namespace"])
        except NotFound:
            raise InputError("%sname: %s %s/%s does not exist" % (item["_prefix"], item["kind"], item["namespace"],
                                                                  item["name"]), option=item["_prefix"] + "name")
        plans.append((item, obj, _plan_patch(module, item, obj, item["namespace"])))
    results = []
    for item, obj, patch in plans:
        results.append(_apply(module, client, item, obj, patch))
    if not module.params.get("objects"):
        out = dict(results[0])
        out.pop("kind")
        out.pop("name")
        out.pop("namespace")
        return out
    out = {"changed": any(r["changed"] for r in results), "results": results}
    if module._diff:
        out["diff"] = [dict(r.pop("diff"), before_header="%s %s/%s" % (r["kind"], r["namespace"], r["name"]),
                            after_header="%s %s/%s" % (r["kind"], r["namespace"], r["name"])) for r in results]
    return out


def _apply(module, client, item: dict, obj: dict, patch: Optional[dict]) -> dict:
    kind, namespace = item["kind"], item["namespace"]
    res = KINDS[kind]
    before = obj
    after = obj
    for attempt in range(3):
        if patch is None:
            after = obj
            break
        if module.check_mode:
            after = _predict(kind, obj, patch)
            break
        try:
            after = client.merge_patch(res, item["name"], patch, namespace=namespace)
            break
        except Conflict:  # another writer (a controller's status update) moved the resourceVersion
            if attempt == 2:
                raise
            obj = client.get(res, item["name"], namespace=namespace)
            patch = _plan_patch(module, item, obj, namespace, warn=False)
    if patch is not None and item["state"] == "present":
        _warn_unresolvable(module, client, item, namespace)
    out = {"kind": kind, "name": item["name"], "namespace": namespace, "changed": patch is not None,
           "triggers": _summary(kind, after, namespace)}
    if module._diff:
        out["diff"] = {"before": _view(kind, before), "after": _view(kind, after)}
    return out


def _warn_unresolvable(module, client, params: dict, namespace: str) -> None:
    """The trigger controller skips a trigger whose stream or tag has no image, without a word: say so."""
    seen = {}
    for trig in params.get("triggers") or []:
        if trig.get("paused") or not trig.get("from_tag"):
            continue
        tag = sr.parse_stream_tag(trig["from_tag"], "from_tag")
        ns = tag.namespace or trig.get("from_namespace") or namespace
        key = (ns, tag.stream)
        if key not in seen:
            seen[key] = client.get_or_none(R.IMAGESTREAM, tag.stream, namespace=ns)
        stream = seen[key]
        if stream is None:
            module.warn("trigger on container %s: image stream %s/%s does not exist yet; the trigger does nothing "
                        "until it does" % (trig["container"], ns, tag.stream))
            continue
        status = next((t for t in (stream.get("status") or {}).get("tags") or [] if t.get("tag") == tag.tag), {})
        if not status.get("items"):
            module.warn("trigger on container %s: %s/%s:%s has no image yet; the trigger does nothing until it has"
                        % (trig["container"], ns, tag.stream, tag.tag))


class _Quiet:
    """Module stand-in that drops warnings (a retry after a conflict must not repeat them)."""

    def __init__(self, module) -> None:
        self.module = module

    def warn(self, msg: str) -> None:
        pass


def _plan_patch(module, params: dict, obj: dict, namespace: str, warn: bool = True) -> Optional[dict]:
    """The merge patch (with the resourceVersion it was computed from), or None when nothing is to do."""
    wanted = _validate(params, obj, namespace)
    rv = (obj.get("metadata") or {}).get("resourceVersion")
    if params["kind"] == "DeploymentConfig":
        new = _dc_plan(params, obj, namespace, wanted)
        return None if new is None else {"metadata": {"resourceVersion": rv}, "spec": {"triggers": new}}
    value = _annotation_plan(module if warn else _Quiet(module), params, obj, namespace, wanted)
    return None if value is None else {"metadata": {"resourceVersion": rv, "annotations": {ANNOTATION: value or None}}}


def _predict(kind: str, obj: dict, patch: dict) -> dict:
    after = copy.deepcopy(obj)
    if kind == "DeploymentConfig":
        after.setdefault("spec", {})["triggers"] = patch["spec"]["triggers"]
        return after
    annotations = after.setdefault("metadata", {}).setdefault("annotations", {})
    if patch["metadata"]["annotations"][ANNOTATION]:
        annotations[ANNOTATION] = patch["metadata"]["annotations"][ANNOTATION]
    else:
        annotations.pop(ANNOTATION, None)
    return after


def _summary(kind: str, obj: dict, namespace: str) -> List[dict]:
    """Plain list of the object's image triggers: container, from, namespace, paused."""
    out = []
    if kind == "DeploymentConfig":
        for trig in (obj.get("spec") or {}).get("triggers") or []:
            if trig.get("type") != "ImageChange":
                continue
            p = trig.get("imageChangeParams") or {}
            for name in p.get("containerNames") or []:
                out.append({"container": name, "from": (p.get("from") or {}).get("name"),
                            "namespace": (p.get("from") or {}).get("namespace") or namespace,
                            "paused": not p.get("automatic")})
        return out
    entries = parse_annotation(obj)[0]
    for entry in entries:
        container, problems = check_entry(entry, kind, obj)
        frm = (entry.get("from") or {}) if isinstance(entry, dict) else {}
        out.append({"container": container, "from": frm.get("name"),
                    "namespace": frm.get("namespace") or namespace,
                    "paused": isinstance(entry, dict) and entry.get("paused") is True,
                    "field_path": entry.get("fieldPath") if isinstance(entry, dict) else None,
                    "problems": problems})
    return out
