"""ImageStreamController (openshift-controller-manager): import spec tags whose generation is newer than observed.

For every ImageStream event, spec tags that are importable (from.kind DockerImage, not `reference`) and whose
`generation` is greater than the last observed generation (the larger of status.tags[tag].items[0].generation
and the generation on the tag's ImportSuccess condition) are imported with one ImageStreamImport carrying the
stream's resourceVersion and uid (optimistic concurrency), through the same code path a client's POST takes.
A stream with the deprecated spec.dockerImageRepository and no openshift.io/image.dockerRepositoryCheck
annotation also gets a repository import.
"""
from __future__ import annotations

import logging

from ..apis import image as im
from ..errors import StatusError
from .manager import Controller, Requeue

log = logging.getLogger(__name__)


def importable(tag: dict) -> bool:
    frm = tag.get("from") or {}
    return frm.get("kind") == "DockerImage" and bool(frm.get("name")) and not tag.get("reference")


def observed_generation(stream: dict, tag: str) -> int:
    st = im.find_status_tag(stream, tag) or {}
    gen = 0
    items = st.get("items") or []
    if items:
        gen = int(items[0].get("generation") or 0)
    for c in st.get("conditions") or []:
        if c.get("type") == "ImportSuccess":
            gen = max(gen, int(c.get("generation") or 0))
    return gen


def needs_import(stream: dict, tag: dict) -> bool:
    if not importable(tag):
        return False
    gen = tag.get("generation")
    if gen is None:
        return True
    return int(gen) > observed_generation(stream, tag.get("name"))


def build_import(stream: dict, tags: list[dict], with_repository: bool) -> dict | None:
    """The ImageStreamImport the controller posts for `tags` (and the repository), or None if nothing to do."""
    md = stream["metadata"]
    images = []
    for t in tags:
        images.append({
            "from": {"kind": "DockerImage", "name": t["from"]["name"]},
            "to": {"name": t["name"]},
            "importPolicy": dict(t.get("importPolicy") or {}),
            "referencePolicy": dict(t.get("referencePolicy") or {"type": "Source"}),
        })
    spec: dict = {"import": True, "images": images}
    dir_ = (stream.get("spec") or {}).get("dockerImageRepository")
    if with_repository and dir_:
        insecure = ((md.get("annotations") or {}).get(im.ANN_INSECURE_REPO) or "").lower() == "true"
        spec["repository"] = {"from": {"kind": "DockerImage", "name": dir_},
                              "importPolicy": {"insecure": True} if insecure else {}}
    if not images and "repository" not in spec:
        return None
    if not images:
        spec.pop("images")
    return {"apiVersion": im.API_VERSION, "kind": "ImageStreamImport",
            "metadata": {"name": md["name"], "namespace": md["namespace"],
                         "resourceVersion": md["resourceVersion"], "uid": md["uid"]},
            "spec": spec}


def post_import(ctx, stream: dict, isi: dict) -> dict | None:
    try:
        return ctx.api.create(im.ISIMPORTS, stream["metadata"]["namespace"], isi, user=ctx.user)
    except StatusError as e:
        if e.code == 409:
            # the stream moved on while we were importing: its new event re-queues us
            raise Requeue(max(0.05, float(getattr(ctx.config, "controller_delay", 0.2)))) from None
        if e.code == 404:
            return None
        if 400 <= e.code < 500:
            # a request the server rejects will be rejected again: record it, do not spin
            log.info("import of %s/%s rejected: %s", stream["metadata"]["namespace"], stream["metadata"]["name"],
                     e.message)
            return None
        raise


class ImageStreamImportController(Controller):
    name = "imagestream-import"
    watches = [(im.GROUP, "imagestreams")]

    def keys_for(self, event, rt, obj):
        if event == "DELETED":
            return []
        md = obj.get("metadata") or {}
        return [(md.get("namespace"), md.get("name"))]

    def sync(self, ctx, key):
        ns, name = key
        try:
            stream = ctx.api.get(im.IMAGESTREAMS, ns, name)
        except StatusError as e:
            if e.code == 404:
                return
            raise
        tags = [t for t in im.spec_tags(stream) if needs_import(stream, t)]
        ann = (stream["metadata"].get("annotations") or {})
        with_repo = bool((stream.get("spec") or {}).get("dockerImageRepository")) and im.ANN_REPO_CHECK not in ann
        isi = build_import(stream, tags, with_repo)
        if isi is None:
            return
        log.debug("importing %s/%s tags %s", ns, name, [t["name"] for t in tags])
        post_import(ctx, stream, isi)
