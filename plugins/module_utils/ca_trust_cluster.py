# -*- coding: utf-8 -*-
# Copyright: ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cluster side of registry_ca_trust: the CA under ``host`` / ``host..port`` in a config map in
openshift-config, and ``images.config.openshift.io/cluster`` ``spec.additionalTrustedCA`` pointing at it.

Other keys of the config map are never touched. The config map gets the label ``MANAGED_LABEL`` only
when this module creates it; ``state=absent`` deletes it (and the pointer) only when it carries that
label and no other CA is left in it.
"""
from __future__ import annotations

import re

from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.ca_trust import (
    CONFIG_NAMESPACE, DEFAULT_CONFIG_MAP, _summary, cluster_key, registry_name)
from ansible_collections.ocp.registry.plugins.module_utils.ensure import REMOVE, ensure_absent, ensure_present
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError

__all__ = ["run", "MANAGED_LABEL"]

MANAGED_LABEL = "app.kubernetes.io/managed-by"
MANAGED_VALUE = "ocp.registry"
_CM_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_HOST_ONLY_OPTIONS = ("trust_stores", "root", "os_family", "refresh_command", "anchor_name")


def _pointer(image_cfg):
    return (((image_cfg or {}).get("spec") or {}).get("additionalTrustedCA") or {}).get("name") or None


def _check(params):
    used = [o for o in _HOST_ONLY_OPTIONS if params.get(o) not in (None, [], "")]
    if used:
        raise InputError("%s only appl%s to side=host" % (", ".join(used), "ies" if len(used) == 1 else "y"),
                         option=used[0])
    host, port, _dirname = registry_name(params["registry"])
    key = cluster_key(host, port)
    if not _CM_KEY.match(key):
        raise InputError("registry: %r cannot be a config map key (IPv6 literals are not supported on the cluster "
                         "side; use a host name)" % params["registry"], option="registry")
    name = params.get("config_map")
    if name is not None and (len(name) > 253 or not _DNS1123.match(name)):
        raise InputError("config_map: %r is not a valid config map name (lower-case DNS subdomain)" % name,
                         option="config_map")
    return key, name


def run(module, content, warnings=()):
    params = module.params
    key, wanted_name = _check(params)
    client = module.client
    check = module.check_mode
    warnings = list(warnings)
    image_cfg = client.get_or_none(R.IMAGE_CONFIG, "cluster")
    pointer = _pointer(image_cfg)
    if params["state"] == "present":
        name = wanted_name or pointer or DEFAULT_CONFIG_MAP
        text = content.decode("ascii")

        def desired_cm(live):
            body = {"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": name, "namespace": CONFIG_NAMESPACE}, "data": {key: text}}
            if live is None:
                body["metadata"]["labels"] = {MANAGED_LABEL: MANAGED_VALUE}
            return body

        cm_res = ensure_present(client, R.CONFIGMAP, desired_cm, check_mode=check, name=name,
                                namespace=CONFIG_NAMESPACE)
        before_ca = ((cm_res["before"] or {}).get("data") or {}).get(key)
        img_res = ensure_present(client, R.IMAGE_CONFIG, {
            "apiVersion": R.IMAGE_CONFIG.api_version, "kind": "Image", "metadata": {"name": "cluster"},
            "spec": {"additionalTrustedCA": {"name": name}}}, check_mode=check, live=image_cfg)
        if pointer and pointer != name:
            warnings.append("images.config.openshift.io/cluster spec.additionalTrustedCA pointed at config map %s; it "
                            "now points at %s, so the CAs in %s are no longer trusted" % (pointer, name, pointer))
        changed = cm_res["changed"] or img_res["changed"]
        after = {"config_map": name, "key": key, "ca": _summary(content), "additional_trusted_ca": name}
        before = {"config_map": name, "key": key, "ca": _summary(before_ca.encode() if before_ca else None),
                  "additional_trusted_ca": pointer}
        deleted = False
    else:
        name = wanted_name or pointer
        before = {"config_map": name, "key": key, "ca": None, "additional_trusted_ca": pointer}
        after = dict(before)
        changed = deleted = False
        live = client.get_or_none(R.CONFIGMAP, name, CONFIG_NAMESPACE) if name else None
        data = (live or {}).get("data") or {}
        if key in data:
            before["ca"] = _summary(data[key].encode())
            changed = True
            others = [k for k in data if k != key] + list((live or {}).get("binaryData") or {})
            ours = ((live.get("metadata") or {}).get("labels") or {}).get(MANAGED_LABEL) == MANAGED_VALUE
            if not others and ours:
                deleted = True
                ensure_absent(client, R.CONFIGMAP, name, CONFIG_NAMESPACE, check_mode=check)
                if pointer == name:
                    after["additional_trusted_ca"] = None
                    ensure_present(client, R.IMAGE_CONFIG, {
                        "apiVersion": R.IMAGE_CONFIG.api_version, "kind": "Image", "metadata": {"name": "cluster"},
                        "spec": {"additionalTrustedCA": REMOVE}}, check_mode=check, live=image_cfg)
            else:
                ensure_present(client, R.CONFIGMAP, {
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": name, "namespace": CONFIG_NAMESPACE}, "data": {key: REMOVE}},
                    check_mode=check, live=live)
    result = {"changed": changed, "side": "cluster", "registry": params["registry"], "key": key,
              "config_map": name, "config_map_deleted": deleted,
              "additional_trusted_ca": after["additional_trusted_ca"]}
    for warning in warnings:
        module.warn(warning)
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    return result
