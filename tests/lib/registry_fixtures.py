"""pytest fixtures around tests/lib/registry.py (import this module from tests/conftest.py).

* ``docker_registry`` (session): a real docker-registry with TLS + htpasswd on 127.0.0.1:<free port>.
  Skips (with the reason) only when the docker-registry binary is absent (Registry.push needs skopeo).
* ``oci_images`` (session): dict {"v1", "v2", "v3"} of "oci:<layout>:<name>" refs, each with distinct content
  (skips when umoci is absent).
* ``registry_factory`` (function): start extra registries (e.g. plain HTTP, no auth) that are stopped at the end.
"""
import shutil

import pytest

from . import registry as _registry

__all__ = ["docker_registry", "oci_images", "registry_factory"]


def _missing_tools(*names):
    return [n for n in names if shutil.which(n) is None]


@pytest.fixture(scope="session")
def docker_registry(tmp_path_factory):
    if _missing_tools("docker-registry"):
        pytest.skip("real registry tests need the docker-registry binary (Debian package docker-registry)")
    reg = _registry.start_registry(str(tmp_path_factory.mktemp("docker-registry")))
    try:
        yield reg
    finally:
        reg.stop()


@pytest.fixture(scope="session")
def oci_images(tmp_path_factory):
    missing = _missing_tools("umoci")
    if missing:
        pytest.skip("image building needs umoci (Debian package umoci)")
    workdir = str(tmp_path_factory.mktemp("oci-images"))
    return {f"v{i}": _registry.build_image(workdir, f"v{i}", str(i)) for i in (1, 2, 3)}


@pytest.fixture
def registry_factory(tmp_path):
    if _missing_tools("docker-registry"):
        pytest.skip("real registry tests need the docker-registry binary (Debian package docker-registry)")
    started = []

    def factory(name="reg", **kwargs):
        reg = _registry.start_registry(str(tmp_path / name), **kwargs)
        started.append(reg)
        return reg

    try:
        yield factory
    finally:
        for reg in started:
            reg.stop()
