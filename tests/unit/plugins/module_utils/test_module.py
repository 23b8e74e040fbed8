"""module.py: RegistryModule argument merging, env fallbacks, secret scrubbing, the one error path, wait_for."""
from __future__ import annotations

import contextlib
import io
import json

import pytest
from ansible.module_utils.common.parameters import PASS_VARS
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.ocp.registry.plugins.module_utils import errors
from ansible_collections.ocp.registry.plugins.module_utils import resources as R
from ansible_collections.ocp.registry.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.ocp.registry.plugins.module_utils.module import RegistryModule
from ansible_collections.ocp.registry.plugins.module_utils.waiting import wait_for
from ansible_collections.ocp.registry.tests.unit.plugins.module_utils.fake_api import FakeApi

IS = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": "app", "namespace": "demo"}}


def run(args, fn, argument_spec=None, **kwargs):
    """Build a RegistryModule from ``args`` and run ``fn``; returns (result, module)."""
    args = dict(args)
    args.setdefault("_ansible_remote_tmp", "/tmp")
    args.setdefault("_ansible_keep_remote_files", False)
    out = io.StringIO()
    holder = {}
    with patch_module_args(args), contextlib.redirect_stdout(out):
        try:
            module = RegistryModule(argument_spec=argument_spec or {"name": {"type": "str"}},
                                    supports_check_mode=True, **kwargs)
            holder["module"] = module
            module.run(fn)
        except SystemExit:
            pass
    basic._ANSIBLE_ARGS = None
    text = out.getvalue()
    return json.loads(text[text.index("{"):]), holder.get("module")


def run_result(args, fn, **kwargs):
    return run(args, fn, **kwargs)[0]


@pytest.fixture
def fake(tmp_path):
    server = FakeApi(str(tmp_path), handler=lambda req: (200, IS)).start()
    yield server
    server.stop()


def kubeconfig_dict(server, token, ns="team"):
    return {"apiVersion": "v1", "kind": "Config", "current-context": "c",
            "clusters": [{"name": "c", "cluster": {"server": server.url, "certificate-authority": server.ca_path}}],
            "users": [{"name": "u", "user": {"token": token}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u", "namespace": ns}}]}


def test_auth_options_are_merged_with_aliases():
    result, module = run({"name": "x", "verify_ssl": False, "ssl_ca_cert": "/ca", "cert_file": "/c",
                          "key_file": "/k"}, lambda m: {"seen": {k: m.params[k] for k in
                                                                 ("validate_certs", "ca_cert", "client_cert",
                                                                  "client_key")}})
    assert result["seen"] == {"validate_certs": False, "ca_cert": "/ca", "client_cert": "/c", "client_key": "/k"}
    assert set(AUTH_ARG_SPEC) <= set(module.argument_spec)
    result, module = run({}, lambda m: {}, auth=False)
    assert "kubeconfig" not in module.argument_spec


@pytest.mark.parametrize("env,param,expected", [
    ({"K8S_AUTH_HOST": "https://h:6443"}, "host", "https://h:6443"),
    ({"K8S_AUTH_KUBECONFIG": "/tmp/kc"}, "kubeconfig", "/tmp/kc"),
    ({"K8S_AUTH_VERIFY_SSL": "no"}, "validate_certs", False),
    ({"K8S_AUTH_VALIDATE_CERTS": "yes"}, "validate_certs", True),
    ({"K8S_AUTH_SSL_CA_CERT": "/ca.crt"}, "ca_cert", "/ca.crt"),
    ({"K8S_AUTH_CERT_FILE": "/c.crt"}, "client_cert", "/c.crt"),
    ({"K8S_AUTH_CONTEXT": "ctx"}, "context", "ctx"),
    ({"K8S_AUTH_IMPERSONATE_GROUPS": "a,b"}, "impersonate_groups", ["a", "b"]),
    ({}, "validate_certs", None),  # unset: the kubeconfig decides, default verify
])
def test_env_fallbacks(monkeypatch, env, param, expected):
    for key in list(__import__("os").environ):
        if key.startswith("K8S_AUTH_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = run_result({}, lambda m: {"value": m.params[param]})
    assert result["value"] == expected


def test_api_key_env_is_no_log(monkeypatch, fake):
    monkeypatch.setenv("K8S_AUTH_API_KEY", "env-secret-token")
    result = run_result({"host": fake.url, "ca_cert": fake.ca_path},
                        lambda m: {"echo": "token is env-secret-token"})
    assert "env-secret-token" not in json.dumps(result)


def test_kubeconfig_dict_secrets_never_in_output(fake):
    kc = kubeconfig_dict(fake, "sha256~very-secret-token")
    args = {"kubeconfig": kc, "name": "x"}
    if "inject_invocation" in PASS_VARS:
        # ansible-core 2.21+ returns `invocation` only when the controller asks for it (at -vvv), as here
        args["_ansible_inject_invocation"] = True
    result, module = run(args,
                         lambda m: {"object": m.client.get(R.IMAGESTREAM, "app", "demo"),
                                    "leak": "sha256~very-secret-token", "version": "v1"})
    text = json.dumps(result)
    assert "sha256~very-secret-token" not in text
    assert result["version"] == "v1"  # ordinary strings of the kubeconfig are not masked
    assert result["invocation"]["module_args"]["kubeconfig"]["clusters"][0]["name"] == "c"
    assert fake.requests[0].headers["Authorization"] == "Bearer sha256~very-secret-token"


def test_module_option_shadowing_an_auth_option_is_not_a_connection_setting(fake):
    spec = {"proxy": {"type": "dict", "options": {"http": {"type": "str"}}}}
    result = run_result({"kubeconfig": kubeconfig_dict(fake, "tok-12345678"), "proxy": {"http": "http://p:3128"}},
                        lambda m: {"proxy": m.params["proxy"], "auth_proxy": m.auth_params["proxy"],
                                   "object": m.client.get(R.IMAGESTREAM, "app", "demo")},
                        argument_spec=spec)
    assert result["proxy"] == {"http": "http://p:3128"} and result["auth_proxy"] is None
    assert result["object"]["kind"] == "ImageStream" and fake.count() == 1


def test_default_namespace_from_context(fake):
    result = run_result({"kubeconfig": kubeconfig_dict(fake, "tok-12345678", ns="from-context")},
                        lambda m: {"ns": m.default_namespace})
    assert result["ns"] == "from-context"


def test_client_is_lazy(fake):
    result, module = run({"kubeconfig": kubeconfig_dict(fake, "tok-12345678")}, lambda m: {"changed": False})
    assert module._client is None and fake.count() == 0
    assert result["changed"] is False


@pytest.mark.parametrize("exc,expected", [
    (errors.InputError("name must be lowercase", option="name"), {"msg": "name must be lowercase", "option": "name"}),
    (errors.Invalid("Failed to create ImageStream demo/app: HTTP 422 Invalid", status=422, reason="Invalid",
                    causes=[{"field": "spec", "reason": "FieldValueInvalid", "message": "bad"}],
                    target="ImageStream demo/app"),
     {"status": 422, "reason": "Invalid", "causes": [{"field": "spec", "reason": "FieldValueInvalid",
                                                      "message": "bad"}], "target": "ImageStream demo/app"}),
    (errors.ApiTimeout("Timed out waiting", conditions=[{"type": "Available", "status": "False"}]),
     {"conditions": [{"type": "Available", "status": "False"}]}),
    (errors.ConnectionConfigError("No API server"), {"msg": "No API server"}),
])
def test_expected_errors_fail_once_without_traceback(exc, expected):
    def body(m):
        raise exc
    result = run_result({}, body)
    assert result["failed"] is True
    assert "exception" not in result
    for key, value in expected.items():
        assert result[key] == value


def test_unexpected_error_keeps_traceback_and_scrubs_secrets(fake, monkeypatch):
    from ansible.module_utils._internal import _traceback

    # ansible-core 2.19 includes tracebacks only when asked to (ANSIBLE_DISPLAY_TRACEBACK=error)
    monkeypatch.setattr(_traceback, "_module_tracebacks_enabled_events",
                        frozenset([_traceback.TracebackEvent.ERROR]))

    def body(m):
        m.client  # resolve the connection so the token is known
        raise KeyError("boom tok-abcdefgh")
    result = run_result({"kubeconfig": kubeconfig_dict(fake, "tok-abcdefgh")}, body)
    assert result["failed"] is True and "KeyError" in result["msg"] and "exception" in result
    assert "tok-abcdefgh" not in json.dumps(result)
    assert "KeyError" in json.dumps(result["exception"])


def test_connection_error_surfaces_through_run(tmp_path):
    result = run_result({"kubeconfig": str(tmp_path / "missing")}, lambda m: m.client.get(R.IMAGESTREAM, "a", "b"))
    assert result["failed"] is True and "No kubeconfig found" in result["msg"]


# ------------------------------------------------------------------------------------------------ wait_for

def test_wait_for_polls_until_done():
    states = iter([{"n": 1}, {"n": 2}, {"n": 3}])
    slept = []

    def predicate():
        state = next(states)
        return state["n"] == 3, state
    assert wait_for(predicate, timeout=60, sleep=2, sleeper=slept.append) == {"n": 3}
    assert slept == [2, 2]


def test_wait_for_truthy_value():
    assert wait_for(lambda: "ready", timeout=1, sleep=0) == "ready"


def test_wait_for_timeout_carries_last_state():
    state = {"status": {"conditions": [{"type": "Available", "status": "False", "reason": "Progressing"}]}}
    with pytest.raises(errors.ApiTimeout) as info:
        wait_for(lambda: (False, state), timeout=0, sleep=1, what="the registry to be Available")
    assert "the registry to be Available" in info.value.msg
    assert info.value.last == state
    assert info.value.conditions == state["status"]["conditions"]
    assert info.value.to_fail_kwargs()["last_state"] == state


SHAPED_SPEC = {
    "tags": {"type": "list", "elements": "dict", "options": {"name": {"type": "str"}, "from": {"type": "str"}}},
    "secret": {"type": "dict", "options": {"name": {"type": "str"}, "password": {"type": "str", "no_log": True}}},
    "items": {"type": "list", "elements": "dict", "aliases": ["entries"],
              "options": {"name": {"type": "str"},
                          "tags": {"type": "list", "elements": "dict", "options": {"name": {"type": "str"}}}}},
}


@pytest.mark.parametrize("args,expected", [
    ({"tags": "v1"}, "tags: expected a list of dictionaries (each with suboptions such as name, from), but item 0 is of type str"),
    ({"tags": [{"name": "a"}, 3]}, "tags: expected a list of dictionaries"),
    ({"secret": "hunter2"}, "secret: expected a dictionary of suboptions (name, password), got a value of type str"),
    ({"entries": [{"name": "x", "tags": ["v1"]}]}, "items[0].tags: expected a list of dictionaries"),
])
def test_string_where_suboptions_belong_names_the_option(args, expected):
    result = run_result(dict(args), lambda m: {}, argument_spec=SHAPED_SPEC, auth=False)
    assert result["failed"] is True
    assert expected in result["msg"]
    assert "hunter2" not in json.dumps(result)


def test_key_value_strings_for_suboptions_still_work():
    result = run_result({"tags": ["name=v1"], "secret": "name=s password=p"},
                        lambda m: {"tags": m.params["tags"], "secret": m.params["secret"]["name"]},
                        argument_spec=SHAPED_SPEC, auth=False)
    assert not result.get("failed"), result
    assert result["tags"] == [{"name": "v1", "from": None}] and result["secret"] == "s"
