# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Parse image stream references: ``[namespace/]stream:tag`` and ``[namespace/]stream@digest``.

Apart from image_reference.py (pull specs) because only tasks that use from_tag/from_digest, triggers or
imagestream_tag need it, and every module run compiles what it imports.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

from ansible_collections.ocp.registry.plugins.module_utils.image_reference import (
    _fail,
    parse_digest,
    validate_name,
    validate_tag,
)

__all__ = ["StreamTag", "StreamImage", "parse_stream_tag", "parse_stream_image"]


class StreamTag(NamedTuple):
    namespace: Optional[str]
    stream: str
    tag: str

    def __str__(self) -> str:
        return "%s:%s" % (self.stream, self.tag)


class StreamImage(NamedTuple):
    namespace: Optional[str]
    stream: Optional[str]       # None: the same stream
    digest: str


def _split_namespace(value: str, option: str, default_namespace: Optional[str]):
    if value.count("/") > 1:
        raise _fail(option, value, "expected [namespace/]stream", "Give e.g. 'myproject/app:v1'")
    if "/" in value:
        namespace, value = value.split("/", 1)
        validate_name(namespace, option, "namespace name")
        return namespace, value
    return default_namespace, value


def parse_stream_tag(value: str, option: str = "from_tag", default_namespace: Optional[str] = None,
                     default_stream: Optional[str] = None) -> StreamTag:
    """Parse ``[namespace/]stream:tag``; a bare ``tag`` is accepted only when ``default_stream`` is given."""
    if not isinstance(value, str) or not value:
        raise _fail(option, str(value), "it is empty", "Give stream:tag, e.g. 'app:v1'")
    if "@" in value:
        raise _fail(option, value, "it contains a digest", "Use stream:tag here; a digest goes in from_digest")
    namespace, rest = _split_namespace(value, option, default_namespace)
    if ":" in rest:
        stream, tag = rest.split(":", 1)
        validate_name(stream, option)
        validate_tag(tag, option)
        return StreamTag(namespace, stream, tag)
    if default_stream is None:
        raise _fail(option, value, "it has no ':' (an image stream tag is stream:tag)",
                    "Write it as '%s:latest' or name the tag you mean" % rest)
    validate_tag(rest, option)
    return StreamTag(namespace, default_stream, rest)


def parse_stream_image(value: str, option: str = "from_digest", default_namespace: Optional[str] = None
                       ) -> StreamImage:
    """Parse ``[namespace/]stream@sha256:...`` or a bare digest (the same stream)."""
    if not isinstance(value, str) or not value:
        raise _fail(option, str(value), "it is empty", "Give stream@sha256:<digest> or sha256:<digest>")
    if "@" not in value:
        return StreamImage(default_namespace, None, parse_digest(value, option))
    left, digest = value.split("@", 1)
    parse_digest(digest, option)
    namespace, stream = _split_namespace(left, option, default_namespace)
    if ":" in stream:
        raise _fail(option, value, "it names both a tag and a digest", "Write stream@sha256:<digest>")
    validate_name(stream, option)
    return StreamImage(namespace, stream, digest)
