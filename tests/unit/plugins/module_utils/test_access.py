"""Unit tests for module_utils/access.py: subjects, bindings, the metrics role."""
import pytest

from ansible_collections.ocp.registry.plugins.module_utils import access
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError

G = access.RBAC_GROUP


def params(**kw):
    base = {"role": "registry-viewer", "role_kind": "ClusterRole", "namespace": None, "binding_name": None,
            "users": [], "groups": [], "service_accounts": [], "exclusive": True, "metrics_role": False,
            "state": "present"}
    base.update(kw)
    return base


@pytest.mark.parametrize("role,name", [
    ("registry-viewer", "ocp-registry-registry-viewer"),
    ("system:image-builder", "ocp-registry-system-image-builder"),
])
def test_binding_name(role, name):
    assert access.binding_name(role) == name


def test_subjects_all_kinds_and_dedup():
    out = access.subjects(params(users=["alice", "alice"], groups=["devs"],
                                 service_accounts=["ci/robot", "system:serviceaccount:ci:robot"]))
    assert out == [
        {"kind": "User", "apiGroup": G, "name": "alice"},
        {"kind": "Group", "apiGroup": G, "name": "devs"},
        {"kind": "ServiceAccount", "name": "robot", "namespace": "ci"},
    ]


def test_bare_service_account_uses_binding_namespace():
    out = access.subjects(params(namespace="builds", service_accounts=["builder"]))
    assert out == [{"kind": "ServiceAccount", "name": "builder", "namespace": "builds"}]


@pytest.mark.parametrize("kw,option", [
    ({"service_accounts": ["builder"]}, "service_accounts"),       # cluster-wide needs a namespace
    ({"service_accounts": ["system:serviceaccount:x"]}, "service_accounts"),
    ({"service_accounts": ["Bad_NS/x"]}, "service_accounts"),
    ({"users": [""]}, "users"),
    ({"role_kind": "Role", "users": ["a"]}, "role_kind"),
    ({"namespace": "Bad NS", "users": ["a"]}, "namespace"),
    ({"role": "a/b", "users": ["a"]}, "role"),
    ({}, "users"),                                                   # no subject at all
    ({"metrics_role": True, "role_kind": "Role", "namespace": "x"}, "metrics_role"),
])
def test_validate_rejects(kw, option):
    with pytest.raises(InputError) as err:
        access.validate(params(**kw))
    assert err.value.option == option


def test_metrics_role_alone_is_fine():
    access.validate(params(role="prometheus-scraper", metrics_role=True))


def test_new_cluster_binding():
    obj = access.desired_binding(params(users=["alice"]))(None)
    assert obj["kind"] == "ClusterRoleBinding"
    assert obj["metadata"] == {"name": "ocp-registry-registry-viewer"}
    assert obj["roleRef"] == {"apiGroup": G, "kind": "ClusterRole", "name": "registry-viewer"}
    assert obj["subjects"] == [{"kind": "User", "apiGroup": G, "name": "alice"}]


def test_new_role_binding_in_namespace():
    obj = access.desired_binding(params(role="system:image-builder", namespace="builds", groups=["g"]))(None)
    assert obj["kind"] == "RoleBinding"
    assert obj["metadata"] == {"name": "ocp-registry-system-image-builder", "namespace": "builds"}


def _live(subjects, role="registry-viewer"):
    return {"kind": "ClusterRoleBinding", "metadata": {"name": "ocp-registry-registry-viewer"},
            "roleRef": {"apiGroup": G, "kind": "ClusterRole", "name": role}, "subjects": subjects}


def test_same_set_other_order_keeps_live():
    live = [{"kind": "Group", "apiGroup": G, "name": "devs"}, {"kind": "User", "apiGroup": G, "name": "alice"}]
    obj = access.desired_binding(params(users=["alice"], groups=["devs"]))(_live(live))
    assert obj["subjects"] is live
    assert "roleRef" not in obj


def test_exclusive_replaces_and_additive_merges():
    live = [{"kind": "User", "apiGroup": G, "name": "bob"}]
    exclusive = access.desired_binding(params(users=["alice"]))(_live(live))
    assert [s["name"] for s in exclusive["subjects"]] == ["alice"]
    merged = access.desired_binding(params(users=["alice"], exclusive=False))(_live(live))
    assert [s["name"] for s in merged["subjects"]] == ["bob", "alice"]


def test_role_ref_change_is_refused():
    with pytest.raises(InputError) as err:
        access.desired_binding(params(users=["a"]))(_live([], role="registry-editor"))
    assert err.value.option == "binding_name"
    assert "cannot change" in err.value.msg


def test_metrics_role_rules():
    role = access.desired_metrics_role("prometheus-scraper")
    assert role["kind"] == "ClusterRole"
    assert role["rules"] == [{"apiGroups": ["image.openshift.io"], "resources": ["registry/metrics"],
                              "verbs": ["get"]}]
