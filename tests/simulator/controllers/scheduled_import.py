"""ScheduledImageStreamController: re-import tags with importPolicy.scheduled every config.import_interval s.

Each period, every importable scheduled tag of every stream is imported again (same ImageStreamImport path,
with the stream's resourceVersion and uid), so a tag moved in the source registry shows up as a new status
event. The period is read from config.import_interval when the controller is installed.
"""
from __future__ import annotations

from ..apis import image as im
from ..errors import StatusError
from .imagestream_import import build_import, importable, post_import
from .manager import Controller, Requeue

ALL = ("*scheduled*",)


class ScheduledImportController(Controller):
    name = "imagestream-scheduled-import"
    watches: list = []

    def __init__(self, config):
        self.config = config
        self.resync_period = max(0.05, float(getattr(config, "import_interval", 900.0) or 900.0))

    def resync_keys(self):
        # no API calls here: the manager holds its own lock while asking
        return [ALL]

    def sync(self, ctx, key):
        if key == ALL:
            for s in ctx.api.list(im.IMAGESTREAMS).get("items") or []:
                if any(importable(t) and (t.get("importPolicy") or {}).get("scheduled") for t in im.spec_tags(s)):
                    self.import_stream(ctx, s["metadata"]["namespace"], s["metadata"]["name"])
            return
        self.import_stream(ctx, *key)

    def import_stream(self, ctx, ns, name):
        for _attempt in range(3):
            try:
                stream = ctx.api.get(im.IMAGESTREAMS, ns, name)
            except StatusError as e:
                if e.code == 404:
                    return
                raise
            tags = [t for t in im.spec_tags(stream)
                    if importable(t) and (t.get("importPolicy") or {}).get("scheduled")]
            isi = build_import(stream, tags, False)
            if isi is None:
                return
            try:
                post_import(ctx, stream, isi)
                return
            except Requeue:
                continue   # the stream changed under us: retry with the fresh resourceVersion
