# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Catalogue of the API resources the collection uses, so no discovery round trip is needed."""

from __future__ import annotations

from urllib.parse import quote

__all__ = [
    "Resource",
    "path",
    "describe",
    "by_kind",
    "NAMESPACE", "SECRET", "CONFIGMAP", "SERVICE", "SERVICEACCOUNT", "PERSISTENTVOLUMECLAIM", "POD", "EVENT",
    "DEPLOYMENT", "STATEFULSET", "DAEMONSET", "REPLICASET", "CRONJOB", "JOB", "DEPLOYMENTCONFIG",
    "ROLE", "ROLEBINDING", "CLUSTERROLE", "CLUSTERROLEBINDING", "ROUTE",
    "IMAGESTREAM", "IMAGESTREAMTAG", "IMAGESTREAMIMPORT", "IMAGESTREAMMAPPING", "IMAGE", "IMAGETAG",
    "REGISTRY_CONFIG", "IMAGEPRUNER", "IMAGE_CONFIG", "CLUSTEROPERATOR", "INFRASTRUCTURE", "INGRESS_CONFIG",
    "PROXY_CONFIG", "CLUSTERVERSION", "ALL",
]


class Resource:
    """One API resource: ``api_version`` ("v1", "image.openshift.io/v1"), ``kind``, ``plural``, ``namespaced``.

    ``create_only``: the resource only takes POST (ImageStreamImport, ImageStreamMapping): nothing can be read
    back, and repeating the POST is harmless, so after an ambiguous failure the client posts again instead of
    looking for the object.
    """

    __slots__ = ("api_version", "kind", "plural", "namespaced", "create_only")

    def __init__(self, api_version: str, kind: str, plural: str, namespaced: bool, create_only: bool = False) -> None:
        self.api_version = api_version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
        self.create_only = create_only

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    def __repr__(self) -> str:
        return "Resource(%r, %r, %r, %r)" % (self.api_version, self.kind, self.plural, self.namespaced)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Resource) and (self.api_version, self.plural) == (other.api_version, other.plural)

    def __hash__(self) -> int:
        return hash((self.api_version, self.plural))


def path(res: Resource, name: str | None = None, namespace: str | None = None, subresource: str | None = None) -> str:
    """URL path of a collection (no name) or of one object, optionally a subresource of it."""
    base = "/api/%s" % res.api_version if "/" not in res.api_version else "/apis/%s" % res.api_version
    if res.namespaced and namespace:
        base += "/namespaces/%s" % quote(namespace, safe="")
    base += "/" + res.plural
    if name is not None:
        if name == "":
            raise ValueError("an object name must not be empty")
        base += "/" + quote(name, safe=":@")
        if subresource:
            base += "/" + subresource
    elif subresource:
        raise ValueError("a subresource needs an object name")
    return base


def describe(res: Resource, name: str | None = None, namespace: str | None = None) -> str:
    """Human description used in error messages: "ImageStream demo/app", "Config cluster"."""
    if name is None:
        where = (" in namespace %s" % namespace) if (res.namespaced and namespace) else ""
        return "%s list%s" % (res.kind, where)
    if res.namespaced and namespace:
        return "%s %s/%s" % (res.kind, namespace, name)
    return "%s %s" % (res.kind, name)


NAMESPACE = Resource("v1", "Namespace", "namespaces", False)
SECRET = Resource("v1", "Secret", "secrets", True)
CONFIGMAP = Resource("v1", "ConfigMap", "configmaps", True)
SERVICE = Resource("v1", "Service", "services", True)
SERVICEACCOUNT = Resource("v1", "ServiceAccount", "serviceaccounts", True)
PERSISTENTVOLUMECLAIM = Resource("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True)
POD = Resource("v1", "Pod", "pods", True)
EVENT = Resource("v1", "Event", "events", True)
DEPLOYMENT = Resource("apps/v1", "Deployment", "deployments", True)
STATEFULSET = Resource("apps/v1", "StatefulSet", "statefulsets", True)
DAEMONSET = Resource("apps/v1", "DaemonSet", "daemonsets", True)
REPLICASET = Resource("apps/v1", "ReplicaSet", "replicasets", True)
CRONJOB = Resource("batch/v1", "CronJob", "cronjobs", True)
JOB = Resource("batch/v1", "Job", "jobs", True)
DEPLOYMENTCONFIG = Resource("apps.openshift.io/v1", "DeploymentConfig", "deploymentconfigs", True)
ROLE = Resource("rbac.authorization.k8s.io/v1", "Role", "roles", True)
ROLEBINDING = Resource("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", True)
CLUSTERROLE = Resource("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False)
CLUSTERROLEBINDING = Resource("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False)
ROUTE = Resource("route.openshift.io/v1", "Route", "routes", True)
IMAGESTREAM = Resource("image.openshift.io/v1", "ImageStream", "imagestreams", True)
IMAGESTREAMTAG = Resource("image.openshift.io/v1", "ImageStreamTag", "imagestreamtags", True)
IMAGESTREAMIMPORT = Resource("image.openshift.io/v1", "ImageStreamImport", "imagestreamimports", True, create_only=True)
IMAGESTREAMMAPPING = Resource("image.openshift.io/v1", "ImageStreamMapping", "imagestreammappings", True,
                              create_only=True)
IMAGETAG = Resource("image.openshift.io/v1", "ImageTag", "imagetags", True)
IMAGE = Resource("image.openshift.io/v1", "Image", "images", False)
REGISTRY_CONFIG = Resource("imageregistry.operator.openshift.io/v1", "Config", "configs", False)
IMAGEPRUNER = Resource("imageregistry.operator.openshift.io/v1", "ImagePruner", "imagepruners", False)
IMAGE_CONFIG = Resource("config.openshift.io/v1", "Image", "images", False)
CLUSTEROPERATOR = Resource("config.openshift.io/v1", "ClusterOperator", "clusteroperators", False)
INFRASTRUCTURE = Resource("config.openshift.io/v1", "Infrastructure", "infrastructures", False)
INGRESS_CONFIG = Resource("config.openshift.io/v1", "Ingress", "ingresses", False)
PROXY_CONFIG = Resource("config.openshift.io/v1", "Proxy", "proxies", False)
CLUSTERVERSION = Resource("config.openshift.io/v1", "ClusterVersion", "clusterversions", False)

ALL = (
    NAMESPACE, SECRET, CONFIGMAP, SERVICE, SERVICEACCOUNT, PERSISTENTVOLUMECLAIM, POD, EVENT,
    DEPLOYMENT, STATEFULSET, DAEMONSET, REPLICASET, CRONJOB, JOB, DEPLOYMENTCONFIG,
    ROLE, ROLEBINDING, CLUSTERROLE, CLUSTERROLEBINDING, ROUTE,
    IMAGESTREAM, IMAGESTREAMTAG, IMAGESTREAMIMPORT, IMAGESTREAMMAPPING, IMAGETAG, IMAGE,
    REGISTRY_CONFIG, IMAGEPRUNER, IMAGE_CONFIG, CLUSTEROPERATOR, INFRASTRUCTURE, INGRESS_CONFIG,
    PROXY_CONFIG, CLUSTERVERSION,
)


def by_kind(api_version: str, kind: str) -> Resource:
    """The catalogue entry for an apiVersion/kind pair; KeyError when we do not know it."""
    for res in ALL:
        if res.api_version == api_version and res.kind == kind:
            return res
    raise KeyError("%s %s" % (api_version, kind))
