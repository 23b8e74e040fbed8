# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""configs.imageregistry.operator.openshift.io/cluster: options -> spec, validation, and the ensure flow."""

from __future__ import annotations

import copy
from typing import Any

from ansible_collections.ocp.registry.plugins.module_utils import conditions, ensure, resources, storage
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError, RegistryError
from ansible_collections.ocp.registry.plugins.module_utils.redact import redact_paths

__all__ = [
    "CONFIG_NAME",
    "LOG_LEVELS",
    "CONFIG_SECRET_PATHS",
    "SECRET_SECRET_PATHS",
    "spec_from_params",
    "validate_params",
    "effective",
    "desired_config",
    "ensure_registry_config",
]

CONFIG_NAME = "cluster"
LOG_LEVELS = ["Normal", "Debug", "Trace", "TraceAll"]
CONFIG_SECRET_PATHS = ("spec.httpSecret",)
SECRET_SECRET_PATHS = ("data", "stringData")
RESERVED_ROUTE = "default-route"

_QUEUE = {"max_running": "maxRunning", "max_in_queue": "maxInQueue", "max_wait_in_queue": "maxWaitInQueue"}

# option -> spec field, or (spec field, nested mapping). Free-form Kubernetes objects pass through as given.
SPEC_FIELDS = {
    "management_state": "managementState",
    "replicas": "replicas",
    "rollout_strategy": "rolloutStrategy",
    "default_route": "defaultRoute",
    "proxy": ("proxy", {"http": "http", "https": "https", "no_proxy": "noProxy"}),
    "read_only": "readOnly",
    "requests": ("requests", {"read": ("read", _QUEUE), "write": ("write", _QUEUE)}),
    "log_level": "logLevel",
    "operator_log_level": "operatorLogLevel",
    "http_secret": "httpSecret",
    "node_selector": "nodeSelector",
    "tolerations": "tolerations",
    "affinity": "affinity",
    "resources": "resources",
    "topology_spread_constraints": "topologySpreadConstraints",
    "disable_redirect": "disableRedirect",
}
_ROUTE = {"name": "name", "hostname": "hostname", "secret_name": "secretName"}


def spec_from_params(params: dict) -> dict:
    """The managed ``spec`` fields (storage excluded): only options the task sets."""
    spec = storage.to_api(params, SPEC_FIELDS)
    if params.get("routes") is not None:
        spec["routes"] = [storage.to_api(route, _ROUTE) for route in params["routes"]]
    return spec


def validate_params(params: dict) -> None:
    """Checks that need no API call. Raises InputError naming the option and the fix."""
    replicas = params.get("replicas")
    if replicas is not None and replicas < 0:
        raise InputError("replicas: must be 0 or more, got %s" % replicas, option="replicas")
    names: set = set()
    for index, route in enumerate(params.get("routes") or []):
        name = route.get("name")
        if name == RESERVED_ROUTE:
            raise InputError(
                "routes[%d].name: %r is reserved for the operator's default route; use default_route: true "
                "for it, or pick another name" % (index, name), option="routes")
        if name in names:
            raise InputError("routes[%d].name: %r is used twice; route names must be unique" % (index, name),
                             option="routes")
        names.add(name)
    for direction in ("read", "write"):
        queue = ((params.get("requests") or {}).get(direction)) or {}
        for option in ("max_running", "max_in_queue"):
            value = queue.get(option)
            if value is not None and value < 0:
                raise InputError("requests.%s.%s: must be 0 or more, got %s" % (direction, option, value),
                                 option="requests.%s.%s" % (direction, option))
        wait = queue.get("max_wait_in_queue")
        if wait is not None and not storage.DURATION.match(wait):
            raise InputError("requests.%s.max_wait_in_queue: %r is not a duration such as 30s, 5m or 1h30m"
                             % (direction, wait), option="requests.%s.max_wait_in_queue" % direction)
    storage.validate_storage(params.get("storage"))


def effective(params: dict, live: dict | None) -> tuple:
    """(replicas, rollout strategy) the registry will run with once the task has written its fields."""
    spec = (live or {}).get("spec") or {}
    replicas = params.get("replicas")
    if replicas is None:
        replicas = spec.get("replicas")
    rollout = params.get("rollout_strategy")
    if rollout is None:
        rollout = spec.get("rolloutStrategy") or None
    return replicas, rollout


def validate_against_cluster(client: Any, params: dict, live: dict) -> None:
    """Checks that need the live Config (effective values); when a claim is involved, one PVC GET, and when
    s3.trusted_ca changes, one ConfigMap GET."""
    replicas, rollout = effective(params, live)
    wanted = params.get("storage")
    live_storage = ((live or {}).get("spec") or {}).get("storage")
    storage.validate_empty_dir(wanted, replicas)
    if wanted is None or storage.chosen_backend(wanted) is None:
        # the task keeps the live backend: emptyDir rules still apply to it when replicas change
        if params.get("replicas") is not None and (live_storage or {}).get("emptyDir") is not None and replicas != 1:
            raise InputError("replicas: the registry uses emptyDir storage, which supports exactly 1 replica; set "
                             "replicas: 1 or configure pvc or object storage", option="replicas")
    given = params.get("replicas") is not None or params.get("rollout_strategy") is not None
    claim = storage.claim_to_check(wanted, live_storage, given)
    if claim:
        storage.check_claim(client, claim, replicas, rollout)
    storage.check_trusted_ca(client, wanted, live_storage)


def desired_config(params: dict):
    """ensure() desired callable for Config cluster, computed against the live object."""
    spec = spec_from_params(params)

    def build(live: dict | None) -> dict:
        body = copy.deepcopy(spec)
        st = storage.storage_spec(params.get("storage"), ((live or {}).get("spec") or {}).get("storage"))
        if st is not None:
            body["storage"] = st
        return {
            "apiVersion": resources.REGISTRY_CONFIG.api_version,
            "kind": resources.REGISTRY_CONFIG.kind,
            "metadata": {"name": CONFIG_NAME},
            "spec": body,
        }

    return build


def _read_config(module: Any) -> dict:
    """The live Config; waits for the operator to create it when ``wait`` is set."""
    client = module.client
    live = client.get_or_none(resources.REGISTRY_CONFIG, CONFIG_NAME)
    if live is not None:
        return live
    if not module.params.get("wait"):
        raise RegistryError(
            "Config %s (configs.imageregistry.operator.openshift.io) does not exist yet: the image registry "
            "operator creates it at start-up. Retry later, or set wait: true to wait up to wait_timeout "
            "seconds for it." % CONFIG_NAME)

    def probe() -> tuple:
        obj = client.get_or_none(resources.REGISTRY_CONFIG, CONFIG_NAME)
        missing = [{"type": "Exists", "status": "False", "reason": "NotFound",
                    "message": "the operator has not created the Config yet"}]
        return obj is not None, obj, [] if obj is not None else [("Config %s" % CONFIG_NAME, missing)]

    return conditions.wait_until(probe, module.params["wait_timeout"], module.params["wait_sleep"],
                                 "the operator to create Config %s" % CONFIG_NAME)


def _dry_run_config(client: Any, live: dict, desired: Any) -> None:
    """Let the server validate the Config change (dryRun=All) before the credentials secret is written.

    Only when credentials are given and the Config would change: a schema error found by the server (for
    example in tolerations or affinity) must not leave a new secret next to an unchanged Config.
    """
    patch = ensure.compute_patch(live, desired(copy.deepcopy(live)))
    if patch:
        client.merge_patch(resources.REGISTRY_CONFIG, CONFIG_NAME, patch, dry_run=True)


def _write_credentials(module: Any, creds: dict) -> dict:
    """Ensure the user credentials secret holds exactly ``creds`` (values compared, never returned)."""
    return ensure.ensure_present(module.client, resources.SECRET, storage.secret_desired(creds),
                                 check_mode=module.check_mode, diff=module._diff, secret_paths=SECRET_SECRET_PATHS,
                                 name=storage.USER_SECRET, namespace=storage.NAMESPACE)


def _combined_diff(config_res: dict, secret_res: dict | None) -> dict:
    cfg = config_res.get("diff") or {"before": {}, "after": {}}
    if secret_res is None:
        return cfg
    sec = secret_res.get("diff") or {"before": {}, "after": {}}
    return {side: {"config": cfg.get(side), "credentials_secret": sec.get(side)} for side in ("before", "after")}


def ensure_registry_config(module: Any) -> dict:
    """The whole task: validate everything, write the credentials secret, write the Config, wait."""
    params = module.params
    validate_params(params)
    live = _read_config(module)
    validate_against_cluster(module.client, params, live)

    result: dict = {}
    desired = desired_config(params)
    creds = storage.credential_data(params.get("storage"))
    secret_res = None
    if creds is not None:
        if not module.check_mode:
            _dry_run_config(module.client, live, desired)
        secret_res = _write_credentials(module, creds)
        result["credentials"] = {"secret": "%s/%s" % (storage.NAMESPACE, storage.USER_SECRET),
                                 "key_names": sorted(creds), "changed": secret_res["changed"]}
    config_res = ensure.ensure_present(module.client, resources.REGISTRY_CONFIG, desired, check_mode=module.check_mode,
                                       diff=module._diff, secret_paths=CONFIG_SECRET_PATHS, name=CONFIG_NAME,
                                       live=live)
    result["changed"] = config_res["changed"] or bool(secret_res and secret_res["changed"])
    if module._diff:
        result["diff"] = _combined_diff(config_res, secret_res)

    config, co = config_res["object"], None
    if params.get("wait") and not module.check_mode:
        state = conditions.wait_for_registry(module.client, params["wait_timeout"], params["wait_sleep"])
        config, co = state["config"], state["cluster_operator"]
    result["config"] = redact_paths(config, CONFIG_SECRET_PATHS)
    result["conditions"] = conditions.summary(config)
    if co is not None:
        result["cluster_operator_conditions"] = conditions.summary(co)
    return result
