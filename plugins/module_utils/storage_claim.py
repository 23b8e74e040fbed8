# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The registry's PersistentVolumeClaim: size, access mode, volume mode and storage class.

Most of a claim's spec is immutable once created (access modes, volume mode, storage class); the size may
only grow. ``desired_claim()`` turns a mismatch into an InputError before anything is written, and keeps
the live spelling of an equal size ("100Gi" vs "107374182400") so a rerun is a no-op.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from ansible_collections.ocp.registry.plugins.module_utils import labels, resources
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError

__all__ = ["DEFAULT_NAME", "DEFAULT_NAMESPACE", "DEFAULT_SIZE", "parse_quantity", "desired_claim", "summarize", "run"]

DEFAULT_NAME = "image-registry-storage"
DEFAULT_NAMESPACE = "openshift-image-registry"
DEFAULT_SIZE = "100Gi"

_SUFFIXES = {
    "": 1,
    "Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3, "Ti": 1024 ** 4, "Pi": 1024 ** 5, "Ei": 1024 ** 6,
    "k": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12, "P": 10 ** 15, "E": 10 ** 18,
}
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _check_metadata_map(values: Any, option: str, check_values: bool) -> None:
    """Label or annotation keys ([prefix/]name) and, for labels, values, as Kubernetes validates them."""
    for key, value in (values or {}).items():
        problem = labels.key_problem(str(key))
        if not problem and check_values and value is not None:
            problem = labels.value_problem(str(value))
        if problem:
            raise InputError("%s: %s" % (option, problem), option=option)


def parse_quantity(value: Any, *, option: str = "size") -> int:
    """A storage quantity ("100Gi", "500M", "1.5Ti", "1073741824") in bytes; InputError when malformed."""
    text = str(value).strip()
    match = _QUANTITY.match(text)
    if not match:
        raise InputError("%s: %r is not a storage quantity such as 100Gi, 500Mi or 1Ti" % (option, value),
                         option=option)
    try:
        number = Decimal(match.group(1)) * _SUFFIXES[match.group(2) or ""]
    except InvalidOperation:  # pragma: no cover - the regex only lets decimals through
        raise InputError("%s: %r is not a number" % (option, value), option=option) from None
    if number <= 0:
        raise InputError("%s: must be larger than zero, got %r" % (option, value), option=option)
    return int(number.to_integral_value(rounding="ROUND_CEILING"))


def validate(params: dict) -> None:
    """Input checks that need no API call."""
    if not _NAME.match(params["name"]) or len(params["name"]) > 253:
        raise InputError("name: %r is not a valid PersistentVolumeClaim name (lower case DNS subdomain)"
                         % params["name"], option="name")
    namespace = params.get("namespace")
    if not isinstance(namespace, str) or len(namespace) > 63 or not _DNS_LABEL.match(namespace):
        raise InputError("namespace: %r is not a valid namespace name (lower case letters, digits and '-', at most 63 "
                         "characters, starting and ending with a letter or digit)" % namespace, option="namespace")
    if params["state"] == "present":
        parse_quantity(params["size"])
        _check_metadata_map(params.get("labels"), "labels", True)
        _check_metadata_map(params.get("annotations"), "annotations", False)
        if params.get("storage_class") is not None and params["storage_class"] != "" \
                and not _NAME.match(params["storage_class"]):
            raise InputError("storage_class: %r is not a valid StorageClass name" % params["storage_class"],
                             option="storage_class")


def _immutable_mismatch(what: str, name: str, live: Any, wanted: Any, option: str) -> InputError:
    return InputError(
        "%s: PersistentVolumeClaim %s already exists with %s %s, and Kubernetes does not allow changing it "
        "(asked for %s); delete the claim first (its data goes with it) or use another claim name"
        % (option, name, what, live, wanted), option=option)


def desired_claim(params: dict) -> Callable[[dict | None], dict]:
    """ensure_present() desired callable for the claim described by ``params``."""
    name, namespace = params["name"], params["namespace"]
    wanted_bytes = parse_quantity(params["size"])
    access_modes = [params["access_mode"]]
    volume_mode = params["volume_mode"]
    storage_class = params.get("storage_class")

    def build(live: dict | None) -> dict:
        metadata: dict = {"name": name, "namespace": namespace}
        if params.get("labels"):
            metadata["labels"] = dict(params["labels"])
        if params.get("annotations"):
            metadata["annotations"] = dict(params["annotations"])
        if live is None:
            spec: dict = {
                "accessModes": access_modes,
                "volumeMode": volume_mode,
                "resources": {"requests": {"storage": str(params["size"])}},
            }
            if storage_class is not None:
                spec["storageClassName"] = storage_class
            return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata, "spec": spec}
        where = "%s/%s" % (namespace, name)
        live_spec = live.get("spec") or {}
        live_modes = live_spec.get("accessModes") or []
        if sorted(live_modes) != sorted(access_modes):
            raise _immutable_mismatch("access modes", where, live_modes, access_modes, "access_mode")
        live_volume_mode = live_spec.get("volumeMode") or "Filesystem"
        if live_volume_mode != volume_mode:
            raise _immutable_mismatch("volume mode", where, live_volume_mode, volume_mode, "volume_mode")
        if storage_class is not None and (live_spec.get("storageClassName") or "") != storage_class:
            raise _immutable_mismatch("storage class", where, repr(live_spec.get("storageClassName") or ""),
                                      repr(storage_class), "storage_class")
        live_size = ((live_spec.get("resources") or {}).get("requests") or {}).get("storage")
        size = live_size
        if live_size is None or parse_quantity(live_size, option="size") < wanted_bytes:
            phase = (live.get("status") or {}).get("phase") or "Pending"
            if phase != "Bound":
                raise InputError(
                    "size: PersistentVolumeClaim %s is %s and not bound yet (phase %s); Kubernetes lets a claim grow "
                    "only once it is bound. Keep size at %s until then" % (where, live_size, phase, live_size),
                    option="size")
            size = str(params["size"])  # expansion (the StorageClass must allow it)
        elif parse_quantity(live_size, option="size") > wanted_bytes:
            raise InputError(
                "size: PersistentVolumeClaim %s is %s and a claim cannot shrink (asked for %s); keep size at "
                "%s or larger" % (where, live_size, params["size"], live_size), option="size")
        return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata,
                "spec": {"resources": {"requests": {"storage": size}}}}

    return build


def summarize(claim: dict | None) -> dict | None:
    """The fields a playbook needs: name, namespace, size, access modes, volume mode, class, phase."""
    if not claim:
        return None
    spec = claim.get("spec") or {}
    status = claim.get("status") or {}
    return {
        "name": (claim.get("metadata") or {}).get("name"),
        "namespace": (claim.get("metadata") or {}).get("namespace"),
        "size": ((spec.get("resources") or {}).get("requests") or {}).get("storage"),
        "access_modes": spec.get("accessModes") or [],
        "volume_mode": spec.get("volumeMode") or "Filesystem",
        "storage_class": spec.get("storageClassName"),
        "phase": status.get("phase"),
    }


def run(module: Any) -> dict:
    """The registry_storage_claim module's job."""
    from ansible_collections.ocp.registry.plugins.module_utils.ensure import ensure_absent, ensure_present

    params = module.params
    validate(params)
    if params["state"] == "absent":
        result = ensure_absent(module.client, resources.PERSISTENTVOLUMECLAIM, params["name"], params["namespace"],
                               check_mode=module.check_mode)
        out = {"changed": result["changed"], "claim": None}
    else:
        result = ensure_present(module.client, resources.PERSISTENTVOLUMECLAIM, desired_claim(params),
                                check_mode=module.check_mode, diff=module._diff, name=params["name"],
                                namespace=params["namespace"])
        out = {"changed": result["changed"], "claim": summarize(result.get("object"))}
        if module._diff and "diff" in result:
            out["diff"] = result["diff"]
    return out
