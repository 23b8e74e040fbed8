#!/usr/bin/env bash
# Run ansible-test (sanity or units) offline, without docker.
#   tests/tools/ansible_test.sh VENV_DIR PYTHON_VERSION sanity|units [extra ansible-test args]
# ansible-test needs the collection at .../ansible_collections/ocp/registry and downloads a pip bootstrap
# script this machine cannot reach; we copy the tree there and pre-seed the bootstrap cache with a shim
# that uses ensurepip + PyPI instead (see ../shared/docs/test-recipes.md).
set -euo pipefail
venv=$1; pyver=$2; command=$3; shift 3
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${OCP_ANSIBLE_TEST_WORK:-$repo/.cache/ansible-test}
home=$work/home
dest=$work/tree-$pyver/ansible_collections/ocp/registry
mkdir -p "$home/.ansible/test/cache"
for v in 24_2 25_0 25_1 25_2 25_3 26_0; do
  cat > "$home/.ansible/test/cache/get_pip_$v.py" <<'PY'
import subprocess, sys
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args)
PY
done
# Fresh copy of exactly what git would ship (tracked + untracked-not-ignored files).
rm -rf "$dest"; mkdir -p "$dest"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf -) | tar -xf - -C "$dest"
# ansible-test uses git to list content when the tree is a repo: make it one so ignored files stay out.
(cd "$dest" && git init -q && git add -A && git -c user.email=ci@localhost -c user.name=ci commit -qm snapshot)
# The simulator reads the CRDs from <checkout>/../shared (ansible-test passes no custom environment to
# pytest), so the copy gets a link to the real shared/ beside it.
[ -d "$repo/../shared" ] && ln -sfn "$(cd "$repo/.." && pwd)/shared" "$(dirname "$dest")/shared"
cd "$dest"
export HOME=$home
status=0
"$venv/bin/ansible-test" "$command" --python "$pyver" --venv --color no "$@" || status=$?
# Keep the JUnit reports (units) for the per-category summary of `make test`.
if [ -d tests/output/junit ]; then
  mkdir -p "$repo/.cache/reports"
  for f in tests/output/junit/*.xml; do [ -e "$f" ] && cp "$f" "$repo/.cache/reports/ansible-test-$(basename "$f")"; done
fi
exit $status
