from __future__ import annotations

import os

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import ca_trust
from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError

NAMES = [
    ("hub.example.com", ("hub.example.com", None, "hub.example.com")),
    ("Hub.Example.com:5000", ("hub.example.com", 5000, "hub.example.com:5000")),
    ("127.0.0.1:5443", ("127.0.0.1", 5443, "127.0.0.1:5443")),
    ("[::1]:5000", ("::1", 5000, "[::1]:5000")),
    ("registry", ("registry", None, "registry")),
]


@pytest.mark.parametrize("value,expected", NAMES)
def test_registry_name(value, expected):
    assert ca_trust.registry_name(value) == expected


@pytest.mark.parametrize("value", ["https://hub.example.com", "hub.example.com/ns", "hub:port", "", "a..b",
                                   "../etc", "hub example"])
def test_registry_name_rejects(value):
    with pytest.raises(InputError) as err:
        ca_trust.registry_name(value)
    assert err.value.option == "registry"


CLUSTER_KEYS = [(("hub.example.com", None), "hub.example.com"), (("hub.example.com", 5000), "hub.example.com..5000")]


@pytest.mark.parametrize("args,key", CLUSTER_KEYS)
def test_cluster_key(args, key):
    assert ca_trust.cluster_key(*args) == key


OS_RELEASE = [
    ('ID="rhel"\nID_LIKE="fedora"\n', "RedHat"),
    ("ID=fedora\n", "RedHat"),
    ('ID="centos"\nID_LIKE="rhel fedora"\n', "RedHat"),
    ('ID="rocky"\n', "RedHat"),
    ("ID=debian\n", "Debian"),
    ("ID=ubuntu\nID_LIKE=debian\n", "Debian"),
    ("ID=pop\nID_LIKE=\"ubuntu debian\"\n", "Debian"),
    ('ID="sles"\nID_LIKE="suse"\n', "Suse"),
    ('ID="opensuse-leap"\nID_LIKE="suse opensuse"\n', "Suse"),
    ("ID=arch\n", None),
    ("", None),
]


@pytest.mark.parametrize("text,family", OS_RELEASE)
def test_detect_os_family(tmp_path, text, family):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "os-release").write_text(text)
    assert ca_trust.detect_os_family(str(tmp_path)) == family


def test_detect_os_family_usr_lib_fallback(tmp_path):
    (tmp_path / "usr" / "lib").mkdir(parents=True)
    (tmp_path / "usr" / "lib" / "os-release").write_text("ID=ubuntu\n")
    assert ca_trust.detect_os_family(str(tmp_path)) == "Debian"


TARGETS = [
    ("RedHat", "/etc/pki/ca-trust/source/anchors/ocp-registry-hub.example.com_5000.crt"),
    ("Debian", "/usr/local/share/ca-certificates/ocp-registry-hub.example.com_5000.crt"),
    ("Suse", "/etc/pki/trust/anchors/ocp-registry-hub.example.com_5000.crt"),
]


@pytest.mark.parametrize("family,anchor", TARGETS)
def test_host_targets(family, anchor):
    got = ca_trust.host_targets("hub.example.com:5000", ["containers", "docker", "system"], os_family=family)
    assert [t[2] for t in got] == [
        "/etc/containers/certs.d/hub.example.com:5000/ca.crt",
        "/etc/docker/certs.d/hub.example.com:5000/ca.crt",
        anchor,
    ]
    assert [t[3] for t in got] == [True, True, False]


def test_host_targets_under_root(tmp_path):
    got = ca_trust.host_targets("r:1", ["containers"], root=str(tmp_path))
    assert got[0][2] == os.path.join(str(tmp_path), "etc/containers/certs.d/r:1/ca.crt")


def test_refresh_commands():
    assert ca_trust.OS_FAMILIES["RedHat"]["refresh"] == ["update-ca-trust", "extract"]
    assert ca_trust.OS_FAMILIES["Debian"]["refresh"] == ["update-ca-certificates"]
    assert ca_trust.OS_FAMILIES["Suse"]["refresh"] == ["update-ca-certificates"]
