"""Run every benchmark in turn (``make bench``); ``--quick`` runs each at reduced size.

    python benchmarks/run_all.py [--quick] [--json FILE] [WORD ...]

The benchmarks are benchmarks/bench_*.py and benchmarks/gpu_scan.py, each in a fresh
Python process. Each prints its own table (ratio against a baseline run in the same
process, absolute times, the machine). ``--quick`` passes ``--quick`` to a script whose
parser has it, plus the reduced sizes of QUICK_EXTRA; a script without it gets the
reduced arguments of QUICK_FALLBACK (a script with neither is reported and counted as
failed, never run at full size by mistake). The whole quick set takes a few minutes.

BLAS and OpenMP threads are set to 1 in the children unless the variable is already set
(multithreaded BLAS on a few shared cores made small dense solves 10-100x slower through
contention; RESULTS.md's solver figures are single-threaded). At the end: one summary
table (script, arguments, exit status, wall seconds, CPU seconds of the script's process
and its subprocesses, load average before and after), the commit and the machine line;
``--json FILE`` also writes it (atomically). Exit status: non-zero when any script failed.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

from _machine import THREAD_VARIABLES, commit, load, machine

HERE = pathlib.Path(__file__).resolve().parent

#: Extra arguments next to the script's own ``--quick`` (gpu_scan's own quick mode
#: enumerates a million chambers; run_all's quick set keeps to small arrangements).
QUICK_EXTRA: dict[str, list[str]] = {
    "gpu_scan.py": ["--cases", "d2n100,d3n30"],
}

#: Reduced arguments for scripts whose parser has no ``--quick``.
QUICK_FALLBACK: dict[str, list[str]] = {
    "bench_battery.py": ["--sizes", "1:20 2:20", "--lam", "0.1,0.01"],
    "bench_scale_sweep.py": ["--cases", "1:8 2:8"],
}


def scripts(only: list[str]) -> list[pathlib.Path]:
    """The benchmark scripts, sorted, restricted to names containing a word of ``only``."""
    found = sorted(HERE.glob("bench_*.py")) + [HERE / "gpu_scan.py"]
    found = [s for s in found if s.exists()]
    if only:
        found = [s for s in found if any(w in s.name for w in only)]
    return found


def has_quick(script: pathlib.Path) -> bool:
    """Whether the script's argument parser declares ``--quick``."""
    text = script.read_text()
    return '"--quick"' in text or "'--quick'" in text


def arguments(script: pathlib.Path, quick: bool) -> list[str] | None:
    """The command-line arguments for ``script``; None when quick mode is asked for and the
    script has neither its own ``--quick`` nor a fallback."""
    if not quick:
        return []
    if has_quick(script):
        return ["--quick"] + QUICK_EXTRA.get(script.name, [])
    return QUICK_FALLBACK.get(script.name)


def child_environment() -> dict[str, str]:
    """The children's environment: this process's, with one BLAS/OpenMP thread for each
    variable of THREAD_VARIABLES not set already (set here too, so that the machine line
    printed by this process shows what the children run with)."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    return dict(os.environ)


def children_cpu() -> float:
    """User + system CPU seconds of all finished child processes so far (grandchildren
    included once waited for): less sensitive to the machine's load than wall time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def write_json_atomically(path: pathlib.Path, doc: dict) -> None:
    """Write ``doc`` as JSON: a temporary file in the same folder, fsync-ed, then renamed."""
    path = path.resolve()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(doc, fh, indent=1)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every benchmark at reduced size (a few minutes)")
    parser.add_argument("--json", metavar="FILE", type=pathlib.Path, help="also write the summary as JSON")
    parser.add_argument("only", nargs="*", help="run only scripts whose name contains one of these words")
    args = parser.parse_args(argv)
    if args.json is not None and not args.json.resolve().parent.is_dir():
        parser.error(f"--json: folder {args.json.resolve().parent} does not exist")
    chosen = scripts(args.only)
    if not chosen:
        parser.error(f"no benchmark script matches {args.only}")
    env = child_environment()
    head = {"commit": commit(), "machine": machine(), "quick": args.quick,
            "threads": {k: env[k] for k in THREAD_VARIABLES}}
    print(f"machine: {head['machine']}", flush=True)
    rows = []
    start_all = time.perf_counter()
    for k, script in enumerate(chosen, 1):
        extra = arguments(script, args.quick)
        row = {"script": script.name, "arguments": extra, "load_before": load()}
        if extra is None:
            print(f"=== [{k}/{len(chosen)}] {script.name}: no --quick mode and no reduced arguments "
                  f"in run_all.QUICK_FALLBACK: not run", file=sys.stderr, flush=True)
            row.update(exit=None, wall_s=None, cpu_s=None, load_after=load())
            rows.append(row)
            continue
        print(f"=== [{k}/{len(chosen)}] {script.name} {' '.join(extra)}", flush=True)
        start, cpu = time.perf_counter(), children_cpu()
        rc = subprocess.call([sys.executable, str(script)] + extra, env=env)
        row.update(exit=rc, wall_s=round(time.perf_counter() - start, 1),
                   cpu_s=round(children_cpu() - cpu, 1), load_after=load())
        rows.append(row)
        print(f"=== {script.name}: exit {rc}, {row['wall_s']:.1f} s wall, {row['cpu_s']:.1f} s CPU\n", flush=True)
    total = time.perf_counter() - start_all
    print(f"summary ({'quick' if args.quick else 'full'} set), commit {head['commit']}, {total:.0f} s in all")
    print("| script | arguments | exit | wall s | CPU s | load before (1/5/15 min) | load after |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        shown = " ".join(f'"{a}"' if " " in a else a for a in r["arguments"] or []) or "-"
        wall, cpu = ("not run", "-") if r["wall_s"] is None else (f"{r['wall_s']:.1f}", f"{r['cpu_s']:.1f}")
        before, after = (r[key].removeprefix("load average ") for key in ("load_before", "load_after"))
        print(f"| {r['script']} | {shown} | {r['exit']} | {wall} | {cpu} | {before} | {after} |")
    if args.json is not None:
        write_json_atomically(args.json, {"format": "relucert-bench-summary", **head,
                                          "total_s": round(total, 1), "runs": rows})
    failed = [r["script"] for r in rows if r["exit"] != 0]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
