"""image.openshift.io/v1: ImageStream strategy, Image, and the virtual resources around streams.

Modelled on openshift-apiserver (see /work/shared/docs/image-api.md, sections 1-3 and 5):

* ImageStream: name rules, spec-tag generation handling ("0 means re-import"), tag resolution for
  ImageStreamTag/ImageStreamImage sources (cross-namespace and multi-level), `reference: true` DockerImage
  events, tags tracking other tags of the same stream, history merge (AddTagEventToImageStream), importPolicy
  and referencePolicy defaults and enums, status on main writes ignored, /status rules, and the computed
  status.dockerImageRepository / publicDockerImageRepository; imagestreams/secrets.
* Image (cluster-scoped, stored).
* Virtual: imagestreamtags, imagetags, imagestreamimages, imagestreamimports, imagestreammappings.
"""
from __future__ import annotations

import copy
import re
from typing import Any

from .. import catalog, errors
from .. import registry_client as rc
from ..apiserver import Context, Strategy, VirtualHandler

GROUP = "image.openshift.io"
API_VERSION = "image.openshift.io/v1"
IMAGESTREAMS = catalog.get(GROUP, "imagestreams")
IMAGES = catalog.get(GROUP, "images")
ISTAGS = catalog.get(GROUP, "imagestreamtags")
IMAGETAGS = catalog.get(GROUP, "imagetags")
ISIMAGES = catalog.get(GROUP, "imagestreamimages")
ISIMPORTS = catalog.get(GROUP, "imagestreamimports")
ISMAPPINGS = catalog.get(GROUP, "imagestreammappings")
NAMESPACES = catalog.get("", "namespaces")
SECRETS = catalog.get("", "secrets")
CONFIGMAPS = catalog.get("", "configmaps")
IMAGE_CONFIGS = catalog.get("config.openshift.io", "images")

ANN_REPO_CHECK = "openshift.io/image.dockerRepositoryCheck"
ANN_INSECURE_REPO = "openshift.io/image.insecureRepository"
ANN_EXCLUDE_SECRET = "openshift.io/image.excludeSecret"
ANN_PREFER_ARCH = "importer.image.openshift.io/prefer-arch"
ANN_PREFER_OS = "importer.image.openshift.io/prefer-os"
DEFAULT_TAG = "latest"
IMPORT_MODES = ("Legacy", "PreserveOriginal")
REFERENCE_POLICIES = ("Source", "Local")
FROM_KINDS = ("DockerImage", "ImageStreamTag", "ImageStreamImage")
MAX_BULK_IMPORT = 50
PULL_SECRET_TYPES = ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson")

_STREAM_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_TAG_NAME = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")


# ------------------------------------------------------------------------------------------------
# JSON decoding into the Go types: a wrong JSON type is a 400 from the decoder, before any validation
_MAP = "map[string]string"
_OBJREF = {"kind": str, "name": str, "namespace": str, "apiVersion": str, "uid": str, "resourceVersion": str,
           "fieldPath": str}
_IMPORT_POLICY = {"insecure": bool, "scheduled": bool, "importMode": str}
_REF_POLICY = {"type": str}
_TAGREF = {"name": str, "annotations": _MAP, "from": _OBJREF, "reference": bool, "generation": int,
           "importPolicy": _IMPORT_POLICY, "referencePolicy": _REF_POLICY}
_META = {"name": str, "generateName": str, "namespace": str, "uid": str, "resourceVersion": str,
         "labels": _MAP, "annotations": _MAP}
_IS_SPEC = {"lookupPolicy": {"local": bool}, "dockerImageRepository": str, "tags": [_TAGREF]}
_EVENT = {"created": str, "dockerImageReference": str, "image": str, "generation": int}
_COND = {"type": str, "status": str, "lastTransitionTime": str, "reason": str, "message": str, "generation": int}
_IS_STATUS = {"dockerImageRepository": str, "publicDockerImageRepository": str,
              "tags": [{"tag": str, "items": [_EVENT], "conditions": [_COND]}]}
_IMAGE = {"metadata": _META, "dockerImageReference": str, "dockerImageMetadata": dict,
          "dockerImageMetadataVersion": str, "dockerImageManifest": str, "dockerImageManifestMediaType": str,
          "dockerImageConfig": str,
          "dockerImageLayers": [{"name": str, "size": int, "mediaType": str}],
          "dockerImageManifests": [{"digest": str, "mediaType": str, "manifestSize": int, "architecture": str,
                                    "os": str, "variant": str}]}
_ISI = {"metadata": _META, "spec": {
    "import": bool,
    "images": [{"from": _OBJREF, "to": {"name": str}, "importPolicy": _IMPORT_POLICY,
                "referencePolicy": _REF_POLICY, "includeManifest": bool}],
    "repository": {"from": _OBJREF, "importPolicy": _IMPORT_POLICY, "referencePolicy": _REF_POLICY,
                   "includeManifest": bool}}}
_ISTAG = {"metadata": _META, "tag": _TAGREF}
_IMAGETAG = {"metadata": _META, "spec": _TAGREF}
_ISM = {"metadata": _META, "tag": str, "image": _IMAGE}

_GO_NAMES = {str: "string", bool: "bool", int: "int64", dict: "object", _MAP: _MAP}


def _json_type(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _go_type(schema: Any) -> str:
    if isinstance(schema, list):
        return "[]" + _go_type(schema[0])
    if isinstance(schema, dict):
        return "struct"
    return _GO_NAMES.get(schema, str(schema))


def check_types(value: Any, schema: Any, kind: str, path: str = "") -> None:
    """Raise 400 like encoding/json does when a value cannot be decoded into the Go field; null is fine."""
    if value is None:
        return

    def fail():
        raise errors.bad_request(f"json: cannot unmarshal {_json_type(value)} into Go struct field {kind}"
                                 f"{'.' + path if path else ''} of type {_go_type(schema)}")

    if schema is _MAP:
        if not isinstance(value, dict) or any(not isinstance(v, str) for v in value.values() if v is not None):
            fail()
    elif schema is dict:
        if not isinstance(value, dict):
            fail()
    elif isinstance(schema, list):
        if not isinstance(value, list):
            fail()
        for i, item in enumerate(value):
            if item is None and isinstance(schema[0], dict):
                value[i] = {}      # a null list element decodes to the struct's zero value
            check_types(value[i], schema[0], kind, path)
    elif isinstance(schema, dict):
        if not isinstance(value, dict):
            fail()
        for k, sub in schema.items():
            if k in value:
                check_types(value[k], sub, kind, f"{path}.{k}" if path else k)
    elif schema is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (isinstance(value, float) and not value.is_integer()):
            fail()
    elif schema is bool:
        if not isinstance(value, bool):
            fail()
    elif schema is str:
        if not isinstance(value, str):
            fail()


# ------------------------------------------------------------------------------------------------
# small accessors
def spec_tags(stream: dict) -> list[dict]:
    spec = stream.get("spec") or {}
    return spec.get("tags") or []


def find_spec_tag(stream: dict, name: str) -> dict | None:
    for t in spec_tags(stream):
        if t.get("name") == name:
            return t
    return None


def status_tags(stream: dict) -> list[dict]:
    return (stream.get("status") or {}).get("tags") or []


def find_status_tag(stream: dict, tag: str) -> dict | None:
    for t in status_tags(stream):
        if t.get("tag") == tag:
            return t
    return None


def latest_event(stream: dict, tag: str) -> dict | None:
    st = find_status_tag(stream, tag or DEFAULT_TAG)
    if st and st.get("items"):
        return st["items"][0]
    return None


def _ensure_status_tag(stream: dict, tag: str) -> dict:
    status = stream.setdefault("status", {})
    tags = status.get("tags")
    if tags is None:
        tags = status["tags"] = []
    for t in tags:
        if t.get("tag") == tag:
            return t
    entry = {"tag": tag, "items": []}
    tags.append(entry)
    return entry


def _prune_status_tags(stream: dict) -> None:
    status = stream.get("status") or {}
    if status.get("tags"):
        by_tag = {}
        for t in status["tags"]:
            if t.get("items") or t.get("conditions"):
                by_tag[t.get("tag") or ""] = t
        status["tags"] = [by_tag[k] for k in sorted(by_tag)]   # a map on the server: sorted, unique
        for t in status["tags"]:
            if not t.get("items"):
                t["items"] = None   # v1 TagEventList.items has no omitempty: a conditions-only tag shows null
    if "tags" in status and not status["tags"]:
        status.pop("tags")      # omitempty


def split_stream_tag(name: str) -> tuple[str, str] | None:
    if not name or name.count(":") != 1:
        return None
    s, t = name.split(":")
    if not s or not t:
        return None
    return s, t


def cluster_image_config(ctx: Context) -> dict | None:
    try:
        return ctx.api.get(IMAGE_CONFIGS, None, "cluster")
    except errors.StatusError:
        return None


def internal_registry_host(ctx: Context, image_config: dict | None = None) -> str:
    """images.config status.internalRegistryHostname when that status carries the field, else the config."""
    cfg = image_config if image_config is not None else cluster_image_config(ctx)
    status = (cfg or {}).get("status") or {}
    if "internalRegistryHostname" in status:
        return status.get("internalRegistryHostname") or ""
    return getattr(ctx.config, "internal_registry_host", "") or ""


def default_import_mode(ctx: Context, image_config: dict | None = None) -> str:
    cfg = image_config if image_config is not None else cluster_image_config(ctx)
    mode = ((cfg or {}).get("status") or {}).get("imageStreamImportMode")
    return mode if mode in IMPORT_MODES else "Legacy"


def stream_repository(ctx: Context, stream: dict, image_config: dict | None = None) -> str:
    host = internal_registry_host(ctx, image_config)
    md = stream.get("metadata") or {}
    if host:
        return f"{host}/{md.get('namespace')}/{md.get('name')}"
    return (stream.get("spec") or {}).get("dockerImageRepository") or ""


def resolve_tag_reference(stream: dict, tag: str, repository: str | None = None) -> str | None:
    """The pull spec consumers get for stream:tag (referencePolicy Source or Local); None without events."""
    ev = latest_event(stream, tag)
    if ev is None:
        return None
    spec_tag = find_spec_tag(stream, tag) or {}
    policy = ((spec_tag.get("referencePolicy") or {}).get("type")) or "Source"
    repo = repository if repository is not None else (stream.get("status") or {}).get("dockerImageRepository")
    if policy == "Local" and repo and ev.get("image"):
        return f"{repo}@{ev['image']}"
    return ev.get("dockerImageReference")


def add_tag_event(stream: dict, tag: str, nxt: dict) -> bool:
    """AddTagEventToImageStream: merge `nxt` into status.tags[tag]; True when the stream changed."""
    st = _ensure_status_tag(stream, tag)
    items = st.get("items") or []
    if not items:
        st["items"] = [copy.deepcopy(nxt)]
        st.pop("conditions", None)
        return True
    prev = items[0]
    same_ref = prev.get("dockerImageReference") == nxt.get("dockerImageReference")
    same_image = (prev.get("image") or "") == (nxt.get("image") or "")
    same_gen = int(prev.get("generation") or 0) == int(nxt.get("generation") or 0)
    if same_ref and same_image and same_gen:
        return False
    if same_ref and same_image:
        pass
    elif same_ref:
        prev["image"] = nxt.get("image") or ""
    elif same_image:
        prev["dockerImageReference"] = nxt.get("dockerImageReference")
    else:
        st["items"] = [copy.deepcopy(nxt)] + items
        st.pop("conditions", None)
        return True
    prev["generation"] = int(nxt.get("generation") or 0)
    st.pop("conditions", None)
    return True


def has_tag_condition(stream: dict, tag: str, cond: dict) -> bool:
    st = find_status_tag(stream, tag)
    for c in (st or {}).get("conditions") or []:
        if all(c.get(k) == cond.get(k) for k in ("type", "status", "reason", "message")):
            return True
    return False


def set_tag_condition(stream: dict, tag: str, cond: dict) -> None:
    st = _ensure_status_tag(stream, tag)
    st["conditions"] = [copy.deepcopy(cond)]


def resolve_image_id(stream: dict, image_id: str) -> dict | None:
    """Find the event for an image (exact digest, or a unique prefix) in any status tag's history."""
    found: dict[str, dict] = {}
    for st in status_tags(stream):
        for ev in st.get("items") or []:
            img = ev.get("image") or ""
            if img == image_id:
                return ev
            if img and image_id and img.startswith(image_id):
                found.setdefault(img, ev)
    if len(found) == 1:
        return next(iter(found.values()))
    return None


def _tag_changed(new_tag: dict, old_tag: dict | None) -> bool:
    if old_tag is None:
        return True
    if new_tag.get("generation") in (None, 0):
        return True
    nf, of = new_tag.get("from") or {}, old_tag.get("from") or {}
    if (nf.get("kind"), nf.get("name"), nf.get("namespace") or "") != \
            (of.get("kind"), of.get("name"), of.get("namespace") or ""):
        return True
    if bool(new_tag.get("reference")) != bool(old_tag.get("reference")):
        return True
    nm = (new_tag.get("importPolicy") or {}).get("importMode")
    om = (old_tag.get("importPolicy") or {}).get("importMode")
    return nm != om


# ------------------------------------------------------------------------------------------------
# ImageStream strategy
class ImageStreamStrategy(Strategy):
    def _default_spec(self, ctx: Context, obj: dict) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        lp = spec.get("lookupPolicy")
        if not isinstance(lp, dict):
            spec["lookupPolicy"] = {"local": False}
        else:
            lp.setdefault("local", False)
        tags = spec.get("tags")
        if tags is None or tags == []:
            spec.pop("tags", None)      # omitempty: an empty tag list is not serialized (nil == empty)
            return
        if not isinstance(tags, list):
            raise errors.bad_request("spec.tags must be a list")
        mode = None
        # The server keeps spec tags in a map keyed by name: a repeated name keeps the last entry and the
        # v1 list comes back sorted by name (Convert_image_TagReferenceMap_to_v1_TagReferenceArray).
        by_name = {}
        for t in tags:
            if not isinstance(t, dict):
                raise errors.bad_request("spec.tags entries must be objects")
            by_name[t.get("name") or ""] = t
        tags = spec["tags"] = [by_name[k] for k in sorted(by_name)]
        for t in tags:
            t.setdefault("annotations", None)
            ip = t.get("importPolicy")
            if not isinstance(ip, dict):
                ip = t["importPolicy"] = {}
            if not ip.get("importMode"):
                if mode is None:
                    mode = default_import_mode(ctx)
                ip["importMode"] = mode
            for k in ("insecure", "scheduled"):
                if k in ip and not ip[k]:
                    del ip[k]
            rp = t.get("referencePolicy")
            if not isinstance(rp, dict):
                rp = t["referencePolicy"] = {}
            if not rp.get("type"):
                rp["type"] = "Source"
            if "reference" in t and not t["reference"]:
                del t["reference"]

    def prepare_create(self, ctx, obj):
        check_types(obj.get("spec"), _IS_SPEC, "ImageStream", "spec")
        self._default_spec(ctx, obj)
        gen = int(obj["metadata"].get("generation") or 1)
        for t in spec_tags(obj):
            t["generation"] = gen
        obj["status"] = {"dockerImageRepository": ""}
        self._resolve_tags(ctx, obj, None)

    def prepare_update(self, ctx, new, old):
        check_types(new.get("spec"), _IS_SPEC, "ImageStream", "spec")
        self._default_spec(ctx, new)
        old_tags = {t.get("name"): t for t in spec_tags(old)}
        for t in spec_tags(new):
            ot = old_tags.get(t.get("name"))
            g = t.get("generation")
            if g is None or (g != 0 and (ot is None or g != ot.get("generation"))):
                if ot is not None and ot.get("generation") is not None:
                    t["generation"] = ot.get("generation")
                else:
                    t["generation"] = None
        old_gen = int(old["metadata"].get("generation") or 1)
        differs = (new.get("spec") or {}) != (old.get("spec") or {})
        new_gen = old_gen + 1 if differs else old_gen
        new["metadata"]["generation"] = new_gen
        changed = []
        for t in spec_tags(new):
            if _tag_changed(t, old_tags.get(t.get("name"))):
                changed.append(t.get("name"))
            if t.get("generation") in (None, 0) or t.get("name") in changed:
                t["generation"] = new_gen
        self._resolve_tags(ctx, new, old, only=set(changed))

    def prepare_status_update(self, ctx, new, old):
        check_types(new.get("status"), _IS_STATUS, "ImageStream", "status")
        status = new.get("status")
        if not isinstance(status, dict):
            status = new["status"] = {}
        gen = int(new["metadata"].get("generation") or 1)
        for st in status.get("tags") or []:
            items = st.get("items") or []
            if items and not items[0].get("generation"):
                old_ev = latest_event(old, st.get("tag"))
                changed = old_ev is None or (old_ev.get("dockerImageReference"), old_ev.get("image")) != \
                    (items[0].get("dockerImageReference"), items[0].get("image"))
                spec_tag = find_spec_tag(new, st.get("tag"))
                if changed and spec_tag and spec_tag.get("generation"):
                    items[0]["generation"] = spec_tag["generation"]
                else:
                    items[0]["generation"] = gen
            for ev in items:
                ev.setdefault("created", ctx.now())
        self._track(ctx, new)
        _prune_status_tags(new)

    def _resolve_tags(self, ctx: Context, stream: dict, old: dict | None, only: set | None = None) -> None:
        """tagsChanged: create status events for changed spec tags; 422 for unknown source streams."""
        md = stream["metadata"]
        ns, name = md.get("namespace"), md.get("name")
        causes = []
        now = ctx.now()
        internal_host = None
        for t in spec_tags(stream):
            tag = t.get("name")
            if only is not None and tag not in only:
                continue
            frm = t.get("from")
            if not isinstance(frm, dict):
                continue
            kind, fname = frm.get("kind"), frm.get("name") or ""
            path = f"spec.tags[{tag}].from"
            if kind == "DockerImage":
                if t.get("reference") and fname:
                    add_tag_event(stream, tag, {"created": now, "dockerImageReference": fname, "image": "",
                                                "generation": t.get("generation")})
                continue
            if kind not in ("ImageStreamTag", "ImageStreamImage") or not fname:
                continue   # validation reports these
            src_ns = frm.get("namespace") or ns
            if kind == "ImageStreamTag":
                if ":" in fname:
                    src_name, src_ref = fname.split(":", 1)
                else:
                    src_name, src_ref = name, fname
            else:
                if "@" in fname:
                    src_name, src_ref = fname.split("@", 1)
                else:
                    src_name, src_ref = name, fname
            if src_ns == ns and src_name == name:
                src = stream
            else:
                try:
                    src = ctx.api.get(IMAGESTREAMS, src_ns, src_name)
                except errors.StatusError as e:
                    if e.code == 404:
                        causes.append(errors.cause(f"{path}.name", "FieldValueNotFound",
                                                   f"Not found: {errors._fmt(fname)}"))
                    else:
                        causes.append(errors.cause(f"{path}.name", "InternalError",
                                                   f"Internal error: {e.message}"))
                    continue
            if kind == "ImageStreamTag":
                if src is stream and src_ref == tag:
                    continue   # a tag pointing at itself never resolves
                ev = latest_event(src, src_ref)
            else:
                ev = resolve_image_id(src, src_ref)
                if ev is None:
                    causes.append(errors.cause(f"{path}.name", "FieldValueNotFound",
                                               f"Not found: {errors._fmt(fname)}"))
                    continue
            if ev is None:
                continue
            ref = ev.get("dockerImageReference") or ""
            if not t.get("reference") and src is not stream:
                if internal_host is None:
                    internal_host = internal_registry_host(ctx)
                src_md = src.get("metadata") or {}
                src_repo = f"{internal_host}/{src_md.get('namespace')}/{src_md.get('name')}"
                if internal_host and (ref == src_repo or ref.startswith(src_repo + "@")
                                      or ref.startswith(src_repo + ":")):
                    ref = f"{internal_host}/{ns}/{name}" + ref[len(src_repo):]
            add_tag_event(stream, tag, {"created": now, "dockerImageReference": ref, "image": ev.get("image") or "",
                                        "generation": t.get("generation")})
        if causes:
            raise errors.invalid(IMAGESTREAMS, name, (self.validate(ctx, stream, old) or []) + causes)
        self._track(ctx, stream)
        _prune_status_tags(stream)

    def _track(self, ctx: Context, stream: dict) -> None:
        """Tags with from ImageStreamTag of this same stream follow the tracked tag's newest event."""
        md = stream["metadata"]
        ns, name = md.get("namespace"), md.get("name")
        for _pass in range(10):   # multi-level chains converge in a few passes
            changed = False
            for t in spec_tags(stream):
                frm = t.get("from") or {}
                if frm.get("kind") != "ImageStreamTag" or (frm.get("namespace") and frm["namespace"] != ns):
                    continue
                src = frm.get("name") or ""
                if ":" in src:
                    s, src = src.split(":", 1)
                    if s != name:
                        continue
                if not src or src == t.get("name"):
                    continue
                ev = latest_event(stream, src)
                if ev is None:
                    continue
                mine = latest_event(stream, t.get("name"))
                if mine is not None and (mine.get("dockerImageReference"), mine.get("image")) == \
                        (ev.get("dockerImageReference"), ev.get("image")):
                    continue
                if add_tag_event(stream, t.get("name"), {
                        "created": ctx.now(), "dockerImageReference": ev.get("dockerImageReference"),
                        "image": ev.get("image") or "", "generation": t.get("generation") or ev.get("generation")}):
                    changed = True
            if not changed:
                return

    def validate(self, ctx, obj, old=None):
        causes = []
        md = obj.get("metadata") or {}
        name, ns = md.get("name") or "", md.get("namespace") or ""
        if old is None:
            if not _STREAM_NAME.match(name):
                causes.append(errors.invalid_value("metadata.name", name,
                                                   "must match \"[a-z0-9]+(?:[._-][a-z0-9]+)*\""))
            if len(f"{ns}/{name}") > 255:
                causes.append(errors.invalid_value("metadata.name", name, "'namespace/name' cannot be longer "
                                                                          "than 255 characters"))
        spec = obj.get("spec") or {}
        dir_ = spec.get("dockerImageRepository")
        if dir_:
            try:
                ref = rc.parse_reference(dir_)
                if ref.tag or ref.id:
                    causes.append(errors.invalid_value("spec.dockerImageRepository", dir_,
                                                       "the repository name may not contain a tag"))
            except rc.ReferenceError_ as e:
                causes.append(errors.invalid_value("spec.dockerImageRepository", dir_, str(e)))
        for i, t in enumerate(spec_tags(obj)):
            tag = t.get("name")
            if not tag:
                causes.append(errors.required_value(f"spec.tags[{i}].name"))
                continue
            if not _TAG_NAME.match(str(tag)):
                causes.append(errors.invalid_value(f"spec.tags[{tag}].name", tag,
                                                   "tag names must match \"[\\w][\\w.-]{0,127}\""))
            causes.extend(validate_tag_reference(t, f"spec.tags[{tag}]"))
        for st in status_tags(obj):
            for j, ev in enumerate(st.get("items") or []):
                ref = ev.get("dockerImageReference")
                p = f"status.tags[{st.get('tag')}].items[{j}].dockerImageReference"
                if not ref:
                    causes.append(errors.required_value(p))
                    continue
                try:
                    rc.parse_reference(ref)
                except rc.ReferenceError_ as e:
                    causes.append(errors.invalid_value(p, ref, str(e)))
        return causes

    def decorate(self, ctx, obj):
        cfg = cluster_image_config(ctx)
        status = obj.get("status")
        if not isinstance(status, dict):
            status = obj["status"] = {}
        status["dockerImageRepository"] = stream_repository(ctx, obj, cfg)
        md = obj.get("metadata") or {}
        hosts = ((cfg or {}).get("status") or {}).get("externalRegistryHostnames") or []
        if hosts:
            status["publicDockerImageRepository"] = f"{hosts[0]}/{md.get('namespace')}/{md.get('name')}"
        else:
            status.pop("publicDockerImageRepository", None)

    def get_subresource(self, ctx, obj, subresource):
        if subresource == "secrets":
            ns = obj["metadata"]["namespace"]
            return {"kind": "SecretList", "apiVersion": "v1", "metadata": {},
                    "items": pull_secrets(ctx, ns)}
        if subresource == "layers":
            return stream_layers(ctx, obj)
        raise errors.path_not_found()


def validate_tag_reference(t: dict, path: str) -> list[dict]:
    causes = []
    frm = t.get("from")
    kind = None
    if frm is not None:
        if not isinstance(frm, dict):
            return [errors.invalid_value(f"{path}.from", frm, "must be an object")]
        kind = frm.get("kind")
        fname = frm.get("name")
        if kind not in FROM_KINDS:
            causes.append(errors.invalid_value(f"{path}.from.kind", kind,
                                               "valid values are 'DockerImage', 'ImageStreamImage', "
                                               "'ImageStreamTag'"))
        if not fname:
            causes.append(errors.required_value(f"{path}.from.name"))
        elif kind == "DockerImage":
            try:
                rc.parse_reference(fname)
            except rc.ReferenceError_ as e:
                causes.append(errors.invalid_value(f"{path}.from.name", fname, str(e)))
        elif kind == "ImageStreamTag":
            if fname.count(":") > 1 or fname.startswith(":") or fname.endswith(":"):
                causes.append(errors.invalid_value(f"{path}.from.name", fname,
                                                   "must be of the form <tag> or <stream>:<tag>"))
        elif kind == "ImageStreamImage":
            if fname.count("@") > 1 or fname.startswith("@") or fname.endswith("@"):
                causes.append(errors.invalid_value(f"{path}.from.name", fname,
                                                   "must be of the form <digest> or <stream>@<digest>"))
    ip = t.get("importPolicy") or {}
    if ip.get("scheduled") and kind != "DockerImage":
        causes.append(errors.invalid_value(f"{path}.importPolicy.scheduled", True,
                                           "only tags pointing to Docker repositories may be scheduled for "
                                           "background import"))
    mode = ip.get("importMode")
    if mode and mode not in IMPORT_MODES:
        causes.append(errors.unsupported_value(f"{path}.importPolicy.importMode", mode, IMPORT_MODES))
    rp = (t.get("referencePolicy") or {}).get("type")
    if rp and rp not in REFERENCE_POLICIES:
        causes.append(errors.unsupported_value(f"{path}.referencePolicy.type", rp, REFERENCE_POLICIES))
    g = t.get("generation")
    if g is not None and (not isinstance(g, int) or isinstance(g, bool)):
        causes.append(errors.invalid_value(f"{path}.generation", g, "must be an integer"))
    return causes


def pull_secrets(ctx: Context, namespace: str) -> list[dict]:
    """dockercfg/dockerconfigjson secrets of the namespace without openshift.io/image.excludeSecret=true."""
    try:
        items = ctx.api.list(SECRETS, namespace).get("items") or []
    except errors.StatusError:
        return []
    out = []
    for s in items:
        if s.get("type") not in PULL_SECRET_TYPES:
            continue
        ann = (s.get("metadata") or {}).get("annotations") or {}
        if str(ann.get(ANN_EXCLUDE_SECRET, "")).lower() == "true":
            continue
        out.append(s)
    return out


def stream_layers(ctx: Context, stream: dict) -> dict:
    blobs, images = {}, {}
    for st in status_tags(stream):
        for ev in st.get("items") or []:
            img_name = ev.get("image")
            if not img_name or img_name in images:
                continue
            try:
                img = ctx.api.get(IMAGES, None, img_name)
            except errors.StatusError:
                continue
            layers = [l.get("name") for l in img.get("dockerImageLayers") or []]
            for l in img.get("dockerImageLayers") or []:
                blobs[l["name"]] = {"size": l.get("size", 0), "mediaType": l.get("mediaType", "")}
            entry = {"layers": layers, "manifests": [m.get("digest") for m in img.get("dockerImageManifests") or []]
                     or None, "mediaType": img.get("dockerImageManifestMediaType", "")}
            meta = img.get("dockerImageMetadata") or {}
            if meta.get("Id"):
                entry["config"] = meta["Id"]
            images[img_name] = entry
    md = stream["metadata"]
    return {"kind": "ImageStreamLayers", "apiVersion": API_VERSION,
            "metadata": {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in md},
            "blobs": blobs, "images": images}


# ------------------------------------------------------------------------------------------------
# Image (cluster-scoped)
class ImageStrategy(Strategy):
    def prepare_create(self, ctx, obj):
        check_types({k: v for k, v in obj.items() if k != "metadata"}, _IMAGE, "Image")
        obj.setdefault("dockerImageMetadataVersion", "1.0")
        meta = obj.get("dockerImageMetadata")
        if isinstance(meta, dict):
            meta.setdefault("kind", "DockerImage")
            meta.setdefault("apiVersion", "image.openshift.io/1.0")

    def prepare_update(self, ctx, new, old):
        check_types({k: v for k, v in new.items() if k != "metadata"}, _IMAGE, "Image")
        new.setdefault("dockerImageMetadataVersion", old.get("dockerImageMetadataVersion", "1.0"))

    def validate(self, ctx, obj, old=None):
        causes = []
        ref = obj.get("dockerImageReference")
        if not ref:
            causes.append(errors.required_value("dockerImageReference"))
        else:
            try:
                rc.parse_reference(ref)
            except rc.ReferenceError_ as e:
                causes.append(errors.invalid_value("dockerImageReference", ref, str(e)))
        name = (obj.get("metadata") or {}).get("name", "")
        if name.startswith("sha256:") and not _DIGEST.match(name):
            causes.append(errors.invalid_value("metadata.name", name, "the image name must be a valid digest"))
        for i, m in enumerate(obj.get("dockerImageManifests") or []):
            if not _DIGEST.match(str(m.get("digest") or "")):
                causes.append(errors.invalid_value(f"dockerImageManifests[{i}].digest", m.get("digest"),
                                                   "must be a valid digest"))
        return causes


def image_view(img: dict | None, keep_manifest: bool = False) -> dict | None:
    if img is None:
        return None
    out = copy.deepcopy(img)
    out.setdefault("apiVersion", API_VERSION)
    out.setdefault("kind", "Image")
    if not keep_manifest:
        out.pop("dockerImageManifest", None)
        out.pop("dockerImageConfig", None)
    return out


def _get_image(ctx: Context, name: str) -> dict | None:
    if not name:
        return None
    try:
        return ctx.api.get(IMAGES, None, name)
    except errors.StatusError:
        return None


def _require_namespace(ctx: Context, namespace: str | None) -> None:
    if not namespace:
        raise errors.bad_request("the server could not find the requested resource: a namespace is required")
    try:
        ctx.api.get(NAMESPACES, None, namespace)
    except errors.StatusError as e:
        if e.code == 404:
            raise errors.namespace_not_found(namespace) from None
        raise


def _get_stream(ctx: Context, namespace: str, name: str) -> dict | None:
    try:
        return ctx.api.get(IMAGESTREAMS, namespace, name)
    except errors.StatusError as e:
        if e.code == 404 and "namespaces" not in e.message:
            return None
        raise


def _check_kind(body: Any, rt, schema: dict | None = None) -> dict:
    if not isinstance(body, dict):
        raise errors.bad_request("the body of the request must be a JSON object")
    if schema is not None:
        check_types(body, schema, rt.kind)
    body = copy.deepcopy(body)
    if body.get("kind") and body["kind"] != rt.kind:
        raise errors.bad_request(f'the object provided is unrecognized (must be of type {rt.kind}): '
                                 f'kind "{body["kind"]}"')
    if body.get("apiVersion") and body["apiVersion"] != rt.api_version:
        raise errors.bad_request(f"the API version in the data ({body['apiVersion']}) does not match the expected "
                                 f"API version ({rt.api_version})")
    if not isinstance(body.get("metadata"), dict):
        body["metadata"] = {}
    return body


def _check_ns(body: dict, namespace: str) -> None:
    md = body["metadata"]
    if md.get("namespace") and md["namespace"] != namespace:
        raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the "
                                 "request")
    md["namespace"] = namespace


# ------------------------------------------------------------------------------------------------
# imagestreamtags
def _istag_name_or_400(name: str) -> tuple[str, str]:
    parts = split_stream_tag(name)
    if parts is None:
        raise errors.bad_request(f'"{name}" is an invalid imagestreamtag name: it must be of the form '
                                 "<stream_name>:<tag>")
    return parts


class ImageStreamTagHandler(VirtualHandler):
    def view(self, ctx: Context, stream: dict, tag: str, require_image: bool = True) -> dict:
        md = stream["metadata"]
        name = f"{md['name']}:{tag}"
        ev = latest_event(stream, tag)
        if require_image and (ev is None or not ev.get("image")):
            raise errors.not_found(ISTAGS, name)
        spec_tag = find_spec_tag(stream, tag)
        st = find_status_tag(stream, tag) or {}
        out_md = {"name": name, "namespace": md.get("namespace"), "uid": md.get("uid"),
                  "resourceVersion": md.get("resourceVersion"),
                  "creationTimestamp": (ev or {}).get("created") or md.get("creationTimestamp")}
        if md.get("labels"):
            out_md["labels"] = copy.deepcopy(md["labels"])
        ann = (spec_tag or {}).get("annotations")
        if ann:
            out_md["annotations"] = copy.deepcopy(ann)
        out = {"kind": "ImageStreamTag", "apiVersion": API_VERSION, "metadata": out_md,
               "tag": copy.deepcopy(spec_tag) if spec_tag is not None else None,
               "generation": int((ev or {}).get("generation") or 0),
               "lookupPolicy": copy.deepcopy((stream.get("spec") or {}).get("lookupPolicy") or {"local": False})}
        if st.get("conditions"):
            out["conditions"] = copy.deepcopy(st["conditions"])
        img = _get_image(ctx, (ev or {}).get("image") or "")
        if img is None and ev is not None and ev.get("image") and require_image:
            raise errors.not_found(IMAGES, ev["image"])
        view = image_view(img) or {"metadata": {"creationTimestamp": None}, "dockerImageMetadata": None,
                                   "dockerImageReference": "", "dockerImageLayers": None}
        if img is not None:
            if ann:
                vann = dict((view["metadata"].get("annotations") or {}))
                vann.update(ann)
                view["metadata"]["annotations"] = vann
            ref = resolve_tag_reference(stream, tag)
            if ref:
                view["dockerImageReference"] = ref
        out["image"] = view
        return out

    def get(self, ctx, namespace, name):
        stream_name, tag = _istag_name_or_400(name)
        _require_namespace(ctx, namespace)
        stream = ctx.api.get(IMAGESTREAMS, namespace, stream_name)
        return self.view(ctx, stream, tag)

    def list(self, ctx, namespace, label_selector=None, field_selector=None):
        from .. import selectors
        lsel = selectors.parse_label_selector(label_selector)
        streams = ctx.api.list(IMAGESTREAMS, namespace).get("items") or []
        items = []
        for s in streams:
            if not lsel((s.get("metadata") or {}).get("labels") or {}):
                continue
            for st in status_tags(s):
                ev = (st.get("items") or [None])[0]
                if not ev or not ev.get("image"):
                    continue
                try:
                    items.append(self.view(ctx, s, st.get("tag")))
                except errors.StatusError:
                    continue
        rv = str(ctx.api.store.resource_version)
        return {"kind": "ImageStreamTagList", "apiVersion": API_VERSION, "metadata": {"resourceVersion": rv},
                "items": items}

    def _apply(self, ctx, namespace, name, body, dry_run, create: bool) -> dict:
        stream_name, tag = _istag_name_or_400(name)
        _require_namespace(ctx, namespace)
        body = _check_kind(body, ISTAGS, _ISTAG)
        _check_ns(body, namespace)
        bmd = body["metadata"]
        if bmd.get("name") and bmd["name"] != name:
            raise errors.bad_request(f"the name of the object ({bmd['name']}) does not match the name on the URL "
                                     f"({name})")
        new_tag = body.get("tag")
        if new_tag is not None and not isinstance(new_tag, dict):
            raise errors.bad_request("tag must be an object")
        causes = []
        if new_tag is not None:
            new_tag = copy.deepcopy(new_tag)
            if new_tag.get("name") and new_tag["name"] != tag:
                causes.append(errors.invalid_value("tag.name", new_tag["name"],
                                                   "must match the tag of the ImageStreamTag name"))
            new_tag["name"] = tag
            causes.extend(validate_tag_reference(new_tag, "tag"))
        if causes:
            raise errors.invalid(ISTAGS, name, causes)
        rv = bmd.get("resourceVersion")
        for attempt in range(5):
            stream = _get_stream(ctx, namespace, stream_name)
            if stream is None:
                if rv and not create:
                    raise errors.not_found(IMAGESTREAMS, stream_name)
                if new_tag is None:
                    if create:
                        raise errors.bad_request(f'imagestreamtag "{name}" must have a tag')
                    raise errors.not_found(ISTAGS, name)
                new_stream = {"apiVersion": API_VERSION, "kind": "ImageStream",
                              "metadata": {"name": stream_name, "namespace": namespace},
                              "spec": {"tags": [self._with_annotations(new_tag, bmd)]}}
                try:
                    created = ctx.api.create(IMAGESTREAMS, namespace, new_stream, dry_run=dry_run, user=ctx.user)
                except errors.StatusError as e:
                    if e.code == 409 and e.reason == "AlreadyExists" and attempt < 4:
                        continue
                    raise
                return self.view(ctx, created, tag, require_image=False)
            if rv and not create and str(rv) != stream["metadata"]["resourceVersion"]:
                raise errors.conflict(ISTAGS, name)
            existing = find_spec_tag(stream, tag)
            if create and existing is not None:
                raise errors.already_exists(ISTAGS, name)
            if new_tag is None and existing is None:
                if create:
                    raise errors.bad_request(f'imagestreamtag "{name}" must have a tag')
                raise errors.bad_request(f'imagestreamtag "{name}" does not exist: a tag reference is required '
                                         "to create it")
            new_stream = copy.deepcopy(stream)
            tags = new_stream.setdefault("spec", {}).setdefault("tags", None) or []
            if new_tag is not None:
                merged = self._with_annotations(new_tag, bmd)
                if existing is not None and "generation" not in new_tag:
                    merged["generation"] = existing.get("generation")
                tags = [t for t in tags if t.get("name") != tag] + [merged]
            else:
                for t in tags:
                    if t.get("name") == tag and "annotations" in bmd:
                        t["annotations"] = copy.deepcopy(bmd.get("annotations"))
            new_stream["spec"]["tags"] = tags
            try:
                updated = ctx.api.update(IMAGESTREAMS, namespace, stream_name, new_stream, dry_run=dry_run,
                                         user=ctx.user)
            except errors.StatusError as e:
                if e.code == 409 and not rv and attempt < 4:
                    continue   # blind update: retry on the newer stream
                if e.code == 409:
                    raise errors.conflict(ISTAGS, name) from None
                if e.code == 422:
                    raise errors.StatusError(422, "Invalid", e.message.replace(
                        f'ImageStream.image.openshift.io "{stream_name}"', f'ImageStreamTag.image.openshift.io '
                                                                           f'"{name}"'), e.details) from None
                raise
            return self.view(ctx, updated, tag, require_image=False)
        raise errors.conflict(ISTAGS, name)

    @staticmethod
    def _with_annotations(tag: dict, bmd: dict) -> dict:
        out = copy.deepcopy(tag)
        if out.get("annotations") is None and bmd.get("annotations"):
            out["annotations"] = copy.deepcopy(bmd["annotations"])
        return out

    def create(self, ctx, namespace, body, dry_run=False):
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request must be a JSON object")
        check_types(body, _ISTAG, "ImageStreamTag")
        name = (body.get("metadata") or {}).get("name") or ""
        if not name:
            raise errors.invalid(ISTAGS, "", [errors.required_value("metadata.name")])
        return self._apply(ctx, namespace, name, body, dry_run, create=True)

    def update(self, ctx, namespace, name, body, dry_run=False):
        return self._apply(ctx, namespace, name, body, dry_run, create=False)

    def delete(self, ctx, namespace, name, dry_run=False):
        stream_name, tag = _istag_name_or_400(name)
        _require_namespace(ctx, namespace)
        for attempt in range(5):
            stream = _get_stream(ctx, namespace, stream_name)
            if stream is None:
                raise errors.not_found(IMAGESTREAMS, stream_name)
            has_spec = find_spec_tag(stream, tag) is not None
            has_status = find_status_tag(stream, tag) is not None
            if not has_spec and not has_status:
                raise errors.not_found(ISTAGS, name)
            try:
                # spec first: while the spec tag exists, a tracking tag's status would be re-derived
                if has_spec:
                    s2 = copy.deepcopy(stream)
                    s2["spec"]["tags"] = [t for t in spec_tags(s2) if t.get("name") != tag]
                    stream = ctx.api.update(IMAGESTREAMS, namespace, stream_name, s2, dry_run=dry_run,
                                            user=ctx.user)
                if find_status_tag(stream, tag) is not None:
                    s2 = copy.deepcopy(stream)
                    s2["status"]["tags"] = [t for t in status_tags(s2) if t.get("tag") != tag]
                    ctx.api.update(IMAGESTREAMS, namespace, stream_name, s2, subresource="status",
                                   dry_run=dry_run, user=ctx.user)
            except errors.StatusError as e:
                if e.code == 409 and attempt < 4:
                    continue
                raise
            return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                    "details": {"name": name, "group": GROUP, "kind": "imagestreamtags"}}
        raise errors.conflict(ISTAGS, name)


# ------------------------------------------------------------------------------------------------
# imagetags (the newer full view)
class ImageTagHandler(VirtualHandler):
    def view(self, ctx, stream, tag) -> dict:
        md = stream["metadata"]
        spec_tag = find_spec_tag(stream, tag)
        st = find_status_tag(stream, tag)
        if spec_tag is None and st is None:
            raise errors.not_found(IMAGETAGS, f"{md['name']}:{tag}")
        ev = latest_event(stream, tag)
        out_md = {"name": f"{md['name']}:{tag}", "namespace": md.get("namespace"), "uid": md.get("uid"),
                  "resourceVersion": md.get("resourceVersion"),
                  "creationTimestamp": (ev or {}).get("created") or md.get("creationTimestamp")}
        img = image_view(_get_image(ctx, (ev or {}).get("image") or ""))
        if img is not None:
            ref = resolve_tag_reference(stream, tag)
            if ref:
                img["dockerImageReference"] = ref
        return {"kind": "ImageTag", "apiVersion": API_VERSION, "metadata": out_md,
                "spec": copy.deepcopy(spec_tag), "status": copy.deepcopy(st), "image": img}

    def get(self, ctx, namespace, name):
        stream_name, tag = _istag_name_or_400(name)
        _require_namespace(ctx, namespace)
        return self.view(ctx, ctx.api.get(IMAGESTREAMS, namespace, stream_name), tag)

    def list(self, ctx, namespace, label_selector=None, field_selector=None):
        from .. import selectors
        lsel = selectors.parse_label_selector(label_selector)
        items = []
        for s in ctx.api.list(IMAGESTREAMS, namespace).get("items") or []:
            if not lsel((s.get("metadata") or {}).get("labels") or {}):
                continue
            names = [t.get("name") for t in spec_tags(s)]
            names += [t.get("tag") for t in status_tags(s) if t.get("tag") not in names]
            for tag in names:
                items.append(self.view(ctx, s, tag))
        return {"kind": "ImageTagList", "apiVersion": API_VERSION,
                "metadata": {"resourceVersion": str(ctx.api.store.resource_version)}, "items": items}

    def _write(self, ctx, namespace, name, body, dry_run, create):
        stream_name, tag = _istag_name_or_400(name)
        body = _check_kind(body, IMAGETAGS, _IMAGETAG)
        spec = body.get("spec")
        if not isinstance(spec, dict):
            raise errors.invalid(IMAGETAGS, name, [errors.required_value("spec")])
        if spec.get("name") and spec["name"] != tag:
            raise errors.invalid(IMAGETAGS, name, [errors.invalid_value("spec.name", spec["name"],
                                                                        "must match the tag name")])
        istag_body = {"metadata": {"name": name, "namespace": namespace,
                                   "resourceVersion": body["metadata"].get("resourceVersion")},
                      "tag": dict(spec, name=tag)}
        if not istag_body["metadata"]["resourceVersion"]:
            del istag_body["metadata"]["resourceVersion"]
        handler = ImageStreamTagHandler()
        handler._apply(ctx, namespace, name, istag_body, dry_run, create=create)
        stream = ctx.api.get(IMAGESTREAMS, namespace, stream_name)
        return self.view(ctx, stream, tag)

    def create(self, ctx, namespace, body, dry_run=False):
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request must be a JSON object")
        check_types(body, _IMAGETAG, "ImageTag")
        name = (body.get("metadata") or {}).get("name") or ""
        return self._write(ctx, namespace, name, body, dry_run, True)

    def update(self, ctx, namespace, name, body, dry_run=False):
        return self._write(ctx, namespace, name, body, dry_run, False)

    def delete(self, ctx, namespace, name, dry_run=False):
        ImageStreamTagHandler().delete(ctx, namespace, name, dry_run)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {"name": name, "group": GROUP, "kind": "imagetags"}}


# ------------------------------------------------------------------------------------------------
# imagestreamimages
class ImageStreamImageHandler(VirtualHandler):
    def get(self, ctx, namespace, name):
        if name.count("@") != 1 or name.startswith("@") or name.endswith("@"):
            raise errors.bad_request(f'"{name}" is an invalid imagestreamimage name: it must be of the form '
                                     "<stream_name>@<id>")
        stream_name, image_id = name.split("@")
        _require_namespace(ctx, namespace)
        stream = ctx.api.get(IMAGESTREAMS, namespace, stream_name)
        ev = resolve_image_id(stream, image_id)
        if ev is None or not ev.get("image"):
            raise errors.not_found(ISIMAGES, image_id)
        img = _get_image(ctx, ev["image"])
        if img is None:
            raise errors.not_found(IMAGES, ev["image"])
        view = image_view(img)
        view["dockerImageReference"] = ev.get("dockerImageReference") or view.get("dockerImageReference")
        md = stream["metadata"]
        return {"kind": "ImageStreamImage", "apiVersion": API_VERSION,
                "metadata": {"name": f"{stream_name}@{ev['image']}", "namespace": namespace, "uid": md.get("uid"),
                             "resourceVersion": md.get("resourceVersion"), "creationTimestamp": ev.get("created")},
                "image": view}


# ------------------------------------------------------------------------------------------------
# imagestreammappings (what the integrated registry posts after a push)
class ImageStreamMappingHandler(VirtualHandler):
    def create(self, ctx, namespace, body, dry_run=False):
        body = _check_kind(body, ISMAPPINGS, _ISM)
        _require_namespace(ctx, namespace)
        name = body["metadata"].get("name") or ""
        image = body.get("image")
        tag = body.get("tag") or ""
        causes = []
        if not name:
            causes.append(errors.required_value("metadata.name"))
        if not isinstance(image, dict) or not (image.get("metadata") or {}).get("name"):
            causes.append(errors.required_value("image.metadata.name"))
        if not tag:
            causes.append(errors.required_value("tag"))
        if causes:
            raise errors.invalid(ISMAPPINGS, name, causes)
        img = copy.deepcopy(image)
        img.pop("kind", None)
        img.pop("apiVersion", None)
        img_md = img.setdefault("metadata", {})
        for k in ("namespace", "uid", "resourceVersion", "creationTimestamp"):
            img_md.pop(k, None)
        if not dry_run:
            try:
                ctx.api.create(IMAGES, None, img, user=ctx.user)
            except errors.StatusError as e:
                if e.code != 409:
                    raise
        for attempt in range(5):
            stream = _get_stream(ctx, namespace, name)
            if stream is None:
                try:
                    stream = ctx.api.create(IMAGESTREAMS, namespace, {"metadata": {"name": name,
                                                                                   "namespace": namespace}},
                                            dry_run=dry_run, user=ctx.user)
                except errors.StatusError as e:
                    if e.code == 409 and attempt < 4:
                        continue
                    raise
            new = copy.deepcopy(stream)
            add_tag_event(new, tag, {"created": ctx.now(), "dockerImageReference": img.get("dockerImageReference"),
                                     "image": img_md["name"],
                                     "generation": int(stream["metadata"].get("generation") or 1)})
            try:
                ctx.api.update(IMAGESTREAMS, namespace, name, new, subresource="status", dry_run=dry_run,
                               user=ctx.user)
            except errors.StatusError as e:
                if e.code == 409 and attempt < 4:
                    continue
                raise
            return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
        raise errors.conflict(ISMAPPINGS, name)


# ------------------------------------------------------------------------------------------------
# imagestreamimports
def _ca_pems_for(ctx: Context, cfg: dict | None, host: str) -> list[str]:
    name = (((cfg or {}).get("spec") or {}).get("additionalTrustedCA") or {}).get("name")
    if not name:
        return []
    try:
        cm = ctx.api.get(CONFIGMAPS, "openshift-config", name)
    except errors.StatusError:
        return []
    data = cm.get("data") or {}
    keys = {host, host.replace(":", "..")}
    return [v for k, v in data.items() if k in keys and v]


def _registry_of(ref: rc.DockerImageReference) -> str:
    return ref.registry_host


def _host_matches(pattern: str, host: str) -> bool:
    """registrySources entry matching: exact host[:port], a bare hostname for any port, or *.domain."""
    pattern = pattern.strip().lower()
    host = host.lower()
    hostname = host.split(":", 1)[0]
    if pattern.startswith("*."):
        return hostname.endswith(pattern[1:])
    if ":" not in pattern:
        return pattern == hostname
    return pattern == host


def _registry_policy(cfg: dict | None, host: str) -> tuple[bool, str | None]:
    """(insecure, blocked message) from images.config spec.registrySources."""
    src = ((cfg or {}).get("spec") or {}).get("registrySources") or {}
    insecure = any(_host_matches(p, host) for p in src.get("insecureRegistries") or [])
    blocked = src.get("blockedRegistries") or []
    allowed = src.get("allowedRegistries") or []
    if any(_host_matches(p, host) for p in blocked):
        return insecure, f"registry {host} blocked"
    if allowed and not any(_host_matches(p, host) for p in allowed):
        return insecure, f"registry {host} blocked"
    return insecure, None


def _forbidden(message: str) -> dict:
    return {"metadata": {}, "status": "Failure", "message": message, "reason": "Forbidden", "code": 403}


class ImageStreamImportHandler(VirtualHandler):
    def __init__(self, importer_factory=None):
        self.importer_factory = importer_factory or rc.Importer

    # --- defaults and validation ------------------------------------------------------------------
    def _defaults(self, ctx, isi: dict, cfg) -> None:
        spec = isi.get("spec")
        if not isinstance(spec, dict):
            spec = isi["spec"] = {}
        mode = default_import_mode(ctx, cfg)
        if spec.get("images"):
            spec["images"] = [i if isinstance(i, dict) else {} for i in spec["images"]]   # null -> zero value
        for item in spec.get("images") or []:
            for k in ("importPolicy", "referencePolicy"):
                if not isinstance(item.get(k), dict):
                    item[k] = {}
            frm = item.get("from") or {}
            if item.get("to") is None and frm.get("kind") == "DockerImage" and frm.get("name"):
                try:
                    ref = rc.parse_reference(frm["name"])
                    if ref.tag:
                        item["to"] = {"name": ref.tag}
                except rc.ReferenceError_:
                    pass
            ip = item.setdefault("importPolicy", {})
            if not ip.get("importMode"):
                ip["importMode"] = mode
            rp = item.setdefault("referencePolicy", {})
            if not rp.get("type"):
                rp["type"] = "Source"
        repo = spec.get("repository")
        if isinstance(repo, dict):
            for k in ("importPolicy", "referencePolicy"):
                if not isinstance(repo.get(k), dict):
                    repo[k] = {}
            ip = repo.setdefault("importPolicy", {})
            if not ip.get("importMode"):
                ip["importMode"] = mode
            rp = repo.setdefault("referencePolicy", {})
            if not rp.get("type"):
                rp["type"] = "Source"

    def _validate(self, isi: dict) -> list[dict]:
        causes = []
        md = isi.get("metadata") or {}
        name = md.get("name") or ""
        if not name:
            causes.append(errors.required_value("metadata.name"))
        elif not _STREAM_NAME.match(name):
            causes.append(errors.invalid_value("metadata.name", name, "must match \"[a-z0-9]+(?:[._-][a-z0-9]+)*\""))
        spec = isi.get("spec") or {}
        images = spec.get("images") or []
        repo = spec.get("repository")
        if not images and not repo:
            causes.append(errors.invalid_value("spec.images", images, "you must specify at least one image "
                                                                      "or a repository import"))
        for i, item in enumerate(images):
            p = f"spec.images[{i}]"
            frm = (item or {}).get("from") or {}
            if frm.get("kind") != "DockerImage":
                causes.append(errors.invalid_value(f"{p}.from.kind", frm.get("kind"),
                                                   "only DockerImage is supported"))
            elif frm.get("name") != "*":
                try:
                    rc.parse_reference(frm.get("name") or "")
                except rc.ReferenceError_ as e:
                    causes.append(errors.invalid_value(f"{p}.from.name", frm.get("name"), str(e)))
            to = item.get("to")
            if to is not None and not (to or {}).get("name"):
                causes.append(errors.required_value(f"{p}.to.name"))
            elif to is not None and not _TAG_NAME.match(str(to.get("name"))):
                causes.append(errors.invalid_value(f"{p}.to.name", to.get("name"), "invalid tag name"))
            causes.extend(self._validate_policies(item, p))
        if repo:
            p = "spec.repository"
            frm = repo.get("from") or {}
            if frm.get("kind") != "DockerImage":
                causes.append(errors.invalid_value(f"{p}.from.kind", frm.get("kind"),
                                                   "only DockerImage is supported"))
            else:
                try:
                    ref = rc.parse_reference(frm.get("name") or "")
                    if ref.tag or ref.id:
                        causes.append(errors.invalid_value(f"{p}.from.name", frm.get("name"),
                                                           "you must specify an image repository, not a tag "
                                                           "or ID"))
                except rc.ReferenceError_ as e:
                    causes.append(errors.invalid_value(f"{p}.from.name", frm.get("name"), str(e)))
            causes.extend(self._validate_policies(repo, p))
        return causes

    @staticmethod
    def _validate_policies(item: dict, p: str) -> list[dict]:
        causes = []
        mode = (item.get("importPolicy") or {}).get("importMode")
        if mode and mode not in IMPORT_MODES:
            causes.append(errors.unsupported_value(f"{p}.importPolicy.importMode", mode, IMPORT_MODES))
        rp = (item.get("referencePolicy") or {}).get("type")
        if rp and rp not in REFERENCE_POLICIES:
            causes.append(errors.unsupported_value(f"{p}.referencePolicy.type", rp, REFERENCE_POLICIES))
        return causes

    # --- the import itself ------------------------------------------------------------------------
    def _importer(self, ctx, namespace, cfg, hosts: set) -> rc.Importer:
        creds = []
        for s in pull_secrets(ctx, namespace):
            creds.extend(rc.parse_docker_config_secret(s))
        pems = []
        for h in sorted(hosts):
            pems.extend(_ca_pems_for(ctx, cfg, h))
        return self.importer_factory(ca_pems=pems, credentials=creds)

    def _fetch(self, importer, cfg, ref: rc.DockerImageReference, policy: dict, annotations: dict | None):
        """(status, image dict | None, child images) for one reference."""
        host = _registry_of(ref)
        forced_insecure, blocked = _registry_policy(cfg, host)
        if blocked:
            return _forbidden(blocked), None, []
        insecure = bool(policy.get("insecure")) or forced_insecure
        ann = annotations or {}
        try:
            res = importer.import_image(ref, insecure=insecure, import_mode=policy.get("importMode") or "Legacy",
                                        prefer_arch=ann.get(ANN_PREFER_ARCH), prefer_os=ann.get(ANN_PREFER_OS))
        except rc.ImportFailure as f:
            return f.status(), None, []
        except Exception as e:   # noqa: BLE001 - anything unexpected is an InternalError, as on the server
            return rc.internal(str(e)).status(), None, []
        return {"metadata": {}, "status": "Success"}, res.image, res.manifests

    def create(self, ctx, namespace, body, dry_run=False):
        isi = _check_kind(body, ISIMPORTS, _ISI)
        _require_namespace(ctx, namespace)
        _check_ns(isi, namespace)
        cfg = cluster_image_config(ctx)
        self._defaults(ctx, isi, cfg)
        name = isi["metadata"].get("name") or ""
        causes = self._validate(isi)
        if causes:
            raise errors.invalid(ISIMPORTS, name, causes)
        spec = isi["spec"]
        do_import = bool(spec.get("import"))
        req_rv = isi["metadata"].get("resourceVersion")
        req_uid = isi["metadata"].get("uid")

        stream = _get_stream(ctx, namespace, name)
        if stream is None:
            if req_rv or req_uid:
                raise errors.not_found(IMAGESTREAMS, name)
        else:
            if req_rv and str(req_rv) != stream["metadata"]["resourceVersion"]:
                raise errors.conflict(IMAGESTREAMS, name)
            if req_uid and req_uid != stream["metadata"]["uid"]:
                raise errors.not_found(IMAGESTREAMS, name)

        # resolve everything first, with no lock held (network I/O)
        images = spec.get("images") or []
        refs = []
        hosts = set()
        for item in images:
            frm_name = item["from"]["name"]
            try:
                ref = rc.parse_reference(frm_name)
                hosts.add(ref.registry_host)
            except rc.ReferenceError_:
                ref = None
            refs.append(ref)
        repo_spec = spec.get("repository")
        repo_ref = rc.parse_reference(repo_spec["from"]["name"]) if repo_spec else None
        if repo_ref is not None:
            hosts.add(repo_ref.registry_host)
        image_statuses = []
        to_store: dict[str, dict] = {}
        with self._importer(ctx, namespace, cfg, hosts) as importer:
            for item, ref in zip(images, refs):
                tag_ann = None
                to = (item.get("to") or {}).get("name")
                if stream is not None and to:
                    tag_ann = (find_spec_tag(stream, to) or {}).get("annotations")
                if ref is None:
                    st = {"metadata": {}, "status": "Failure", "reason": "Invalid", "code": 422,
                          "message": f"invalid image reference {item['from']['name']!r}"}
                    image_statuses.append({"status": st, "tag": ""})
                    continue
                st, img, children = self._fetch(importer, cfg, ref, item.get("importPolicy") or {}, tag_ann)
                entry = {"status": st, "tag": ref.tag}
                if img is not None:
                    to_store[img["metadata"]["name"]] = img
                    for c in children:
                        to_store[c["metadata"]["name"]] = c
                    entry["image"] = img
                    if children:
                        entry["manifests"] = children
                image_statuses.append(entry)
            repo_status = None
            if repo_ref is not None:
                repo_status = self._import_repository(ctx, importer, cfg, repo_ref, repo_spec, to_store)

        isi_status: dict = {}
        if images:
            isi_status["images"] = image_statuses
        if repo_status is not None:
            isi_status["repository"] = repo_status

        if do_import:
            if not dry_run:
                for img in to_store.values():
                    try:
                        ctx.api.create(IMAGES, None, copy.deepcopy(img), user=ctx.user)
                    except errors.StatusError as e:
                        if e.code != 409:
                            raise
            result = self._apply_to_stream(ctx, namespace, name, stream, spec, image_statuses, repo_status,
                                           req_rv, dry_run)
            isi_status["import"] = result

        def keep(item):
            return bool(item.get("includeManifest"))
        for item, entry in zip(images, isi_status.get("images") or []):
            if "image" in entry:
                entry["image"] = image_view(entry["image"], keep(item))
            if "manifests" in entry:
                entry["manifests"] = [image_view(m, keep(item)) for m in entry["manifests"]]
        for entry in (repo_status or {}).get("images") or []:
            if "image" in entry:
                entry["image"] = image_view(entry["image"], keep(repo_spec))
            if "manifests" in entry:
                entry["manifests"] = [image_view(m, keep(repo_spec)) for m in entry["manifests"]]
        isi["status"] = isi_status
        isi["apiVersion"] = API_VERSION
        isi["kind"] = "ImageStreamImport"
        isi["metadata"].setdefault("creationTimestamp", None)
        return isi

    def _import_repository(self, ctx, importer, cfg, repo_ref, repo_spec, to_store) -> dict:
        policy = repo_spec.get("importPolicy") or {}
        host = _registry_of(repo_ref)
        forced_insecure, blocked = _registry_policy(cfg, host)
        if blocked:
            return {"status": _forbidden(blocked)}
        insecure = bool(policy.get("insecure")) or forced_insecure
        try:
            tags = importer.list_tags(repo_ref, insecure=insecure)
        except rc.ImportFailure as f:
            return {"status": f.status()}
        limit = int(getattr(ctx.config, "max_images_bulk_imported_per_repository", MAX_BULK_IMPORT) or
                    MAX_BULK_IMPORT)
        chosen, additional = tags[:limit], tags[limit:]
        out_images = []
        failures = 0
        for tag in chosen:
            ref = rc.parse_reference(f"{repo_ref.repository}:{tag}")
            st, img, children = self._fetch(importer, cfg, ref, policy, None)
            entry = {"status": st, "tag": tag}
            if img is not None:
                to_store[img["metadata"]["name"]] = img
                for c in children:
                    to_store[c["metadata"]["name"]] = c
                entry["image"] = img
                if children:
                    entry["manifests"] = children
            else:
                failures += 1
            out_images.append(entry)
        if failures == 0:
            status = {"metadata": {}, "status": "Success"}
        else:
            msg = ("one of the images from the repository failed to import" if failures == 1 else
                   f"{failures} of the images from the repository failed to import")
            status = {"metadata": {}, "status": "Failure", "reason": "ImportFailed", "message": msg, "code": 422}
        out = {"status": status, "images": out_images}
        if additional:
            out["additionalTags"] = additional
        return out

    def _apply_to_stream(self, ctx, namespace, name, stream, spec, image_statuses, repo_status, req_rv,
                         dry_run) -> dict:
        """Write the results into the stream (spec tags through the main resource, events through /status)."""
        for attempt in range(6):
            if attempt:
                stream = _get_stream(ctx, namespace, name)
                if stream is None and req_rv:
                    raise errors.not_found(IMAGESTREAMS, name)
                if stream is not None and req_rv and str(req_rv) != stream["metadata"]["resourceVersion"]:
                    raise errors.conflict(IMAGESTREAMS, name)
            base = copy.deepcopy(stream) if stream is not None else {
                "apiVersion": API_VERSION, "kind": "ImageStream",
                "metadata": {"name": name, "namespace": namespace}, "spec": {}, "status": {}}
            new = copy.deepcopy(base)
            next_gen = int(base["metadata"].get("generation") or 0) + 1
            now = ctx.now()
            plan = self._plan(new, spec, image_statuses, repo_status, next_gen, now)
            md = new["metadata"]
            spec_changed = (new.get("spec") or {}) != (base.get("spec") or {})
            status_changed = (new.get("status") or {}).get("tags") != (base.get("status") or {}).get("tags")
            if spec_changed or status_changed or ANN_REPO_CHECK not in (md.get("annotations") or {}):
                md.setdefault("annotations", {})
                if md["annotations"] is None:
                    md["annotations"] = {}
                md["annotations"][ANN_REPO_CHECK] = now
            try:
                if stream is None:
                    body = copy.deepcopy(new)
                    body.pop("status", None)
                    written = ctx.api.create(IMAGESTREAMS, namespace, body, dry_run=dry_run, user=ctx.user)
                else:
                    body = copy.deepcopy(new)
                    body["metadata"]["resourceVersion"] = base["metadata"]["resourceVersion"]
                    written = ctx.api.update(IMAGESTREAMS, namespace, name, body, dry_run=dry_run, user=ctx.user)
                # events with the generation the server gave the (re)written spec tags
                gen = int(written["metadata"].get("generation") or next_gen)
                final = copy.deepcopy(written)
                changed = self._apply_events(final, plan, gen)
                if changed and not dry_run:
                    final = ctx.api.update(IMAGESTREAMS, namespace, name, final, subresource="status",
                                           dry_run=dry_run, user=ctx.user)
                return final
            except errors.StatusError as e:
                if e.code == 409 and not req_rv and attempt < 5:
                    stream = None
                    continue
                if e.code == 409 and e.reason == "AlreadyExists" and attempt < 5:
                    continue
                raise
        raise errors.conflict(IMAGESTREAMS, name)

    @staticmethod
    def _plan(new: dict, spec: dict, image_statuses: list, repo_status: dict | None, next_gen: int,
              now: str) -> list:
        """Edit spec tags in `new`; return the status operations to apply once the generation is known."""
        plan = []
        spec_obj = new.setdefault("spec", {})
        if spec_obj.get("tags") is None:
            spec_obj["tags"] = []
        entries = []
        for item, st in zip(spec.get("images") or [], image_statuses):
            to = (item.get("to") or {}).get("name")
            if to:
                entries.append((to, item["from"]["name"], item, st))
        repo_spec = spec.get("repository")
        if repo_status and repo_spec:
            repo_name = repo_spec["from"]["name"]
            status_only = (spec_obj.get("dockerImageRepository") or "") == repo_name
            for st in repo_status.get("images") or []:
                if st.get("tag"):
                    entries.append((st["tag"], None if status_only else f"{repo_name}:{st['tag']}", repo_spec, st))
        for to, from_name, item, st in entries:
            tag_ref = find_spec_tag(new, to)
            policy = copy.deepcopy(item.get("importPolicy") or {})
            if st["status"].get("status") != "Success" or not st.get("image"):
                cond = {"type": "ImportSuccess", "status": "False", "lastTransitionTime": now,
                        "reason": st["status"].get("reason", ""), "message": st["status"].get("message", ""),
                        "generation": next_gen}
                if not has_tag_condition(new, to, cond):
                    if tag_ref is not None:
                        tag_ref["generation"] = 0
                    plan.append(("condition", to, cond))
                if tag_ref is None and from_name:
                    spec_obj["tags"].append({"name": to, "annotations": None,
                                             "from": {"kind": "DockerImage", "name": from_name},
                                             "generation": 0, "importPolicy": policy,
                                             "referencePolicy": copy.deepcopy(item.get("referencePolicy")
                                                                              or {"type": "Source"})})
                continue
            img = st["image"]
            ev = {"created": now, "dockerImageReference": img["dockerImageReference"],
                  "image": img["metadata"]["name"], "generation": next_gen}
            cur = latest_event(new, to)
            differs = cur is None or (cur.get("dockerImageReference"), cur.get("image")) != \
                (ev["dockerImageReference"], ev["image"])
            if from_name is not None:
                if tag_ref is None:
                    tag_ref = {"name": to, "annotations": None}
                    spec_obj["tags"].append(tag_ref)
                    differs = True
                newer = int(tag_ref.get("generation") or 0) > int((cur or {}).get("generation") or 0)
                if differs or newer:
                    tag_ref["from"] = {"kind": "DockerImage", "name": from_name}
                    tag_ref["generation"] = 0
                    if not (tag_ref.get("referencePolicy") or {}).get("type"):
                        tag_ref["referencePolicy"] = copy.deepcopy(item.get("referencePolicy")
                                                                   or {"type": "Source"})
                tag_ref["importPolicy"] = policy
            plan.append(("event", to, ev))
        return plan

    @staticmethod
    def _apply_events(stream: dict, plan: list, gen: int) -> bool:
        changed = False
        for op, tag, payload in plan:
            p = dict(payload)
            p["generation"] = gen
            if op == "condition":
                if not has_tag_condition(stream, tag, p):
                    set_tag_condition(stream, tag, p)
                    changed = True
            else:
                if add_tag_event(stream, tag, p):
                    changed = True
                st = find_status_tag(stream, tag)
                if st and st.get("conditions"):
                    st.pop("conditions", None)
                    changed = True
        return changed


# ------------------------------------------------------------------------------------------------
def register(api) -> None:
    api.register_strategy(IMAGESTREAMS.key, ImageStreamStrategy())
    api.register_strategy(IMAGES.key, ImageStrategy())
    api.register_virtual(ISTAGS.key, ImageStreamTagHandler())
    api.register_virtual(IMAGETAGS.key, ImageTagHandler())
    api.register_virtual(ISIMAGES.key, ImageStreamImageHandler())
    api.register_virtual(ISIMPORTS.key, ImageStreamImportHandler())
    api.register_virtual(ISMAPPINGS.key, ImageStreamMappingHandler())
