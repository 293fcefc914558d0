"""Forced leaves of thin cones (lp/tv/bab/forced.py, proofs Lemma 11): their cost on
non-degenerate data and what they give on degenerate data, A/B in the same process.

Usage:  OMP_NUM_THREADS=1 python benchmarks/bench_bab_forced.py

Arms, alternating (off, on, off, on; best CPU of two): "off" sets the thin limit out of
reach (``BAB_THIN_BITS = 10**6``: the search before the rule), "on" the shipped
``BAB_THIN_BITS``. Cases: the late-round duals of ``bench_bab_leaves.py`` (the exchange's
last ``maximise`` on teacher data, lam = 0.05, d = 4, n = 30, replayed from the roots up
to ``--max-nodes`` nodes, and ``certify`` of ``q / max|eta_q|``); random data
(``maximise`` listing every region above 0.9 of the maximum, and ``certify`` at 1.001 of
it); collinear data at d = 3 (off: the error of a cone below float resolution). Printed:
CPU and wall seconds, nodes, forced leaves, the maximum (equal in both arms: checked).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from _machine import machine


def _cases(max_nodes: int):
    from bench_bab_leaves import _last_scan
    out = []
    X, q, thr, limit = _last_scan(4, 30, 20.0)
    out.append(("teacher d=4 n=30 maximise", X, q, "maximise", thr, limit, max_nodes))
    for n, d, seed in [(30, 3, 1), (20, 4, 3), (15, 5, 5)]:
        rng = np.random.default_rng(seed)
        out.append((f"random d={d} n={n} maximise 0.9", rng.standard_normal((n, d)), rng.standard_normal(n),
                    "maximise", 0.9, None, max_nodes))
    rng = np.random.default_rng(4)
    Xc = np.outer(rng.standard_normal(8), rng.standard_normal(3)) + rng.standard_normal(3)
    Xc[0] = rng.standard_normal(3)
    out.append(("collinear d=3 n=8 maximise 0.9", Xc, rng.standard_normal(8), "maximise", 0.9, None, max_nodes))
    return out


def _run(search, X, q, mode, thr, limit, max_nodes, top):
    from relucert.lp.tv.bab import certify, maximise
    c0, w0 = time.process_time(), time.perf_counter()
    try:
        if mode == "maximise":
            t = thr if limit is not None else thr * top
            r = maximise(X, q, t, limit=limit, max_nodes=max_nodes, progress=False)
            val, nodes = r.max_value, r.stats.n_nodes
        else:
            r = certify(X, q / top, max_nodes=max_nodes, progress=False)
            val, nodes = r.upper_bound, r.stats.n_nodes
        err = ""
    except Exception as exc:        # the search before the rule stops on degenerate data
        val, nodes, err = float("nan"), 0, type(exc).__name__
    return time.process_time() - c0, time.perf_counter() - w0, nodes, val, err


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-nodes", type=int, default=40_000)
    args = ap.parse_args()
    print(machine())
    from relucert.lp.tv.bab import maximise, search
    from relucert.tolerances import BAB_THIN_BITS
    print(f"{'case':34s} {'arm':4s} {'cpu s':>7s} {'wall s':>7s} {'nodes':>7s} {'forced':>7s} {'max':>20s}")
    for name, X, q, mode, thr, limit, mx in _cases(args.max_nodes):
        search.BAB_THIN_BITS = BAB_THIN_BITS
        top = maximise(X, q, progress=False).max_value
        for m2, t2 in ((mode, thr), ("certify", None)) if limit is None else ((mode, thr),):
            best = {}
            for arm in ("off", "on", "off", "on"):
                search.BAB_THIN_BITS = 10 ** 6 if arm == "off" else BAB_THIN_BITS
                counted = []
                orig = search._Search._thin_leaves

                def spy(self, R, *a, _orig=orig, _c=counted):
                    _c.append(R.shape[0])
                    return _orig(self, R, *a)
                search._Search._thin_leaves = spy
                try:
                    cpu, wall, nodes, val, err = _run(search, X, q, m2, t2, limit, mx, top)
                finally:
                    search._Search._thin_leaves = orig
                if arm not in best or cpu < best[arm][0]:
                    best[arm] = (cpu, wall, nodes, sum(counted), val, err)
            search.BAB_THIN_BITS = BAB_THIN_BITS
            for arm, (cpu, wall, nodes, forced, val, err) in best.items():
                shown = err if err else f"{val:.15g}"
                print(f"{name if m2 == mode else name.split(' maximise')[0] + ' certify 1.001':34s} {arm:4s} "
                      f"{cpu:7.2f} {wall:7.2f} {nodes:7d} {forced:7d} {shown:>20s}", flush=True)
            a, b = best["off"][4], best["on"][4]
            if "collinear" not in name and m2 == "maximise":   # off on collinear data: an error or garbage
                assert abs(a - b) <= 1e-12 * max(abs(a), 1.0), (name, a, b)


if __name__ == "__main__":
    main()
