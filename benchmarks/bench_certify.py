"""Certificate analysis (``relucert.certify``) timed against the solve of the same problem.

``python benchmarks/bench_certify.py [--quick]``. Data: ``standard_normal((n, d))`` with
``standard_normal(n)`` labels, lam = 0.05, seeds fixed. The baseline is ``relucert.solve``
(exchange method) on the same data in the same process; the ratio is analysis time /
solve time. The analysis enumerates the chambers itself (no arrangement is passed), scans
every region twice, builds E, solves 2|E| (+ function) uniqueness LPs and the ND checks.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import relucert  # noqa: E402
from relucert.experiments.counterexamples import _time_limit  # noqa: E402
from relucert.errors import SolverError  # noqa: E402

from _machine import machine


def _loop_scan(arr, p):
    """The former certificate scan: region_max on every region (the baseline)."""
    from relucert.arrangement import region_max
    from relucert.arrangement import chamber_vectors

    V = chamber_vectors(arr, p)
    out = np.zeros((arr.n_chambers, 2))
    for k in range(arr.n_chambers):
        G = arr.inward_normals(k)
        out[k] = [region_max(V[k], G).value, region_max(-V[k], G).value]
    return out


def scan_rows(sizes) -> None:
    """``scan_regions`` (vectorised exact maxima, per-region projections only near the
    extremal threshold) against the per-region loop, on the dual of a solved problem."""
    from relucert.arrangement import enumerate_chambers
    from relucert.verify.regions import scan_regions

    print("| d | n | chambers | per-region loop s | scan_regions s | speed-up | max value difference |")
    print("|---|---|---|---|---|---|---|")
    for d, n in sizes:
        rng = np.random.default_rng(0)
        X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
        p = np.asarray(relucert.solve(X, y, 0.05, progress=False).dual)
        arr = enumerate_chambers(X)
        scan_regions(arr, p)  # warm-up (d = 3 caches the chambers' extreme rays)
        t0 = time.perf_counter()
        ref = _loop_scan(arr, p)
        t1 = time.perf_counter()
        scan = scan_regions(arr, p)
        t2 = time.perf_counter()
        diff = float(np.max(np.abs(scan.value - np.where(ref > 1e-12, ref, 0.0))))
        print(f"| {d} | {n} | {arr.n_chambers} | {t1 - t0:.2f} | {t2 - t1:.2f} | {(t1 - t0) / (t2 - t1):.1f}x "
              f"| {diff:.1e} |", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    print(f"machine: {machine()}")
    scan_rows([(2, 30), (3, 15)] if args.quick else [(2, 100), (2, 200), (3, 30), (3, 50)])
    sizes = [(1, 20), (2, 10)] if args.quick else [(1, 20), (1, 40), (2, 10), (2, 20), (2, 30)]
    print("| d | n | chambers | |E| | atoms | measure | function | solve s | certify s | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for d, n in sizes:
        for seed in range(5):
            rng = np.random.default_rng(seed)
            X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
            try:
                with _time_limit(120):
                    t0 = time.perf_counter()
                    sol = relucert.solve(X, y, 0.05)
                    t1 = time.perf_counter()
            except (SolverError, Exception) as exc:  # the solver's failures are not ours to time
                print(f"(d={d}, n={n}, seed={seed}: solve failed: {type(exc).__name__})", file=sys.stderr)
                continue
            t2 = time.perf_counter()
            rep = relucert.certify(sol)
            t3 = time.perf_counter()
            print(f"| {d} | {n} | {rep.n_chambers} | {rep.support_bound} | {rep.support_size} | {rep.unique} | "
                  f"{rep.unique_function} | {t1 - t0:.2f} | {t3 - t2:.2f} | {(t3 - t2) / (t1 - t0):.2f} |",
                  flush=True)
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
