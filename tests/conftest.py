"""Fixtures shared by every test directory."""
from ansible_collections.ocp.registry.tests.lib.fixtures import SimAdmin, sim_admin, simulator, simulator_factory, simulator_session
from ansible_collections.ocp.registry.tests.lib.registry_fixtures import docker_registry, oci_images, registry_factory

# pytest finds fixtures among this module's names; __all__ marks the imports as deliberate re-exports.
__all__ = ["SimAdmin", "sim_admin", "simulator", "simulator_factory", "simulator_session",
           "docker_registry", "oci_images", "registry_factory"]
