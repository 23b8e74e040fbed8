"""kubeconfig_yaml.py: the PyYAML-free kubeconfig reader returns what yaml.safe_load returns, or steps aside."""
from __future__ import annotations

import base64
import datetime
import random

import pytest
import yaml

from ansible_collections.ocp.registry.plugins.module_utils.kubeconfig_yaml import UNSUPPORTED, parse

ERROR = object()   # yaml.safe_load raises
# as long as a real certificate-authority-data blob (kubectl writes it on one line, PyYAML does not wrap it)
CA_DATA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\n" + b"MIIDBTCCAe2gAwIBAgIIfakeCAdata+/" * 40
                           + b"\n-----END CERTIFICATE-----\n").decode()


def same(left, right):
    """Equality that also compares types (True == 1 and {True: x} == {1: x} in plain Python)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return len(left) == len(right) and all(same(key, key2) and same(value, value2)
                                               for (key, value), (key2, value2) in zip(left.items(), right.items()))
    if isinstance(left, list):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right))
    return left == right


def safe_load(text):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return ERROR


def agrees(text):
    """parse() is UNSUPPORTED or equals yaml.safe_load (and is UNSUPPORTED when PyYAML rejects the text)."""
    result = parse(text)
    expected = safe_load(text)
    if result is not UNSUPPORTED:
        assert expected is not ERROR, text
        assert same(result, expected), (text, result, expected)
    return result


# ------------------------------------------------------------------------------------------ real kubeconfigs

KUBECTL_VIEW_RAW = """apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: %s
    server: https://api.ocp.example.com:6443
  name: api-ocp-example-com:6443
- cluster:
    insecure-skip-tls-verify: true
    server: https://api.crc.testing:6443
  name: api-crc-testing:6443
contexts:
- context:
    cluster: api-ocp-example-com:6443
    namespace: default
    user: kube:admin/api-ocp-example-com:6443
  name: default/api-ocp-example-com:6443/kube:admin
- context:
    cluster: api-crc-testing:6443
    namespace: openshift-image-registry
    user: developer/api-crc-testing:6443
  name: openshift-image-registry/api-crc-testing:6443/developer
current-context: default/api-ocp-example-com:6443/kube:admin
kind: Config
preferences: {}
users:
- name: kube:admin/api-ocp-example-com:6443
  user:
    token: sha256~Zx_3kQ9vPq-7LmNoPqRsTuVwXyZaBcDeFgHiJkLmNoP
- name: developer/api-crc-testing:6443
  user:
    token: sha256~AbCdEfGhIjKlMnOpQrStUvWxYz_-AbCdEfGhIjKlMnO
""" % CA_DATA

OC_LOGIN = """apiVersion: v1
clusters:
- cluster:
    insecure-skip-tls-verify: true
    server: https://api.sno.lab.local:6443
  name: api-sno-lab-local:6443
contexts:
- context:
    cluster: api-sno-lab-local:6443
    namespace: default
    user: kube:admin/api-sno-lab-local:6443
  name: default/api-sno-lab-local:6443/kube:admin
current-context: default/api-sno-lab-local:6443/kube:admin
kind: Config
preferences: {}
users:
- name: kube:admin/api-sno-lab-local:6443
  user:
    token: sha256~q1w2e3r4t5y6u7i8o9p0
"""

EXEC_PLUGINS = """apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: %s
    extensions:
    - extension:
        last-update: Mon, 01 Jan 2024 10:00:00 UTC
        provider: minikube.sigs.k8s.io
        version: v1.32.0
      name: cluster_info
    server: https://demo.gr7.us-east-1.eks.amazonaws.com
    tls-server-name: kubernetes.default
  name: arn:aws:eks:us-east-1:account:cluster/demo
contexts:
- context:
    cluster: arn:aws:eks:us-east-1:account:cluster/demo
    extensions: []
    user: arn:aws:eks:us-east-1:account:cluster/demo
  name: arn:aws:eks:us-east-1:account:cluster/demo
current-context: arn:aws:eks:us-east-1:account:cluster/demo
kind: Config
preferences: {}
users:
- name: arn:aws:eks:us-east-1:account:cluster/demo
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - us-east-1
      - eks
      - get-token
      - --cluster-name
      - demo
      - --output
      - json
      command: aws
      env: null
      interactiveMode: IfAvailable
      provideClusterInfo: false
- name: gke
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: gke-gcloud-auth-plugin
      env:
      - name: CLOUDSDK_CORE_PROJECT
        value: my-project
      installHint: Install gke-gcloud-auth-plugin for use with kubectl by following
        https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin
      interactiveMode: IfAvailable
      provideClusterInfo: true
- name: oidc
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - oidc-login
      - get-token
      - --oidc-issuer-url=https://keycloak.example.com/realms/ocp
      - --oidc-client-id=kubernetes
      command: kubectl
      env: null
      interactiveMode: Never
      provideClusterInfo: false
""" % CA_DATA

# other tools (and hand-written files) indent the sequences under their key
INDENTED = """# written by a provisioning tool
apiVersion: v1
kind: Config
clusters:
  - name: lab
    cluster:
      server: https://api.lab.example.com:6443
      certificate-authority: /etc/pki/lab/ca.crt
      proxy-url: http://proxy.example.com:3128

users:
  - name: lab-admin
    user:
      client-certificate: /etc/pki/lab/admin.crt
      client-key: /etc/pki/lab/admin.key
  - name: robot
    user:
      token: eyJhbGciOiJSUzI1NiIsImtpZCI6IkFCQyJ9.eyJzdWIiOiJyb2JvdCJ9.c2lnbmF0dXJl
      as: system:admin
      as-groups:
        - system:masters
        - 'yes'
contexts:
  - name: lab
    context:
      cluster: lab
      user: lab-admin
      namespace: ''
current-context: lab
preferences: {}
"""

EXPECTED_INDENTED_USERS = [
    {"name": "lab-admin", "user": {"client-certificate": "/etc/pki/lab/admin.crt", "client-key": "/etc/pki/lab/admin.key"}},
    {"name": "robot", "user": {"token": "eyJhbGciOiJSUzI1NiIsImtpZCI6IkFCQyJ9.eyJzdWIiOiJyb2JvdCJ9.c2lnbmF0dXJl",
                               "as": "system:admin", "as-groups": ["system:masters", "yes"]}},
]


def simulator_style(token_admin="sha256~Qm9vZ3VzVG9rZW5Gb3JBZG1pbl9fXzEyMzQ1Njc4OTA", server="https://127.0.0.1:38451"):
    """What tests/simulator/server.py (SimulatorServer._write_kubeconfig) writes: yaml.safe_dump, block style."""
    cfg = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": "sim", "cluster": {"server": server, "certificate-authority-data": CA_DATA}}],
        "users": [{"name": "admin", "user": {"token": token_admin}},
                  {"name": "developer", "user": {"token": "sha256~ZGV2ZWxvcGVyLXRva2VuLXRoYXQtaXMtbG9uZy1lbm91Z2g"}}],
        "contexts": [{"name": "admin", "context": {"cluster": "sim", "user": "admin", "namespace": "default"}},
                     {"name": "restricted", "context": {"cluster": "sim", "user": "developer", "namespace": "sandbox"}}],
        "current-context": "admin",
    }
    return yaml.safe_dump(cfg, default_flow_style=False)


@pytest.mark.parametrize("text", [KUBECTL_VIEW_RAW, OC_LOGIN, INDENTED, simulator_style()],
                         ids=["kubectl-view-raw", "oc-login", "indented-sequences", "simulator"])
def test_real_kubeconfigs_take_the_fast_path(text):
    result = parse(text)
    assert result is not UNSUPPORTED
    assert same(result, yaml.safe_load(text))


def test_indented_style_values():
    result = parse(INDENTED)
    assert result["users"] == EXPECTED_INDENTED_USERS
    assert result["contexts"][0]["context"]["namespace"] == ""
    assert result["preferences"] == {}


def test_exec_plugin_users():
    # the GKE user's installHint is a multi-line plain scalar: the whole file goes to PyYAML
    assert parse(EXEC_PLUGINS) is UNSUPPORTED
    text = EXEC_PLUGINS.replace("\n        https://cloud.google.com", " https://cloud.google.com")
    result = parse(text)
    assert result is not UNSUPPORTED
    assert same(result, yaml.safe_load(text))
    exec_cfg = result["users"][0]["user"]["exec"]
    assert exec_cfg["args"][:2] == ["--region", "us-east-1"]
    assert exec_cfg["env"] is None and exec_cfg["provideClusterInfo"] is False
    assert exec_cfg["interactiveMode"] == "IfAvailable"
    assert result["contexts"][0]["context"]["extensions"] == []
    assert result["clusters"][0]["cluster"]["extensions"][0]["extension"]["last-update"] == "Mon, 01 Jan 2024 10:00:00 UTC"


def test_oc_login_values():
    result = parse(OC_LOGIN)
    assert result["clusters"][0]["cluster"]["insecure-skip-tls-verify"] is True
    assert result["users"][0] == {"name": "kube:admin/api-sno-lab-local:6443", "user": {"token": "sha256~q1w2e3r4t5y6u7i8o9p0"}}


def test_simulator_kubeconfig_files(simulator_session, simulator_factory):
    plain = simulator_factory("plain", tls=False, controllers=False)
    for path in (simulator_session.kubeconfig, plain.kubeconfig):
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        result = parse(text)
        assert result is not UNSUPPORTED, text
        assert same(result, yaml.safe_load(text))
        assert result["current-context"] == "admin"


@pytest.mark.parametrize("text", [
    "a:\n- b:\n- c\n",                                 # a key without value inside an item, then the next item
    "a:\n- x: x1\n  y:\n  - z\n  w: v\nb: c\n",         # an indentless sequence inside a compact mapping
    "a:b: c\nd: http://x:80\n",                         # ':' not followed by a space stays in the scalar
    "a: --region\nb: -x\nc: ---\nd:\n- --\n- -é\n",    # '-' + letter or '-' cannot be a number
    "a: it's\nb: 'it''s'\nc: \"x: y\"\nd: ''\ne: \"\"\nf: '''q'''\n",
    "a: yes\nb: No\nc: ~\nd: null\ne:\nf: OFF\ng: y\nh: nul\ni: Yes please\n",
    "a: a#b\nb: {}\nc: []\nd:   spaced  out   \ne: héllo 日本\n",
    "\n# comment\n   # indented comment\na:\n\n  b: c\n# between\n  d: e\n\nf: g\n",
    "a:\n    b:\n      - c\n      - d: e\n        f: g\n",
    "a:\n-   b: c\n    d: e\n- 'q'\n- \"r\"\n",
])
def test_subset_edges(text):
    assert agrees(text) is not UNSUPPORTED


# ------------------------------------------------------------------------------------------ bail-outs

BAIL_OUTS = [
    # id, text, what yaml.safe_load gives (ERROR: it raises); same value = outside the subset all the same
    ("cr", "a: b\r\nc: d\r\n", {"a": "b", "c": "d"}),
    ("lone-cr", "a: b\rc: d\n", {"a": "b", "c": "d"}),                  # a line break for PyYAML
    ("tab", "a:\tb\n", ERROR),
    ("tab-indent", "a:\n\tb: c\n", ERROR),
    ("bom", "\ufeffa: b\n", {"a": "b"}),
    ("nel", "a: b\x85c: d\n", {"a": "b", "c": "d"}),              # a line break for PyYAML
    ("line-separator", "a: b\u2028c\n", ERROR),
    ("control-char", "a: b\x07\n", ERROR),
    ("directive", "%YAML 1.1\n---\na: b\n", {"a": "b"}),
    ("document-start", "---\na: b\n", {"a": "b"}),
    ("document-end", "a: b\n...\n", {"a": "b"}),
    ("second-document", "a: b\n---\nc: d\n", ERROR),
    ("anchor-alias", "a: &x b\nc: *x\n", {"a": "b", "c": "b"}),
    ("tag", "a: !!str 1\n", {"a": "1"}),
    ("block-literal", "a: |\n  x\n", {"a": "x\n"}),
    ("block-folded", "a: >-\n  x\n  y\n", {"a": "x y"}),
    ("flow-mapping", "a: {b: c}\n", {"a": {"b": "c"}}),
    ("flow-sequence", "a: [b]\n", {"a": ["b"]}),
    ("flow-spaced-empty", "a: { }\n", {"a": {}}),
    ("explicit-key", "? a\n: b\n", {"a": "b"}),
    ("comment-after-value", "a: b # c\n", {"a": "b"}),
    ("comment-after-key", "a: # c\n  b: c\n", {"a": {"b": "c"}}),
    ("space-hash-in-quotes", "a: 'b #c'\n", {"a": "b #c"}),
    ("multi-line-plain", "a: b\n  c\n", {"a": "b c"}),
    ("multi-line-plain-item", "a:\n- b\n  c\n", {"a": ["b c"]}),
    ("multi-line-quoted", "a: 'b\n  c'\n", {"a": "b c"}),
    ("deeper-after-value", "a: b\n  c: d\n", ERROR),
    ("duplicate-key", "a: b\na: c\n", {"a": "c"}),
    ("duplicate-nested-key", "a:\n  b: c\n  b: d\n", {"a": {"b": "d"}}),
    ("compact-nested-sequence", "a:\n- - b\n", {"a": [["b"]]}),
    ("bare-dash-item", "a:\n-\n  b: c\n", {"a": [{"b": "c"}]}),
    ("single-quoted-key", "'a': b\n", {"a": "b"}),
    ("double-quoted-key", "\"a\": b\n", {"a": "b"}),
    ("quoted-key-in-item", "a:\n- 'b': c\n", {"a": [{"b": "c"}]}),
    ("escape", "a: \"b\\nc\"\n", {"a": "b\nc"}),
    ("escaped-quote", "a: \"b\\\"c\"\n", {"a": "b\"c"}),
    ("unterminated-single", "a: 'b\n", ERROR),
    ("unterminated-double-quote", "a: 'b''\n", ERROR),
    ("int", "a: 1\n", {"a": 1}),
    ("hex", "a: 0x1F\n", {"a": 31}),
    ("sexagesimal", "a: 1:20\n", {"a": 80}),
    ("timestamp", "a: 2001-12-14\n", {"a": datetime.date(2001, 12, 14)}),
    ("float-inf", "a: .inf\n", {"a": float("inf")}),
    ("negative", "a: -1\n", {"a": -1}),
    ("negative-inf", "a: -.inf\n", {"a": float("-inf")}),
    ("plus", "a: +1\n", {"a": 1}),
    ("digit-string", "a: 2048-game\n", {"a": "2048-game"}),
    ("dot-path", "a: ./ca.crt\n", {"a": "./ca.crt"}),
    ("tilde-path", "a: ~/ca.crt\n", {"a": "~/ca.crt"}),
    ("merge-key", "b: &x\n  c: d\na:\n  <<: *x\n", {"b": {"c": "d"}, "a": {"c": "d"}}),
    ("merge-value", "a: <<\n", ERROR),
    ("value-key", "a: =\n", ERROR),
    ("bool-key", "yes: a\n", {True: "a"}),
    ("null-key", "~: a\n", {None: "a"}),
    ("empty-key", ": a\n", ERROR),
    ("number-key", "1: a\n", {1: "a"}),
    ("key-trailing-space", "a : b\n", {"a": "b"}),
    ("dash-key", "-a: b\n", {"-a": "b"}),
    ("long-key", "k" * 1100 + ": v\n", ERROR),
    ("mapping-in-value", "a: b: c\n", ERROR),
    ("value-ends-in-colon", "a: b:\n", ERROR),
    ("item-after-scalar-value", "a: b\n- c\n", ERROR),
    ("at-sign", "a: @b\n", ERROR),
    ("backtick", "a: `b\n", ERROR),
    ("percent", "a: %b\n", ERROR),
    ("question", "a: ?b\n", {"a": "?b"}),
    ("colon-start", "a: :b\n", {"a": ":b"}),
    ("comma-start", "a: ,b\n", ERROR),
    ("bare-star", "a: *\n", ERROR),
    ("dash-digit", "a:\n- -1x\n", {"a": ["-1x"]}),
    ("stray-indent", "a:\n  b: c\n d: e\n", ERROR),
    ("scalar-line-in-mapping", "a: b\nc\n", ERROR),
    ("scalar-under-key", "a:\n  b\n", {"a": "b"}),
    ("top-level-sequence", "- a\n- b\n", ["a", "b"]),
    ("top-level-scalar", "a\n", "a"),
    ("empty", "", None),
    ("only-comments", "# nothing\n\n", None),
    ("indented-top-level", "  a: b\n  c: d\n", {"a": "b", "c": "d"}),
]


@pytest.mark.parametrize("text, expected", [case[1:] for case in BAIL_OUTS], ids=[case[0] for case in BAIL_OUTS])
def test_bail_outs(text, expected):
    assert parse(text) is UNSUPPORTED
    loaded = safe_load(text)
    assert loaded is expected if expected is ERROR else same(loaded, expected), loaded


def test_unsupported_is_a_unique_sentinel():
    assert UNSUPPORTED is not None and not isinstance(UNSUPPORTED, (dict, list, str, bool))


# ------------------------------------------------------------------------------------------ randomized

TRICKY = ["yes", "No", "on", "OFF", "True", "~", "null", "NULL", "0x1F", "1:20", "2001-12-14", ".inf", "-foo", "--region",
          "-", "- x", "a: b", "a:", "a::b", "a:b", "a#b", "a #b", "#a", "'q'", '"q"', "it's", 'say "hi"', "{}", "[]", "{a}",
          "[a]", "a,b", "<<", "=", "?x", "%x", "@x", "`x", "!x", "&x", "*x", "|", ">", "a\\b", "api.x:6443",
          "https://api.x:6443", "kube:admin/api-x:6443", "sha256~abc_-XYZ", "héllo", "日本語", "trail ", " lead", "",
          "a  b", "12", "-1", "+1", "1e3", "0o17", "---", "...", ".", "a\tb", "a\nb", "x\u00a0y", "k" * 90, "word " * 20]
PLAIN = ["name", "cluster", "user", "server", "token", "namespace", "apiVersion", "current-context", "kind", "Config",
         "certificate-authority-data", "LS0tLS1CRUdJTg==", "insecure-skip-tls-verify", "exec", "args", "env",
         "interactiveMode", "IfAvailable", "sha256~q1w2e3", "kube:admin/api-crc-testing:6443", "Mon, 01 Jan 2024"]


def random_scalar(rng):
    roll = rng.random()
    if roll < 0.85:
        return rng.choice(PLAIN)
    if roll < 0.94:
        return rng.choice(TRICKY)
    return rng.choice([None, True, False, 0, 7, {}, []])


def random_doc(rng, depth=0, in_list=False):
    if depth >= 3 or rng.random() < 0.35:
        return random_scalar(rng)
    if rng.random() < (0.9 if in_list else 0.6):
        return {(rng.choice(PLAIN) if rng.random() < 0.93 else rng.choice(TRICKY)): random_doc(rng, depth + 1)
                for unused in range(rng.randint(1, 4))}
    return [random_doc(rng, depth + 1, True) for unused in range(rng.randint(1, 3))]


def emit_scalar(value, rng, quote=0.4):
    if value is None:
        return rng.choice(["null", "~", ""])
    if isinstance(value, bool):
        return rng.choice(["true", "True", "yes", "on"] if value else ["false", "No", "OFF"])
    if isinstance(value, (dict, list)):
        return "{}" if isinstance(value, dict) else "[]"
    if isinstance(value, int):
        return str(value)
    style = rng.random()
    if style >= quote:
        return value                                    # raw: may well be invalid or mean something else
    if style < quote * 0.6:
        return "'" + value.replace("'", "''") + "'"
    return '"' + value + '"'


def emit_kubectl(value, rng, indent, seq_indent):
    """A kubectl-like emitter that does not care whether its scalars need quoting."""
    pad = " " * indent
    lines = []
    if isinstance(value, dict) and value:
        for key, item in value.items():
            key_text = emit_scalar(key, rng, 0.02)
            if isinstance(item, (dict, list)) and item:
                lines.append(pad + key_text + ":")
                lines.extend(emit_kubectl(item, rng, indent + (2 if isinstance(item, dict) else seq_indent), seq_indent))
            else:
                lines.append((pad + key_text + ": " + emit_scalar(item, rng)).rstrip(" ") if rng.random() < 0.9
                             else pad + key_text + ":   " + emit_scalar(item, rng) + "  ")
    elif isinstance(value, list) and value:
        for item in value:
            if isinstance(item, (dict, list)) and item:
                nested = emit_kubectl(item, rng, indent + 2, seq_indent)
                nested[0] = pad + "- " + nested[0][indent + 2:]
                lines.extend(nested)
            else:
                lines.append(pad + "- " + emit_scalar(item, rng))
    else:
        lines.append(pad + emit_scalar(value, rng))
    if rng.random() < 0.1:
        lines.insert(rng.randint(0, len(lines)), rng.choice(["", "# comment", " " * indent + "# note", "   "]))
    return lines


def random_texts(rng, count):
    for unused in range(count):
        doc = {rng.choice(PLAIN): random_doc(rng) for unused_key in range(rng.randint(1, 4))}
        style = rng.random()
        if style < 0.3:
            yield yaml.safe_dump(doc, default_flow_style=False)
        elif style < 0.4:
            yield yaml.safe_dump(doc, default_flow_style=False, allow_unicode=True, sort_keys=False, indent=4)
        else:
            yield "\n".join(emit_kubectl(doc, rng, 0, rng.choice([0, 0, 2, 4]))) + "\n"


def test_randomized_differential():
    rng = random.Random(20240611)
    total = fast = 0
    for text in random_texts(rng, 2500):
        total += 1
        if agrees(text) is not UNSUPPORTED:
            fast += 1
    assert fast / total > 0.3, (fast, total)           # the fast path really ran, the test is not vacuous


def mutate(text, rng):
    lines = text.split("\n")
    for unused in range(rng.randint(1, 3)):
        kind = rng.randrange(6)
        row = rng.randrange(len(lines))
        line = lines[row]
        if kind == 0:                                    # insert a character
            pos = rng.randint(0, len(line))
            lines[row] = line[:pos] + rng.choice(" :-#'\"{}[]&*!|>~\t\rxy19.") + line[pos:]
        elif kind == 1 and line:                         # delete a character
            pos = rng.randrange(len(line))
            lines[row] = line[:pos] + line[pos + 1:]
        elif kind == 2:                                  # indent or dedent a line
            lines[row] = " " * rng.randint(1, 3) + line if rng.random() < 0.5 else line[rng.randint(1, 3):]
        elif kind == 3:                                  # duplicate a line
            lines.insert(row, line)
        elif kind == 4:                                  # drop a line
            del lines[row]
            if not lines:
                lines = [""]
        else:                                            # swap two lines
            other = rng.randrange(len(lines))
            lines[row], lines[other] = lines[other], lines[row]
    return "\n".join(lines)


def test_random_mutations_of_real_kubeconfigs():
    rng = random.Random(6443)
    bases = [KUBECTL_VIEW_RAW, OC_LOGIN, INDENTED, simulator_style()]
    fast = 0
    for unused in range(2000):
        if agrees(mutate(rng.choice(bases), rng)) is not UNSUPPORTED:
            fast += 1
    assert fast > 200                                    # some mutants still take (and must survive) the fast path


def test_random_line_structures():
    """Mappings, items, compact mappings and scalars at random indents: the structure must agree as well."""
    rng = random.Random(2)
    forms = ["K:", "K: x", "K: 'q'", "- x", "- K: x", "- K:", "-  K: x", "- - x", "-", "- 'q'", "K: {}", "K: []", "x",
             "K: --b", "- --", "K:  z  ", "K: yes", "- ~", 'K: "s"', "K: a:b", "# c", "", "-   K:", "K: ~", "- []"]
    fast = 0
    for unused in range(4000):
        lines = ["K:"] + [" " * rng.choice([0, 0, 1, 2, 2, 2, 3, 4, 4, 4, 6]) + rng.choice(forms)
                          for unused_line in range(rng.randint(1, 8))]
        if agrees("\n".join(line.replace("K", "k%d" % row) for row, line in enumerate(lines)) + "\n") is not UNSUPPORTED:
            fast += 1
    assert fast > 400
