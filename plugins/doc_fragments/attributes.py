# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this doc fragment is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

from __future__ import annotations


class ModuleDocFragment:
    # The common case, a module that changes cluster objects: full check mode, diff and idempotence.
    # A module states only its deviations (support, details) in its own attributes; its values win.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return a changed status prediction without modifying the cluster.
    support: full
  diff_mode:
    description: Returns details on what has changed (or would change in C(check_mode)) when in diff mode.
    support: full
  idempotent:
    description:
      - When run twice in a row outside check mode with the same arguments, the second run reports no change.
      - This assumes that nothing else changed the objects concerned in between.
    support: full
"""

    # For modules that only read. Use it INSTEAD of the default fragment (ocp.registry.attributes): when both
    # are listed, the fragment listed first wins, and the default's diff_mode support is "full".
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return a changed status prediction without modifying the cluster.
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    description: Returns details on what has changed (or would change in C(check_mode)) when in diff mode.
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    description:
      - When run twice in a row outside check mode with the same arguments, the second run reports no change.
      - This assumes that nothing else changed the objects concerned in between.
    support: full
    details:
      - This action does not modify state.
"""

    ACTIONGROUP_REGISTRY = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/ocp.registry.registry) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - ocp.registry.registry
"""
