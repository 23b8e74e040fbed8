"""imageregistry.operator.openshift.io/v1: configs and imagepruners (CRD-backed, cluster-scoped).

The CRD schemas (validated by the core's schema module) are the whole API-side contract: like on a real
cluster, any name is accepted (the operator only acts on `cluster`), a namespace sent in metadata is
cleared, `status` is ignored on main writes. The strategy adds only what the CRDs cannot say.
"""
from __future__ import annotations

from .. import errors
from ..apiserver import Strategy


class ConfigStrategy(Strategy):
    def validate(self, ctx, obj, old=None):
        causes = []
        spec = obj.get("spec") or {}
        storage = spec.get("storage") or {}
        # The API carries a managementState per storage section; the pattern is in the CRD. Nothing else
        # is cross-validated by the API server: the operator reports conflicts in status (§4).
        if storage.get("managementState") not in (None, "", "Managed", "Unmanaged"):
            causes.append(errors.invalid_value("spec.storage.managementState", storage["managementState"],
                                               'spec.storage.managementState in body should match '
                                               "'^(Managed|Unmanaged)$'"))
        return causes


class ImagePrunerStrategy(Strategy):
    pass


def register(api) -> None:
    api.register_strategy(("imageregistry.operator.openshift.io", "configs"), ConfigStrategy())
    api.register_strategy(("imageregistry.operator.openshift.io", "imagepruners"), ImagePrunerStrategy())
