# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Compile each of our module_utils once per module run instead of twice.

AnsiballZ runs a module from a zip, and CPython's zipimport compiles every source it imports twice:
``zipimporter.get_filename()`` compiles the source only to return its path, then ``exec_module()`` compiles
it again (CPython gh-141276; python/cpython#153799 proposes a fix). On a no-op task that is about 17 ms of
CPU spent compiling our code for nothing (``benchmarks/README.md``).

Every module imports this file before any other module_utils. It gives the one zipimporter that loads our
module_utils directory an instance-level ``get_filename`` that finds the path without compiling. Nothing
else changes: not the ``zipimporter`` class, not the importers of ansible-core or of other collections. The
lookup answers only for a zipped source with no bytecode beside it (what AnsiballZ builds) and leaves
bytecode, and names the importer cannot find, to the original method. Outside a zip (unit tests,
ansible-test) it does nothing.
"""

from __future__ import annotations

import os
import zipimport

__all__ = ["source_path_getter"]


def source_path_getter(importer: zipimport.zipimporter):
    """A ``get_filename`` for ``importer`` that does not compile; the original's answer where in doubt."""
    original = importer.get_filename

    def get_filename(fullname: str) -> str:
        try:
            package = importer.is_package(fullname)  # a table lookup; raises when the name is not in the zip
        except (ImportError, OSError):
            return original(fullname)  # the original's own error
        base = importer.prefix + fullname.rpartition(".")[2] + (os.sep + "__init__" if package else "")
        try:
            importer.get_data(base + ".pyc")  # bytecode comes first in zipimport's search order
        except OSError:  # none: the source is the file, and exec_module() compiles it (once)
            return importer.archive + os.sep + base + ".py"
        return original(fullname)  # bytecode: the original checks it and may fall back to the source

    return get_filename


def _install() -> None:
    importer = globals().get("__loader__")
    own = getattr(importer, "__dict__", None)  # None: the C zipimporter of Python < 3.8 takes no attributes
    if isinstance(importer, zipimport.zipimporter) and own is not None and "get_filename" not in own:
        importer.get_filename = source_path_getter(importer)


_install()
