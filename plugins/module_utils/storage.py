# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Registry storage: backend options -> ``spec.storage``, the user credentials secret, and PVC checks."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from ansible_collections.ocp.registry.plugins.module_utils import resources
from ansible_collections.ocp.registry.plugins.module_utils.ensure import REMOVE, Required
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError, NotFound

__all__ = [
    "NAMESPACE",
    "USER_SECRET",
    "DEFAULT_CLAIM",
    "BACKENDS",
    "BACKEND_KEYS",
    "STORAGE_OPTIONS",
    "to_api",
    "chosen_backend",
    "storage_spec",
    "credential_data",
    "validate_storage",
    "validate_empty_dir",
    "claim_to_check",
    "check_claim",
    "secret_desired",
]

NAMESPACE = "openshift-image-registry"
USER_SECRET = "image-registry-private-configuration-user"
DEFAULT_CLAIM = "image-registry-storage"
TRUSTED_CA_NAMESPACE = "openshift-config"  # where s3.trustedCA config maps live
TRUSTED_CA_KEY = "ca-bundle.crt"

_DNS_SUBDOMAIN = re.compile(r"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LOWER_DASHED = re.compile(r"^[0-9a-z]+(-[0-9a-z]+)*$")
_KEY_CRN = re.compile(r"^crn:.+:.+:.+:cloud-object-storage:.+:.+:.+:resource-key:.+$")
_INSTANCE_CRN = re.compile(r"^crn:.+:.+:.+:cloud-object-storage:.+:.+:.+::$")
DURATION = re.compile(r"^(0|([0-9]+(\.[0-9]+)?(ns|us|\u00b5s|ms|s|m|h))+)$")

# option name -> API field name, or (API field name, nested mapping) for sub-dicts.
_S3 = {
    "bucket": "bucket",
    "region": "region",
    "region_endpoint": "regionEndpoint",
    "encrypt": "encrypt",
    "key_id": "keyID",
    "virtual_hosted_style": "virtualHostedStyle",
    "chunk_size_mib": "chunkSizeMiB",
    "trusted_ca": "trustedCA",  # a ConfigMap name, sent as {name: ...}
    "cloud_front": ("cloudFront", {
        "base_url": "baseURL",
        "duration": "duration",
        "keypair_id": "keypairID",
        "private_key": ("privateKey", {"name": "name", "key": "key", "optional": "optional"}),
    }),
}
_GCS = {"bucket": "bucket", "region": "region", "project_id": "projectID", "key_id": "keyID"}
_AZURE = {"account_name": "accountName", "container": "container", "cloud_name": "cloudName"}
_SWIFT = {
    "auth_url": "authURL", "auth_version": "authVersion", "container": "container", "domain": "domain",
    "domain_id": "domainID", "region_name": "regionName", "tenant": "tenant", "tenant_id": "tenantID",
}
_IBMCOS = {
    "bucket": "bucket", "location": "location", "resource_group_name": "resourceGroupName",
    "resource_key_crn": "resourceKeyCRN", "service_instance_crn": "serviceInstanceCRN",
}
_OSS = {
    "bucket": "bucket", "region": "region", "endpoint_accessibility": "endpointAccessibility",
    "encryption": ("encryption", {"method": "method", "kms": ("kms", {"key_id": "keyID"})}),
}
_PVC = {"claim": "claim"}
_EMPTY_DIR: dict = {}  # acknowledge_non_production is ours, not the API's

# Credentials: option name -> key in image-registry-private-configuration-user.
_S3_KEYS = {"access_key": "REGISTRY_STORAGE_S3_ACCESSKEY", "secret_key": "REGISTRY_STORAGE_S3_SECRETKEY"}
_GCS_KEYS = {"keyfile": "REGISTRY_STORAGE_GCS_KEYFILE"}
_AZURE_KEYS = {"account_key": "REGISTRY_STORAGE_AZURE_ACCOUNTKEY"}
_SWIFT_KEYS = {
    "username": "REGISTRY_STORAGE_SWIFT_USERNAME",
    "password": "REGISTRY_STORAGE_SWIFT_PASSWORD",
    "application_credential_id": "REGISTRY_STORAGE_SWIFT_APPLICATIONCREDENTIALID",
    "application_credential_name": "REGISTRY_STORAGE_SWIFT_APPLICATIONCREDENTIALNAME",
    "application_credential_secret": "REGISTRY_STORAGE_SWIFT_APPLICATIONCREDENTIALSECRET",
    "token_id": "REGISTRY_STORAGE_SWIFT_TOKENID",
}
_IBMCOS_KEYS = {"iam_api_key": "REGISTRY_STORAGE_IBMCOS_IAMAPIKEY"}
_OSS_KEYS = {"access_key_id": "REGISTRY_STORAGE_OSS_ACCESSKEYID",
             "access_key_secret": "REGISTRY_STORAGE_OSS_ACCESSKEYSECRET"}


class Backend:
    __slots__ = ("option", "key", "fields", "credentials")

    def __init__(self, option: str, key: str, fields: dict, credentials: dict) -> None:
        self.option = option
        self.key = key
        self.fields = fields
        self.credentials = credentials


BACKENDS = {
    "s3": Backend("s3", "s3", _S3, _S3_KEYS),
    "gcs": Backend("gcs", "gcs", _GCS, _GCS_KEYS),
    "azure": Backend("azure", "azure", _AZURE, _AZURE_KEYS),
    "swift": Backend("swift", "swift", _SWIFT, _SWIFT_KEYS),
    "ibmcos": Backend("ibmcos", "ibmcos", _IBMCOS, _IBMCOS_KEYS),
    "oss": Backend("oss", "oss", _OSS, _OSS_KEYS),
    "pvc": Backend("pvc", "pvc", _PVC, {}),
    "empty_dir": Backend("empty_dir", "emptyDir", _EMPTY_DIR, {}),
}
BACKEND_KEYS = tuple(b.key for b in BACKENDS.values())


def _opt(type_: str, **kw: Any) -> dict:
    kw["type"] = type_
    return kw


def _secret() -> dict:
    return {"type": "str", "no_log": True}


# Argument spec of the ``storage`` option (suboptions).
STORAGE_OPTIONS = {
    "management_state": _opt("str", choices=["Managed", "Unmanaged"]),
    "s3": _opt("dict", options={
        "bucket": _opt("str"), "region": _opt("str"), "region_endpoint": _opt("str"),
        "encrypt": _opt("bool"), "key_id": _opt("str", no_log=False), "virtual_hosted_style": _opt("bool"),
        "chunk_size_mib": _opt("int"), "trusted_ca": _opt("str", aliases=["trust"]),
        "cloud_front": _opt("dict", options={
            "base_url": _opt("str", required=True), "duration": _opt("str"),
            "keypair_id": _opt("str", required=True, no_log=False),
            "private_key": _opt("dict", required=True, no_log=False, options={
                "name": _opt("str", required=True), "key": _opt("str", required=True, no_log=False),
                "optional": _opt("bool"),
            }),
        }),
        "access_key": _secret(), "secret_key": _secret(),
    }, required_together=[["access_key", "secret_key"]]),
    "gcs": _opt("dict", options={
        "bucket": _opt("str"), "region": _opt("str"), "project_id": _opt("str"), "key_id": _opt("str", no_log=False),
        "keyfile": _secret(),
    }),
    "azure": _opt("dict", options={
        "account_name": _opt("str"), "container": _opt("str"), "cloud_name": _opt("str"),
        "account_key": _secret(),
    }),
    "swift": _opt("dict", options={
        "auth_url": _opt("str"), "auth_version": _opt("str"), "container": _opt("str"), "domain": _opt("str"),
        "domain_id": _opt("str"), "region_name": _opt("str"), "tenant": _opt("str"), "tenant_id": _opt("str"),
        "username": _opt("str"), "password": _secret(),
        "application_credential_id": _opt("str"), "application_credential_name": _opt("str"),
        "application_credential_secret": _secret(), "token_id": _secret(),
    }, required_together=[
        ["username", "password"],
        ["application_credential_id", "application_credential_name", "application_credential_secret"],
    ], mutually_exclusive=[["username", "application_credential_id", "token_id"]]),
    "ibmcos": _opt("dict", options={
        "bucket": _opt("str"), "location": _opt("str"), "resource_group_name": _opt("str"),
        "resource_key_crn": _opt("str", no_log=False), "service_instance_crn": _opt("str"), "iam_api_key": _secret(),
    }),
    "oss": _opt("dict", options={
        "bucket": _opt("str"), "region": _opt("str"),
        "endpoint_accessibility": _opt("str", choices=["Internal", "Public"]),
        "encryption": _opt("dict", options={
            "method": _opt("str", choices=["KMS", "AES256"]),
            "kms": _opt("dict", options={"key_id": _opt("str", required=True, no_log=False)}),
        }),
        "access_key_id": _opt("str", no_log=True), "access_key_secret": _secret(),
    }, required_together=[["access_key_id", "access_key_secret"]]),
    "pvc": _opt("dict", options={"claim": _opt("str", default="")}),
    "empty_dir": _opt("dict", options={"acknowledge_non_production": _opt("bool", default=False)}),
}
STORAGE_MUTUALLY_EXCLUSIVE = [list(BACKENDS)]


def to_api(value: dict | None, mapping: dict) -> dict:
    """Options dict -> API dict via ``mapping``; None values are left out (they are "not managed")."""
    out: dict = {}
    for option, target in mapping.items():
        item = (value or {}).get(option)
        if item is None:
            continue
        if isinstance(target, tuple):
            out[target[0]] = to_api(item, target[1])
        elif option == "trusted_ca":
            out[target] = {"name": item}
        else:
            out[target] = item
    return out


def chosen_backend(storage: dict | None) -> Backend | None:
    """The one backend the options name (the argspec guarantees at most one)."""
    for name, backend in BACKENDS.items():
        if (storage or {}).get(name) is not None:
            return backend
    return None


def storage_spec(storage: dict | None, live_storage: dict | None) -> dict | None:
    """Desired ``spec.storage`` for the options, given the live one; None when storage is not managed.

    A backend switch sets every other live backend key to REMOVE, so one merge patch (with nulls) removes it.
    An empty ``pvc.claim`` means "the operator's default claim": it matches a live claim that is empty or
    ``image-registry-storage``; any other live claim is reset to empty.
    """
    if storage is None:
        return None
    live_storage = live_storage or {}
    out: dict = {}
    if storage.get("management_state") is not None:
        out["managementState"] = storage["management_state"]
    backend = chosen_backend(storage)
    if backend is None:
        return out or None
    body = to_api(storage[backend.option], backend.fields)
    if backend.option == "pvc" and not body.get("claim"):
        body.pop("claim", None)
        live_claim = (live_storage.get("pvc") or {}).get("claim") or ""
        if live_claim not in ("", DEFAULT_CLAIM):
            body["claim"] = ""
    out[backend.key] = Required(body)  # the key selects the backend, even as {} (emptyDir, default pvc)
    for key in BACKEND_KEYS:
        if key != backend.key and key in live_storage:
            out[key] = REMOVE
    return out


def credential_data(storage: dict | None) -> dict | None:
    """``{secret key: value}`` for the chosen backend's credential options; None when none is given."""
    backend = chosen_backend(storage)
    if backend is None or not backend.credentials:
        return None
    opts = storage[backend.option] or {}
    data = {key: opts[option] for option, key in backend.credentials.items() if opts.get(option) is not None}
    return data or None


def _bad(option: str, msg: str) -> InputError:
    return InputError("storage.%s: %s" % (option, msg), option="storage.%s" % option)


def validate_storage(storage: dict | None) -> None:
    """Checks that need no API call; raises InputError naming the option and the fix."""
    backend = chosen_backend(storage)
    if backend is None:
        return
    opts = storage[backend.option] or {}
    if backend.option == "s3":
        if opts.get("key_id") and opts.get("encrypt") is not True:
            raise _bad("s3.key_id", "a KMS key_id is only used with encryption; set storage.s3.encrypt: true "
                       "or remove storage.s3.key_id")
        size = opts.get("chunk_size_mib")
        if size is not None and not 5 <= size <= 5120:
            raise _bad("s3.chunk_size_mib", "must be between 5 and 5120 (MiB), got %s" % size)
        if opts.get("trusted_ca") and not _DNS_SUBDOMAIN.match(opts["trusted_ca"]):
            raise _bad("s3.trusted_ca", "%r is not a valid ConfigMap name (lower case DNS subdomain)"
                       % opts["trusted_ca"])
        front = opts.get("cloud_front") or {}
        if front.get("duration") and not DURATION.match(front["duration"]):
            raise _bad("s3.cloud_front.duration", "%r is not a duration such as 20m or 1h30m" % front["duration"])
    elif backend.option == "gcs" and opts.get("keyfile") is not None:
        try:
            parsed = json.loads(opts["keyfile"])
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise _bad("gcs.keyfile", "must be the JSON content of a GCP service account key file (for example "
                       "\"{{ lookup('file', 'key.json') }}\"), not a path or other text")
    elif backend.option == "azure":
        if opts.get("container") and not _LOWER_DASHED.match(opts["container"]):
            raise _bad("azure.container", "%r is not a valid container name: use lower case letters, digits "
                       "and single dashes" % opts["container"])
        if opts.get("account_key") == "":
            raise _bad("azure.account_key", "must not be empty (the operator rejects an empty account key)")
    elif backend.option == "ibmcos":
        if opts.get("resource_key_crn") and not _KEY_CRN.match(opts["resource_key_crn"]):
            raise _bad("ibmcos.resource_key_crn", "must look like crn:...:cloud-object-storage:...:resource-key:...")
        if opts.get("service_instance_crn") and not _INSTANCE_CRN.match(opts["service_instance_crn"]):
            raise _bad("ibmcos.service_instance_crn", "must look like crn:...:cloud-object-storage:...::")
    elif backend.option == "oss":
        if opts.get("bucket") and not _LOWER_DASHED.match(opts["bucket"]):
            raise _bad("oss.bucket", "%r is not a valid bucket name: use lower case letters, digits and single "
                       "dashes" % opts["bucket"])
        encryption = opts.get("encryption") or {}
        if encryption.get("kms") and encryption.get("method") != "KMS":
            raise _bad("oss.encryption.kms", "is only used with storage.oss.encryption.method: KMS")
    for option, key in backend.credentials.items():
        if opts.get(option) == "":
            raise _bad("%s.%s" % (backend.option, option), "must not be empty")


def validate_empty_dir(storage: dict | None, replicas: int | None) -> None:
    """emptyDir is for non-production clusters and one replica only (the operator does not enforce this)."""
    opts = (storage or {}).get("empty_dir")
    if opts is None:
        return
    if not opts.get("acknowledge_non_production"):
        raise _bad("empty_dir", "emptyDir storage loses every image when the registry pod restarts and is only "
                   "for non-production clusters; set storage.empty_dir.acknowledge_non_production: true to "
                   "confirm, or use pvc or an object storage backend")
    if replicas != 1:
        raise InputError(
            "replicas: emptyDir storage supports exactly 1 replica (each pod would keep its own images), but "
            "the registry would run %s; set replicas: 1" % replicas, option="replicas")


def claim_to_check(storage: dict | None, live_storage: dict | None, replicas_or_rollout_given: bool) -> str | None:
    """Name of the PVC to read for the access-mode checks, or None (no API call needed).

    A claim named in the options is always checked. When the task leaves storage alone but sets replicas
    or rollout_strategy, the live claim is checked too (the operator does not re-check it then).
    An empty claim means the operator creates ``image-registry-storage`` as ReadWriteMany: nothing to check.
    """
    if storage is not None and storage.get("pvc") is not None:
        return storage["pvc"].get("claim") or None
    if chosen_backend(storage) is not None or not replicas_or_rollout_given:
        return None
    return ((live_storage or {}).get("pvc") or {}).get("claim") or None


def check_claim(client: Any, claim: str, replicas: int | None, rollout: str | None) -> dict:
    """Read the claim and apply the operator's access-mode rules before anything is written."""
    try:
        pvc = client.get(resources.PERSISTENTVOLUMECLAIM, claim, namespace=NAMESPACE)
    except NotFound:
        raise InputError(
            "storage.pvc.claim: PersistentVolumeClaim %s/%s does not exist; create it first, or leave "
            "storage.pvc.claim empty so the operator creates %s (ReadWriteMany)" % (NAMESPACE, claim, DEFAULT_CLAIM),
            option="storage.pvc.claim")
    modes = set((pvc.get("spec") or {}).get("accessModes") or []) | set((pvc.get("status") or {}).get("accessModes") or [])
    if "ReadWriteMany" in modes:
        return pvc
    if "ReadWriteOnce" not in modes:
        raise InputError(
            "storage.pvc.claim: PersistentVolumeClaim %s/%s has access modes %s; the registry needs ReadWriteMany "
            "(or ReadWriteOnce with 1 replica)" % (NAMESPACE, claim, sorted(modes) or "none"),
            option="storage.pvc.claim")
    if replicas is not None and replicas > 1:
        raise InputError(
            "replicas: PersistentVolumeClaim %s/%s is ReadWriteOnce, which supports only 1 replica; set replicas: 1 "
            "and rollout_strategy: Recreate, or use a ReadWriteMany claim for a highly available registry "
            "(%s replicas)" % (NAMESPACE, claim, replicas), option="replicas")
    if rollout != "Recreate":
        raise InputError(
            "rollout_strategy: PersistentVolumeClaim %s/%s is ReadWriteOnce, so the registry must use "
            "rollout_strategy: Recreate (it would be %s)" % (NAMESPACE, claim, rollout or "RollingUpdate (default)"),
            option="rollout_strategy")
    return pvc


def check_trusted_ca(client: Any, storage: dict | None, live_storage: dict | None) -> None:
    """A new ``s3.trusted_ca`` must name a ConfigMap in openshift-config with a ``ca-bundle.crt`` key; one GET,
    and only when the name differs from the live one (a no-op run stays one GET of the Config)."""
    wanted = ((storage or {}).get("s3") or {}).get("trusted_ca")
    live = ((((live_storage or {}).get("s3") or {}).get("trustedCA")) or {}).get("name")
    if not wanted or wanted == live:
        return
    option = "storage.s3.trusted_ca"
    try:
        cm = client.get(resources.CONFIGMAP, wanted, namespace=TRUSTED_CA_NAMESPACE)
    except NotFound:
        raise InputError(
            "%s: ConfigMap %s/%s does not exist; create it with the endpoint's CA bundle under the key %s first"
            % (option, TRUSTED_CA_NAMESPACE, wanted, TRUSTED_CA_KEY), option=option) from None
    if TRUSTED_CA_KEY not in (cm.get("data") or {}):
        raise InputError(
            "%s: ConfigMap %s/%s has no %s key (keys: %s); put the endpoint's CA bundle under %s"
            % (option, TRUSTED_CA_NAMESPACE, wanted, TRUSTED_CA_KEY, sorted(cm.get("data") or {}) or "none",
               TRUSTED_CA_KEY), option=option)


def _b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def secret_desired(data: dict):
    """ensure() desired callable for the user credentials secret: exactly ``data``, stale keys removed."""
    encoded = {key: _b64(value) for key, value in data.items()}

    def build(live: dict | None) -> dict:
        body = dict(encoded)
        for key in ((live or {}).get("data") or {}):
            if key not in body:
                body[key] = REMOVE
        obj = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": USER_SECRET, "namespace": NAMESPACE},
            "data": body,
        }
        if live is None:
            obj["type"] = "Opaque"
        return obj

    return build
