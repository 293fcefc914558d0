"""Run every benchmarks/bench_*.py in turn (``make bench``); ``--quick`` is passed through.

Each script prints its own table (ratio against a baseline run in the same process,
absolute times, the machine). Exit status: non-zero when any script failed.
"""
from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: well under a minute per script")
    parser.add_argument("only", nargs="*", help="run only scripts whose name contains one of these words")
    args = parser.parse_args(argv)
    here = pathlib.Path(__file__).resolve().parent
    scripts = sorted(here.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if any(w in s.name for w in args.only)]
    failed = []
    for script in scripts:
        print(f"=== {script.name}{' --quick' if args.quick else ''}", flush=True)
        start = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script)] + (["--quick"] if args.quick else []))
        print(f"=== {script.name}: exit {rc}, {time.perf_counter() - start:.1f} s\n", flush=True)
        if rc != 0:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
