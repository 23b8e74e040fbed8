# -*- coding: utf-8 -*-
# Copyright: ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Local files for the host-side modules: read if present, write atomically with a mode, make directories."""
from __future__ import annotations

import errno
import os
import tempfile

from ansible_collections.ocp.registry.plugins.module_utils.errors import RegistryError

__all__ = ["read_or_none", "atomic_write", "make_dirs", "become_hint"]


def become_hint(exc: OSError) -> str:
    """'; run the task with become: true' for a permission error, else ''."""
    return "; run the task with become: true" if exc.errno in (errno.EPERM, errno.EACCES) else ""


def read_or_none(path: str) -> bytes | None:
    """The file's bytes, or None when it does not exist. Other failures raise RegistryError naming the path."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:  # a directory where the file belongs, a file where a directory belongs, EACCES
        raise RegistryError("cannot read %s: %s%s" % (path, exc.strerror or exc, become_hint(exc))) from None


def atomic_write(path: str, data: bytes, mode: int) -> None:
    """Write ``data`` to a temporary file beside ``path`` with ``mode`` (never wider meanwhile), then rename."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def make_dirs(directory: str, mode: int) -> None:
    """Create ``directory`` and its missing parents with exactly ``mode`` (whatever the umask)."""
    missing = []
    current = directory
    while current and not os.path.isdir(current):
        missing.append(current)
        current = os.path.dirname(current)
    for path in reversed(missing):
        os.mkdir(path, mode)
        os.chmod(path, mode)
