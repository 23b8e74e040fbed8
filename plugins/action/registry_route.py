# -*- coding: utf-8 -*-
# Copyright: ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ocp.registry.registry_route: certificate and key files are read on the controller.

``certificate_path``, ``key_path``, ``ca_certificate_path`` and ``destination_ca_certificate_path`` are looked
up like ``copy``'s ``src`` (absolute, or relative to the role's / playbook's ``files``), read here and passed
to the module as the matching content option, so the files never need to exist on the managed host. Errors
about those values name the ``*_path`` option the user wrote.
"""
from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

PATH_OPTIONS = {
    "certificate_path": "certificate",
    "key_path": "key",
    "ca_certificate_path": "ca_certificate",
    "destination_ca_certificate_path": "destination_ca_certificate",
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        converted = {}
        for path_option, content_option in PATH_OPTIONS.items():
            path = args.get(path_option)
            if not path or args.get(content_option):
                continue  # nothing to read, or both given: the module reports the conflict
            try:
                real = self._find_needle("files", path)
                with open(real, "rb") as handle:
                    data = handle.read()
                text = to_text(data, errors="surrogate_or_strict")
            except (AnsibleError, OSError, UnicodeError) as exc:
                result.update(failed=True, option=path_option,
                              msg="%s: cannot read %s on the controller: %s" % (path_option, path, to_text(exc)))
                return result
            del args[path_option]
            args[content_option] = text
            converted[content_option] = path_option
        result.update(self._execute_module(module_name="ocp.registry.registry_route", module_args=args,
                                           task_vars=task_vars))
        option = result.get("option")
        if option in converted:
            result["option"] = converted[option]
            msg = result.get("msg") or ""
            if msg.startswith(option):
                result["msg"] = converted[option] + msg[len(option):]
        return result
