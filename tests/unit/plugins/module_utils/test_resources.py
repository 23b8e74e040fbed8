"""resources.py: paths and descriptions for every catalogued resource."""
from __future__ import annotations

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import resources as R


@pytest.mark.parametrize("res,name,ns,sub,expected", [
    (R.NAMESPACE, "demo", None, None, "/api/v1/namespaces/demo"),
    (R.SECRET, None, "demo", None, "/api/v1/namespaces/demo/secrets"),
    (R.SECRET, "s", "demo", None, "/api/v1/namespaces/demo/secrets/s"),
    (R.SECRET, None, None, None, "/api/v1/secrets"),                       # all namespaces
    (R.DEPLOYMENT, "d", "ns", "scale", "/apis/apps/v1/namespaces/ns/deployments/d/scale"),
    (R.IMAGESTREAMTAG, "app:v1", "demo", None, "/apis/image.openshift.io/v1/namespaces/demo/imagestreamtags/app:v1"),
    (R.IMAGE, "sha256:abc", None, None, "/apis/image.openshift.io/v1/images/sha256:abc"),
    (R.REGISTRY_CONFIG, "cluster", None, "status", "/apis/imageregistry.operator.openshift.io/v1/configs/cluster/status"),
    (R.REGISTRY_CONFIG, "cluster", "ignored", None, "/apis/imageregistry.operator.openshift.io/v1/configs/cluster"),
    (R.IMAGE_CONFIG, "cluster", None, None, "/apis/config.openshift.io/v1/images/cluster"),
    (R.CLUSTERROLEBINDING, "x", None, None, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/x"),
    (R.ROUTE, "default-route", "openshift-image-registry", None,
     "/apis/route.openshift.io/v1/namespaces/openshift-image-registry/routes/default-route"),
    (R.CONFIGMAP, "a b/c", "n", None, "/api/v1/namespaces/n/configmaps/a%20b%2Fc"),
])
def test_path(res, name, ns, sub, expected):
    assert R.path(res, name, ns, sub) == expected


def test_path_errors():
    with pytest.raises(ValueError):
        R.path(R.SECRET, "", "demo")
    with pytest.raises(ValueError):
        R.path(R.SECRET, None, "demo", "status")


@pytest.mark.parametrize("res,name,ns,expected", [
    (R.IMAGESTREAM, "app", "demo", "ImageStream demo/app"),
    (R.REGISTRY_CONFIG, "cluster", None, "Config cluster"),
    (R.IMAGESTREAM, None, "demo", "ImageStream list in namespace demo"),
    (R.CLUSTEROPERATOR, None, None, "ClusterOperator list"),
])
def test_describe(res, name, ns, expected):
    assert R.describe(res, name, ns) == expected


def test_catalogue_is_consistent():
    needed = {"namespaces", "secrets", "configmaps", "services", "persistentvolumeclaims", "deployments",
              "statefulsets", "daemonsets", "cronjobs", "deploymentconfigs", "roles", "rolebindings", "clusterroles",
              "clusterrolebindings", "routes", "imagestreams", "imagestreamtags", "imagestreamimports", "images",
              "configs", "imagepruners", "clusteroperators", "infrastructures"}
    assert needed <= {r.plural for r in R.ALL}
    assert len(set(R.ALL)) == len(R.ALL)
    for res in R.ALL:
        assert R.by_kind(res.api_version, res.kind) is res
        assert res.version.startswith("v")
        assert (res.group == "") is ("/" not in res.api_version)
    assert R.IMAGE != R.IMAGE_CONFIG and R.IMAGE_CONFIG.group == "config.openshift.io"
    with pytest.raises(KeyError):
        R.by_kind("v1", "Nope")
