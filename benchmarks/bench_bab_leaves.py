"""Exact leaves of the branch and bound: batched (empty patterns skipped, batched
projections stopped at the floor; lp/tv/bab/subregions.py) against the reference (every
pattern, one scipy NNLS per sub-region), in the same process on the same late-round duals.

Usage:  OMP_NUM_THREADS=1 python benchmarks/bench_bab_leaves.py [--quick]

Duals: the last scan of ``relucert.solve(oracle="bab", time_limit=T)`` on the teacher
data of ``relucert.examples.battery`` (seed 0, lam = 0.05), i.e. the exchange's own
late-round ``maximise(X, q, 1, limit=...)``; replayed from the root cones (no warm start),
at most ``--max-nodes`` nodes, then ``certify`` of ``q / max|eta_q|``. Each arm runs
twice, alternating (reference, batched, reference, batched); printed: CPU seconds of the
whole search and of ``leaf_maxima`` alone (best of the two), node counts (identical in
both arms: checked), and the maxima (equal: checked).
"""
from __future__ import annotations

import argparse
import functools
import time

import numpy as np

from _machine import machine


def _last_scan(d: int, n: int, seconds: float):
    import relucert
    import relucert.lp.tv.bab as bab
    from relucert.examples import battery

    calls = []
    orig = bab.maximise

    def rec(X, q, threshold=np.inf, **kw):
        calls.append((np.array(X), np.array(q), float(threshold), kw.get("limit")))
        return orig(X, q, threshold, **kw)

    bab.maximise = rec
    try:
        X, y = battery("teacher", n, d, seed=0)
        relucert.solve(X, y, 0.05, oracle="bab", time_limit=seconds, progress=False)
    finally:
        bab.maximise = orig
    return calls[-1]


def _arm(batched: bool, X, q, thr, limit, max_nodes):
    from relucert.lp.tv.bab import bounding, certify, leaves, maximise

    spent = [0.0]
    base = functools.partial(leaves.leaf_maxima, batched=batched)

    def timed(*a, floor=-np.inf, **k):
        t = time.process_time()
        out = base(*a, floor=floor, **k) if batched else base(*a, **k)
        spent[0] += time.process_time() - t
        return out

    saved = bounding.leaf_maxima
    bounding.leaf_maxima = timed
    try:
        c0 = time.process_time()
        m = maximise(X, q, thr, limit=limit, max_nodes=max_nodes, progress=False)
        c1 = time.process_time()
        cert = certify(X, q / m.max_value, max_nodes=max_nodes, progress=False)
        c2 = time.process_time()
    finally:
        bounding.leaf_maxima = saved
    return dict(cpu_max=c1 - c0, cpu_cert=c2 - c1, cpu_leaves=spent[0], max=m.max_value,
                nodes=(m.stats.n_nodes, m.stats.n_leaves, cert.stats.n_nodes, cert.stats.n_leaves),
                found=m.value.size, status=cert.status.value)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--max-nodes", type=int, default=40_000)
    args = ap.parse_args()
    cases = [(4, 30, 60.0), (3, 100, 60.0), (4, 100, 60.0)] if not args.quick else [(4, 30, 20.0)]
    print(machine())
    print("| d | n | nodes max (leaves) | nodes certify (leaves) | CPU s max ref -> batched | CPU s certify "
          "ref -> batched | leaves CPU s ref -> batched | max eq. |")
    for d, n, seconds in cases:
        X, q, thr, limit = _last_scan(d, n, seconds)
        runs = {False: [], True: []}
        for batched in (False, True, False, True):
            runs[batched].append(_arm(batched, X, q, thr, limit, args.max_nodes))
        ref = {k: min(r[k] for r in runs[False]) for k in ("cpu_max", "cpu_cert", "cpu_leaves")}
        new = {k: min(r[k] for r in runs[True]) for k in ("cpu_max", "cpu_cert", "cpu_leaves")}
        a, b = runs[False][0], runs[True][0]
        assert a["nodes"] == b["nodes"], (a["nodes"], b["nodes"])
        assert a["status"] == b["status"] and a["found"] == b["found"]
        same = abs(a["max"] - b["max"]) <= 1e-12 * a["max"]
        print(f"| {d} | {n} | {a['nodes'][0]:,} ({a['nodes'][1]:,}) | {a['nodes'][2]:,} ({a['nodes'][3]:,}) | "
              f"{ref['cpu_max']:.2f} -> {new['cpu_max']:.2f} | {ref['cpu_cert']:.2f} -> {new['cpu_cert']:.2f} | "
              f"{ref['cpu_leaves']:.2f} -> {new['cpu_leaves']:.2f} | {same} |", flush=True)


if __name__ == "__main__":
    main()
