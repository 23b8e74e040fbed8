# -*- coding: utf-8 -*-
# Copyright: ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make hosts and the cluster trust a registry's CA.

Host side: ``<certs.d>/<host[:port]>/ca.crt`` for containers/image (podman, skopeo, CRI-O) and docker, and
an anchor file in the OS trust store followed by the OS refresh command, only when the anchor changed.
Cluster side: the CA under ``host`` or ``host..port`` in a config map in openshift-config, referenced by
``images.config.openshift.io/cluster`` ``spec.additionalTrustedCA``.
"""
from __future__ import annotations

import os
import re
import shlex

from ansible_collections.ocp.registry.plugins.module_utils import pem
from ansible_collections.ocp.registry.plugins.module_utils.files import atomic_write, become_hint, make_dirs, read_or_none
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError, RegistryError

__all__ = ["OS_FAMILIES", "CERTS_D", "detect_os_family", "registry_name", "host_targets", "plan_host",
           "apply_host", "run_host", "cluster_key", "run_cluster", "run"]

FILE_MODE = 0o644
DIR_MODE = 0o755
CERTS_D = {
    "containers": "/etc/containers/certs.d",
    "docker": "/etc/docker/certs.d",
}
OS_FAMILIES = {
    "RedHat": {"anchors": "/etc/pki/ca-trust/source/anchors", "refresh": ["update-ca-trust", "extract"]},
    "Debian": {"anchors": "/usr/local/share/ca-certificates", "refresh": ["update-ca-certificates"]},
    "Suse": {"anchors": "/etc/pki/trust/anchors", "refresh": ["update-ca-certificates"]},
}
_ID_FAMILY = {
    "rhel": "RedHat", "fedora": "RedHat", "centos": "RedHat", "rocky": "RedHat", "almalinux": "RedHat",
    "ol": "RedHat", "amzn": "RedHat", "debian": "Debian", "ubuntu": "Debian", "linuxmint": "Debian",
    "raspbian": "Debian", "suse": "Suse", "sles": "Suse", "opensuse": "Suse", "opensuse-leap": "Suse",
    "opensuse-tumbleweed": "Suse", "sled": "Suse",
}
_HOST_RE = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$")
DEFAULT_CONFIG_MAP = "registry-cas"
DEFAULT_STORES = ("containers", "docker", "system")
CONFIG_NAMESPACE = "openshift-config"


# --- names -----------------------------------------------------------------------------------------
def registry_name(value, *, option="registry"):
    """Validate 'host[:port]' and return (host, port or None, directory name used under certs.d)."""
    try:
        host, port = pem.split_host_port(value)
    except ValueError as exc:
        raise InputError("%s: %s; expected 'host' or 'host:port' (no scheme, no path)" % (option, exc),
                         option=option) from None
    is_ip = pem._parse_ip(host) is not None
    if not is_ip and not _HOST_RE.match(host):
        raise InputError("%s: %r is not a host name or IP address; expected 'host' or 'host:port' "
                         "(no scheme, no path)" % (option, value), option=option)
    if is_ip and ":" in host:
        shown = "[%s]" % host
    else:
        shown = host.lower()
    dirname = shown if port is None else "%s:%d" % (shown, port)
    return host.lower(), port, dirname


def cluster_key(host, port):
    """The config map key the cluster expects: 'host' or 'host..port'."""
    return host if port is None else "%s..%d" % (host, port)


def anchor_filename(dirname):
    safe = re.sub(r"[^A-Za-z0-9.-]+", "_", dirname).strip("_")
    return "ocp-registry-%s.crt" % safe


def detect_os_family(root="/"):
    """RedHat, Debian or Suse from <root>/etc/os-release (ID, then ID_LIKE); None when unknown."""
    fields = {}
    for rel in ("etc/os-release", "usr/lib/os-release"):
        try:
            with open(os.path.join(root, rel), "r", encoding="utf-8") as f:
                for line in f:
                    if "=" in line and not line.lstrip().startswith("#"):
                        k, v = line.rstrip("\n").split("=", 1)
                        fields[k.strip()] = v.strip().strip("\"'")
            break
        except OSError:
            continue
    for token in [fields.get("ID", "")] + fields.get("ID_LIKE", "").split():
        family = _ID_FAMILY.get(token.lower())
        if family:
            return family
    return None


def _under_root(root, path):
    return os.path.join(root, path.lstrip("/")) if root not in ("", "/") else path


def host_targets(dirname, stores, *, root="/", os_family=None, anchor_name=None):
    """[(store, directory, file path, remove_empty_dir)] for the chosen trust stores."""
    targets = []
    for store in stores:
        if store in CERTS_D:
            directory = _under_root(root, os.path.join(CERTS_D[store], dirname))
            targets.append((store, directory, os.path.join(directory, "ca.crt"), True))
        elif store == "system":
            directory = _under_root(root, OS_FAMILIES[os_family]["anchors"])
            name = anchor_name or anchor_filename(dirname)
            targets.append((store, directory, os.path.join(directory, name), False))
    return targets


# --- host side -------------------------------------------------------------------------------------
def _summary(data):
    """Per certificate 'subject (sha256 fingerprint)' for diffs; fingerprints only without cryptography."""
    if data is None:
        return None
    try:
        if not pem.HAS_CRYPTOGRAPHY:
            return ["sha256 %s" % pem.der_fingerprint(der) for der in pem.der_blocks(data, option="file")]
        return ["%s (sha256 %s)" % (pem._name(c.subject), pem.fingerprint(c))
                for c in pem.load_certificates(data, option="file")]
    except InputError:
        return ["<not a PEM certificate, %d bytes>" % len(data)]


def plan_host(targets, content: bytes | None, state):
    """Actions to reach state. Each action: {store, path, directory, op: write|chmod|remove|none, rmdir, before}."""
    actions = []
    for store, directory, path, remove_empty_dir in targets:
        current = read_or_none(path)
        action = {"store": store, "path": path, "directory": directory, "before": current, "rmdir": False}
        if state == "present":
            if current != content:
                action["op"] = "write"
            elif (os.stat(path).st_mode & 0o7777) != FILE_MODE:
                action["op"] = "chmod"
            else:
                action["op"] = "none"
        else:
            action["op"] = "remove" if current is not None else "none"
            if remove_empty_dir and os.path.isdir(directory):
                left = [n for n in os.listdir(directory) if os.path.join(directory, n) != path]
                action["rmdir"] = not left
        actions.append(action)
    return actions


def apply_host(actions, content):
    for a in actions:
        if a["op"] == "write":
            make_dirs(a["directory"], DIR_MODE)
            atomic_write(a["path"], content, FILE_MODE)
        elif a["op"] == "chmod":
            os.chmod(a["path"], FILE_MODE)
        elif a["op"] == "remove":
            os.unlink(a["path"])
        if a["rmdir"]:
            try:
                os.rmdir(a["directory"])
            except OSError:  # something else appeared meanwhile: keep it
                a["rmdir"] = False


def _undo(actions):
    """Restore the files of the given actions (used when the trust store refresh fails)."""
    for a in actions:
        if a["before"] is None:
            if os.path.exists(a["path"]):
                os.unlink(a["path"])
        else:
            make_dirs(a["directory"], DIR_MODE)
            atomic_write(a["path"], a["before"], FILE_MODE)


def _refresh_command(params, family, root):
    cmd = params.get("refresh_command")
    if cmd:
        return list(cmd)
    if root not in ("", "/"):
        return None  # a test or image root: never refresh this machine's trust store
    return list(OS_FAMILIES[family]["refresh"])


def run_host(module, content, certs_warnings=()):
    params = module.params
    state = params["state"]
    host, port, dirname = registry_name(params["registry"])
    root = params.get("root") or "/"
    stores = params.get("trust_stores")
    stores = list(dict.fromkeys(DEFAULT_STORES if stores is None else stores))
    if params.get("config_map") is not None:
        raise InputError("config_map only applies to side=cluster", option="config_map")
    if not stores:
        raise InputError("trust_stores: choose at least one of containers, docker, system", option="trust_stores")
    family = None
    if "system" in stores:
        family = params.get("os_family")
        if family in (None, "auto"):
            family = detect_os_family(root)
            if family is None:
                raise InputError("os_family: cannot tell the OS family from %s; set os_family to RedHat, Debian "
                                 "or Suse, or drop 'system' from trust_stores"
                                 % _under_root(root, "/etc/os-release"), option="os_family")
    if params.get("anchor_name") and ("/" in params["anchor_name"] or not params["anchor_name"].endswith(".crt")):
        raise InputError("anchor_name must be a file name ending in .crt (update-ca-certificates ignores others)",
                         option="anchor_name")
    targets = host_targets(dirname, stores, root=root, os_family=family, anchor_name=params.get("anchor_name"))
    actions = plan_host(targets, content, state)
    changed_actions = [a for a in actions if a["op"] != "none" or a["rmdir"]]
    system_changed = [a for a in actions if a["store"] == "system" and a["op"] in ("write", "remove")]
    refresh = _refresh_command(params, family, root) if (system_changed and family) else None
    warnings = list(certs_warnings)
    if state == "present" and "docker" in stores and "containers" not in stores:
        shadow = host_targets(dirname, ["containers"], root=root)[0][1]
        if os.path.isdir(shadow) and not any(n.endswith(".crt") for n in os.listdir(shadow)):
            docker_path = next(a["path"] for a in actions if a["store"] == "docker")
            warnings.append("%s exists without a CA, so podman, skopeo and CRI-O ignore %s; add 'containers' to "
                            "trust_stores or remove that directory" % (shadow, docker_path))
    if system_changed and refresh is None:
        warnings.append("the trust store refresh was skipped because root is %s; set refresh_command to run one"
                        % root)
    refreshed = False
    if changed_actions and not module.check_mode:
        try:
            apply_host(actions, content)
        except OSError as exc:
            where = exc.filename or "the trust store"
            raise RegistryError("cannot update %s: %s%s" % (where, exc.strerror or exc, become_hint(exc))) from exc
        if refresh:
            rc, out, err = module.run_command(refresh, check_rc=False)
            if rc != 0:
                _undo(system_changed)
                raise RegistryError("the trust store refresh %r failed (rc=%d): %s; the anchor file change was "
                                    "rolled back" % (" ".join(shlex.quote(c) for c in refresh), rc,
                                                     (err or out or "").strip()[-500:]))
            refreshed = True
    result = {
        "changed": bool(changed_actions),
        "side": "host",
        "registry": dirname,
        "os_family": family,
        "refreshed": refreshed,
        "refresh_command": refresh if system_changed else None,
        "files": [{"store": a["store"], "path": a["path"],
                   "action": {"write": "written", "chmod": "mode fixed", "remove": "removed", "none": "unchanged"}[a["op"]],
                   "directory_removed": bool(a["rmdir"])} for a in actions],
    }
    for warning in warnings:
        module.warn(warning)
    if module._diff:
        before, after = {}, {}
        for a in actions:
            before[a["path"]] = _summary(a["before"])
            after[a["path"]] = _summary(content if state == "present" else None)
        result["diff"] = {"before": {"files": before}, "after": {"files": after}}
    return result


# --- cluster side ----------------------------------------------------------------------------------
def run_cluster(module, content, certs_warnings=()):
    from ansible_collections.ocp.registry.plugins.module_utils import ca_trust_cluster
    return ca_trust_cluster.run(module, content, certs_warnings)


def _load_ca(params):
    data = pem.read_input(params.get("ca"), params.get("ca_path"), option="ca", path_option="ca_path")
    if data is None:
        return None, []
    option = "ca" if params.get("ca") else "ca_path"
    if not pem.HAS_CRYPTOGRAPHY:
        ders = pem.der_blocks(data, option=option)
        return pem.der_to_pem(ders).encode("ascii"), [
            "the Python cryptography library is not available where the task runs, so %s was only checked to be "
            "PEM, not to be a valid CA certificate" % option]
    certs, warnings = pem.check_ca_bundle(data, option=option)
    return pem.to_pem(certs).encode("ascii"), warnings


def run(module):
    params = module.params
    content, warnings = (None, [])
    if params["state"] == "present":
        content, warnings = _load_ca(params)
        if content is None:
            raise InputError("state=present needs the CA: set ca (PEM text) or ca_path (a file)", option="ca")
    if params["side"] == "cluster":
        return run_cluster(module, content, warnings)
    return run_host(module, content, warnings)
