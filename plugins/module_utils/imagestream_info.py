# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Read ImageStreams into plain data (``oc describe is``, ``oc get istag``, ``oc adm top imagestreams``)."""

from __future__ import annotations

from typing import Dict, List, Optional

from ansible_collections.ocp.registry.plugins.module_utils import image_reference as ir
from ansible_collections.ocp.registry.plugins.module_utils import labels
from ansible_collections.ocp.registry.plugins.module_utils import imagestream as IS
from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.errors import Forbidden, InputError, NotFound

__all__ = ["argument_spec", "run", "describe_stream", "image_size"]


def argument_spec() -> dict:
    return {
        "name": {"type": "str"},
        "namespace": {"type": "str"},
        "label_selectors": {"type": "list", "elements": "str", "default": []},
        "sizes": {"type": "bool", "default": False},
    }


def image_layers(image: Optional[dict]) -> Optional[Dict[str, int]]:
    """Blob digest -> bytes for an Image; a manifest list or an image without layers counts as one entry
    (its ``dockerImageMetadata.Size``); None when nothing is known."""
    if not image:
        return None
    layers = image.get("dockerImageLayers") or []
    if layers:
        return {str(layer.get("name")): int(layer.get("size") or 0) for layer in layers}
    size = (image.get("dockerImageMetadata") or {}).get("Size")
    if isinstance(size, (int, float)):
        return {"image:" + str((image.get("metadata") or {}).get("name")): int(size)}
    return None


def image_size(image: Optional[dict]) -> Optional[int]:
    """Bytes of an Image: the sum of its layers, else ``dockerImageMetadata.Size``; None when unknown."""
    layers = image_layers(image)
    return None if layers is None else sum(layers.values())


def _event(item: dict) -> dict:
    return {"digest": item.get("image") or None, "pull_spec": item.get("dockerImageReference"),
            "created": item.get("created"), "generation": item.get("generation")}


def describe_stream(stream: dict, sizes: Optional[Dict[str, Optional[Dict[str, int]]]] = None) -> dict:
    meta = stream.get("metadata") or {}
    spec = stream.get("spec") or {}
    status = stream.get("status") or {}
    names = [t.get("name") for t in spec.get("tags") or []]
    names += [t.get("tag") for t in status.get("tags") or [] if t.get("tag") not in names]
    tags = []
    digests: List[str] = []
    for name in names:
        ref = IS.spec_tag(stream, name)
        status_tag = IS.find_status_tag(stream, name) or {}
        history = [_event(i) for i in status_tag.get("items") or []]
        for h in history:
            if h["digest"] and h["digest"] not in digests:
                digests.append(h["digest"])
        current = history[0] if history else None
        entry = {
            "name": name,
            "spec": None if ref is None else {
                "from": ref.get("from"),
                "reference": bool(ref.get("reference")),
                "reference_policy": (ref.get("referencePolicy") or {}).get("type") or "Source",
                "scheduled": bool((ref.get("importPolicy") or {}).get("scheduled")),
                "insecure": bool((ref.get("importPolicy") or {}).get("insecure")),
                "import_mode": (ref.get("importPolicy") or {}).get("importMode"),
                "annotations": ref.get("annotations") or {},
                "generation": ref.get("generation"),
            },
            "digest": current["digest"] if current else None,
            "pull_spec": current["pull_spec"] if current else None,
            "created": current["created"] if current else None,
            "history": history,
            "conditions": status_tag.get("conditions") or [],
        }
        if sizes is not None:
            layers = sizes.get(entry["digest"]) if entry["digest"] else None
            entry["size"] = None if layers is None else sum(layers.values())
        tags.append(entry)
    out = {
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "uid": meta.get("uid"),
        "created": meta.get("creationTimestamp"),
        "labels": meta.get("labels") or {},
        "annotations": meta.get("annotations") or {},
        "generation": meta.get("generation"),
        "internal_repository": status.get("dockerImageRepository") or None,
        "public_repository": status.get("publicDockerImageRepository") or None,
        "lookup_local": bool((spec.get("lookupPolicy") or {}).get("local")),
        "tags": tags,
        "unique_images": len(digests),
        "images": digests,
    }
    if sizes is not None:
        # like oc adm top imagestreams: every distinct layer blob of the stream's images counted once
        blobs: Dict[str, int] = {}
        for digest in digests:
            blobs.update(sizes.get(digest) or {})
        out["size"] = sum(blobs.values()) if blobs else None
    return out


def run(module) -> dict:
    params = module.params
    namespace = params.get("namespace")
    if params.get("namespace"):
        ir.validate_name(params["namespace"], "namespace", "namespace name")
    if params.get("name"):
        ir.validate_name(params["name"], "name")
        namespace = namespace or module.default_namespace
        if not namespace:
            raise InputError("namespace: required with name (the kubeconfig context has no namespace)",
                             option="namespace")
    selectors = [str(text) for text in params.get("label_selectors") or [] if str(text).strip()]
    for index, text in enumerate(selectors):
        labels.validate_selector(text, "label_selectors[%d]" % index if len(selectors) > 1 else "label_selectors")
    client = module.client
    if params.get("name"):
        try:
            streams = [client.get(R.IMAGESTREAM, params["name"], namespace=namespace)]
        except NotFound:
            streams = []
    else:
        selector = ",".join(selectors) or None
        streams = client.list(R.IMAGESTREAM, namespace=namespace, label_selector=selector)
    sizes: Optional[Dict[str, Optional[Dict[str, int]]]] = None
    warnings = []
    if params.get("sizes"):
        sizes = {}
        for stream in streams:
            for status_tag in (stream.get("status") or {}).get("tags") or []:
                for item in status_tag.get("items") or []:
                    digest = item.get("image")
                    if digest and digest not in sizes:
                        try:
                            sizes[digest] = image_layers(client.get_or_none(R.IMAGE, digest))
                        except Forbidden:
                            sizes[digest] = None
                            if not warnings:
                                warnings.append("not allowed to read images; sizes are unknown")
    for warning in warnings:
        module.warn(warning)
    return {"changed": False, "imagestreams": [describe_stream(s, sizes) for s in streams]}
