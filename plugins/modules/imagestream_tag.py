#!/usr/bin/python
# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: imagestream_tag
short_description: Point, alias, delete and roll back ImageStream tags (oc tag)
version_added: 0.1.0
author:
  - ocp.registry maintainers (@ocp-collections)
description:
  - Idempotent C(oc tag). Points one or more destination tags (V(stream:tag), created with their stream when
    missing) at an external image, another image stream tag, or an image by digest.
  - O(from_tag) copies the source tag's current image (the tag is pinned to C(stream@digest)), as C(oc tag) does;
    with O(alias=true) the tag follows the source tag instead.
  - O(state=absent) deletes the tags (C(oc tag -d)); their images stay reachable through other tags' history.
  - O(rollback) restores a moved or deleted tag from history, by V(previous), a digest, or a history generation.
  - The result reports each tag's image before and after the task.
extends_documentation_fragment:
  - ocp.registry.auth
  - ocp.registry.attributes
options:
  dest:
    description:
      - Destination tags, V(stream:tag) or V(namespace/stream:tag).
    type: list
    elements: str
    required: true
    aliases: [tags]
  namespace:
    description: Namespace of destinations written without one; also the default source namespace.
    type: str
  state:
    description: V(present) points the tags at the source; V(absent) deletes them.
    type: str
    default: present
    choices: [present, absent]
  from_image:
    description:
      - External pull spec, V(registry/ns/repo:tag) or V(registry/ns/repo@sha256:...) (a tag with a digest is
        rejected). V(http://) only with O(insecure=true).
    type: str
  from_tag:
    description: Source image stream tag, V(stream:tag) or V(namespace/stream:tag).
    type: str
  from_digest:
    description: Source image by digest, V(stream@sha256:...) or V(namespace/stream@sha256:...).
    type: str
  from_namespace:
    description: Namespace of the O(from_tag) or O(from_digest) stream (default O(namespace)).
    type: str
  alias:
    description: With O(from_tag), follow the source tag (an ImageStreamTag reference) instead of copying its image.
    type: bool
    default: false
  reference:
    description: Point at the pull spec without importing it (C(oc tag --reference)).
    type: bool
    default: false
  reference_policy:
    description: V(Source) or V(Local); unset means V(Source) for new tags and keeps the current policy on rollback.
    type: str
    choices: [Source, Local]
  scheduled:
    description: Re-import periodically (only with O(from_image)).
    type: bool
    default: false
  import_mode:
    description: Import mode for manifest lists.
    type: str
    choices: [Legacy, PreserveOriginal]
  insecure:
    description: Allow plain HTTP or an unverified certificate for this import. Off unless asked.
    type: bool
    default: false
  annotations:
    description: Annotations of the spec tags.
    type: dict
  rollback:
    description:
      - Pin the tags to an image from history. V(previous) is the newest image in the tag's history that differs
        from the current one; V(sha256:...) is looked up in the history of every tag of the stream (so a deleted
        tag can be restored); a number is a history generation of the tag.
      - V(previous) does nothing when the tag is already pinned to a digest from its history (rolled back before);
        give a digest or a generation to move further.
    type: str
  fail_on_import_error:
    description: Fail when the import of an external image reports an error.
    type: bool
    default: true
  pull_secret:
    description:
      - A pull secret for a private registry, checked (only O(pull_secret.name)) or created/updated as a
        C(kubernetes.io/dockerconfigjson) secret in the destination namespaces; imports use the namespace's pull secrets.
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
"""

EXAMPLES = r"""
- name: Tag v1 from an external registry (oc tag quay.io/ns/app:v1 app:v1)
  ocp.registry.imagestream_tag:
    namespace: my-project
    dest: [app:v1]
    from_image: quay.io/ns/app:v1

- name: latest copies v1's current image (oc tag app:v1 app:latest)
  ocp.registry.imagestream_tag:
    namespace: my-project
    dest: [app:latest]
    from_tag: app:v1

- name: stable follows latest (oc tag --alias)
  ocp.registry.imagestream_tag:
    namespace: my-project
    dest: [app:stable]
    from_tag: app:latest
    alias: true

- name: Delete v1 (oc tag -d app:v1)
  ocp.registry.imagestream_tag:
    namespace: my-project
    dest: [app:v1]
    state: absent

- name: Restore v1 from history by digest
  ocp.registry.imagestream_tag:
    namespace: my-project
    dest: [app:v1]
    rollback: "sha256:c505b916f7e5143a356ff961f2c21aee40fbd2cd906c1e3feeb8d5e978da284b"

- name: Roll latest back to its previous image
  ocp.registry.imagestream_tag:
    namespace: my-project
    dest: [app:latest]
    rollback: previous
  register: rb

- name: Show what moved
  ansible.builtin.debug:
    msg: "{{ rb.tags[0].before.digest }} -> {{ rb.tags[0].after.digest }}"
"""

RETURN = r"""
tags:
  description: One entry per destination tag.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: "V(stream:tag).", type: str, sample: "app:v1"}
    namespace: {description: Namespace., type: str}
    changed: {description: Whether this tag changed., type: bool}
    before:
      description: The tag's image before the task (digest, pull_spec, generation, created), or null.
      type: dict
      sample: {digest: "sha256:c505...", pull_spec: "quay.io/ns/app@sha256:c505...", generation: 2,
               created: "2026-01-01T00:00:00Z"}
    after:
      description: The tag's image after the task, or null (deleted, or not predictable in check mode).
      type: dict
    imports:
      description: Import results for this tag (external images).
      type: list
      elements: dict
    target:
      description: With O(rollback), the history entry restored (digest, pull_spec, generation, created).
      type: dict
pull_secrets:
  description: The pull secrets checked or written (names only).
  returned: when O(pull_secret) is given
  type: list
  elements: dict
notes:
  description: Why a rollback did nothing.
  returned: when a rollback was already in place
  type: list
  elements: str
"""

# First, so that the module_utils below are compiled once, not twice (see compile_once.py).
from ansible_collections.ocp.registry.plugins.module_utils import compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.ocp.registry.plugins.module_utils.imagestream_tag import (
    MUTUALLY_EXCLUSIVE, REQUIRED_IF, argument_spec, run)
from ansible_collections.ocp.registry.plugins.module_utils.module import RegistryModule


def main():
    module = RegistryModule(argument_spec=argument_spec(), supports_check_mode=True,
                            mutually_exclusive=MUTUALLY_EXCLUSIVE, required_if=REQUIRED_IF)
    module.run(run)


if __name__ == "__main__":
    main()
