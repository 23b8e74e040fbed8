"""The table of resource types the simulator serves, with the discovery data kube-apiserver reports.

A ResourceType is keyed by (group, plural). `crd` names the CRD file (under the shared CRD dir) whose
openAPIV3Schema validates the kind; CRD-backed kinds refuse strategic merge patch (415) like the real
server. `merge_keys` maps list field names to strategic-merge keys for built-in (Go-typed) kinds.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NO_COLLECTION = ("create", "delete", "get", "list", "patch", "update", "watch")
STATUS_VERBS = ("get", "patch", "update")

# Strategic-merge keys for Go-typed objects (patchMergeKey tags), by list field name.
# A value of None means "replace the whole list" (no patchStrategy=merge).
DEFAULT_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "schedulingGates": "name",
    "secrets": "name",                 # ServiceAccount.secrets
}


@dataclasses.dataclass(frozen=True)
class Subresource:
    name: str
    kind: str
    verbs: tuple
    group: str | None = None      # discovery group/version of the subresource kind when it differs
    version: str | None = None


@dataclasses.dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: tuple = ALL_VERBS
    short_names: tuple = ()
    subresources: tuple = ()              # of Subresource
    crd: str | None = None                # file name of the CRD under the CRD dir (schema source)
    virtual: bool = False                 # no storage of its own (served by a VirtualHandler)
    categories: tuple = ()
    generation: bool = True               # metadata.generation maintained
    merge_keys: tuple = ()                # extra (field, key) pairs overriding DEFAULT_MERGE_KEYS
    strategic: bool = True                # accepts application/strategic-merge-patch+json
    field_selectors: tuple = ()           # field-selector paths beyond metadata.name/namespace
    create_on_update: bool = False        # PUT of a missing object creates it (AllowCreateOnUpdate)
    # known top-level fields of a Go-typed kind (others are unknown fields: dropped, or 400 with
    # fieldValidation=Strict); None = no check
    top_fields: tuple | None = None

    @property
    def key(self) -> tuple:
        return (self.group, self.plural)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def subresource(self, name: str) -> Subresource | None:
        for s in self.subresources:
            if s.name == name:
                return s
        return None

    @property
    def has_status(self) -> bool:
        return self.subresource("status") is not None

    def merge_key(self, path) -> str | None:
        """Strategic-merge key for the list at `path` (field names, no indices), None to replace it.

        Overrides may name a dotted path ("status.tags") or a bare field name ("ports").
        """
        path = tuple(path)
        dotted = ".".join(path)
        field = path[-1] if path else ""
        for f, k in self.merge_keys:
            if f == dotted:
                return k
        for f, k in self.merge_keys:
            if f == field:
                return k
        return DEFAULT_MERGE_KEYS.get(field)

    def discovery(self) -> list[dict]:
        """APIResource entries (the main resource then its subresources) for /api[s]/.../version."""
        main = {
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(self.verbs),
        }
        if self.short_names:
            main["shortNames"] = list(self.short_names)
        if self.categories:
            main["categories"] = list(self.categories)
        out = [main]
        for s in self.subresources:
            e = {"name": f"{self.plural}/{s.name}", "singularName": "", "namespaced": self.namespaced,
                 "kind": s.kind, "verbs": list(s.verbs)}
            if s.group is not None:
                e["group"] = s.group
                e["version"] = s.version
            out.append(e)
        return out


def _status(kind: str) -> Subresource:
    return Subresource("status", kind, STATUS_VERBS)


SCALE = Subresource("scale", "Scale", STATUS_VERBS, "autoscaling", "v1")


def _rt(group, version, plural, kind, namespaced, **kw) -> ResourceType:
    subs = kw.pop("subs", ())
    status = kw.pop("status", False)
    subresources = ((_status(kind),) if status else ()) + tuple(subs)
    return ResourceType(group, version, plural, kind, namespaced, subresources=subresources, **kw)


_CRD_CONFIGS = "imageregistry.operator.openshift.io_configs.crd.yaml"
_CRD_PRUNERS = "imageregistry.operator.openshift.io_imagepruners.crd.yaml"
_CRD_IMAGES = "config.openshift.io_images.crd.yaml"
_CRD_CO = "config.openshift.io_clusteroperators.crd.yaml"
_CRD_ROUTES = "route.openshift.io_routes.crd.yaml"

_POD_SELECTORS = ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                  "status.phase", "status.podIP", "status.nominatedNodeName")

RESOURCE_TYPES: list[ResourceType] = [
    # core/v1
    _rt("", "v1", "namespaces", "Namespace", False, verbs=NO_COLLECTION, short_names=("ns",), status=True,
        subs=(Subresource("finalize", "Namespace", ("update",)),), generation=False,
        field_selectors=("status.phase",)),
    _rt("", "v1", "secrets", "Secret", True, generation=False, field_selectors=("type",)),
    _rt("", "v1", "configmaps", "ConfigMap", True, short_names=("cm",), generation=False),
    _rt("", "v1", "services", "Service", True, short_names=("svc",), status=True, categories=("all",),
        verbs=NO_COLLECTION + ("deletecollection",), generation=False, merge_keys=(("ports", "port"),),
        subs=(Subresource("proxy", "ServiceProxyOptions", ("create", "delete", "get", "patch", "update")),)),
    _rt("", "v1", "serviceaccounts", "ServiceAccount", True, short_names=("sa",), generation=False,
        subs=(Subresource("token", "TokenRequest", ("create",), "authentication.k8s.io", "v1"),)),
    _rt("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, short_names=("pvc",), status=True,
        generation=False),
    _rt("", "v1", "persistentvolumes", "PersistentVolume", False, short_names=("pv",), status=True,
        generation=False),
    _rt("", "v1", "events", "Event", True, short_names=("ev",), generation=False, create_on_update=True,
        field_selectors=("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                         "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                         "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type")),
    _rt("", "v1", "nodes", "Node", False, short_names=("no",), status=True, generation=False,
        subs=(Subresource("proxy", "NodeProxyOptions", ("create", "delete", "get", "patch", "update")),),
        field_selectors=("spec.unschedulable",)),
    _rt("", "v1", "pods", "Pod", True, short_names=("po",), status=True, categories=("all",), generation=False,
        subs=(Subresource("log", "Pod", ("get",)),), field_selectors=_POD_SELECTORS),
    # apps/v1
    _rt("apps", "v1", "deployments", "Deployment", True, short_names=("deploy",), status=True, subs=(SCALE,),
        categories=("all",)),
    _rt("apps", "v1", "statefulsets", "StatefulSet", True, short_names=("sts",), status=True, subs=(SCALE,),
        categories=("all",)),
    _rt("apps", "v1", "daemonsets", "DaemonSet", True, short_names=("ds",), status=True, categories=("all",)),
    _rt("apps", "v1", "replicasets", "ReplicaSet", True, short_names=("rs",), status=True, subs=(SCALE,),
        categories=("all",), field_selectors=("status.replicas",)),
    # batch/v1
    _rt("batch", "v1", "cronjobs", "CronJob", True, short_names=("cj",), status=True, categories=("all",)),
    _rt("batch", "v1", "jobs", "Job", True, status=True, categories=("all",), field_selectors=("status.successful",)),
    # rbac
    _rt("rbac.authorization.k8s.io", "v1", "roles", "Role", True, generation=False,
        create_on_update=True),
    _rt("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True, generation=False,
        create_on_update=True),
    _rt("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False, generation=False,
        create_on_update=True),
    _rt("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False, generation=False,
        create_on_update=True),
    # storage, policy, networking
    _rt("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, short_names=("sc",), generation=False),
    _rt("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, short_names=("pdb",), status=True),
    _rt("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, short_names=("netpol",)),
    # route.openshift.io (aggregated API on OpenShift; the CRD serves as its schema here)
    _rt("route.openshift.io", "v1", "routes", "Route", True, status=True, crd=_CRD_ROUTES),
    # image.openshift.io (aggregated API, no CRD; strategic merge keys from the Go types)
    _rt("image.openshift.io", "v1", "imagestreams", "ImageStream", True, short_names=("is",), status=True,
        subs=(Subresource("secrets", "SecretList", ("get",)),
              Subresource("layers", "ImageStreamLayers", ("get",))),
        categories=("all",), merge_keys=(("spec.tags", "name"), ("status.tags", "tag"), ("items", "created"))),
    _rt("image.openshift.io", "v1", "imagestreamtags", "ImageStreamTag", True, short_names=("istag",),
        verbs=("create", "delete", "get", "list", "patch", "update"), virtual=True),
    _rt("image.openshift.io", "v1", "imagetags", "ImageTag", True, short_names=("itag",),
        verbs=("create", "delete", "get", "list", "patch", "update"), virtual=True),
    _rt("image.openshift.io", "v1", "imagestreamimports", "ImageStreamImport", True, verbs=("create",),
        virtual=True),
    _rt("image.openshift.io", "v1", "imagestreamimages", "ImageStreamImage", True, short_names=("isimage",),
        verbs=("get",), virtual=True),
    _rt("image.openshift.io", "v1", "imagestreammappings", "ImageStreamMapping", True, verbs=("create",),
        virtual=True),
    _rt("image.openshift.io", "v1", "images", "Image", False, generation=False),
    # imageregistry.operator.openshift.io (CRDs)
    _rt("imageregistry.operator.openshift.io", "v1", "configs", "Config", False, status=True, crd=_CRD_CONFIGS,
        strategic=False),
    _rt("imageregistry.operator.openshift.io", "v1", "imagepruners", "ImagePruner", False, status=True,
        crd=_CRD_PRUNERS, strategic=False),
    # config.openshift.io (CRDs on a real cluster; only images and clusteroperators have a CRD file here)
    _rt("config.openshift.io", "v1", "images", "Image", False, status=True, crd=_CRD_IMAGES, strategic=False),
    _rt("config.openshift.io", "v1", "clusteroperators", "ClusterOperator", False, short_names=("co",),
        status=True, crd=_CRD_CO, strategic=False),
    _rt("config.openshift.io", "v1", "infrastructures", "Infrastructure", False, status=True, strategic=False),
    _rt("config.openshift.io", "v1", "proxies", "Proxy", False, status=True, strategic=False),
    _rt("config.openshift.io", "v1", "apiservers", "APIServer", False, status=True, strategic=False),
    _rt("config.openshift.io", "v1", "clusterversions", "ClusterVersion", False, status=True, strategic=False),
    # authentication / authorization reviews (`kubectl auth whoami`, `kubectl auth can-i`; see auth.py)
    _rt("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", False, verbs=("create",),
        virtual=True, generation=False),
    _rt("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False,
        verbs=("create",), virtual=True, generation=False),
    # user.openshift.io / oauth.openshift.io: only what `oc whoami` and token logout need (virtual, see auth.py)
    _rt("user.openshift.io", "v1", "users", "User", False, verbs=("get",), virtual=True, generation=False),
    _rt("oauth.openshift.io", "v1", "oauthaccesstokens", "OAuthAccessToken", False, verbs=("delete",),
        virtual=True, generation=False),
    _rt("oauth.openshift.io", "v1", "useroauthaccesstokens", "UserOAuthAccessToken", False, verbs=("delete",),
        virtual=True, generation=False),
    # apps.openshift.io (aggregated API)
    _rt("apps.openshift.io", "v1", "deploymentconfigs", "DeploymentConfig", True, short_names=("dc",),
        status=True, subs=(Subresource("scale", "Scale", STATUS_VERBS, "extensions", "v1beta1"),),
        categories=("all",)),
]

_SPEC_STATUS = ("spec", "status")
_TOP_FIELDS = {
    ("", "namespaces"): _SPEC_STATUS,
    ("", "secrets"): ("data", "stringData", "type", "immutable"),
    ("", "configmaps"): ("data", "binaryData", "immutable"),
    ("", "services"): _SPEC_STATUS,
    ("", "serviceaccounts"): ("secrets", "imagePullSecrets", "automountServiceAccountToken"),
    ("", "persistentvolumeclaims"): _SPEC_STATUS,
    ("", "persistentvolumes"): _SPEC_STATUS,
    ("", "nodes"): _SPEC_STATUS,
    ("", "pods"): _SPEC_STATUS,
    ("apps", "deployments"): _SPEC_STATUS,
    ("apps", "statefulsets"): _SPEC_STATUS,
    ("apps", "daemonsets"): _SPEC_STATUS,
    ("apps", "replicasets"): _SPEC_STATUS,
    ("batch", "cronjobs"): _SPEC_STATUS,
    ("batch", "jobs"): _SPEC_STATUS,
    ("rbac.authorization.k8s.io", "roles"): ("rules",),
    ("rbac.authorization.k8s.io", "clusterroles"): ("rules", "aggregationRule"),
    ("rbac.authorization.k8s.io", "rolebindings"): ("subjects", "roleRef"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"): ("subjects", "roleRef"),
    ("storage.k8s.io", "storageclasses"): ("provisioner", "parameters", "reclaimPolicy", "mountOptions",
                                           "allowVolumeExpansion", "volumeBindingMode", "allowedTopologies"),
    ("policy", "poddisruptionbudgets"): _SPEC_STATUS,
    ("networking.k8s.io", "networkpolicies"): _SPEC_STATUS,
    ("image.openshift.io", "imagestreams"): _SPEC_STATUS,
    ("apps.openshift.io", "deploymentconfigs"): _SPEC_STATUS,
}
RESOURCE_TYPES = [dataclasses.replace(rt, top_fields=_TOP_FIELDS[rt.key]) if rt.key in _TOP_FIELDS else rt
                  for rt in RESOURCE_TYPES]

_BY_KEY = {rt.key: rt for rt in RESOURCE_TYPES}
_BY_GVR = {(rt.group, rt.version, rt.plural): rt for rt in RESOURCE_TYPES}
_BY_KIND = {(rt.api_version, rt.kind): rt for rt in RESOURCE_TYPES}


def lookup(group: str, version: str, plural: str) -> ResourceType | None:
    return _BY_GVR.get((group, version, plural))


def by_key(key: tuple) -> ResourceType | None:
    return _BY_KEY.get(tuple(key))


def by_kind(api_version: str, kind: str) -> ResourceType | None:
    return _BY_KIND.get((api_version, kind))


def get(group: str, plural: str) -> ResourceType:
    """Like by_key but raises KeyError: for code that names a type it knows exists."""
    return _BY_KEY[(group, plural)]


def groups() -> dict[str, list[str]]:
    """{group: [versions]} in catalog order; '' is the core group."""
    out: dict[str, list[str]] = {}
    for rt in RESOURCE_TYPES:
        vs = out.setdefault(rt.group, [])
        if rt.version not in vs:
            vs.append(rt.version)
    return out


def types_in(group: str, version: str) -> Iterable[ResourceType]:
    return [rt for rt in RESOURCE_TYPES if rt.group == group and rt.version == version]
