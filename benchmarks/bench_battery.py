"""The issue-16 battery: ordinary-data families solved with the DEFAULT tolerances.

Usage:  python benchmarks/bench_battery.py [--sizes 1:20,50,200 2:20,100,300,1000 3:20,50,100]
                                           [--lam 1,0.1,0.01,0.001] [--seeds 1] [--families ...]
                                           [--log FILE] [--progress]

Every (family, d, n, lam, seed) instance is solved by ``relucert.solve`` (exchange method)
with default tolerances; prints one line per instance (status, rounds, certified relative
gap, wall and CPU seconds, atoms, seconds per phase), then per (d, n) the median and worst rounds and times, and the
count certified. A non-optimal run is printed with its diagnosis, never hidden. ``--log FILE``
appends one JSON line per instance with its per-round history (objective, gap, max |eta|,
violators, atoms, polishing tries, seconds of the QP and the scan) and its timings.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings

import numpy as np

from _machine import machine


def parse_sizes(text: str) -> list[tuple[int, int]]:
    out = []
    for part in text.split():
        d, ns = part.split(":")
        out += [(int(d), int(n)) for n in ns.split(",")]
    return out


def main(argv=None) -> int:
    import relucert
    from relucert.examples import BATTERY_FAMILIES, battery

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1:20,50,200 2:20,100,300,1000 3:20,50,100")
    ap.add_argument("--lam", default="1,0.1,0.01,0.001")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--families", default=",".join(BATTERY_FAMILIES))
    ap.add_argument("--log", default=None, help="append per-instance round histories (JSON lines) here")
    ap.add_argument("--progress", action="store_true", help="the exchange's per-round bar on stderr")
    args = ap.parse_args(argv)
    print(machine(), flush=True)
    lams = [float(v) for v in args.lam.split(",")]
    rows = []
    for d, n in parse_sizes(args.sizes):
        for family in args.families.split(","):
            for lam in lams:
                for seed in range(args.seeds):
                    X, y = battery(family, n, d, seed)
                    t0, c0 = time.perf_counter(), time.process_time()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        sol = relucert.solve(X, y, lam, progress=args.progress)
                    t = time.perf_counter() - t0
                    cpu = time.process_time() - c0   # single-threaded: the unloaded wall time
                    rows.append((d, n, family, lam, seed, sol.status.value, sol.info["n_iter"],
                                 sol.info["relative_gap"], t, sol.n_atoms, cpu))
                    if args.log:
                        with open(args.log, "a") as fh:
                            fh.write(json.dumps({"d": d, "n": n, "family": family, "lam": lam, "seed": seed,
                                                 "status": sol.status.value, "cpu_s": cpu, "wall_s": t,
                                                 "atoms": sol.n_atoms, "timings": sol.timings,
                                                 "history": sol.info.get("history", [])}, default=float) + "\n")
                    msg = "" if sol.success else "  " + sol.info.get("message", "")
                    # where the time went: chambers, the oracle's scans, the finite programs, polishing
                    phases = " ".join(f"{k.replace('solve_', '')}={sol.timings[k]:.1f}"
                                      for k in ("chambers", "solve_oracle", "solve_programs", "solve_polish")
                                      if k in sol.timings)
                    print(f"d={d} n={n:5d} {family:15s} lam={lam:<6g} seed={seed} {sol.status.value:10s} "
                          f"rounds={sol.info['n_iter']:3d} gap={sol.info['relative_gap']:.1e} "
                          f"t={t:7.2f}s cpu={cpu:7.2f}s atoms={sol.n_atoms} [{phases}]{msg}", flush=True)
    print("\nsummary (d, n): certified / instances, rounds median / worst, seconds and CPU seconds median / worst")
    for key in sorted({(r[0], r[1]) for r in rows}):
        sel = [r for r in rows if (r[0], r[1]) == key]
        ok = sum(r[5] == "optimal" for r in sel)
        rounds = [r[6] for r in sel]
        secs = [r[8] for r in sel]
        cpus = [r[10] for r in sel]
        print(f"d={key[0]} n={key[1]:5d}: {ok}/{len(sel)} certified, rounds {statistics.median(rounds):g} / "
              f"{max(rounds)}, seconds {statistics.median(secs):.2f} / {max(secs):.2f}, CPU seconds "
              f"{statistics.median(cpus):.2f} / {max(cpus):.2f}")
    bad = [r for r in rows if r[5] != "optimal"]
    print(f"total: {len(rows) - len(bad)}/{len(rows)} certified")
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
