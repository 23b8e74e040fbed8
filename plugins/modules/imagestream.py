#!/usr/bin/python
# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: imagestream
short_description: Declare OpenShift ImageStreams, their tags, and import them now
version_added: 0.1.0
author:
  - ocp.registry maintainers (@ocp-collections)
description:
  - Creates, updates or deletes ImageStreams (C(image.openshift.io/v1)) with their spec tags, like
    C(oc create imagestream), C(oc tag) and C(oc import-image) together.
  - A tag follows an external image (O(tags[].from_image)), another stream's tag (O(tags[].from_tag), same
    or another namespace), or an image of a stream by digest (O(tags[].from_digest)).
  - Only the fields the task sets are managed; tags the task does not list are kept unless O(prune_tags=true).
    A second identical run sends no write and reports C(changed=false).
  - After an importable tag changes, when its last import failed (so a run after fixing the cause retries it), or with
    O(reimport=true), an ImageStreamImport is posted and the result per tag
    (resolved digest, pull spec, or the registry's error) is returned in RV(imports). A failed import fails the task
    with the registry's reason unless O(fail_on_import_error=false).
  - Many streams in one task with O(streams); that costs one LIST per namespace on a run that changes nothing.
  - TLS verification of imports stays on unless a tag sets O(tags[].insecure=true).
  - In check mode nothing is imported; with O(reimport=true) a dry-run import (nothing stored) asks the registry,
    so the prediction says whether a digest would move, and import errors are reported as warnings.
notes:
  - "Requests: a run that changes nothing costs one GET (single stream) or one LIST per namespace (O(streams)), plus
    one GET for O(pull_secret). Creating a stream costs a GET and a POST, plus one ImageStreamImport POST when it has
    importable tags."
  - Tags whose last import failed (or that never got an image) are imported again on every run until they succeed,
    so fixing the cause (a pull secret, a pushed image) and re-running is enough.
  - O(prune_tags) deletes the pruned tags' history too (through C(imagestreamtags), like C(oc tag -d)).
extends_documentation_fragment:
  - ocp.registry.auth
  - ocp.registry.attributes
options:
  name:
    description:
      - Name of the ImageStream. Required unless O(streams) is given.
    type: str
  namespace:
    description:
      - Namespace of the stream; the default for every item of O(streams).
    type: str
  state:
    description:
      - V(present) creates or updates the stream; V(absent) deletes it (with all its tags).
    type: str
    default: present
    choices: [present, absent]
  lookup_local:
    description:
      - Set C(spec.lookupPolicy.local), so short image names in the namespace's workloads resolve to this stream.
      - Unset leaves the current value.
    type: bool
  labels:
    description: Labels to add to the stream (existing labels are kept).
    type: dict
  annotations:
    description: Annotations to add to the stream (existing annotations are kept).
    type: dict
  tags:
    description:
      - Spec tags of the stream. Each needs exactly one of O(tags[].from_image), O(tags[].from_tag),
        O(tags[].from_digest).
    type: list
    elements: dict
    suboptions:
      name:
        description: Tag name, for example V(latest) or V(v1).
        type: str
        required: true
      from_image:
        description:
          - External pull spec, V(registry.example.com/ns/repo:tag) or V(registry.example.com/ns/repo@sha256:...).
          - A tag together with a digest is rejected. V(http://) is accepted only with O(tags[].insecure=true).
        type: str
      from_tag:
        description:
          - Another image stream tag to follow, V(stream:tag) or V(namespace/stream:tag) (an ImageStreamTag).
            A bare V(tag) means a tag of this stream.
        type: str
      from_digest:
        description:
          - An image of a stream by digest, V(stream@sha256:...), V(namespace/stream@sha256:...) or V(sha256:...)
            for this stream (an ImageStreamImage).
        type: str
      from_namespace:
        description: Namespace of the O(tags[].from_tag) or O(tags[].from_digest) source stream.
        type: str
      reference:
        description: Do not import the image; the tag only points at the pull spec (C(oc tag --reference)).
        type: bool
        default: false
      reference_policy:
        description:
          - V(Source) gives consumers the original pull spec; V(Local) pulls through the integrated registry.
          - Unset means V(Source), the server's default.
        type: str
        choices: [Source, Local]
      scheduled:
        description: Re-import the tag periodically. Only for O(tags[].from_image).
        type: bool
        default: false
      import_mode:
        description: How manifest lists are imported; unset leaves the server default (V(Legacy)).
        type: str
        choices: [Legacy, PreserveOriginal]
      insecure:
        description:
          - Allow plain HTTP or an unverified certificate when importing this tag. Only when asked; off by default.
        type: bool
        default: false
      annotations:
        description: Annotations of the spec tag (replace the tag's annotations when given).
        type: dict
  prune_tags:
    description: Remove spec tags (and their history) that O(tags) does not list.
    type: bool
    default: false
  import_repository:
    description:
      - Import every tag of a repository, like C(oc import-image --all --from=REPO). Runs when the stream is
        created, when no tag follows the repository yet, or with O(reimport=true).
    type: dict
    suboptions:
      from_image:
        description: The repository, without tag or digest, for example V(quay.io/ns/repo).
        type: str
        required: true
      limit:
        description:
          - Import at most this many tags, the first ones in the order the server prioritizes a repository's tags. Costs one extra dry-run import.
            Unset leaves the server's own cap (50 by default).
        type: int
      reference_policy:
        description: Reference policy of the imported tags.
        type: str
        choices: [Source, Local]
      scheduled:
        description: Re-import the imported tags periodically.
        type: bool
        default: false
      import_mode:
        description: Import mode of the imported tags.
        type: str
        choices: [Legacy, PreserveOriginal]
      insecure:
        description: Allow plain HTTP or an unverified certificate for this repository.
        type: bool
        default: false
  reimport:
    description:
      - Import every importable tag now even when nothing changed. Reports C(changed) only when a digest moved.
    type: bool
    default: false
  streams:
    description:
      - Many streams in one task. Each item takes the per-stream options O(name) (required), O(namespace),
        O(state), O(lookup_local), O(labels), O(annotations), O(tags), O(prune_tags), O(import_repository) and
        O(reimport); unset O(namespace), O(state), O(prune_tags), O(reimport) and O(lookup_local) come from the
        task level.
      - Source streams named by O(tags[].from_tag) may be created earlier in the same list.
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the ImageStream.
        type: str
        required: true
      namespace:
        description: Namespace of the stream (default O(namespace)).
        type: str
      state:
        description: As O(state).
        type: str
        choices: [present, absent]
      lookup_local:
        description: As O(lookup_local).
        type: bool
      labels:
        description: As O(labels).
        type: dict
      annotations:
        description: As O(annotations).
        type: dict
      tags:
        description: As O(tags).
        type: list
        elements: dict
        suboptions:
          name:
            description: Tag name.
            type: str
            required: true
          from_image:
            description: External pull spec.
            type: str
          from_tag:
            description: Image stream tag to follow.
            type: str
          from_digest:
            description: Image of a stream by digest.
            type: str
          from_namespace:
            description: Namespace of the source stream.
            type: str
          reference:
            description: Do not import.
            type: bool
            default: false
          reference_policy:
            description: Reference policy.
            type: str
            choices: [Source, Local]
          scheduled:
            description: Scheduled import.
            type: bool
            default: false
          import_mode:
            description: Import mode.
            type: str
            choices: [Legacy, PreserveOriginal]
          insecure:
            description: Allow an insecure import.
            type: bool
            default: false
          annotations:
            description: Tag annotations.
            type: dict
      prune_tags:
        description: As O(prune_tags).
        type: bool
      import_repository:
        description: As O(import_repository).
        type: dict
        suboptions:
          from_image:
            description: The repository.
            type: str
            required: true
          limit:
            description: At most this many tags.
            type: int
          reference_policy:
            description: Reference policy.
            type: str
            choices: [Source, Local]
          scheduled:
            description: Scheduled import.
            type: bool
            default: false
          import_mode:
            description: Import mode.
            type: str
            choices: [Legacy, PreserveOriginal]
          insecure:
            description: Allow an insecure import.
            type: bool
            default: false
      reimport:
        description: As O(reimport).
        type: bool
  pull_secret:
    description:
      - A pull secret for private registries. Imports use the pull secrets of the stream's namespace, so the secret
        is checked (only O(pull_secret.name)) or created/updated as a C(kubernetes.io/dockerconfigjson) secret (with
        O(pull_secret.registry), O(pull_secret.username) and O(pull_secret.password)) in every namespace of the task.
    type: dict
    suboptions:
      name:
        description: Secret name.
        type: str
        required: true
      registry:
        description: Registry host[:port] the credentials are for.
        type: str
      username:
        description: Registry user.
        type: str
      password:
        description: Registry password or token. Never returned or logged.
        type: str
      email:
        description: Optional e-mail stored with the credentials.
        type: str
  fail_on_import_error:
    description: Fail the task when an import reports an error (the registry's reason is in the message).
    type: bool
    default: true
  wait:
    description:
      - Wait until the stream's status shows every tag at its current spec generation (an image or an import
        condition), for example tags that follow another stream.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait with O(wait).
    type: int
    default: 120
  wait_sleep:
    description: Seconds between polls with O(wait).
    type: int
    default: 1
"""

EXAMPLES = r"""
- name: Tag v1 from an external registry and make latest follow it
  ocp.registry.imagestream:
    name: deployment-example
    namespace: my-project
    tags:
      - name: v1
        from_image: quay.io/openshift/deployment-example:v1
      - name: latest
        from_tag: v1
  register: result

- name: Show the imported digest
  ansible.builtin.debug:
    msg: "{{ result.imports | map(attribute='digest') | list }}"

- name: Import every tag of a private repository with a pull secret
  ocp.registry.imagestream:
    name: ubi
    namespace: my-project
    import_repository:
      from_image: registry.example.com/team/ubi
      limit: 10
    pull_secret:
      name: team-registry
      registry: registry.example.com
      username: robot
      password: "{{ vault_robot_token }}"

- name: Re-import now; changed only if a digest moved
  ocp.registry.imagestream:
    name: ubi
    namespace: my-project
    reimport: true

- name: Many streams in one task (one LIST per namespace when nothing changes)
  ocp.registry.imagestream:
    namespace: my-project
    streams:
      - name: base
        tags: [{name: "8", from_image: registry.example.com/ubi8/ubi:8.0}]
      - name: app
        lookup_local: true
        tags: [{name: base, from_tag: base:8, reference_policy: Local}]

- name: Delete a stream
  ocp.registry.imagestream:
    name: old
    namespace: my-project
    state: absent
"""

RETURN = r"""
imagestream:
  description: The stream after the task (single-stream form), as plain data.
  returned: success, without O(streams)
  type: dict
  contains:
    name: {description: Stream name., type: str, sample: app}
    namespace: {description: Namespace., type: str, sample: my-project}
    internal_repository: {description: Repository in the integrated registry., type: str,
                          sample: image-registry.openshift-image-registry.svc:5000/my-project/app}
    public_repository: {description: Repository through the registry's public route (when exposed)., type: str}
    lookup_local: {description: Local lookup policy., type: bool}
    tags:
      description: Tags with their source and current image.
      type: list
      elements: dict
      sample: [{name: v1, digest: "sha256:c505...", pull_spec: "quay.io/ns/repo@sha256:c505...", generation: 2,
                from: {kind: DockerImage, name: "quay.io/ns/repo:v1"}, conditions: []}]
imports:
  description: Per-tag import results of this run (single-stream form); empty when nothing was imported.
  returned: success, without O(streams)
  type: list
  elements: dict
  sample: [{tag: v1, from: "quay.io/ns/repo:v1", succeeded: true, digest: "sha256:c505...", moved: true,
            pull_spec: "quay.io/ns/repo@sha256:c505...", previous_digest: null}]
results:
  description: One entry per stream, with RV(imagestream) and RV(imports) of that stream and its own C(changed).
  returned: always
  type: list
  elements: dict
pull_secrets:
  description: The pull secrets checked or written (names only, never the credentials).
  returned: when O(pull_secret) is given
  type: list
  elements: dict
  sample: [{name: team-registry, namespace: my-project, changed: true}]
"""

# First, so that the module_utils below are compiled once, not twice (see compile_once.py).
from ansible_collections.ocp.registry.plugins.module_utils import compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.ocp.registry.plugins.module_utils.imagestream_apply import argument_spec, run
from ansible_collections.ocp.registry.plugins.module_utils.module import RegistryModule


def main():
    module = RegistryModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        mutually_exclusive=[("name", "streams")],
        required_one_of=[("name", "streams")],
    )
    module.run(run)


if __name__ == "__main__":
    main()
