"""Image trigger controllers.

* Annotation triggers (openshift-controller-manager's image trigger controller, see image-api.md section 6):
  Deployments, StatefulSets, DaemonSets (apps/v1) and CronJobs (batch/v1) carrying
  `image.openshift.io/triggers`. When the referenced ImageStreamTag's newest event changes (or the object or
  its triggers change), the container image at each non-paused trigger's fieldPath is set to the tag's pull
  spec, resolved with the tag's referencePolicy (Source: items[0].dockerImageReference; Local:
  <status.dockerImageRepository>@<image>), with a plain PUT of the object. A malformed annotation (not a
  JSON array, `paused` not a boolean, duplicate fieldPaths) is ignored as a whole; a trigger whose from is
  not an ImageStreamTag, has an apiVersion, or a name without one ':' is ignored; a fieldPath that does not
  start with the kind's pod-spec path is skipped; one that starts right but names no container or does not
  end in `.image` is an error for that trigger (logged in `errors`, no endless retry here).
* DeploymentConfig ImageChange triggers (apps.openshift.io): with `automatic: true`, a new image for the
  tag updates the named containers (all containers when containerNames is empty), sets
  imageChangeParams.lastTriggeredImage and increments status.latestVersion.
"""
from __future__ import annotations

import copy
import json
import logging
import re

from .. import catalog
from ..apis import image as im
from ..errors import StatusError
from .manager import Controller, Requeue

log = logging.getLogger(__name__)

TRIGGER_ANNOTATION = "image.openshift.io/triggers"

ANNOTATED = {
    ("apps", "deployments"): "spec.template.spec",
    ("apps", "statefulsets"): "spec.template.spec",
    ("apps", "daemonsets"): "spec.template.spec",
    ("batch", "cronjobs"): "spec.jobTemplate.spec.template.spec",
}
DC_KEY = ("apps.openshift.io", "deploymentconfigs")
_SELECTOR = re.compile(r'^(containers|initContainers)\[(?:(\d+)|\?\(@\.name=="([^"]*)"\))\]\.image$')


class TriggerError(Exception):
    pass


def parse_triggers(value) -> list[dict] | None:
    """The trigger list, or None when the annotation as a whole is invalid."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, list):
        return None
    seen = set()
    for t in data:
        if not isinstance(t, dict):
            return None
        if "paused" in t and not isinstance(t["paused"], bool):
            return None
        frm = t.get("from")
        if frm is not None and not isinstance(frm, dict):
            return None
        if frm and any(k in frm and frm[k] is not None and not isinstance(frm[k], str)
                       for k in ("kind", "name", "namespace", "apiVersion", "uid", "resourceVersion")):
            return None   # the JSON does not decode into an ObjectReference
        fp = t.get("fieldPath")
        if not isinstance(fp, str):
            return None
        if fp in seen:
            return None      # "duplicate triggers are not allowed"
        seen.add(fp)
    return data


def active_triggers(obj: dict) -> list[tuple[str, str, str, dict]]:
    """[(namespace, stream, tag, trigger)] for the triggers the controller acts on."""
    ann = ((obj.get("metadata") or {}).get("annotations") or {}).get(TRIGGER_ANNOTATION)
    if not ann:
        return []
    triggers = parse_triggers(ann)
    if not triggers:
        return []
    ns = obj["metadata"].get("namespace")
    out = []
    for t in triggers:
        frm = t.get("from") or {}
        if t.get("paused") or frm.get("kind") != "ImageStreamTag" or frm.get("apiVersion"):
            continue
        parts = (frm.get("name") or "").split(":")
        if len(parts) != 2 or not parts[0] or not parts[1]:
            continue
        out.append((frm.get("namespace") or ns, parts[0], parts[1], t))
    return out


def locate_container(obj: dict, base: str, field_path: str) -> dict | None:
    """The container dict a fieldPath names; None when it does not start with `base` (skip)."""
    if not field_path.startswith(base + "."):
        return None
    rest = field_path[len(base) + 1:]
    m = _SELECTOR.match(rest)
    if not m:
        raise TriggerError(f"unsupported fieldPath {field_path!r}")
    pod_spec = obj
    for part in base.split("."):
        pod_spec = pod_spec.get(part) if isinstance(pod_spec, dict) else None
    containers = (pod_spec.get(m.group(1)) if isinstance(pod_spec, dict) else None) or []
    if not isinstance(containers, list):
        raise TriggerError(f"{m.group(1)} is not a list for fieldPath {field_path!r}")
    if m.group(2) is not None:
        idx = int(m.group(2))
        if idx >= len(containers) or not isinstance(containers[idx], dict):
            raise TriggerError(f"no container at index {idx} for fieldPath {field_path!r}")
        return containers[idx]
    for c in containers:
        if isinstance(c, dict) and c.get("name") == m.group(3):
            return c
    raise TriggerError(f"no container named {m.group(3)!r} for fieldPath {field_path!r}")


def stream_reference(ctx, namespace: str, stream_name: str, tag: str) -> str | None:
    try:
        stream = ctx.api.get(im.IMAGESTREAMS, namespace, stream_name)
    except StatusError as e:
        if e.code == 404:
            return None
        raise
    repo = (stream.get("status") or {}).get("dockerImageRepository")
    if not repo:
        host = getattr(ctx.config, "internal_registry_host", "")
        repo = f"{host}/{namespace}/{stream_name}" if host else ""
    return im.resolve_tag_reference(stream, tag, repository=repo)


class ImageTriggerController(Controller):
    name = "image-triggers"
    watches = [(im.GROUP, "imagestreams")] + list(ANNOTATED) + [DC_KEY]

    def __init__(self):
        self.errors: list[str] = []

    def keys_for(self, event, rt, obj):
        md = obj.get("metadata") or {}
        if rt.key == im.IMAGESTREAMS.key:
            return [("imagestream", md.get("namespace"), md.get("name"))] if event != "DELETED" else []
        if event == "DELETED":
            return []
        if rt.key == DC_KEY:
            return [(rt.key, md.get("namespace"), md.get("name"))] if dc_image_triggers(obj) else []
        if isinstance(md.get("annotations"), dict) and TRIGGER_ANNOTATION in md["annotations"]:
            return [(rt.key, md.get("namespace"), md.get("name"))]
        return []

    def sync(self, ctx, key):
        if key[0] == "imagestream":
            ns, name = key[1], key[2]
            for rkey in list(ANNOTATED) + [DC_KEY]:
                rt = catalog.by_key(rkey)
                try:
                    items = ctx.api.list(rt).get("items") or []
                except StatusError:
                    continue
                for obj in items:
                    if self._references(obj, rkey, ns, name):
                        self._sync_object(ctx, rkey, obj["metadata"]["namespace"], obj["metadata"]["name"])
            return
        rkey, ns, name = key
        self._sync_object(ctx, rkey, ns, name)

    @staticmethod
    def _references(obj, rkey, ns, name) -> bool:
        if rkey == DC_KEY:
            for t in dc_image_triggers(obj):
                frm = t["imageChangeParams"]["from"]
                parts = (frm.get("name") or "").split(":")
                if (frm.get("namespace") or obj["metadata"].get("namespace")) == ns and parts[0] == name:
                    return True
            return False
        return any(tns == ns and s == name for tns, s, _tag, _trig in active_triggers(obj))

    def _sync_object(self, ctx, rkey, ns, name):
        rt = catalog.by_key(rkey)
        try:
            obj = ctx.api.get(rt, ns, name)
        except StatusError as e:
            if e.code == 404:
                return
            raise
        if rkey == DC_KEY:
            return self._sync_dc(ctx, rt, obj)
        base = ANNOTATED[rkey]
        new = copy.deepcopy(obj)
        changed = False
        for tns, stream, tag, trig in active_triggers(new):
            ref = stream_reference(ctx, tns, stream, tag)
            if not ref:
                continue
            try:
                container = locate_container(new, base, trig["fieldPath"])
            except TriggerError as e:
                self._error(f"{rt.kind} {ns}/{name}: {e}")
                continue
            if container is None:
                continue
            if container.get("image") != ref:
                container["image"] = ref
                changed = True
        if changed:
            self._put(ctx, rt, ns, name, new)

    def _put(self, ctx, rt, ns, name, new, subresource=None):
        try:
            return ctx.api.update(rt, ns, name, new, subresource=subresource, user=ctx.user)
        except StatusError as e:
            if e.code == 409:
                raise Requeue(max(0.05, float(getattr(ctx.config, "controller_delay", 0.2)))) from None
            if e.code == 404:
                return None
            if 400 <= e.code < 500:
                self._error(f"{rt.kind} {ns}/{name}: update rejected: {e.message}")
                return None
            raise

    def _sync_dc(self, ctx, rt, obj):
        """Spec first (containers + lastTriggeredImage), then the rollout (latestVersion+1) recorded in
        status.details as imageTrigger causes; both steps are idempotent, so a conflict in either is retried
        without firing twice."""
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        new = copy.deepcopy(obj)
        containers = new
        for part in ("spec", "template", "spec", "containers"):
            containers = containers.get(part) if isinstance(containers, dict) else None
        containers = [c for c in containers if isinstance(c, dict)] if isinstance(containers, list) else []
        changed = False
        current = []
        for t in dc_image_triggers(new):
            p = t["imageChangeParams"]
            if not p.get("automatic"):
                continue
            frm = p["from"]
            parts = (frm.get("name") or "").split(":")
            if len(parts) != 2:
                continue
            ref = stream_reference(ctx, frm.get("namespace") or ns, parts[0], parts[1])
            if not ref:
                continue
            current.append(ref)
            if ref == p.get("lastTriggeredImage"):
                continue
            names = p.get("containerNames") if isinstance(p.get("containerNames"), list) else []
            names = names or [c.get("name") for c in containers]
            for c in containers:
                if c.get("name") in names:
                    c["image"] = ref
            p["lastTriggeredImage"] = ref
            changed = True
        if changed:
            obj = self._put(ctx, rt, ns, name, new)
            if obj is None:
                return
        if not current:
            return
        status = obj.get("status") or {}
        done = [((c.get("imageTrigger") or {}).get("from") or {}).get("name")
                for c in ((status.get("details") or {}).get("causes") or [])]
        if sorted(done) == sorted(current):
            return
        st = copy.deepcopy(obj)
        status = st.get("status")
        if not isinstance(status, dict):
            status = st["status"] = {}
        status["latestVersion"] = int(status.get("latestVersion") or 0) + 1
        status["observedGeneration"] = obj["metadata"].get("generation")
        status["details"] = {"message": "image change", "causes": [
            {"type": "ImageChange", "imageTrigger": {"from": {"kind": "DockerImage", "name": ref}}}
            for ref in current]}
        self._put(ctx, rt, ns, name, st, subresource="status")

    def _error(self, msg):
        log.info("image trigger: %s", msg)
        self.errors.append(msg)
        del self.errors[:-50]


def dc_image_triggers(obj: dict) -> list[dict]:
    """ImageChange triggers from an ImageStreamTag (malformed entries are skipped, never fatal)."""
    out = []
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    triggers = spec.get("triggers")
    for t in triggers if isinstance(triggers, list) else []:
        if not isinstance(t, dict) or t.get("type") != "ImageChange":
            continue
        p = t.get("imageChangeParams")
        if not isinstance(p, dict) or not isinstance(p.get("from"), dict):
            continue
        if p["from"].get("kind") != "ImageStreamTag" or not isinstance(p["from"].get("name"), str):
            continue
        out.append(t)
    return out
