# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The cluster's platform (infrastructures.config.openshift.io/cluster) and what it means for registry storage."""

from __future__ import annotations

from typing import Any

from ansible_collections.ocp.registry.plugins.module_utils import resources

__all__ = ["OBJECT_STORAGE", "NO_STORAGE", "storage_for", "describe", "run"]

# Platform type -> the object storage backend the operator provisions there (image registry operator bootstrap).
OBJECT_STORAGE = {
    "AWS": "s3",
    "Azure": "azure",
    "GCP": "gcs",
    "IBMCloud": "ibmcos",
    "PowerVS": "ibmcos",
    "OpenStack": "swift",
}
# Platforms where the registry bootstraps as Removed because there is no shared storage.
NO_STORAGE = ("BareMetal", "VSphere", "None", "Nutanix", "KubeVirt", "EquinixMetal", "AlibabaCloud", "External")


def storage_for(platform: str) -> str:
    """Backend kind for a platform: an object storage name, ``pvc`` (no shared storage) or ``empty_dir``."""
    if platform in OBJECT_STORAGE:
        return OBJECT_STORAGE[platform]
    if platform in NO_STORAGE or platform == "oVirt":
        return "pvc"
    return "empty_dir"


def describe(infra: dict | None) -> dict:
    """The result fields for an Infrastructure object (or None when it does not exist)."""
    status = (infra or {}).get("status") or {}
    platform = (status.get("platformStatus") or {}).get("type") or status.get("platform") or ""
    return {
        "exists": infra is not None,
        "platform": platform,
        "infrastructure_name": status.get("infrastructureName") or "",
        "infrastructure_topology": status.get("infrastructureTopology") or "",
        "control_plane_topology": status.get("controlPlaneTopology") or "",
        "object_storage": platform in OBJECT_STORAGE,
        "default_storage": storage_for(platform) if platform else "",
        "api_server_url": status.get("apiServerURL") or "",
    }


def run(module: Any) -> dict:
    """The registry_platform_info module's job: one GET."""
    infra = module.client.get_or_none(resources.INFRASTRUCTURE, "cluster")
    out = describe(infra)
    out["changed"] = False
    return out
