# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Pull secrets for imports from private registries.

Imports authenticate with the pull secrets of the stream's namespace (what ``imagestreams/<name>/secrets``
returns: dockercfg/dockerconfigjson secrets without the ``openshift.io/image.excludeSecret`` annotation).
So "make imports use it" means: the secret exists in the namespace, has a pull-secret type and is not
excluded. Given credentials, a ``kubernetes.io/dockerconfigjson`` secret is created or updated; the
credentials never appear in results or diffs.
"""

from __future__ import annotations

import base64
import json
from typing import Optional

from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.args_common import PULL_SECRET_OPTIONS
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError

__all__ = ["PULL_SECRET_OPTIONS", "ensure_pull_secret", "dockerconfigjson"]

PULL_SECRET_TYPES = ("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg")
EXCLUDE_ANNOTATION = "openshift.io/image.excludeSecret"


def dockerconfigjson(registry: str, username: str, password: str, email: Optional[str] = None) -> str:
    entry = {"username": username, "password": password,
             "auth": base64.b64encode(("%s:%s" % (username, password)).encode()).decode()}
    if email:
        entry["email"] = email
    return json.dumps({"auths": {registry: entry}}, sort_keys=True)


def _decode(secret: dict) -> Optional[dict]:
    raw = (secret.get("data") or {}).get(".dockerconfigjson")
    if not raw:
        return None
    try:
        return json.loads(base64.b64decode(raw))
    except ValueError:
        return None


def ensure_pull_secret(client, namespace: str, params: dict, check_mode: bool,
                       option: str = "pull_secret") -> dict:
    """Make sure the pull secret exists (creating/updating it from credentials); returns a safe summary."""
    name = params["name"]
    creds = params.get("username") is not None or params.get("password") is not None
    if creds and not (params.get("username") and params.get("password") and params.get("registry")):
        raise InputError("%s: give registry, username and password together to create the secret, or only "
                         "name to use an existing one" % option, option=option)
    live = client.get_or_none(R.SECRET, name, namespace=namespace)
    summary = {"name": name, "namespace": namespace, "changed": False}
    if not creds:
        if live is None:
            raise InputError("%s.name: secret %s/%s does not exist; create it or give registry, username and "
                             "password" % (option, namespace, name), option=option + ".name")
        if live.get("type") not in PULL_SECRET_TYPES:
            raise InputError("%s.name: secret %s/%s has type %s; imports only use %s secrets"
                             % (option, namespace, name, live.get("type"), " or ".join(PULL_SECRET_TYPES)),
                             option=option + ".name")
        if ((live.get("metadata") or {}).get("annotations") or {}).get(EXCLUDE_ANNOTATION) == "true":
            raise InputError("%s.name: secret %s/%s is annotated %s=true, so imports ignore it"
                             % (option, namespace, name, EXCLUDE_ANNOTATION), option=option + ".name")
        return summary
    wanted = json.loads(dockerconfigjson(params["registry"], params["username"], params["password"],
                                         params.get("email")))
    if live is not None:
        if live.get("type") != "kubernetes.io/dockerconfigjson":
            raise InputError("%s.name: secret %s/%s exists with type %s; choose another name"
                             % (option, namespace, name, live.get("type")), option=option + ".name")
        current = _decode(live) or {}
        merged = {"auths": dict(current.get("auths") or {})}
        merged["auths"][params["registry"]] = wanted["auths"][params["registry"]]
        if merged == current:
            return summary
        wanted = merged
    summary["changed"] = True
    if check_mode:
        return summary
    data = {".dockerconfigjson": base64.b64encode(json.dumps(wanted, sort_keys=True).encode()).decode()}
    if live is None:
        client.create(R.SECRET, {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
                                 "metadata": {"name": name, "namespace": namespace}, "data": data},
                      namespace=namespace)
    else:
        client.merge_patch(R.SECRET, name, {"metadata": {"resourceVersion": live["metadata"].get("resourceVersion")},
                                            "data": data}, namespace=namespace)
    return summary
