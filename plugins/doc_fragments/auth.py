# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this doc fragment is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

from __future__ import annotations


class ModuleDocFragment:
    # Connection options shared by every module (same names, aliases and variables as kubernetes.core).
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path to a kubeconfig file, or the kubeconfig content as a dictionary.
      - Several files can be given separated by the OS path separator; they are merged as C(kubectl) does.
      - When no connection option is set, the in-cluster service account is used if present, then
        E(KUBECONFIG) or C(~/.kube/config).
      - Tokens, passwords and keys found in a kubeconfig dictionary are kept out of the output.
      - Can also be set with the E(K8S_AUTH_KUBECONFIG) environment variable.
    type: raw
  context:
    description:
      - The kubeconfig context to use instead of its current-context.
      - The context's namespace is the default namespace of modules that take one.
      - Can also be set with the E(K8S_AUTH_CONTEXT) environment variable.
    type: str
  host:
    description:
      - URL of the API server, for example V(https://api.example.com:6443).
      - Overrides the server of the kubeconfig context.
      - Can also be set with the E(K8S_AUTH_HOST) environment variable.
    type: str
  api_key:
    description:
      - Bearer token used to authenticate with the API server.
      - Can also be set with the E(K8S_AUTH_API_KEY) environment variable.
    type: str
  username:
    description:
      - Username for an OpenShift OAuth token login (the same flow as C(oc login) with a password).
      - Must be given together with O(password). The token obtained is used for this task only.
      - Can also be set with the E(K8S_AUTH_USERNAME) environment variable.
    type: str
  password:
    description:
      - Password for the OpenShift OAuth token login with O(username).
      - Can also be set with the E(K8S_AUTH_PASSWORD) environment variable.
    type: str
  validate_certs:
    description:
      - Whether to verify the API server's TLS certificate.
      - When not set, certificates are verified unless the kubeconfig cluster sets C(insecure-skip-tls-verify).
      - Can also be set with the E(K8S_AUTH_VERIFY_SSL) environment variable.
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description:
      - Path to a CA certificate (PEM) used to verify the API server, instead of the kubeconfig's.
      - Can also be set with the E(K8S_AUTH_SSL_CA_CERT) environment variable.
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description:
      - Path to a client certificate (PEM) used to authenticate with the API server.
      - Can also be set with the E(K8S_AUTH_CERT_FILE) environment variable.
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Path to the private key (PEM) of O(client_cert).
      - Can also be set with the E(K8S_AUTH_KEY_FILE) environment variable.
    type: path
    aliases: [key_file]
  proxy:
    description:
      - URL of an HTTP proxy, for example V(http://proxy.example.com:3128). HTTPS API servers are reached
        through an HTTP CONNECT tunnel. Credentials in the URL are sent as proxy basic auth.
      - Overrides the kubeconfig cluster's C(proxy-url).
      - The E(HTTPS_PROXY) and E(NO_PROXY) environment variables are not used (as with kubernetes.core).
      - Can also be set with the E(K8S_AUTH_PROXY) environment variable.
    type: str
  no_proxy:
    description:
      - Comma separated hosts, domains (V(.example.com)), IP addresses or CIDR ranges reached without the proxy.
      - Can also be set with the E(K8S_AUTH_NO_PROXY) environment variable.
    type: str
  proxy_headers:
    description:
      - Extra headers sent to the proxy when the tunnel is opened.
    type: dict
    suboptions:
      proxy_basic_auth:
        description:
          - C(user:password) for proxy basic authentication.
          - Can also be set with the E(K8S_AUTH_PROXY_HEADERS_PROXY_BASIC_AUTH) environment variable.
        type: str
      basic_auth:
        description:
          - C(user:password) sent as basic C(Authorization) header on the tunnel request.
          - Can also be set with the E(K8S_AUTH_PROXY_HEADERS_BASIC_AUTH) environment variable.
        type: str
      user_agent:
        description:
          - User agent sent to the proxy.
          - Can also be set with the E(K8S_AUTH_PROXY_HEADERS_USER_AGENT) environment variable.
        type: str
  persist_config:
    description:
      - Whether refreshed tokens of a legacy kubeconfig C(auth-provider) are written back to the kubeconfig file.
      - Only used when such a kubeconfig is loaded through the Python C(kubernetes) package.
      - Can also be set with the E(K8S_AUTH_PERSIST_CONFIG) environment variable.
    type: bool
  impersonate_user:
    description:
      - Username to act as (sends the C(Impersonate-User) header). The caller needs the C(impersonate) permission.
      - Can also be set with the E(K8S_AUTH_IMPERSONATE_USER) environment variable.
    type: str
  impersonate_groups:
    description:
      - Groups to act as (C(Impersonate-Group) headers), together with O(impersonate_user).
      - Can also be set with the E(K8S_AUTH_IMPERSONATE_GROUPS) environment variable.
    type: list
    elements: str
notes:
  - Connection settings are resolved as in M(kubernetes.core.k8s) - options, then the kubeconfig context,
    then the in-cluster service account, then E(KUBECONFIG) or C(~/.kube/config).
  - The modules need no Python library beyond Ansible on the managed host. Only kubeconfigs that use a legacy
    C(auth-provider) plugin need the Python C(kubernetes) package.
  - Kubeconfig C(exec) credential plugins (C(client.authentication.k8s.io/v1) and C(v1beta1)) are run without a
    terminal; plugins that require C(interactiveMode=Always) are refused.
"""

    WAIT = r"""
options:
  wait:
    description:
      - Whether to wait until the change has been acted on (see the module's description for what that means).
    type: bool
    default: false
  wait_timeout:
    description:
      - How many seconds to wait when O(wait=true). The module fails with the last observed state when it runs out.
    type: int
    default: 120
  wait_sleep:
    description:
      - Seconds between two checks when O(wait=true).
    type: int
    default: 5
"""
