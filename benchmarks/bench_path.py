"""The regularisation path warm-started (``relucert.solve_path``) against the same lams solved
cold (issue 15: "path of 20 lams vs 20 cold solves").

Usage:  python benchmarks/bench_path.py [--quick] [--cases d1n100,d2n40,...] [--n-lams K]

Data: make_data of bench_solver.py (Gaussian X, smooth y plus noise), seed 0. Per case:
- warm: ``solve_path(X, y, n_lams=K)`` (the chambers enumerated once, each point started
  from the previous point's atoms);
- cold: ``relucert.solve(X, y, lam)`` at each of the same K lams, independently (each one
  enumerates the chambers and starts from no atoms), as a user without the path would.
Prints the wall seconds of both (the path's total includes its lam_max solve and its one
enumeration; "points s" is the sum over its points alone), their ratio, the exchange
rounds summed over the points,
and checks that every point is optimal in both and that the objectives agree to 1e-9
relative (a mismatch exits non-zero). The default grid is lam_max down to 1e-3 lam_max.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings

from _machine import machine
from bench_solver import make_data

CASES = "d1n100,d1n200,d2n30,d2n60"
QUICK = "d1n50,d2n20"


def run_case(d: int, n: int, n_lams: int) -> dict:
    import relucert

    X, y = make_data(n, d, seed=0)
    relucert.solve(X[:3], y[:3], 1.0, progress=False)  # imports and first-call set-up, untimed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        path = relucert.solve_path(X, y, n_lams=n_lams, progress=False)
        warm_s = time.perf_counter() - t
        t = time.perf_counter()
        cold = [relucert.solve(X, y, float(lam), progress=False) for lam in path.lams]
        cold_s = time.perf_counter() - t
    worst = max(abs(pt.objective - c.objective) / max(abs(c.objective), 1e-300)
                for pt, c in zip(path.points, cold))
    ok = path.success and all(c.success for c in cold) and worst <= 1e-9
    return {"warm_s": warm_s, "cold_s": cold_s, "points_s": sum(pt.wall_time_s for pt in path.points),
            "warm_rounds": sum(s.info.get("n_iter", 0) for s in path.solutions),
            "cold_rounds": sum(c.info.get("n_iter", 0) for c in cold), "worst_rel": worst, "ok": ok}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cases", default=None)
    ap.add_argument("--n-lams", type=int, default=20)
    args = ap.parse_args(argv)
    print(machine())
    cases = args.cases or (QUICK if args.quick else CASES)
    print(f"{'case':>7} {'lams':>4} | {'path s':>8} {'points s':>8} {'rounds':>6} | {'cold s':>8} {'rounds':>6} | "
          f"{'cold/path':>9} | {'max rel diff':>12} ok")
    bad = 0
    for case in cases.split(","):
        d, n = (int(v) for v in case[1:].split("n"))
        r = run_case(d, n, args.n_lams)
        bad += not r["ok"]
        print(f"{case:>7} {args.n_lams:>4} | {r['warm_s']:8.2f} {r['points_s']:8.2f} {r['warm_rounds']:6d} | {r['cold_s']:8.2f} "
              f"{r['cold_rounds']:6d} | {r['cold_s'] / r['warm_s']:9.2f} | {r['worst_rel']:12.2e} "
              f"{'yes' if r['ok'] else 'NO'}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
