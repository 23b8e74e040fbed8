"""Install the image.openshift.io side of the simulator: strategies, virtual resources and controllers.

`install(api, manager, config)` is called from controllers/__init__.py's install(); it is idempotent with
apis/__init__.install_all(), which calls image.register(api) as well.
"""
from __future__ import annotations

from . import image


def install(api, manager, config) -> None:
    image.register(api)
    if manager is None:
        return
    from ..controllers.imagestream_import import ImageStreamImportController
    from ..controllers.scheduled_import import ScheduledImportController
    from ..controllers.triggers import ImageTriggerController
    if not any(isinstance(c, ImageStreamImportController) for c in manager.controllers):
        manager.add(ImageStreamImportController())
        manager.add(ScheduledImportController(config))
        manager.add(ImageTriggerController())
