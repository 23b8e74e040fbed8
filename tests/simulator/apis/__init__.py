"""Per-API-group strategies and virtual resources.

Each module here (core, apps, route, image, imageregistry, config) may define `register(api)`, which
calls `api.register_strategy((group, plural), Strategy())` / `api.register_virtual(...)`.
`install_all(api)` imports whichever of them exist and calls their `register`; server.py calls it.
The base classes live in apiserver.py and are re-exported here for convenience.
"""
from __future__ import annotations

import importlib
import logging

from ..apiserver import Context, Strategy, VirtualHandler  # noqa: F401  (re-exported)

MODULES = ("core", "apps", "route", "image", "imageregistry", "config")

log = logging.getLogger(__name__)


def install_all(api) -> list[str]:
    """Register every available group module with api; returns the names registered."""
    done = []
    for name in MODULES:
        try:
            mod = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as e:
            if e.name and e.name.endswith(f"apis.{name}"):
                continue  # that group's module has not been written yet
            raise
        register = getattr(mod, "register", None)
        if register is not None:
            register(api)
            done.append(name)
    return done
