"""Storage drivers of the simulated Image Registry Operator (operator-behavior.md §2 and §4).

No cloud is contacted. Cloud object stores (S3 buckets, GCS buckets, Azure containers, Swift
containers, IBM COS buckets) live in a per-simulator `SimCloud`, so "the operator created the
bucket" (storage Managed) and "the user brought an existing bucket" (Unmanaged) can both be modelled.
PVCs are real API objects in the simulator.
"""
from __future__ import annotations

import configparser
import io
import re
import secrets as pysecrets
from typing import Any

from .common import (OPERAND_NS, PVCS, SECRETS, SyncError, delete_ignore, get_or_none)

BACKENDS = ("emptyDir", "s3", "gcs", "swift", "pvc", "azure", "ibmcos")
DEFAULT_PVC = "image-registry-storage"
OWNED_ANNOTATION = "imageregistry.openshift.io"
USER_SECRET = "image-registry-private-configuration-user"
CLOUD_SECRET = "installer-cloud-credentials"
PRIVATE_SECRET = "image-registry-private-configuration"


class SimCloud:
    """Object-store containers that exist "in the cloud", per backend."""

    def __init__(self, existing: dict | None = None):
        self.containers: dict[str, set[str]] = {b: set() for b in BACKENDS}
        for backend, names in (existing or {}).items():
            self.containers.setdefault(backend, set()).update(names)

    def exists(self, backend: str, name: str) -> bool:
        return bool(name) and name in self.containers.get(backend, set())

    def create(self, backend: str, name: str) -> None:
        self.containers.setdefault(backend, set()).add(name)

    def delete(self, backend: str, name: str) -> None:
        self.containers.get(backend, set()).discard(name)


def configured_backends(storage: dict | None) -> list[str]:
    storage = storage or {}
    return [b for b in BACKENDS if storage.get(b) is not None]


def platform_defaults(platform_type: str, swift_ok: bool = True) -> tuple[dict, int, str]:
    """(spec.storage, replicas, managementState) chosen at bootstrap (§2 table)."""
    p = platform_type
    if p == "AWS":
        return {"s3": {}}, 2, "Managed"
    if p == "Azure":
        return {"azure": {}}, 2, "Managed"
    if p == "GCP":
        return {"gcs": {}}, 2, "Managed"
    if p in ("IBMCloud", "PowerVS"):
        return {"ibmcos": {}}, 2, "Managed"
    if p == "OpenStack":
        if swift_ok:
            return {"swift": {}}, 2, "Managed"
        return {"pvc": {"claim": DEFAULT_PVC}}, 1, "Managed"
    if p == "oVirt":
        return {"pvc": {"claim": DEFAULT_PVC}}, 1, "Managed"
    if p in ("BareMetal", "VSphere", "None", "Nutanix", "KubeVirt", "EquinixMetal", "AlibabaCloud", "External"):
        return {}, 1, "Removed"
    return {"emptyDir": {}}, 1, "Managed"


def s3_bucket_name(infra_name: str, region: str) -> str:
    name = f"{infra_name}-image-registry-{region}".lower()
    name = re.sub(r"-+", "-", name)[:62]
    if name.endswith("-"):
        name = name[:-1] + "s"
    return name


def generated_name(infra_name: str, region: str = "") -> str:
    base = f"{infra_name}-image-registry" + (f"-{region}" if region else "")
    base = re.sub(r"-+", "-", base.lower())
    rnd = pysecrets.token_hex(32)
    name = f"{base}-{rnd}"[:62]
    return name.rstrip("-") or name


def azure_account_name(infra_name: str) -> str:
    alnum = re.sub(r"[^A-Za-z0-9]", "", infra_name)
    return (("imageregistry" + alnum)[:19] + pysecrets.token_hex(3)[:5]).lower()


def _b64dec(data: dict | None, key: str) -> str | None:
    import base64
    if not data or key not in data:
        return None
    try:
        return base64.b64decode(data[key]).decode("utf-8", "replace")
    except (ValueError, TypeError):
        return None


def _missing_key(secret: str, key: str) -> SyncError:
    return SyncError(f'secret "{OPERAND_NS}/{secret}" does not contain required key "{key}"')


class Credentials:
    """Reads the user override secret or the installer/CCO secret (§4 table)."""

    def __init__(self, api):
        self.api = api
        self.user = get_or_none(api, SECRETS, OPERAND_NS, USER_SECRET)
        self._cloud = None
        self._cloud_read = False

    def cloud(self) -> dict:
        if not self._cloud_read:
            self._cloud = get_or_none(self.api, SECRETS, OPERAND_NS, CLOUD_SECRET)
            self._cloud_read = True
        if self._cloud is None:
            raise SyncError(f'unable to get cluster minted credentials "{OPERAND_NS}/{CLOUD_SECRET}": '
                            f'secrets "{CLOUD_SECRET}" not found')
        return self._cloud

    def user_keys(self, *keys: str, nonempty: bool = False) -> dict:
        data = self.user.get("data") or {}
        out = {}
        for k in keys:
            v = _b64dec(data, k)
            if v is None or (nonempty and not v):
                raise _missing_key(USER_SECRET, k)
            out[k] = v
        return out

    def cloud_keys(self, *keys: str) -> dict:
        data = self.cloud().get("data") or {}
        out = {}
        for k in keys:
            v = _b64dec(data, k)
            if v is None:
                raise _missing_key(CLOUD_SECRET, k)
            out[k] = v
        return out


def _ini(access: str, secret: str) -> str:
    return f"[default]\naws_access_key_id = {access}\naws_secret_access_key = {secret}\n"


def s3_credentials(creds: Credentials) -> tuple[str, str]:
    if creds.user is not None:
        k = creds.user_keys("REGISTRY_STORAGE_S3_ACCESSKEY", "REGISTRY_STORAGE_S3_SECRETKEY")
        return k["REGISTRY_STORAGE_S3_ACCESSKEY"], k["REGISTRY_STORAGE_S3_SECRETKEY"]
    data = creds.cloud().get("data") or {}
    ini = _b64dec(data, "credentials")
    if ini is not None:
        parser = configparser.ConfigParser()
        try:
            parser.read_file(io.StringIO(ini))
            sect = parser["default"]
            return sect["aws_access_key_id"], sect["aws_secret_access_key"]
        except (configparser.Error, KeyError):
            raise SyncError(f'secret "{OPERAND_NS}/{CLOUD_SECRET}" has an invalid "credentials" key: '
                            f'no [default] aws_access_key_id/aws_secret_access_key') from None
    k = creds.cloud_keys("aws_access_key_id", "aws_secret_access_key")
    return k["aws_access_key_id"], k["aws_secret_access_key"]


def private_secret_data(backend: str, creds: Credentials, infra: dict) -> dict[str, str]:
    """String data of `image-registry-private-configuration` for the backend (§4)."""
    if backend == "s3":
        access, secret = s3_credentials(creds)
        return {"credentials": _ini(access, secret)}
    if backend == "gcs":
        if creds.user is not None:
            return {"REGISTRY_STORAGE_GCS_KEYFILE": creds.user_keys("REGISTRY_STORAGE_GCS_KEYFILE")[
                "REGISTRY_STORAGE_GCS_KEYFILE"]}
        return {"REGISTRY_STORAGE_GCS_KEYFILE": creds.cloud_keys("service_account.json")["service_account.json"]}
    if backend == "azure":
        if creds.user is not None:
            key = creds.user_keys("REGISTRY_STORAGE_AZURE_ACCOUNTKEY", nonempty=True)
            return {"REGISTRY_STORAGE_AZURE_ACCOUNTKEY": key["REGISTRY_STORAGE_AZURE_ACCOUNTKEY"]}
        creds.cloud_keys("azure_subscription_id", "azure_client_id", "azure_tenant_id", "azure_region")
        # The operator looks the account key up with the service principal; the simulator derives one.
        return {"REGISTRY_STORAGE_AZURE_ACCOUNTKEY": "c2ltdWxhdGVkLWFjY291bnQta2V5"}
    if backend == "swift":
        keys = ["USERNAME", "PASSWORD", "TOKENID", "APPLICATIONCREDENTIALID", "APPLICATIONCREDENTIALNAME",
                "APPLICATIONCREDENTIALSECRET"]
        out = {f"REGISTRY_STORAGE_SWIFT_{k}": "" for k in keys}
        if creds.user is not None:
            data = creds.user.get("data") or {}
            have = {k: _b64dec(data, f"REGISTRY_STORAGE_SWIFT_{k}") for k in keys}
            if have["USERNAME"] is not None and have["PASSWORD"] is not None:
                pick = ("USERNAME", "PASSWORD")
            elif all(have[k] is not None for k in ("APPLICATIONCREDENTIALID", "APPLICATIONCREDENTIALNAME",
                                                   "APPLICATIONCREDENTIALSECRET")):
                pick = ("APPLICATIONCREDENTIALID", "APPLICATIONCREDENTIALNAME", "APPLICATIONCREDENTIALSECRET")
            elif have["TOKENID"] is not None:
                pick = ("TOKENID",)
            else:
                missing = "REGISTRY_STORAGE_SWIFT_USERNAME" if have["USERNAME"] is None else \
                    "REGISTRY_STORAGE_SWIFT_PASSWORD"
                raise _missing_key(USER_SECRET, missing)
            for k in pick:
                out[f"REGISTRY_STORAGE_SWIFT_{k}"] = have[k]
            return out
        clouds = creds.cloud_keys("clouds.yaml")["clouds.yaml"]
        user = re.search(r"username:\s*['\"]?([^'\"\n]+)", clouds)
        pw = re.search(r"password:\s*['\"]?([^'\"\n]+)", clouds)
        out["REGISTRY_STORAGE_SWIFT_USERNAME"] = user.group(1).strip() if user else ""
        out["REGISTRY_STORAGE_SWIFT_PASSWORD"] = pw.group(1).strip() if pw else ""
        return out
    if backend == "ibmcos":
        if creds.user is not None:
            creds.user_keys("REGISTRY_STORAGE_IBMCOS_IAMAPIKEY")
        else:
            creds.cloud_keys("ibmcloud_api_key")
        # HMAC keys of the service credential the operator creates (simulated, stable per bucket).
        return {"credentials": _ini("sim-hmac-access-key", "sim-hmac-secret-key")}
    return {}


def _infra_region(infra: dict, key: str) -> str:
    ps = ((infra.get("status") or {}).get("platformStatus") or {})
    return ((ps.get(key) or {}).get("region") or "")


class StorageResult:
    def __init__(self):
        self.conditions: list[tuple[str, str, str, str]] = []   # (type, status, reason, message)

    def cond(self, ctype: str, status: str, reason: str, message: str) -> None:
        self.conditions.append((ctype, status, reason, message))


def storage_exists(api, cloud: SimCloud, backend: str, cfg: dict) -> bool:
    """`StorageExists` of the driver: the configured bucket/container/PVC exists."""
    spec_b = ((cfg.get("spec") or {}).get("storage") or {}).get(backend) or {}
    if backend == "emptyDir":
        return True
    if backend == "pvc":
        claim = spec_b.get("claim")
        return bool(claim) and get_or_none(api, PVCS, OPERAND_NS, claim) is not None
    name = _container_name(backend, spec_b)
    return cloud.exists(backend, name)


def _container_name(backend: str, conf: dict) -> str:
    if backend in ("s3", "gcs", "ibmcos"):
        return conf.get("bucket") or ""
    return conf.get("container") or ""


def create_storage(api, cloud: SimCloud, backend: str, cfg: dict, infra: dict, creds: Credentials,
                   result: StorageResult) -> None:
    """The driver's CreateStorage: validates, creates what is missing, fills names into spec.storage.

    Mutates cfg["spec"]["storage"]. Raises SyncError on failure (non-permanent).
    """
    spec = cfg.setdefault("spec", {})
    storage = spec.setdefault("storage", {})
    conf = storage.setdefault(backend, {}) or {}
    storage[backend] = conf
    infra_name = ((infra.get("status") or {}).get("infrastructureName") or "cluster")
    if backend == "emptyDir":
        storage["managementState"] = "Managed"
        result.cond("StorageExists", "True", "Creation Successful", "EmptyDir storage successfully created")
        return
    if backend == "pvc":
        _create_pvc(api, cfg, conf, result)
        return
    # Cloud backends: credentials are needed to reach the object store.
    private_secret_data(backend, creds, infra)
    if backend == "s3":
        if not conf.get("region") and not conf.get("regionEndpoint"):
            region = _infra_region(infra, "aws")
            aws = ((infra.get("status") or {}).get("platformStatus") or {}).get("aws") or {}
            for ep in aws.get("serviceEndpoints") or []:
                if ep.get("name") == "s3" and ep.get("url"):
                    # a custom endpoint switches to virtual-hosted style
                    conf["regionEndpoint"] = ep["url"]
                    conf["virtualHostedStyle"] = True
            if not region:
                raise SyncError("unable to determine the S3 region: spec.storage.s3.region is empty and the "
                                "Infrastructure has no AWS region")
            conf["region"] = region
        if not conf.get("bucket"):
            conf["bucket"] = s3_bucket_name(infra_name, conf.get("region") or "")
        label = "S3 Bucket"
    elif backend == "gcs":
        if not conf.get("region"):
            conf["region"] = _infra_region(infra, "gcp") or "us-central1"
        gcp = ((infra.get("status") or {}).get("platformStatus") or {}).get("gcp") or {}
        if not conf.get("projectID") and gcp.get("projectID"):
            conf["projectID"] = gcp["projectID"]
        if not conf.get("bucket"):
            conf["bucket"] = generated_name(infra_name, conf["region"])
        label = "GCS Bucket"
    elif backend == "azure":
        if not conf.get("accountName"):
            conf["accountName"] = azure_account_name(infra_name)
        if not conf.get("container"):
            conf["container"] = generated_name(infra_name)
        label = "Azure Container"
    elif backend == "swift":
        if not conf.get("container"):
            conf["container"] = generated_name(infra_name)
        label = "Swift Container"
    else:  # ibmcos
        if not conf.get("location"):
            conf["location"] = _infra_region(infra, "ibmcloud") or "us-east"
        if not conf.get("bucket"):
            conf["bucket"] = generated_name(infra_name, conf["location"])
        label = "IBM COS Bucket"
    name = _container_name(backend, conf)
    if cloud.exists(backend, name):
        # The user brought an existing, accessible container: not ours to delete.
        storage["managementState"] = "Unmanaged"
        result.cond("StorageExists", "True", f"{label} Exists", f"{label} {name} exists")
    else:
        cloud.create(backend, name)
        storage["managementState"] = "Managed"
        result.cond("StorageExists", "True", "Creation Successful", f"{label} {name} was successfully created")
    if backend in ("s3", "gcs", "ibmcos", "azure"):
        result.cond("StorageEncrypted", "True", "Encryption Successful",
                    "Default encryption was successfully enabled on the storage")
    if backend in ("s3", "ibmcos"):
        result.cond("StorageTagged", "True", "Tagging Successful", "UserTags were successfully applied")
    if backend == "s3":
        result.cond("StoragePublicAccessBlocked", "True", "Public Access Block Successful",
                    "Public access to the S3 bucket and its contents have been successfully blocked.")
        result.cond("StorageIncompleteUploadCleanupEnabled", "True", "Enable Cleanup Successful",
                    "Default cleanup of incomplete multipart uploads after one (1) day was successfully enabled")
    if backend == "gcs":
        result.cond("StorageLabeled", "True", "Labeling Successful", "Labels were successfully applied")


def _create_pvc(api, cfg: dict, conf: dict, result: StorageResult) -> None:
    spec = cfg["spec"]
    storage = spec["storage"]
    claim = conf.get("claim") or ""
    if not claim:
        claim = DEFAULT_PVC
        live = get_or_none(api, PVCS, OPERAND_NS, claim)
        if live is None:
            body = {
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim, "namespace": OPERAND_NS,
                             "annotations": {OWNED_ANNOTATION: "true"}},
                "spec": {"accessModes": ["ReadWriteMany"],
                         "resources": {"requests": {"storage": "100Gi"}}},
            }
            live = api.create(PVCS, OPERAND_NS, body)
            result.cond("StorageExists", "True", "PVC Created", f"Successfully created PVC {claim}")
            created = True
        elif (live.get("metadata", {}).get("annotations") or {}).get(OWNED_ANNOTATION) != "true":
            msg = "could not create default PVC, it already exists and is not owned by the operator"
            result.cond("StorageExists", "False", "PVC Already Exists", msg)
            raise SyncError(msg)
        else:
            created = False
        conf["claim"] = claim
        storage["managementState"] = "Managed"
    else:
        live = get_or_none(api, PVCS, OPERAND_NS, claim)
        if live is None:
            msg = f'persistentvolumeclaims "{claim}" not found'
            result.cond("StorageExists", "False", "PVC Issues Found", msg)
            raise SyncError(msg)
        created = False
        owned = (live.get("metadata", {}).get("annotations") or {}).get(OWNED_ANNOTATION) == "true"
        storage["managementState"] = "Managed" if owned else "Unmanaged"
    modes = (live.get("spec") or {}).get("accessModes") or []
    err = None
    if "ReadWriteMany" in modes:
        pass
    elif "ReadWriteOnce" in modes:
        if int(spec.get("replicas") or 0) > 1:
            err = "cannot use ReadWriteOnce access mode with more than one replica of the image registry"
        elif spec.get("rolloutStrategy") != "Recreate":
            err = f"cannot use ReadWriteOnce access mode with {spec.get('rolloutStrategy') or ''} rollout strategy"
    else:
        err = f"PVC {claim} does not contain the necessary access modes: ReadWriteMany or ReadWriteOnce"
    if err:
        result.cond("StorageExists", "False", "PVC Issues Found", err)
        raise SyncError(err)
    if not created:
        result.cond("StorageExists", "True", "PVC Exists", f"PVC {claim} exists")


def remove_storage(api, cloud: SimCloud, cfg: dict, result: StorageResult) -> None:
    """RemoveStorage for the backend recorded in status.storage; only what the operator owns."""
    status_storage = ((cfg.get("status") or {}).get("storage") or {})
    managed = ((cfg.get("spec") or {}).get("storage") or {}).get("managementState") == "Managed"
    for backend in configured_backends(status_storage):
        conf = status_storage.get(backend) or {}
        if backend == "emptyDir":
            continue
        if backend == "pvc":
            claim = conf.get("claim")
            if managed and claim:
                delete_ignore(api, PVCS, OPERAND_NS, claim)
                result.cond("StorageExists", "False", "PVC Deleted", f"PVC {claim} was deleted")
            continue
        name = _container_name(backend, conf)
        if managed and name:
            cloud.delete(backend, name)
            result.cond("StorageExists", "False", "Storage Deleted", f"{backend} storage {name} was deleted")


def storage_env(backend: str, conf: dict, spec: dict) -> list[dict]:
    """Non-secret env of the registry container for the backend (§4)."""
    def e(name: str, value: Any) -> dict:
        return {"name": name, "value": str(value)}

    def from_secret(name: str) -> dict:
        return {"name": name, "valueFrom": {"secretKeyRef": {"name": PRIVATE_SECRET, "key": name}}}

    if backend in ("pvc", "emptyDir"):
        return [e("REGISTRY_STORAGE", "filesystem"),
                e("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", "/registry")]
    if backend in ("s3", "ibmcos"):
        out = [e("REGISTRY_STORAGE", "s3"), e("REGISTRY_STORAGE_S3_BUCKET", conf.get("bucket", ""))]
        if backend == "s3":
            out += [e("REGISTRY_STORAGE_S3_REGION", conf.get("region", "")),
                    e("REGISTRY_STORAGE_S3_ENCRYPT", "true"),
                    e("REGISTRY_STORAGE_S3_FORCEPATHSTYLE",
                      "false" if conf.get("virtualHostedStyle") else "true")]
            if conf.get("regionEndpoint"):
                out.append(e("REGISTRY_STORAGE_S3_REGIONENDPOINT", conf["regionEndpoint"]))
            if conf.get("keyID"):
                out.append(e("REGISTRY_STORAGE_S3_KEYID", conf["keyID"]))
            chunk = conf.get("chunkSizeMiB")
            if isinstance(chunk, int) and 5 <= chunk <= 5120:
                out.append(e("REGISTRY_STORAGE_S3_CHUNKSIZE", chunk * 1024 * 1024))
        else:
            out += [e("REGISTRY_STORAGE_S3_REGION", conf.get("location", "")),
                    e("REGISTRY_STORAGE_S3_REGIONENDPOINT",
                      f"https://s3.{conf.get('location', '')}.cloud-object-storage.appdomain.cloud"),
                    e("REGISTRY_STORAGE_S3_ENCRYPT", "false")]
        out += [e("REGISTRY_STORAGE_S3_CREDENTIALSCONFIGPATH", "/var/run/secrets/cloud/credentials"),
                e("REGISTRY_STORAGE_S3_VIRTUALHOSTEDSTYLE", "true" if conf.get("virtualHostedStyle") else "false")]
        return out
    if backend == "gcs":
        return [e("REGISTRY_STORAGE", "gcs"), e("REGISTRY_STORAGE_GCS_BUCKET", conf.get("bucket", "")),
                e("REGISTRY_STORAGE_GCS_KEYFILE", "/gcs/keyfile")]
    if backend == "azure":
        return [e("REGISTRY_STORAGE", "azure"), e("REGISTRY_STORAGE_AZURE_CONTAINER", conf.get("container", "")),
                e("REGISTRY_STORAGE_AZURE_ACCOUNTNAME", conf.get("accountName", "")),
                e("REGISTRY_STORAGE_AZURE_REALM", "core.windows.net"),
                from_secret("REGISTRY_STORAGE_AZURE_ACCOUNTKEY")]
    if backend == "swift":
        out = [e("REGISTRY_STORAGE", "swift"), e("REGISTRY_STORAGE_SWIFT_CONTAINER", conf.get("container", "")),
               e("REGISTRY_STORAGE_SWIFT_AUTHURL", conf.get("authURL", "")),
               e("REGISTRY_STORAGE_SWIFT_AUTHVERSION", conf.get("authVersion") or "3")]
        for k in ("domain", "domainID", "tenant", "tenantID", "regionName"):
            if conf.get(k):
                out.append(e(f"REGISTRY_STORAGE_SWIFT_{k.upper()}", conf[k]))
        for k in ("USERNAME", "PASSWORD", "TOKENID", "APPLICATIONCREDENTIALID", "APPLICATIONCREDENTIALNAME",
                  "APPLICATIONCREDENTIALSECRET"):
            out.append(from_secret(f"REGISTRY_STORAGE_SWIFT_{k}"))
        return out
    return []


def storage_volumes(backend: str, conf: dict) -> tuple[list[dict], list[dict]]:
    """(volumes, volumeMounts) for the backend."""
    if backend == "pvc":
        return ([{"name": "registry-storage", "persistentVolumeClaim": {"claimName": conf.get("claim", "")}}],
                [{"name": "registry-storage", "mountPath": "/registry"}])
    if backend == "emptyDir":
        return ([{"name": "registry-storage", "emptyDir": {}}],
                [{"name": "registry-storage", "mountPath": "/registry"}])
    if backend in ("s3", "ibmcos"):
        return ([{"name": "image-registry-private-configuration",
                  "secret": {"secretName": PRIVATE_SECRET, "items": [{"key": "credentials",
                                                                      "path": "credentials"}]}}],
                [{"name": "image-registry-private-configuration", "mountPath": "/var/run/secrets/cloud"}])
    if backend == "gcs":
        return ([{"name": "registry-storage-keyfile",
                  "secret": {"secretName": PRIVATE_SECRET,
                             "items": [{"key": "REGISTRY_STORAGE_GCS_KEYFILE", "path": "keyfile"}]}}],
                [{"name": "registry-storage-keyfile", "mountPath": "/gcs"}])
    return [], []
