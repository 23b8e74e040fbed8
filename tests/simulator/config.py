"""Simulator-wide settings shared by the API server, strategies and controllers."""
from __future__ import annotations

import dataclasses
import datetime
import os
import time
from typing import Callable

PLATFORMS = {
    # lower-case CLI name -> platformStatus.type as the real Infrastructure object spells it
    "baremetal": "BareMetal",
    "vsphere": "VSphere",
    "none": "None",
    "aws": "AWS",
    "gcp": "GCP",
    "azure": "Azure",
    "openstack": "OpenStack",
    "ibmcloud": "IBMCloud",
    "libvirt": "Libvirt",
}


def default_crd_dir() -> str:
    """The shared openshift/api CRDs: $OCP_SIM_CRD_DIR, else <repo>/../shared/openshift-api/crds."""
    env = os.environ.get("OCP_SIM_CRD_DIR")
    if env:
        return env
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
    return os.path.normpath(os.path.join(repo, "..", "shared", "openshift-api", "crds"))


def platform_type(name: str) -> str:
    """Return the Infrastructure platform type for a CLI/ctor platform name (case-insensitive)."""
    key = (name or "baremetal").lower()
    if key not in PLATFORMS:
        raise ValueError(f"unknown platform {name!r}; choose one of {', '.join(sorted(PLATFORMS))}")
    return PLATFORMS[key]


@dataclasses.dataclass
class SimConfig:
    platform: str = "baremetal"                     # CLI name; see platform_type() for the API spelling
    apps_domain: str = "apps.example.test"
    internal_registry_host: str = "image-registry.openshift-image-registry.svc:5000"
    controller_delay: float = 0.2                   # seconds between an event and the controller sync
    import_interval: float = 900.0                  # scheduled ImageStream import period (seconds)
    infrastructure_name: str = "sim-x7k2p"
    state_dir: str | None = None
    clock: Callable[[], float] = time.time          # tests may substitute a fake clock
    crd_dir: str = dataclasses.field(default_factory=default_crd_dir)

    @property
    def platform_type(self) -> str:
        return platform_type(self.platform)

    def now(self) -> str:
        """Current time as an RFC 3339 string with second precision (like metav1.Time)."""
        return rfc3339(self.clock())


def rfc3339(ts: float) -> str:
    return datetime.datetime.fromtimestamp(int(ts), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
