# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Parse and validate image references: pull specs, digests, stream and tag names.

Grammar after distribution's reference package (docker/distribution ``reference/regexp.go``):
``[host[:port]/]component[/component...][:tag][@algorithm:hex]``. A reference with both a tag and a
digest is rejected here (the tag would be silently ignored by the importer).
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError

__all__ = [
    "ImageRef",
    "parse_pull_spec",
    "parse_digest",
    "validate_name",
    "validate_tag",
]

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_COMPONENT_RE = re.compile(r"^%s$" % _COMPONENT)
_HOST_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST_RE = re.compile(r"^(?:%s(?:\.%s)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$" % (_HOST_COMPONENT, _HOST_COMPONENT))
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
_SHA256_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_NAME_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")  # ImageStream names (image-api.md section 1)
_MAX_NAME = 255


class ImageRef(NamedTuple):
    """A parsed pull spec. ``registry`` is '' when the spec names none (the importer's default applies)."""

    registry: str
    repository: str            # path below the registry, e.g. "openshift/deployment-example"
    tag: Optional[str]
    digest: Optional[str]

    @property
    def name(self) -> str:
        """``registry/repository`` without tag or digest."""
        return "%s/%s" % (self.registry, self.repository) if self.registry else self.repository

    def with_digest(self, digest: str) -> str:
        return "%s@%s" % (self.name, digest)

    def __str__(self) -> str:
        if self.digest:
            return self.with_digest(self.digest)
        return "%s:%s" % (self.name, self.tag) if self.tag else self.name


def _fail(option: str, value: str, why: str, fix: str) -> InputError:
    return InputError("%s: %r is not valid: %s. %s" % (option, value, why, fix), option=option)


def parse_digest(value: str, option: str = "digest") -> str:
    """Validate a content digest (``sha256:`` + 64 lowercase hex characters for sha256)."""
    if not isinstance(value, str) or not _DIGEST_RE.match(value):
        raise _fail(option, value, "not a digest", "Give algorithm:hex, e.g. sha256:<64 hex characters>")
    if value.lower().startswith("sha256:") and not _SHA256_RE.match(value):
        raise _fail(option, value, "a sha256 digest has exactly 64 lowercase hex characters",
                    "Copy the digest exactly as the registry or the image stream reports it")
    return value


def validate_name(value: str, option: str = "name", what: str = "image stream name") -> str:
    """ImageStream (and other DNS-ish) names: lowercase alphanumerics separated by ``.``, ``_`` or ``-``."""
    if not isinstance(value, str) or not value or len(value) > _MAX_NAME or not _NAME_RE.match(value):
        raise _fail(option, value, "an %s must be lowercase letters and digits, separated by '.', '_' or '-'"
                    % what, "Rename it, e.g. 'my-app'")
    return value


def validate_tag(value: str, option: str = "tag") -> str:
    if not isinstance(value, str) or not _TAG_RE.match(value):
        raise _fail(option, value, "a tag is 1-128 characters of letters, digits, '_', '.' and '-', "
                    "not starting with '.' or '-'", "Use a tag such as 'latest' or 'v1.2'")
    return value


def parse_pull_spec(value: str, option: str = "from_image", allow_scheme: bool = False) -> ImageRef:
    """Parse an external pull spec such as ``registry.example.com:5000/ns/repo:tag`` or ``...@sha256:...``.

    A scheme (``http://``/``https://``) is not part of a pull spec; ``allow_scheme`` lets callers strip one
    (the caller decides whether ``http://`` is acceptable).
    """
    if not isinstance(value, str) or not value.strip():
        raise _fail(option, str(value), "the reference is empty", "Give a pull spec such as quay.io/ns/repo:tag")
    spec = value.strip()
    if spec != value:
        raise _fail(option, value, "it has leading or trailing whitespace", "Remove the whitespace")
    if "://" in spec:
        if not allow_scheme:
            raise _fail(option, value, "a pull spec has no scheme", "Remove '%s://'" % spec.split("://", 1)[0])
        spec = spec.split("://", 1)[1]
    digest = None
    if "@" in spec:
        spec, digest = spec.split("@", 1)
        parse_digest(digest, option)
    registry = ""
    first, sep, rest = spec.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        if not _HOST_RE.match(first):
            raise _fail(option, value, "%r is not a valid registry host[:port]" % first,
                        "Write the registry as host or host:port, e.g. registry.example.com:5000")
        registry, spec = first, rest
    tag = None
    last_slash = spec.rfind("/")
    colon = spec.rfind(":")
    if colon > last_slash:
        spec, tag = spec[:colon], spec[colon + 1:]
        if not _TAG_RE.match(tag):
            raise _fail(option, value, "%r is not a valid tag" % tag,
                        "A tag is letters, digits, '_', '.' and '-' (at most 128), e.g. 'v1'")
    if tag and digest:
        raise _fail(option, value, "it names both a tag and a digest (the tag would be ignored)",
                    "Keep only one: '%s:%s' or '%s@%s'" % (_join(registry, spec), tag, _join(registry, spec), digest))
    if not spec:
        raise _fail(option, value, "the repository path is empty", "Give a repository, e.g. quay.io/ns/repo:tag")
    for component in spec.split("/"):
        if not _COMPONENT_RE.match(component):
            why = "path component %r must be lowercase letters and digits separated by '.', '_', '__' or '-'" % (
                component,)
            if component.lower() != component:
                why = "path component %r has upper-case letters" % component
            raise _fail(option, value, why, "Fix the repository path")
    full = _join(registry, spec)
    if len(full) > _MAX_NAME:
        raise _fail(option, value, "the repository name is longer than %d characters" % _MAX_NAME, "Shorten it")
    return ImageRef(registry, spec, tag, digest)


def _join(registry: str, path: str) -> str:
    return "%s/%s" % (registry, path) if registry else path
