#!/usr/bin/env bash
# Regenerate the lock file (constraints.txt) from setup.cfg's ranges:
#   bash .ci/lock.sh constraints.txt
# A fresh virtual environment, pip's newest choice under the ranges with torch held to
# the 2.13.0 CPU wheel (and the tools of the wheel check), then `pip freeze --all`.
set -euo pipefail
out="$(realpath "$1")"
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -m venv "$work/venv"
echo "torch==2.13.0+cpu" > "$work/torch.txt"
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check -c "$work/torch.txt" "$root[all,test]"
{ if [ -f "$out" ]; then sed -n '/^#/p' "$out"; fi  # keep the file's header comment
  "$work/venv/bin/python" -m pip freeze --all | grep -v -E '^(pip|relucert)(==| @ )' | LC_ALL=C sort -f; } > "$work/lock.txt"
mv "$work/lock.txt" "$out"
echo "wrote $out"
