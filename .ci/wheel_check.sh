#!/usr/bin/env bash
# The built wheel, installed into a clean virtual environment, works on its own:
#   bash .ci/wheel_check.sh dist/relucert-VERSION-py3-none-any.whl
# No editable install and no source tree on sys.path (everything runs in a temporary
# folder), so a package missing from setup.cfg, a wrong package_dir or a data file left
# out of package_data fails here although the editable install hides it.
# Installs the base requirements only (no extra): the demo and every import must work
# without torch and scikit-learn.
set -euo pipefail
wheel="$(realpath "$1")"
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check -c "$root/constraints.txt" "$wheel"
installed=$(date +%s)
echo "wheel check: $(basename "$wheel") installed into a clean venv in $((installed - start)) s"
"$work/venv/bin/python" -m pip check
# Every package of the source tree, found from its folders (independently of setup.cfg):
# the root folders mapped by package_dir are subpackages of relucert.
packages=$(cd "$root" && find relucert arrangement lp verify gpu -name __init__.py -not -path '*/__pycache__/*' \
  | sed -e 's#/__init__.py$##' -e 's#^\(arrangement\|lp\|verify\|gpu\)#relucert/\1#' -e 's#/#.#g' | sort)
cd "$work"
"$work/venv/bin/python" - "$root" $packages <<'PY'
import importlib, pathlib, sys
root = pathlib.Path(sys.argv[1]).resolve()
for name in sys.argv[2:]:
    try:
        module = importlib.import_module(name)
    except Exception as exc:
        sys.exit(f"wheel check: cannot import {name} from the installed wheel: {exc!r}")
    if getattr(module, "__file__", None) is None:  # a folder without __init__.py: a namespace
        sys.exit(f"wheel check: {name} is not in the installed wheel (its __init__.py is missing: is it "
                 f"listed in setup.cfg's packages?)")
    where = pathlib.Path(module.__file__).resolve()
    if root in where.parents:
        sys.exit(f"wheel check: {name} was imported from the source tree ({where}), not from the wheel")
print(f"wheel check: {len(sys.argv) - 2} packages import from the installed wheel")
PY
version=$("$work/venv/bin/relucert" --version)
expected=$("$work/venv/bin/python" -c "import importlib.metadata as m; print('relucert', m.version('relucert'))")
[ "$version" = "$expected" ] || { echo "wheel check: relucert --version says '$version', metadata '$expected'"; exit 1; }
echo "wheel check: $version"
"$work/venv/bin/relucert" demo --out-dir "$work/demo" --no-progress > "$work/demo.log"
ls "$work/demo"/*.png > /dev/null
echo "wheel check: relucert demo ran from the wheel and wrote $(ls "$work/demo" | wc -l) files in $(( $(date +%s) - installed )) s"
