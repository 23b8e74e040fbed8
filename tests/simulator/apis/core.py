"""core/v1 strategies: namespaces, secrets, configmaps, services, serviceaccounts, persistentvolumeclaims.

Modelled after kube-apiserver's registry strategies and validation (k8s.io/kubernetes/pkg/apis/core/validation).
"""
from __future__ import annotations

import base64
import binascii
import copy
import ipaddress
import json
import re
import threading

from .. import catalog, errors
from ..apiserver import Context, Strategy

SECRET_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")
SECRET_KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
                  "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
MAX_SECRET_BYTES = 1024 * 1024
SERVICE_CIDR = ipaddress.ip_network("172.30.0.0/16")
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"

# Secret types and the keys they require (validation.ValidateSecret).
SECRET_TYPES = {
    "Opaque": (),
    "kubernetes.io/service-account-token": (),
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/basic-auth": (),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "bootstrap.kubernetes.io/token": (),
}


class TerminatingNamespaceMixin:
    """Refuse creating objects in a namespace that is being deleted (NamespaceLifecycle admission)."""

    def check_namespace(self, ctx: Context, obj: dict) -> None:
        ns = (obj.get("metadata") or {}).get("namespace")
        if not ns:
            return
        live = ctx.api.get_or_none(catalog.get("", "namespaces"), None, ns)
        if live is not None and ((live.get("metadata") or {}).get("deletionTimestamp")
                                 or (live.get("status") or {}).get("phase") == "Terminating"):
            raise errors.StatusError(
                403, "Forbidden",
                f"{_kind_of(obj)} \"{obj['metadata'].get('name', '')}\" is forbidden: unable to create new content "
                f"in namespace {ns} because it is being terminated",
                {"name": obj["metadata"].get("name", ""), "kind": _plural_of(obj),
                 "causes": [{"reason": "NamespaceTerminating",
                             "message": f"namespace {ns} is being terminated",
                             "field": "metadata.namespace"}]})


def _kind_of(obj: dict) -> str:
    return _plural_of(obj)


def _plural_of(obj: dict) -> str:
    rt = catalog.by_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
    return rt.qualified if rt else (obj.get("kind") or "").lower() + "s"


class NamespacedStrategy(TerminatingNamespaceMixin, Strategy):
    def prepare_create(self, ctx: Context, obj: dict) -> None:
        self.check_namespace(ctx, obj)


# --- namespaces ----------------------------------------------------------------------------------
class NamespaceStrategy(Strategy):
    def prepare_create(self, ctx, obj):
        md = obj["metadata"]
        md.setdefault("labels", {})["kubernetes.io/metadata.name"] = md["name"]
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj["status"] = {"phase": "Active"}

    def prepare_update(self, ctx, new, old):
        new["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = new["metadata"]["name"]
        new["spec"] = copy.deepcopy(old.get("spec") or {})     # spec.finalizers only via /finalize
        if new["metadata"].get("deletionTimestamp"):
            new.setdefault("status", {})["phase"] = "Terminating"

    def after_write(self, ctx, obj, old):
        # A namespace being deleted (kept by metadata.finalizers) reports phase Terminating.
        if obj is not None and obj["metadata"].get("deletionTimestamp") and \
                (obj.get("status") or {}).get("phase") != "Terminating":
            new = copy.deepcopy(obj)
            new.setdefault("status", {})["phase"] = "Terminating"
            try:
                ctx.api.update(catalog.get("", "namespaces"), None, obj["metadata"]["name"], new,
                               subresource="status")
            except errors.StatusError:
                pass


# --- secrets ---------------------------------------------------------------------------------------
def _decode_b64(value) -> bytes:
    if not isinstance(value, str):
        raise ValueError("not a string")
    # Go's encoding/base64 StdEncoding: strict padding, no whitespace.
    if len(value) % 4:
        raise binascii.Error("illegal base64 data at input byte %d" % (len(value) - len(value) % 4))
    for i, ch in enumerate(value):
        if not (ch.isalnum() or ch in "+/="):
            raise binascii.Error(f"illegal base64 data at input byte {i}")
    return base64.b64decode(value, validate=True)


def fold_string_data(kind: str, obj: dict) -> None:
    """Decode-check `data` (400 like the real deserializer) and fold `stringData` into it."""
    data = obj.get("data")
    if data is not None and not isinstance(data, dict):
        raise errors.bad_request(f"{kind} in version \"v1\" cannot be handled as a {kind}: json: cannot unmarshal "
                                 f"{type(data).__name__} into Go struct field {kind}.data of type map[string][]uint8")
    for k, v in (data or {}).items():
        try:
            _decode_b64(v)
        except (binascii.Error, ValueError) as e:
            msg = str(e) if "illegal base64" in str(e) else "illegal base64 data at input byte 0"
            raise errors.bad_request(f"{kind} in version \"v1\" cannot be handled as a {kind}: {msg}") from None
    sd = obj.pop("stringData", None)
    if sd:
        if not isinstance(sd, dict):
            raise errors.bad_request(f"{kind} in version \"v1\" cannot be handled as a {kind}: json: cannot "
                                     f"unmarshal into Go struct field {kind}.stringData of type map[string]string")
        out = dict(data or {})
        for k, v in sd.items():
            if not isinstance(v, str):
                raise errors.bad_request(f"{kind} in version \"v1\" cannot be handled as a {kind}: json: cannot "
                                         f"unmarshal {type(v).__name__} into Go struct field "
                                         f"{kind}.stringData of type string")
            out[k] = base64.b64encode(v.encode()).decode()
        obj["data"] = out


class SecretStrategy(NamespacedStrategy):
    def prepare_create(self, ctx, obj):
        super().prepare_create(ctx, obj)
        fold_string_data("Secret", obj)
        obj.setdefault("type", "Opaque")

    def prepare_update(self, ctx, new, old):
        fold_string_data("Secret", new)
        if not new.get("type"):
            new["type"] = old.get("type", "Opaque")

    def validate(self, ctx, obj, old=None):
        causes = []
        data = obj.get("data") or {}
        total = 0
        for k, v in data.items():
            if not SECRET_KEY_RE.match(k):
                causes.append(errors.invalid_value(f"data[{k}]", k, SECRET_KEY_MSG))
            total += len(_decode_b64(v))
        if total > MAX_SECRET_BYTES:
            causes.append(errors.too_long("data", "", MAX_SECRET_BYTES))
        stype = obj.get("type") or "Opaque"
        for key in SECRET_TYPES.get(stype, ()):
            if key not in data:
                causes.append(errors.required_value(f"data[{key}]"))
        json_key = {"kubernetes.io/dockerconfigjson": ".dockerconfigjson", "kubernetes.io/dockercfg": ".dockercfg"}
        if json_key.get(stype) in data:
            key = json_key[stype]
            try:
                json.loads(_decode_b64(data[key]) or b"null")
            except ValueError as e:
                causes.append(errors.invalid_value(f"data[{key}]", "<secret contents redacted>",
                                                   f"invalid character: {e}"))
        if stype == "kubernetes.io/service-account-token":
            anns = (obj.get("metadata") or {}).get("annotations") or {}
            if not anns.get("kubernetes.io/service-account.name"):
                causes.append(errors.required_value("metadata.annotations[kubernetes.io/service-account.name]"))
        if stype == "kubernetes.io/basic-auth" and not ("username" in data or "password" in data):
            causes.append(errors.required_value("data[username]"))
        if old is not None:
            if (old.get("type") or "Opaque") != stype:
                causes.append(errors.invalid_value("type", stype, "field is immutable"))
            if old.get("immutable"):
                if obj.get("data") != old.get("data"):
                    causes.append(errors.forbidden_field("data", "field is immutable when `immutable` is set"))
                if not obj.get("immutable"):
                    causes.append(errors.forbidden_field("immutable", "field is immutable when `immutable` is set"))
        return causes


class ConfigMapStrategy(NamespacedStrategy):
    def validate(self, ctx, obj, old=None):
        causes = []
        data, binary = obj.get("data") or {}, obj.get("binaryData") or {}
        for field, d in (("data", data), ("binaryData", binary)):
            for k in d:
                if not SECRET_KEY_RE.match(k):
                    causes.append(errors.invalid_value(f"{field}[{k}]", k, SECRET_KEY_MSG))
        for k in set(data) & set(binary):
            causes.append(errors.invalid_value(f"data[{k}]", k, "duplicate of key present in binaryData"))
        if old is not None and old.get("immutable"):
            if data != (old.get("data") or {}) or binary != (old.get("binaryData") or {}):
                causes.append(errors.forbidden_field("data", "field is immutable when `immutable` is set"))
        return causes


# --- services --------------------------------------------------------------------------------------
class ServiceStrategy(NamespacedStrategy):
    def __init__(self):
        self._lock = threading.Lock()

    def _allocate(self, ctx) -> str:
        used = {(s.get("spec") or {}).get("clusterIP")
                for s in ctx.api.list(catalog.get("", "services")).get("items", [])}
        base = int(SERVICE_CIDR.network_address)
        with self._lock:
            for off in range(10, SERVICE_CIDR.num_addresses - 1):
                ip = str(ipaddress.ip_address(base + off))
                if ip not in used:
                    return ip
        raise errors.internal_error("failed to allocate a serviceIP: range is full")

    def _defaults(self, spec: dict) -> None:
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        for p in spec.get("ports") or []:
            p.setdefault("protocol", "TCP")
            if "targetPort" not in p or p.get("targetPort") in (0, ""):
                p["targetPort"] = p.get("port")
        if spec.get("type") in ("ClusterIP", "NodePort", "LoadBalancer"):
            spec.setdefault("internalTrafficPolicy", "Cluster")
            spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("ipFamilies", ["IPv4"])

    def prepare_create(self, ctx, obj):
        super().prepare_create(ctx, obj)
        spec = obj.setdefault("spec", {})
        self._defaults(spec)
        if spec.get("type") != "ExternalName":
            if not spec.get("clusterIP"):
                spec["clusterIP"] = self._allocate(ctx)
            if spec.get("clusterIP") != "None":
                spec["clusterIPs"] = [spec["clusterIP"]]
            else:
                spec["clusterIPs"] = ["None"]
        obj["status"] = {"loadBalancer": {}}

    def prepare_update(self, ctx, new, old):
        spec = new.setdefault("spec", {})
        ospec = old.get("spec") or {}
        self._defaults(spec)
        # clusterIP may be omitted on update; the allocated one is kept.
        if not spec.get("clusterIP") and ospec.get("clusterIP"):
            spec["clusterIP"] = ospec["clusterIP"]
        if not spec.get("clusterIPs") and ospec.get("clusterIPs"):
            spec["clusterIPs"] = list(ospec["clusterIPs"])

    def validate(self, ctx, obj, old=None):
        spec = obj.get("spec") or {}
        causes = []
        stype = spec.get("type", "ClusterIP")
        if stype not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
            causes.append(errors.unsupported_value("spec.type", stype,
                                                   ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]))
        ports = spec.get("ports") or []
        if not ports and stype != "ExternalName" and spec.get("clusterIP") != "None":
            causes.append(errors.required_value("spec.ports"))
        names = set()
        for i, p in enumerate(ports):
            port = p.get("port")
            if not isinstance(port, int) or not 1 <= port <= 65535:
                causes.append(errors.invalid_value(f"spec.ports[{i}].port", port,
                                                   "must be between 1 and 65535, inclusive"))
            if len(ports) > 1 and not p.get("name"):
                causes.append(errors.required_value(f"spec.ports[{i}].name"))
            if p.get("name") in names:
                causes.append(errors.duplicate_value(f"spec.ports[{i}].name", p.get("name")))
            names.add(p.get("name"))
            if p.get("protocol", "TCP") not in ("TCP", "UDP", "SCTP"):
                causes.append(errors.unsupported_value(f"spec.ports[{i}].protocol", p.get("protocol"),
                                                       ["SCTP", "TCP", "UDP"]))
        if stype == "ExternalName" and not spec.get("externalName"):
            causes.append(errors.required_value("spec.externalName"))
        if old is not None:
            oip = (old.get("spec") or {}).get("clusterIP")
            if oip and spec.get("clusterIP") != oip and stype != "ExternalName":
                causes.append(errors.invalid_value("spec.clusterIPs[0]", spec.get("clusterIP"),
                                                   "may not change once set"))
        return causes


class ServiceAccountStrategy(NamespacedStrategy):
    pass


# --- persistentvolumeclaims ------------------------------------------------------------------------
_ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
_QUANTITY_RE = re.compile(r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$")


def quantity_bytes(q: str) -> float:
    m = re.match(r"^([0-9.]+)([A-Za-z]*)$", str(q))
    if not m:
        return 0.0
    mult = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18, "m": 1e-3,
            "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}
    return float(m.group(1)) * mult.get(m.group(2), 1)


class PVCStrategy(NamespacedStrategy):
    def prepare_create(self, ctx, obj):
        super().prepare_create(ctx, obj)
        spec = obj.setdefault("spec", {})
        spec.setdefault("volumeMode", "Filesystem")
        # DefaultStorageClass admission: an unset class gets the cluster default at creation.
        if spec.get("storageClassName") is None:
            for sc in ctx.api.list(catalog.get("storage.k8s.io", "storageclasses")).get("items", []):
                if ((sc.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true":
                    spec["storageClassName"] = sc["metadata"]["name"]
                    break
        obj["status"] = {"phase": "Pending"}

    def prepare_update(self, ctx, new, old):
        old_mode = (old.get("spec") or {}).get("volumeMode", "Filesystem")
        new.setdefault("spec", {}).setdefault("volumeMode", old_mode)

    def validate(self, ctx, obj, old=None):
        spec = obj.get("spec") or {}
        causes = []
        modes = spec.get("accessModes") or []
        if not modes:
            causes.append(errors.required_value("spec.accessModes", "at least 1 access mode is required"))
        for m in modes:
            if m not in _ACCESS_MODES:
                causes.append(errors.unsupported_value("spec.accessModes", m, _ACCESS_MODES))
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        if storage is None:
            causes.append(errors.required_value("spec.resources[storage]"))
        elif not _QUANTITY_RE.match(str(storage)):
            causes.append(errors.invalid_value("spec.resources.requests[storage]", storage,
                                               "quantities must match the regular expression "
                                               "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"))
        elif quantity_bytes(storage) <= 0:
            causes.append(errors.invalid_value("spec.resources.requests[storage]", storage,
                                               "must be greater than zero"))
        if old is not None and not causes:
            ospec = old.get("spec") or {}
            bound = bool(ospec.get("volumeName")) or (old.get("status") or {}).get("phase") == "Bound"
            a, b = copy.deepcopy(spec), copy.deepcopy(ospec)
            for s in (a, b):
                s.get("resources", {}).pop("requests", None)
                s.pop("volumeAttributesClassName", None)
            # the binder sets volumeName once; an unset class may be set once (retroactive default class)
            if not ospec.get("volumeName"):
                a.pop("volumeName", None)
                b.pop("volumeName", None)
            if ospec.get("storageClassName") is None:
                a.pop("storageClassName", None)
                b.pop("storageClassName", None)
            if a != b:
                causes.append(errors.forbidden_field(
                    "spec", "spec is immutable after creation except resources.requests and "
                            "volumeAttributesClassName for bound claims"))
            new_req = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
            old_req = ((ospec.get("resources") or {}).get("requests") or {}).get("storage")
            if new_req != old_req:
                if not bound:
                    causes.append(errors.forbidden_field(
                        "spec", "spec is immutable after creation except resources.requests and "
                                "volumeAttributesClassName for bound claims"))
                elif quantity_bytes(new_req) < quantity_bytes(old_req):
                    causes.append(errors.forbidden_field("spec.resources.requests.storage",
                                                         "field can not be less than status.capacity"))
        return causes


class StorageClassStrategy(Strategy):
    def prepare_create(self, ctx, obj):
        obj.setdefault("reclaimPolicy", "Delete")
        obj.setdefault("volumeBindingMode", "Immediate")

    def validate(self, ctx, obj, old=None):
        causes = []
        if not obj.get("provisioner"):
            causes.append(errors.required_value("provisioner"))
        if old is not None:
            for f in ("provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"):
                if obj.get(f) != old.get(f):
                    causes.append(errors.forbidden_field(f, "updates to " + f + " are forbidden."))
        return causes


def register(api) -> None:
    api.register_strategy(("", "namespaces"), NamespaceStrategy())
    api.register_strategy(("", "secrets"), SecretStrategy())
    api.register_strategy(("", "configmaps"), ConfigMapStrategy())
    api.register_strategy(("", "services"), ServiceStrategy())
    api.register_strategy(("", "serviceaccounts"), ServiceAccountStrategy())
    api.register_strategy(("", "persistentvolumeclaims"), PVCStrategy())
    api.register_strategy(("storage.k8s.io", "storageclasses"), StorageClassStrategy())
