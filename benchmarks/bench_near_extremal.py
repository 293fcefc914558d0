"""Benchmark: the certificate report beyond enumeration (``near_extremal_report``) at
d = 4, n = 100, CPU seconds by phase, at a given band or the instance's own (issue 13, item 3).

Usage: python benchmarks/bench_near_extremal.py --solution FILE.pkl [--band B] [--save-solution FILE.pkl]

``--solution``: a pickled optimal Solution (``bench_d4_certificate.py --save-solution``
writes one; without it the teacher data of ``relucert.examples.battery("teacher", 100, 4,
seed=0)`` is solved with ``oracle="bab"`` at lam 0.05 first). ``--band``: a fixed band (one
pass: branch and bound listing, chamber refinement, analysis, timed apart); without it the
public ``near_extremal_report(band=None)`` (the adaptive band, widened while it decides).
Prints the chambers listed, the band and the verdicts.
"""
from __future__ import annotations

import argparse
import pickle
import time

from _machine import machine


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--solution", default=None)
    ap.add_argument("--save-solution", default=None)
    ap.add_argument("--band", type=float, default=None)
    args = ap.parse_args()
    print(machine())
    import relucert
    from relucert.certifier import near_extremal_report
    from relucert.examples import battery
    from relucert.lp.tv.bab import maximise
    from relucert.verify.analysis import analyse, certificate_dual
    from relucert.verify.near_extremal import near_extremal_arrangement

    if args.solution:
        with open(args.solution, "rb") as f:
            sol = pickle.load(f)
    else:
        X, y = battery("teacher", 100, 4, seed=0)
        t = time.process_time()
        sol = relucert.solve(X, y, 0.05, oracle="bab", progress=False)
        print(f"solve: {time.process_time() - t:.1f} CPU s")
        if args.save_solution:
            with open(args.save_solution, "wb") as f:
                pickle.dump(sol, f)
    t0 = time.process_time()
    if args.band is None:
        rep = near_extremal_report(sol, progress=False)
        print(f"near_extremal_report(band=None): {time.process_time() - t0:.1f} CPU s")
    else:
        scan = maximise(sol.X, certificate_dual(sol), 1.0 - args.band, progress=False)
        t1 = time.process_time()
        near = near_extremal_arrangement(sol.X, scan)
        t2 = time.process_time()
        rep = analyse(sol, arrangement=near.arrangement, unlisted_max=near.threshold)
        t3 = time.process_time()
        print(f"branch and bound listing {t1 - t0:.1f}, refinement {t2 - t1:.1f} ({near.n_lps} chamber LPs), "
              f"analysis {t3 - t2:.1f}, total {t3 - t0:.1f} CPU s")
    print(f"band {1.0 - rep.unlisted_max!r}, chambers listed {rep.n_chambers}, band decides {rep.band_decides}; "
          f"measure {rep.unique.value}, function {rep.unique_function.value}, |E| {rep.support_bound}, "
          f"pairs {rep.n_extremal_pairs}, ND {[c.passed for c in rep.conditions]}, "
          f"mass outside E excluded {rep.outside_excluded_rigorously}, largest maximum outside E "
          f"{rep.extremal.max_outside!r}")


if __name__ == "__main__":
    main()
