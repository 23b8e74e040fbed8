# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Registry access: RBAC bindings for registry roles, and the metrics scraper ClusterRole.

Grants roles such as ``registry-viewer``, ``registry-editor`` and ``system:image-builder`` to users, groups
and service accounts with one (Cluster)RoleBinding per role, and defines the ClusterRole that may read the
registry's metrics (``image.openshift.io`` ``registry/metrics`` ``get``; the product docs call it
``prometheus-scraper``).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from ansible_collections.ocp.registry.plugins.module_utils import resources
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError

__all__ = ["RBAC_GROUP", "METRICS_RULES", "binding_name", "subjects", "desired_binding", "desired_metrics_role",
           "summarize_binding", "run"]

RBAC_GROUP = "rbac.authorization.k8s.io"
METRICS_RULES = [{"apiGroups": ["image.openshift.io"], "resources": ["registry/metrics"], "verbs": ["get"]}]
_SA_PREFIX = "system:serviceaccount:"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_PATH_SEGMENT_BAD = re.compile(r"[/%]")


def binding_name(role: str) -> str:
    """Default binding name for a role: ``ocp-registry-<role>`` with ':' turned into '-'."""
    return "ocp-registry-" + role.replace(":", "-")


def _service_account(value: str, namespace: str | None) -> dict:
    text = value.strip()
    if text.startswith(_SA_PREFIX):
        parts = text[len(_SA_PREFIX):].split(":")
        if len(parts) != 2:
            raise InputError("service_accounts: %r is not system:serviceaccount:<namespace>:<name>" % value,
                             option="service_accounts")
        sa_ns, name = parts
    elif "/" in text:
        sa_ns, name = text.split("/", 1)
    else:
        if not namespace:
            raise InputError(
                "service_accounts: %r has no namespace; a cluster-wide binding needs <namespace>/<name> "
                "(or system:serviceaccount:<namespace>:<name>)" % value, option="service_accounts")
        sa_ns, name = namespace, text
    if not _DNS_LABEL.match(sa_ns) or not name or _PATH_SEGMENT_BAD.search(name):
        raise InputError("service_accounts: %r does not name a service account as <namespace>/<name>" % value,
                         option="service_accounts")
    return {"kind": "ServiceAccount", "name": name, "namespace": sa_ns}


def subjects(params: dict) -> list:
    """Subjects for the users, groups and service accounts in ``params``, de-duplicated, in the given order."""
    out: list = []
    for user in params.get("users") or []:
        if not str(user).strip():
            raise InputError("users: names must not be empty", option="users")
        out.append({"kind": "User", "apiGroup": RBAC_GROUP, "name": str(user).strip()})
    for group in params.get("groups") or []:
        if not str(group).strip():
            raise InputError("groups: names must not be empty", option="groups")
        out.append({"kind": "Group", "apiGroup": RBAC_GROUP, "name": str(group).strip()})
    for account in params.get("service_accounts") or []:
        out.append(_service_account(str(account), params.get("namespace") or None))
    unique: list = []
    for subject in out:
        if subject not in unique:
            unique.append(subject)
    return unique


def _key(subject: dict) -> tuple:
    return (subject.get("kind"), subject.get("namespace") or "", subject.get("name"))


def validate(params: dict) -> None:
    role = params["role"]
    if not role or _PATH_SEGMENT_BAD.search(role):
        raise InputError("role: %r is not a valid role name" % role, option="role")
    if params.get("namespace") and not _DNS_LABEL.match(params["namespace"]):
        raise InputError("namespace: %r is not a valid namespace name" % params["namespace"], option="namespace")
    if params.get("role_kind") == "Role" and not params.get("namespace"):
        raise InputError("role_kind: a Role is namespaced; set namespace, or use role_kind: ClusterRole",
                         option="role_kind")
    if params.get("metrics_role") and params.get("role_kind") == "Role":
        raise InputError("metrics_role: the metrics role is a ClusterRole; use role_kind: ClusterRole",
                         option="metrics_role")
    name = params.get("binding_name") or binding_name(role)
    if _PATH_SEGMENT_BAD.search(name) or len(name) > 253:
        raise InputError("binding_name: %r is not a valid binding name" % name, option="binding_name")
    if params["state"] == "present" and not subjects(params) and not params.get("metrics_role"):
        raise InputError("users, groups, service_accounts: give at least one subject to bind %s to (or "
                         "state: absent to remove the binding)" % role, option="users")


def desired_binding(params: dict) -> Callable[[dict | None], dict]:
    """ensure_present() desired callable for the binding.

    With ``exclusive`` the subjects are exactly the given ones (live order kept when the set is equal); without
    it, given subjects are added to the live ones. ``roleRef`` is immutable: a live binding of the same name
    that refers to another role is an InputError.
    """
    namespace = params.get("namespace") or None
    name = params.get("binding_name") or binding_name(params["role"])
    wanted = subjects(params)
    role_ref = {"apiGroup": RBAC_GROUP, "kind": params.get("role_kind") or "ClusterRole", "name": params["role"]}
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"

    def build(live: dict | None) -> dict:
        metadata: dict = {"name": name}
        if namespace:
            metadata["namespace"] = namespace
        obj = {"apiVersion": RBAC_GROUP + "/v1", "kind": kind, "metadata": metadata}
        if live is None:
            obj["roleRef"] = role_ref
            obj["subjects"] = wanted
            return obj
        live_ref = live.get("roleRef") or {}
        if (live_ref.get("kind"), live_ref.get("name")) != (role_ref["kind"], role_ref["name"]):
            raise InputError(
                "binding_name: %s %s already grants %s %s, and a binding's role cannot change (asked for %s %s); "
                "choose another binding_name or remove that binding first"
                % (kind, name if not namespace else "%s/%s" % (namespace, name), live_ref.get("kind"),
                   live_ref.get("name"), role_ref["kind"], role_ref["name"]), option="binding_name")
        live_subjects = live.get("subjects") or []
        if params.get("exclusive", True):
            if sorted(map(_key, live_subjects)) == sorted(map(_key, wanted)):
                obj["subjects"] = live_subjects
            else:
                obj["subjects"] = wanted
        else:
            merged = list(live_subjects)
            have = {_key(s) for s in live_subjects}
            merged.extend(s for s in wanted if _key(s) not in have)
            obj["subjects"] = merged
        return obj

    return build


def desired_metrics_role(name: str) -> dict:
    """The ClusterRole that may read the registry metrics (seed docs: prometheus-scraper)."""
    return {
        "apiVersion": RBAC_GROUP + "/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": METRICS_RULES,
    }


def summarize_binding(obj: dict | None) -> dict | None:
    if not obj:
        return None
    meta = obj.get("metadata") or {}
    return {
        "kind": obj.get("kind"),
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "role_ref": obj.get("roleRef"),
        "subjects": obj.get("subjects") or [],
    }


def run(module: Any) -> dict:
    """The registry_access module's job."""
    from ansible_collections.ocp.registry.plugins.module_utils.ensure import ensure_absent, ensure_present

    params = module.params
    validate(params)
    namespace = params.get("namespace") or None
    res = resources.ROLEBINDING if namespace else resources.CLUSTERROLEBINDING
    name = params.get("binding_name") or binding_name(params["role"])
    out: dict = {"changed": False, "binding": None, "metrics_role": None}
    diffs: list = []
    if params["state"] == "absent":
        result = ensure_absent(module.client, res, name, namespace, check_mode=module.check_mode)
        out["changed"] = bool(result["changed"])
        return out
    if params.get("metrics_role"):
        result = ensure_present(module.client, resources.CLUSTERROLE, desired_metrics_role(params["role"]),
                                check_mode=module.check_mode, diff=module._diff)
        out["changed"] = out["changed"] or bool(result["changed"])
        role_obj = result.get("object") or {}
        out["metrics_role"] = {"name": (role_obj.get("metadata") or {}).get("name"), "rules": role_obj.get("rules")}
        if "diff" in result:
            diffs.append(result["diff"])
    if subjects(params):
        result = ensure_present(module.client, res, desired_binding(params), check_mode=module.check_mode,
                                diff=module._diff, name=name, namespace=namespace)
        out["changed"] = out["changed"] or bool(result["changed"])
        out["binding"] = summarize_binding(result.get("object"))
        if "diff" in result:
            diffs.append(result["diff"])
    if module._diff and diffs:
        out["diff"] = diffs if len(diffs) > 1 else diffs[0]
    return out
