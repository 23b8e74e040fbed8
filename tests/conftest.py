"""Fixtures shared by every test directory."""
from ansible_collections.ocp.registry.tests.lib.fixtures import *  # noqa: F401,F403
from ansible_collections.ocp.registry.tests.lib.registry_fixtures import *  # noqa: F401,F403
