"""`ansible-galaxy collection build` then `install` of the tarball, offline, and load every module's docs."""
from __future__ import annotations

import glob
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ocp-build-") as tmp:
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(tmp, "colls"), HOME=tmp)
        subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force",
                        "--output-path", tmp], cwd=REPO, check=True, env=env)
        tarballs = glob.glob(os.path.join(tmp, "ocp-registry-*.tar.gz"))
        assert len(tarballs) == 1, f"expected one tarball, got {tarballs}"
        listing = subprocess.run(["tar", "-tzf", tarballs[0]], check=True, capture_output=True, text=True).stdout
        for unwanted in (".cache/", ".venv", "__pycache__", "tests/output", ".pytest_cache"):
            assert unwanted not in listing, f"{unwanted} leaked into the tarball"
        subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", tarballs[0],
                        "-p", os.path.join(tmp, "colls")], check=True, env=env)
        installed = os.path.join(tmp, "colls", "ansible_collections", "ocp", "registry")
        modules = sorted(os.path.splitext(os.path.basename(p))[0]
                         for p in glob.glob(os.path.join(installed, "plugins", "modules", "*.py"))
                         if not os.path.basename(p).startswith("_"))
        assert modules, "no modules in the installed collection"
        for name in modules:
            subprocess.run([os.path.join(BIN, "ansible-doc"), "-t", "module", f"ocp.registry.{name}"],
                           check=True, env=env, capture_output=True)
        roles = sorted(os.listdir(os.path.join(installed, "roles"))) if os.path.isdir(
            os.path.join(installed, "roles")) else []
        print(f"build-check: built {os.path.basename(tarballs[0])}, installed offline, "
              f"ansible-doc loaded {len(modules)} modules ({', '.join(modules)}); roles: {', '.join(roles) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
