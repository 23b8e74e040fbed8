#!/usr/bin/python
# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: image_registry_config
short_description: Configure the OpenShift integrated image registry (configs.imageregistry.operator.openshift.io/cluster)
version_added: 0.1.0
author:
  - ocp.registry maintainers (@ocp-collections)
description:
  - Sets the fields of the image registry operator's C(Config) object C(cluster) that the task names, and
    only those. Fields the operator fills in (C(spec.httpSecret), generated bucket names, C(status), finalizers)
    never cause a change.
  - Configures storage with exactly one backend. Switching backend removes the old one in the same write.
  - Optionally writes the storage credentials secret C(openshift-image-registry/image-registry-private-configuration-user)
    with the keys the chosen backend needs, compared without revealing the values.
  - Every input rule is checked before anything is written, including the rules the operator only reports
    later as a degraded registry (ReadWriteOnce claims, emptyDir replicas).
  - With O(wait=true), returns once the operator reports Available=True, Progressing=False and Degraded=False for
    the written generation, on both the Config and the ClusterOperator C(image-registry); it also waits for the
    operator to create the Config when it does not exist yet. On timeout the task fails with the conditions'
    reasons and messages. Check mode never waits.
extends_documentation_fragment:
  - ocp.registry.auth
  - ocp.registry.auth.WAIT
  - ocp.registry.attributes
  - ocp.registry.attributes.ACTIONGROUP_REGISTRY
options:
  management_state:
    description:
      - C(Managed) deploys and updates the registry, C(Removed) removes it (and storage the operator created),
        C(Unmanaged) leaves the operands alone.
    type: str
    choices: [Managed, Unmanaged, Removed]
  replicas:
    description:
      - Number of registry pods. Two or more need shared storage (object storage or a ReadWriteMany claim).
    type: int
  rollout_strategy:
    description:
      - Deployment strategy of the registry. A ReadWriteOnce claim requires C(Recreate).
    type: str
    choices: [RollingUpdate, Recreate]
  default_route:
    description: Whether the operator exposes the registry with the route C(default-route).
    type: bool
  routes:
    description:
      - Additional routes the operator creates in C(openshift-image-registry); compared as a whole list.
    type: list
    elements: dict
    suboptions:
      name:
        description: Route name (not C(default-route), which is reserved); unique.
        type: str
        required: true
      hostname:
        description: Public host name; empty lets the router generate one.
        type: str
      secret_name:
        description: TLS secret in C(openshift-image-registry) with C(tls.crt), C(tls.key) and optionally C(tls.cacrt).
        type: str
  proxy:
    description: Proxy the registry uses for upstream registries and storage; only the given keys are managed.
    type: dict
    suboptions:
      http:
        description: Proxy URL for HTTP.
        type: str
      https:
        description: Proxy URL for HTTPS.
        type: str
      no_proxy:
        description: Comma separated hosts that bypass the proxy.
        type: str
  read_only:
    description: Whether the registry refuses pushes and deletions.
    type: bool
  requests:
    description: Limits on concurrent registry requests.
    type: dict
    suboptions:
      read:
        description: Limits for pulls.
        type: dict
        suboptions:
          max_running:
            description: Maximum requests in flight; 0 means no limit.
            type: int
          max_in_queue:
            description: Maximum queued requests; 0 means no limit.
            type: int
          max_wait_in_queue:
            description: Longest time a request may wait in the queue, as a duration such as C(30s) or C(1m).
            type: str
      write:
        description: Limits for pushes.
        type: dict
        suboptions:
          max_running:
            description: Maximum requests in flight; 0 means no limit.
            type: int
          max_in_queue:
            description: Maximum queued requests; 0 means no limit.
            type: int
          max_wait_in_queue:
            description: Longest time a request may wait in the queue, as a duration such as C(30s) or C(1m).
            type: str
  log_level:
    description: Log level of the registry pods.
    type: str
    choices: [Normal, Debug, Trace, TraceAll]
  operator_log_level:
    description: Log level of the operator.
    type: str
    choices: [Normal, Debug, Trace, TraceAll]
  http_secret:
    description:
      - Secret the registry uses to sign upload state. The operator generates one when empty; set it only to share
        it with another registry. Never shown in results or diffs.
    type: str
  node_selector:
    description: Node labels the registry pods must match (Kubernetes C(nodeSelector)).
    type: dict
  tolerations:
    description: Kubernetes tolerations of the registry pods, as the API spells them (camelCase).
    type: list
    elements: dict
  affinity:
    description: Kubernetes affinity of the registry pods, as the API spells it.
    type: dict
  resources:
    description: Kubernetes resource requests and limits of the registry container.
    type: dict
  topology_spread_constraints:
    description: Kubernetes topology spread constraints of the registry pods, as the API spells them.
    type: list
    elements: dict
  disable_redirect:
    description: Whether the registry serves blobs itself instead of redirecting clients to the storage backend.
    type: bool
  storage:
    description:
      - Storage of the registry. Give at most one backend; switching backend removes the old one in the same write.
      - Credential options (marked below) are written to the secret
        C(openshift-image-registry/image-registry-private-configuration-user), which then holds exactly the keys of
        the chosen backend. When no credential option is given the secret is left alone.
      - Only the backend fields given are managed; the fields the operator fills in (generated bucket, region)
        are kept.
    type: dict
    suboptions:
      management_state:
        description: C(Managed) when the operator owns the storage (and deletes it on removal), C(Unmanaged) otherwise.
        type: str
        choices: [Managed, Unmanaged]
      s3:
        description: Amazon S3 or an S3 compatible service.
        type: dict
        suboptions:
          bucket:
            description: Bucket name; generated by the operator when empty.
            type: str
          region:
            description: Bucket region.
            type: str
          region_endpoint:
            description: Endpoint of an S3 compatible service.
            type: str
          encrypt:
            description: Whether images are stored encrypted.
            type: bool
          key_id:
            description: KMS key ID for encryption; requires O(storage.s3.encrypt=true).
            type: str
          virtual_hosted_style:
            description: Use virtual hosted style bucket addressing with a custom endpoint.
            type: bool
          chunk_size_mib:
            description: Multipart upload chunk size in MiB, 5 to 5120.
            type: int
          trusted_ca:
            description:
              - Name of a ConfigMap in C(openshift-config) with the CA bundle of the endpoint under the key
                C(ca-bundle.crt).
              - A new name is checked before anything is written; the task fails when the ConfigMap or the key is
                missing.
            type: str
            aliases: [trust]
          cloud_front:
            description: Serve blobs through Amazon CloudFront.
            type: dict
            suboptions:
              base_url:
                description: CloudFront base URL.
                type: str
                required: true
              duration:
                description: Validity of signed URLs, as a duration such as C(20m).
                type: str
              keypair_id:
                description: CloudFront key pair ID.
                type: str
                required: true
              private_key:
                description: Secret key selector (in C(openshift-image-registry)) holding the CloudFront private key.
                type: dict
                required: true
                suboptions:
                  name:
                    description: Secret name.
                    type: str
                    required: true
                  key:
                    description: Key in the secret.
                    type: str
                    required: true
                  optional:
                    description: Whether the secret may be missing.
                    type: bool
          access_key:
            description: Credential. AWS access key ID (C(REGISTRY_STORAGE_S3_ACCESSKEY)); needs O(storage.s3.secret_key).
            type: str
          secret_key:
            description: Credential. AWS secret access key (C(REGISTRY_STORAGE_S3_SECRETKEY)).
            type: str
      gcs:
        description: Google Cloud Storage.
        type: dict
        suboptions:
          bucket:
            description: Bucket name; generated by the operator when empty.
            type: str
          region:
            description: Bucket location.
            type: str
          project_id:
            description: GCP project of the bucket.
            type: str
          key_id:
            description: KMS key ID for a customer managed encryption key.
            type: str
          keyfile:
            description:
              - Credential. JSON content of a service account key (C(REGISTRY_STORAGE_GCS_KEYFILE)), for example
                C("{{ lookup('file', 'key.json') }}").
            type: str
      azure:
        description: Azure Blob Storage.
        type: dict
        suboptions:
          account_name:
            description: Storage account name.
            type: str
          container:
            description: Blob container name (lower case letters, digits and dashes).
            type: str
          cloud_name:
            description: Azure cloud environment, such as C(AzurePublicCloud).
            type: str
          account_key:
            description: Credential. Storage account key (C(REGISTRY_STORAGE_AZURE_ACCOUNTKEY)).
            type: str
      swift:
        description: OpenStack Swift.
        type: dict
        suboptions:
          auth_url:
            description: Keystone URL.
            type: str
          auth_version:
            description: Keystone API version.
            type: str
          container:
            description: Container name; generated when empty.
            type: str
          domain:
            description: Keystone domain name.
            type: str
          domain_id:
            description: Keystone domain ID.
            type: str
          region_name:
            description: OpenStack region.
            type: str
          tenant:
            description: Project name.
            type: str
          tenant_id:
            description: Project ID.
            type: str
          username:
            description: Credential. User name; needs O(storage.swift.password).
            type: str
          password:
            description: Credential. Password.
            type: str
          application_credential_id:
            description: Credential. Application credential ID; needs the name and secret too.
            type: str
          application_credential_name:
            description: Credential. Application credential name.
            type: str
          application_credential_secret:
            description: Credential. Application credential secret.
            type: str
          token_id:
            description: Credential. Keystone token.
            type: str
      ibmcos:
        description: IBM Cloud Object Storage.
        type: dict
        suboptions:
          bucket:
            description: Bucket name; generated when empty.
            type: str
          location:
            description: Bucket location.
            type: str
          resource_group_name:
            description: Resource group of the instance.
            type: str
          resource_key_crn:
            description: CRN of the service credentials (C(crn:...:cloud-object-storage:...:resource-key:...)).
            type: str
          service_instance_crn:
            description: CRN of the Cloud Object Storage instance.
            type: str
          iam_api_key:
            description: Credential. IBM Cloud API key (C(REGISTRY_STORAGE_IBMCOS_IAMAPIKEY)).
            type: str
      oss:
        description:
          - Alibaba Cloud OSS. Operators without an OSS storage driver treat this as no storage configured.
        type: dict
        suboptions:
          bucket:
            description: Bucket name.
            type: str
          region:
            description: Bucket region.
            type: str
          endpoint_accessibility:
            description: Whether the registry uses the internal or the public endpoint.
            type: str
            choices: [Internal, Public]
          encryption:
            description: Server side encryption.
            type: dict
            suboptions:
              method:
                description: Encryption method.
                type: str
                choices: [KMS, AES256]
              kms:
                description: KMS settings, with O(storage.oss.encryption.method=KMS).
                type: dict
                suboptions:
                  key_id:
                    description: KMS key ID.
                    type: str
                    required: true
          access_key_id:
            description: Credential. Access key ID (C(REGISTRY_STORAGE_OSS_ACCESSKEYID)).
            type: str
          access_key_secret:
            description: Credential. Access key secret (C(REGISTRY_STORAGE_OSS_ACCESSKEYSECRET)).
            type: str
      pvc:
        description:
          - A PersistentVolumeClaim in C(openshift-image-registry). A named claim must exist; it is read to check
            its access modes. ReadWriteOnce needs O(replicas=1) and O(rollout_strategy=Recreate); two or more
            replicas need ReadWriteMany.
        type: dict
        suboptions:
          claim:
            description:
              - Claim name. Empty lets the operator create C(image-registry-storage) (ReadWriteMany, 100Gi, default
                storage class); nothing is read then.
              - If you created C(image-registry-storage) yourself (for example ReadWriteOnce block storage), name it
                here; the operator refuses to adopt a default claim it did not create.
            type: str
            default: ''
      empty_dir:
        description:
          - Ephemeral storage; every image is lost when the pod restarts. Only for non-production clusters and only
            with one replica, which this module enforces (the operator does not).
        type: dict
        suboptions:
          acknowledge_non_production:
            description: Must be V(true) to confirm that losing the images is acceptable.
            type: bool
            default: false
notes:
  - The credentials secret and the Config are validated before either is written; when credentials are given and
    the Config changes, the server also validates the Config change with a dry run first. The secret is then
    written first so the operator finds the credentials when it reconfigures storage.
  - Deleting the Config resets the registry to platform defaults; this module never deletes it. Use
    O(management_state=Removed) to remove the registry.
seealso:
  - module: ocp.registry.image_registry_info
  - module: ocp.registry.image_pruner
"""

EXAMPLES = r"""
- name: Bare metal / vSphere - run the registry on an automatically created ReadWriteMany claim
  ocp.registry.image_registry_config:
    management_state: Managed
    storage:
      pvc:
        claim: ""
    wait: true

- name: Block storage (ReadWriteOnce claim) - one replica, Recreate rollouts
  ocp.registry.image_registry_config:
    management_state: Managed
    replicas: 1
    rollout_strategy: Recreate
    storage:
      pvc:
        claim: image-registry-storage-rwo
    wait: true

- name: Non-production cluster - emptyDir
  ocp.registry.image_registry_config:
    management_state: Managed
    replicas: 1
    storage:
      empty_dir:
        acknowledge_non_production: true

- name: AWS user-provisioned infrastructure - S3 with credentials
  ocp.registry.image_registry_config:
    storage:
      s3:
        bucket: my-registry-bucket
        region: us-east-1
        access_key: "{{ aws_access_key }}"
        secret_key: "{{ aws_secret_key }}"
    wait: true

- name: GCP - GCS with a service account key
  ocp.registry.image_registry_config:
    storage:
      gcs:
        bucket: my-registry-bucket
        project_id: my-project
        keyfile: "{{ lookup('file', 'registry-sa.json') }}"

- name: Expose the registry with the default route
  ocp.registry.image_registry_config:
    default_route: true
"""

RETURN = r"""
config:
  description: The Config object after the task (predicted in check mode), with C(spec.httpSecret) redacted.
  returned: always
  type: dict
conditions:
  description: Available, Progressing and Degraded conditions of the Config (C(type), C(status), C(reason), C(message)).
  returned: always
  type: list
  elements: dict
cluster_operator_conditions:
  description: The same conditions of the ClusterOperator C(image-registry).
  returned: when O(wait=true) and not in check mode
  type: list
  elements: dict
credentials:
  description: What happened to the credentials secret; key names only, never values.
  returned: when a credential option is given
  type: dict
  contains:
    secret:
      description: Namespace and name of the secret.
      type: str
      sample: openshift-image-registry/image-registry-private-configuration-user
    key_names:
      description: Keys the secret holds (names only, never values).
      type: list
      elements: str
      sample: [REGISTRY_STORAGE_S3_ACCESSKEY, REGISTRY_STORAGE_S3_SECRETKEY]
    changed:
      description: Whether the secret was (or would be) written.
      type: bool
"""

import copy

# First, so that the module_utils below are compiled once, not twice (see compile_once.py).
from ansible_collections.ocp.registry.plugins.module_utils import compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.ocp.registry.plugins.module_utils.args_common import WAIT_ARG_SPEC
from ansible_collections.ocp.registry.plugins.module_utils.module import RegistryModule
from ansible_collections.ocp.registry.plugins.module_utils.registry_config import LOG_LEVELS, ensure_registry_config
from ansible_collections.ocp.registry.plugins.module_utils.storage import STORAGE_MUTUALLY_EXCLUSIVE, STORAGE_OPTIONS

_QUEUE = {"max_running": {"type": "int"}, "max_in_queue": {"type": "int"}, "max_wait_in_queue": {"type": "str"}}


def argument_spec():
    spec = {
        "management_state": {"type": "str", "choices": ["Managed", "Unmanaged", "Removed"]},
        "replicas": {"type": "int"},
        "rollout_strategy": {"type": "str", "choices": ["RollingUpdate", "Recreate"]},
        "default_route": {"type": "bool"},
        "routes": {"type": "list", "elements": "dict", "options": {
            "name": {"type": "str", "required": True}, "hostname": {"type": "str"},
            "secret_name": {"type": "str"}}},
        "proxy": {"type": "dict", "options": {"http": {"type": "str"}, "https": {"type": "str"},
                                              "no_proxy": {"type": "str"}}},
        "read_only": {"type": "bool"},
        "requests": {"type": "dict", "options": {"read": {"type": "dict", "options": dict(_QUEUE)},
                                                 "write": {"type": "dict", "options": dict(_QUEUE)}}},
        "log_level": {"type": "str", "choices": LOG_LEVELS},
        "operator_log_level": {"type": "str", "choices": LOG_LEVELS},
        "http_secret": {"type": "str", "no_log": True},
        "node_selector": {"type": "dict"},
        "tolerations": {"type": "list", "elements": "dict"},
        "affinity": {"type": "dict"},
        "resources": {"type": "dict"},
        "topology_spread_constraints": {"type": "list", "elements": "dict"},
        "disable_redirect": {"type": "bool"},
        "storage": {"type": "dict", "options": copy.deepcopy(STORAGE_OPTIONS), "mutually_exclusive": STORAGE_MUTUALLY_EXCLUSIVE},
    }
    spec.update(copy.deepcopy(WAIT_ARG_SPEC))
    return spec


def main():
    module = RegistryModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(ensure_registry_config)


if __name__ == "__main__":
    main()
