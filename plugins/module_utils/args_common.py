# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Shared argument specs: connection options named as in kubernetes.core, and wait options."""

from __future__ import annotations

import copy

from ansible.module_utils.basic import env_fallback

__all__ = ["AUTH_ARG_SPEC", "AUTH_PROXY_HEADERS_SPEC", "WAIT_ARG_SPEC", "AUTH_OPTION_NAMES", "auth_arg_spec",
           "PULL_SECRET_OPTIONS"]


def _env(*names: str) -> tuple:
    return (env_fallback, list(names))


AUTH_PROXY_HEADERS_SPEC = {
    "proxy_basic_auth": {"type": "str", "no_log": True, "fallback": _env("K8S_AUTH_PROXY_HEADERS_PROXY_BASIC_AUTH")},
    "basic_auth": {"type": "str", "no_log": True, "fallback": _env("K8S_AUTH_PROXY_HEADERS_BASIC_AUTH")},
    "user_agent": {"type": "str", "fallback": _env("K8S_AUTH_PROXY_HEADERS_USER_AGENT")},
}

# Same names, aliases and K8S_AUTH_* environment variables as kubernetes.core. ``validate_certs`` has no
# default here on purpose: unset means "true unless the kubeconfig says insecure-skip-tls-verify".
# ``kubeconfig`` is not no_log (a dict would mask every string in it, such as "v1"); RegistryModule
# scrubs the secrets it finds in a kubeconfig dict instead.
AUTH_ARG_SPEC = {
    "kubeconfig": {"type": "raw", "fallback": _env("K8S_AUTH_KUBECONFIG")},
    "context": {"type": "str", "fallback": _env("K8S_AUTH_CONTEXT")},
    "host": {"type": "str", "fallback": _env("K8S_AUTH_HOST")},
    "api_key": {"type": "str", "no_log": True, "fallback": _env("K8S_AUTH_API_KEY")},
    "username": {"type": "str", "fallback": _env("K8S_AUTH_USERNAME")},
    "password": {"type": "str", "no_log": True, "fallback": _env("K8S_AUTH_PASSWORD")},
    "validate_certs": {"type": "bool", "aliases": ["verify_ssl"],
                       "fallback": _env("K8S_AUTH_VALIDATE_CERTS", "K8S_AUTH_VERIFY_SSL")},
    "ca_cert": {"type": "path", "aliases": ["ssl_ca_cert"], "fallback": _env("K8S_AUTH_CA_CERT", "K8S_AUTH_SSL_CA_CERT")},
    "client_cert": {"type": "path", "aliases": ["cert_file"],
                    "fallback": _env("K8S_AUTH_CLIENT_CERT", "K8S_AUTH_CERT_FILE")},
    "client_key": {"type": "path", "aliases": ["key_file"], "no_log": False,
                   "fallback": _env("K8S_AUTH_CLIENT_KEY", "K8S_AUTH_KEY_FILE")},
    "proxy": {"type": "str", "fallback": _env("K8S_AUTH_PROXY")},
    "no_proxy": {"type": "str", "fallback": _env("K8S_AUTH_NO_PROXY")},
    "proxy_headers": {"type": "dict", "options": AUTH_PROXY_HEADERS_SPEC},
    "persist_config": {"type": "bool", "fallback": _env("K8S_AUTH_PERSIST_CONFIG")},
    "impersonate_user": {"type": "str", "fallback": _env("K8S_AUTH_IMPERSONATE_USER")},
    "impersonate_groups": {"type": "list", "elements": "str", "fallback": _env("K8S_AUTH_IMPERSONATE_GROUPS")},
}

AUTH_OPTION_NAMES = tuple(AUTH_ARG_SPEC)

WAIT_ARG_SPEC = {
    "wait": {"type": "bool", "default": False},
    "wait_timeout": {"type": "int", "default": 120},
    "wait_sleep": {"type": "int", "default": 5},
}


def auth_arg_spec() -> dict:
    """A deep copy of AUTH_ARG_SPEC, safe to modify."""
    return copy.deepcopy(AUTH_ARG_SPEC)


# The pull_secret option of imagestream and imagestream_tag (kept here so the argument spec does not load
# pull_secret.py on runs that do not use it).
PULL_SECRET_OPTIONS = {
    "name": {"type": "str", "required": True},
    "registry": {"type": "str"},
    "username": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "email": {"type": "str"},
}
