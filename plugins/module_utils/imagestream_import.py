# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""ImageStreamImport: build the request, post it, and turn its status into per-tag results.

An ImageStreamImport is create-only and stores nothing itself; with ``spec.import: true`` the server
writes the results into the stream and returns the stored stream in ``status.import``.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.errors import RegistryError

__all__ = ["ImportFailed", "image_spec", "build_import", "post_import", "parse_results", "failure_hint",
           "raise_for_failures"]


class ImportFailed(RegistryError):
    """One or more tags could not be imported; ``imports`` carries the per-tag results."""


_HINTS = (
    ("x509", "the registry's certificate is not trusted by the cluster: add its CA to the cluster's trust "
             "(image.config additionalTrustedCA), or set insecure: true on the tag only if you accept an "
             "unverified connection"),
    ("certificate", "the registry's certificate is not trusted by the cluster: add its CA to the cluster's trust, "
                    "or set insecure: true on the tag only if you accept an unverified connection"),
    ("unauthorized", "the registry refused the credentials: give a pull secret (pull_secret) with a user that may "
                     "read this repository"),
    ("authentication required", "the registry needs credentials: give a pull secret (pull_secret)"),
    ("insecure", "the registry answers only over plain HTTP or with an unverifiable certificate: set insecure: true "
                 "on the tag if you accept that"),
    ("not found", "the repository or tag does not exist in the registry: check the pull spec"),
    ("manifest unknown", "the tag or digest does not exist in the registry: check the pull spec"),
    ("blocked", "the cluster's image policy blocks this registry (image.config registrySources)"),
)


def failure_hint(reason: Optional[str], message: Optional[str]) -> Optional[str]:
    text = ("%s %s" % (reason or "", message or "")).lower()
    for needle, hint in _HINTS:
        if needle in text:
            return hint
    return None


def image_spec(from_name: str, to: Optional[str], tag_ref: Optional[dict] = None) -> dict:
    """One ``spec.images[]`` entry importing ``from_name`` into tag ``to`` with the tag's policies."""
    tag_ref = tag_ref or {}
    policy = {k: v for k, v in (tag_ref.get("importPolicy") or {}).items() if v not in (None, "")}
    entry = {"from": {"kind": "DockerImage", "name": from_name},
             "importPolicy": policy,
             "referencePolicy": {"type": (tag_ref.get("referencePolicy") or {}).get("type") or "Source"}}
    if to:
        entry["to"] = {"name": to}
    return entry


def build_import(name: str, namespace: str, images: Optional[List[dict]] = None,
                 repository: Optional[dict] = None, do_import: bool = True) -> dict:
    spec = {"import": do_import}
    if images:
        spec["images"] = images
    if repository:
        spec["repository"] = repository
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamImport",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def post_import(client, body: dict, dry_run: bool = False) -> dict:
    """POST the ImageStreamImport (create-only: after a reset or a 5xx the client simply posts it again)."""
    return client.create(R.IMAGESTREAMIMPORT, body, dry_run=dry_run)


def _one(status_entry: dict, tag: Optional[str], source: Optional[str], before: Dict[str, Optional[str]]) -> dict:
    status = status_entry.get("status") or {}
    image = status_entry.get("image") or {}
    ok = status.get("status") == "Success"
    digest = ((image.get("metadata") or {}).get("name")) if ok else None
    result = {
        "tag": tag,
        "from": source,
        "succeeded": ok,
        "digest": digest,
        "pull_spec": image.get("dockerImageReference") if ok else None,
        "previous_digest": before.get(tag) if tag else None,
        "moved": bool(ok and tag and digest and before.get(tag) != digest),
    }
    if not ok:
        result["reason"] = status.get("reason") or "Failure"
        result["message"] = status.get("message") or ""
        result["code"] = status.get("code")
        result["hint"] = failure_hint(result["reason"], result["message"])
    return result


def parse_results(isi: dict, before: Optional[Dict[str, Optional[str]]] = None) -> List[dict]:
    """Per-tag results: tag, from, succeeded, digest, pull_spec, previous_digest, moved (+ reason/message/hint)."""
    before = before or {}
    spec = isi.get("spec") or {}
    status = isi.get("status") or {}
    out = []
    for index, entry in enumerate(status.get("images") or []):
        requested = (spec.get("images") or [{}])[index] if index < len(spec.get("images") or []) else {}
        tag = ((requested.get("to") or {}).get("name")) or entry.get("tag")
        out.append(_one(entry, tag, (requested.get("from") or {}).get("name"), before))
    repo = status.get("repository")
    if repo:
        base = (((spec.get("repository") or {}).get("from") or {}).get("name")) or ""
        for entry in repo.get("images") or []:
            tag = entry.get("tag")
            out.append(_one(entry, tag, "%s:%s" % (base, tag) if tag else base, before))
        repo_status = repo.get("status") or {}
        if repo_status.get("status") == "Failure" and not repo.get("images"):
            out.append({"tag": None, "from": base, "succeeded": False, "digest": None, "pull_spec": None,
                        "previous_digest": None, "moved": False, "reason": repo_status.get("reason") or "Failure",
                        "message": repo_status.get("message") or "", "code": repo_status.get("code"),
                        "hint": failure_hint(repo_status.get("reason"), repo_status.get("message"))})
    return out


def raise_for_failures(results: List[dict], target: str, written: bool, extra: Optional[dict] = None) -> None:
    failed = [r for r in results if not r["succeeded"]]
    if not failed:
        return
    parts = []
    for r in failed:
        text = "%s from %s: %s: %s" % (r.get("tag") or "(repository)", r.get("from"), r.get("reason"),
                                       r.get("message"))
        if r.get("hint"):
            text += " (%s)" % r["hint"]
        parts.append(text)
    msg = "Import into ImageStream %s failed for %d tag(s): %s" % (target, len(failed), "; ".join(parts))
    if written:
        msg += ". The stream spec was written; fix the cause and run again (or set fail_on_import_error: false)"
    kwargs = {"imports": results, "changed": written}
    kwargs.update(extra or {})
    raise ImportFailed(msg, **kwargs)
