"""Make the checkout importable as ``ansible_collections.ocp.registry`` for pytest.

Collection code and tests import each other through the collection namespace, as they do when
ansible-test or ansible-playbook loads them. A plain checkout is not laid out that way, so this builds
``.cache/collections/ansible_collections/ocp/registry`` as a link to the checkout, puts it first on
``sys.path`` and exports ``ANSIBLE_COLLECTIONS_PATH`` for the ansible-playbook runs the tests start.
"""
import os
import sys

_ROOT = os.path.dirname(os.path.abspath(__file__))


def _collection_root():
    parts = _ROOT.split(os.sep)
    if len(parts) >= 3 and parts[-3:-1] == ["ansible_collections", "ocp"] and parts[-1] == "registry":
        return os.sep.join(parts[:-3])  # already inside an ansible_collections tree (ansible-test)
    base = os.path.join(_ROOT, ".cache", "collections")
    link = os.path.join(base, "ansible_collections", "ocp", "registry")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        try:
            os.symlink(_ROOT, link)
        except FileExistsError:
            pass
    return base


_COLLECTIONS = _collection_root()
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)
_paths = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")
if _COLLECTIONS not in _paths.split(os.pathsep):
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(p for p in (_COLLECTIONS, _paths) if p)
