# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""RegistryModule: AnsibleModule with the shared auth options, a lazy ApiClient and one error path."""

from __future__ import annotations

import traceback
from typing import Any, Callable

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.validation import check_type_dict

from ansible_collections.ocp.registry.plugins.module_utils.args_common import AUTH_ARG_SPEC, auth_arg_spec
from ansible_collections.ocp.registry.plugins.module_utils.errors import RegistryError
from ansible_collections.ocp.registry.plugins.module_utils.scrub import kubeconfig_secrets, scrub_strings

__all__ = ["RegistryModule"]


def _as_dict(value: Any) -> Any:
    """``value`` as ansible-core would turn it into a dict, or None when it cannot."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            return check_type_dict(value)
        except (TypeError, ValueError):
            return None
    return None


def _dict_shape_problem(spec: dict, params: Any, prefix: str) -> str | None:
    """The first option with suboptions whose value is not a dict (or a list of dicts), as a message."""
    if not isinstance(params, dict):
        return None
    for name, opts in spec.items():
        sub_spec = opts.get("options")
        wanted = opts.get("type")
        if sub_spec is None or not (wanted == "dict" or (wanted == "list" and opts.get("elements") == "dict")):
            continue
        key = next((k for k in [name] + list(opts.get("aliases") or []) if params.get(k) is not None), None)
        if key is None:
            continue
        value = params[key]
        option = prefix + name
        if wanted == "dict":
            mapping = _as_dict(value)
            if mapping is None:
                return ("%s: expected a dictionary of suboptions (%s), got a value of type %s"
                        % (option, ", ".join(sorted(sub_spec)), type(value).__name__))
            problem = _dict_shape_problem(sub_spec, mapping, option + ".")
            if problem:
                return problem
            continue
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            mapping = _as_dict(item)
            if mapping is None:
                return ("%s: expected a list of dictionaries (each with suboptions such as %s), but item %d is of type %s"
                        % (option, ", ".join(list(sub_spec)[:6]), index, type(item).__name__))
            problem = _dict_shape_problem(sub_spec, mapping, "%s[%d]." % (option, index))
            if problem:
                return problem
    return None


class RegistryModule(AnsibleModule):
    """AnsibleModule for this collection.

    ``auth=True`` merges AUTH_ARG_SPEC; ``module.client`` builds the ApiClient on first use;
    ``module.run(fn)`` calls ``fn(module)`` and exits with its dict, turning RegistryError into one fail_json.
    """

    def __init__(self, argument_spec: dict | None = None, auth: bool = True, client_timeout: float = 30,
                 **kwargs: Any) -> None:
        spec = dict(argument_spec or {})
        # A module option that reuses an auth option's name (image_registry_config's ``proxy`` dict) is the
        # module's own: it is not a connection setting.
        self._shadowed = frozenset(k for k in AUTH_ARG_SPEC if k in spec) if auth else frozenset()
        if auth:
            for key, value in auth_arg_spec().items():
                spec.setdefault(key, value)
        self._auth = auth
        self._client = None
        self._conn_config = None
        self._client_timeout = client_timeout
        super().__init__(argument_spec=spec, **kwargs)

    def _set_internal_properties(self) -> None:
        # Runs inside AnsibleModule.__init__ before the argspec check. A string where a dict (or a list of dicts)
        # with suboptions belongs makes ansible-core fail with a bare "dictionary requested, could not parse
        # JSON or key=value" that names no option; name it here instead.
        super()._set_internal_properties()
        problem = _dict_shape_problem(self.argument_spec, self.params, "")
        if problem:
            # no invocation: the no_log values are not known yet
            self.fail_json(msg=problem, invocation={"module_args": {}})

    def _log_invocation(self) -> None:
        # Runs inside AnsibleModule.__init__ before anything is logged or returned: hide the secrets of an
        # inline kubeconfig (the option itself is not no_log, or every string in it would be masked).
        if self._auth and isinstance(self.params.get("kubeconfig"), dict):
            self.no_log_values.update(kubeconfig_secrets(self.params["kubeconfig"]))
        super()._log_invocation()

    @property
    def auth_params(self) -> dict:
        return {k: (None if k in self._shadowed else self.params.get(k)) for k in AUTH_ARG_SPEC}

    @property
    def connection_config(self) -> Any:
        if self._conn_config is None:
            from ansible_collections.ocp.registry.plugins.module_utils.kubeconfig import resolve

            self._conn_config = resolve(self.auth_params, command_runner=self._run_plugin_command)
            self.no_log_values.update(self._conn_config.secrets)
        return self._conn_config

    def _run_plugin_command(self, argv: list, env_additions: dict) -> tuple:
        """Run a kubeconfig exec credential plugin through run_command (argv list, never a shell)."""
        return self.run_command(argv, environ_update=env_additions, binary_data=True, encoding=None,
                                handle_exceptions=False)

    @property
    def client(self) -> Any:
        """The task's ApiClient, created on first use."""
        if self._client is None:
            from ansible_collections.ocp.registry.plugins.module_utils.api import ApiClient

            self._client = ApiClient(self.connection_config, timeout=self._client_timeout)
        return self._client

    @property
    def default_namespace(self) -> str | None:
        """The kubeconfig context's (or the service account's) namespace, when there is one."""
        return self.connection_config.namespace

    def wait_for(self, predicate: Callable[[], Any], timeout: float, sleep: float, what: str = "the condition") -> Any:
        from ansible_collections.ocp.registry.plugins.module_utils.waiting import wait_for

        return wait_for(predicate, timeout, sleep, what)

    def _secrets(self) -> set:
        found = set()
        if self._conn_config is not None:
            found |= self._conn_config.secrets
        return found

    def run(self, fn: Callable[["RegistryModule"], dict]) -> None:
        """Run the module body; exit_json with its result or fail_json once."""
        failure = None
        try:
            result = fn(self)
        except RegistryError as exc:
            # Expected: the message says it all, no traceback.
            failure = scrub_strings(exc.to_fail_kwargs(), self._secrets())
        except Exception as exc:  # unexpected: keep the traceback for debugging
            failure = {"msg": scrub_strings("Unexpected error: %s: %s" % (type(exc).__name__, exc), self._secrets()),
                       "exception": scrub_strings(traceback.format_exc(), self._secrets())}
        self._close()
        if failure is not None:
            self.fail_json(**failure)
        result = dict(result or {})
        result.setdefault("changed", False)
        self.exit_json(**scrub_strings(result, self._secrets()))

    def _close(self) -> None:
        if self._client is not None:
            self._client.close()
