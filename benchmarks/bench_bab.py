"""Branch and bound over cones (lp.bab) vs the enumeration oracle: nodes per chamber and time.

Usage:  python benchmarks/bench_bab.py [--quick] [--leaf-undecided K] [--no-enumerate-large]
        python benchmarks/bench_bab.py --ab d3n100,d4n30,d4n100 [--dual-time 200]
        python benchmarks/bench_bab.py --slopes d4n30,d4n100 | --slopes d5n200 --cert-threshold 5
        python benchmarks/bench_bab.py --scan-ab d4n100,d5n200 [--cert-threshold 5] [--repeat 2]

``--scan-ab``: the cost of one scan, session 9 (issue 13), before/after IN THE SAME PROCESS on the
last late-round dual (max |eta| < 1.6) of each case, as ``--slopes``: "before" evaluates the
crossing error of the split edge on (m, n, P) temporaries and runs every projected-gradient
iteration; "after" is the current code (one (m, n) pass per edge, ``tree.crossing_error``; the
early exits of ``slopes.slopes_and_bound``). Rows: the quota scan (violator limit
``BAB_SCAN_VIOLATORS``, the exchange's near feasibility) and ``certify`` (scaled to max
|eta| = 1 for d <= 4, else at ``--cert-threshold``), alternating before/after ``--repeat`` times.

Duals (each scaled so that its enumerated max |eta_p| is exactly 1, the hardest case for
certify, whose threshold is 1 + tol.dual_feas):
- "lasso": p of relucert.solve at lam = 0.01 (d <= 3): many near-extremal regions;
- "lam_max": p = y / max|eta_y|, the exact dual solution at lam = lam_max (one extremum);
- "fit": p = the residual of a ridge fit of y on 200 random ReLU features, scaled
  (a crude dual with many near-extremal regions, for d = 4 where solving is slow).
Data: make_data of bench_solver.py (Gaussian X, smooth y plus noise), seed 0.

Baseline (same process, same data): enumerate_chambers + lp.tv.oracle.scan_all_chambers(p, 1 + eps).
BaB: lp.bab.certify (threshold 1 + eps) and lp.bab.maximise (max |eta_p|). Printed: chambers,
nodes, nodes/chambers, times (wall and CPU), enumeration time / BaB time, and the machine.
At d = 4, n = 100 enumeration is not run (7.85M chambers): the ratio uses the
general-position chamber count.

``--slopes``: the node bound's projected-gradient slopes (``Bounding.slope_iters``, session 8)
against Frank-Wolfe only (``slope_iters = 0``), IN THE SAME PROCESS on the last late-round dual
(max |eta| < 1.6) of each case (recorded as for ``--ab``): the exchange's quota scan, and
``certify`` of the dual scaled so that its maximum is 1 (the complete maximise gives the scale;
cases with d <= 4) or, with ``--cert-threshold T``, of the dual itself at threshold T.

``--ab``: the session-6 rules against the current ones IN THE SAME PROCESS on the duals of the
exchange's late rounds (teacher data of ``relucert.examples.battery``, seed 0, lam = 0.05):
every dual scanned by ``relucert.solve(..., oracle="bab", time_limit=--dual-time)`` is
recorded once (cached in /tmp); the last two with max |eta| < 1.6 are measured. "before":
the split edge weighted by ``1 - cos(r_j, r_k)`` and Frank-Wolfe steps without the gap test;
"after": the current ``tree.split`` and ``Bounding.gap_test``. Rows: the exchange's quota
scan (``maximise`` at 1 + eps with its violator limit), the complete ``maximise``, and
``certify`` of the dual scaled so that its maximum is 1 (d <= 3 or n <= 60: the complete maximise
gives the scale); nodes, CPU s, nodes / chambers (general-position count).
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from _machine import machine
from bench_solver import make_data


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def _dual(kind: str, X, y, d: int):
    if kind == "lasso":
        import relucert

        return relucert.solve(X, y, 0.01, progress=False).dual
    if kind == "lam_max":
        return y.copy()
    rng = np.random.default_rng(1)
    Z = np.hstack([X, np.ones((len(X), 1))])
    T = rng.standard_normal((d + 1, 200))
    Phi = np.maximum(Z @ T, 0.0)
    coef = np.linalg.solve(Phi.T @ Phi + np.eye(200), Phi.T @ y)
    return y - Phi @ coef


_ARR: dict = {}


def run_case(d: int, n: int, kind: str, k0: int | None, enumerate_it: bool) -> dict:
    from relucert.arrangement import enumerate_chambers, general_position_count
    from relucert.lp.tv.bab import certify, maximise
    from relucert.lp.tv.oracle import scan_all_chambers
    from relucert.tolerances import DEFAULT

    X, y = make_data(n, d)
    p = _dual(kind, X, y, d)
    row = {"d": d, "n": n, "dual": kind}
    thr = 1.0 + DEFAULT.dual_feas
    if enumerate_it:
        if (n, d) not in _ARR:   # one enumeration per data set, timed once
            _ARR[n, d] = _timed(lambda: enumerate_chambers(X, max_chambers=None, progress=False))
        arr, tw_e, tc_e = _ARR[n, d]
        full = scan_all_chambers(arr, p, 0.0)
        p = p / full.max_value
        scan, tw_s, tc_s = _timed(lambda: scan_all_chambers(arr, p, thr))
        row.update(chambers=arr.n_chambers, exact_count=True, enum_wall=tw_e + tw_s, enum_cpu=tc_e + tc_s,
                   enum_found=scan.n_found)
    else:
        m = maximise(X, p, leaf_undecided=k0, progress=False)
        p = p / m.max_value
        row.update(chambers=general_position_count(n, d), exact_count=False, enum_wall=float("nan"),
                   enum_cpu=float("nan"), enum_found=-1)
    cert, tw_c, tc_c = _timed(lambda: certify(X, p, leaf_undecided=k0, progress=False))
    mx, tw_m, tc_m = _timed(lambda: maximise(X, p, leaf_undecided=k0, progress=False))
    row.update(cert_status=cert.status.value, cert_nodes=cert.stats.n_nodes, cert_leaves=cert.stats.n_leaves,
               cert_wall=tw_c, cert_cpu=tc_c, max_value=mx.max_value, max_nodes=mx.stats.n_nodes,
               max_wall=tw_m, max_cpu=tc_m)
    return row


def _late_duals(case: str, dual_time: float) -> list:
    """Every dual the exchange scans on ``case`` ("dXnN"), recorded once and cached."""
    import os
    import pickle
    import warnings

    import relucert
    from relucert.examples import battery
    from relucert.lp.tv import oracle_api

    path = f"/tmp/relucert_bench_bab_{case}.pkl"
    if os.path.exists(path):
        with open(path, "rb") as f:
            return pickle.load(f)
    d, n = (int(v) for v in case[1:].split("n"))
    X, y = (np.asarray(v) for v in battery("teacher", n, d, seed=0))
    rec, scan = [], oracle_api.BranchAndBoundOracle.scan

    def recording(self, p, threshold, **kw):
        out = scan(self, p, threshold, **kw)
        rec.append(dict(X=self.X.copy(), q=np.asarray(p, dtype=np.float64) / self.lift_scale,
                        threshold=float(threshold), limit=kw.get("limit"), max_value=out.max_value))
        return out

    oracle_api.BranchAndBoundOracle.scan = recording
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            relucert.solve(X, y, 0.05, oracle="bab", progress=False, time_limit=dual_time)
    finally:
        oracle_api.BranchAndBoundOracle.scan = scan
    with open(path + ".tmp", "wb") as f:
        pickle.dump(rec, f)
    os.replace(path + ".tmp", path)
    return rec


def _split_length_weighted(R, Rn, Sn, Q, und):
    """The session-6 edge rule: the crossing relaxation error times ``1 - cos(r_j, r_k)``."""
    from relucert.lp.tv.bab.tree import crossing_error, split_at

    cos = np.einsum("mdj,mdk->mjk", Rn, Rn)
    a, b = np.triu_indices(R.shape[1], 1)
    score = crossing_error(Sn, Q, und) * (1.0 - cos[:, a, b])
    pair = np.where(score.max(axis=1) > 0, np.argmax(score, axis=1), np.argmin(cos[:, a, b], axis=1))
    return split_at(R, pair)


def ab(cases: list, dual_time: float) -> None:
    """Before/after rows (module docstring, ``--ab``)."""
    import os

    from relucert.arrangement import general_position_count
    from relucert.lp.tv.bab import bounding, certify, maximise, search

    rules = {"before": (_split_length_weighted, False), "after": (search.split, True)}
    print(f"machine: {machine()}; load {os.getloadavg()[0]:.1f}")
    print("| case | round (max |eta|) | run | rules | result | nodes | nodes / chambers | CPU s | wall s |")
    print("|---|---|---|---|---|---:|---:|---:|---:|")
    for case in cases:
        recs = _late_duals(case, dual_time)
        late = [i for i, r in enumerate(recs) if r["max_value"] < 1.6][-2:]
        for i in late:
            r = recs[i]
            X, q = r["X"], r["q"]
            chambers = general_position_count(*X.shape)
            runs = [("scan", lambda: maximise(X, q, r["threshold"], limit=r["limit"], progress=False))]
            if X.shape[1] <= 3 or X.shape[0] <= 60:
                runs.append(("maximise", lambda: maximise(X, q, progress=False)))
            scale = None
            for run, fn in runs + [("certify", None)]:
                for name, (split, gap) in rules.items():
                    search.split, bounding.Bounding.gap_test = split, gap
                    try:
                        if run == "certify":
                            if scale is None:
                                break
                            out, w, c = _timed(lambda: certify(X, q / scale, progress=False))
                            res = out.status.value
                        else:
                            out, w, c = _timed(fn)
                            res = f"max {out.max_value:.9f}" + ("" if out.complete else " (stopped)")
                            if run == "maximise":
                                scale = out.max_value
                    finally:
                        search.split, bounding.Bounding.gap_test = rules["after"]
                    print(f"| {case} | {i} ({r['max_value']:.4f}) | {run} | {name} | {res} | {out.stats.n_nodes:,} "
                          f"| {out.stats.n_nodes / chambers:.4f} | {c:.2f} | {w:.2f} |", flush=True)


def slopes(cases: list, dual_time: float, cert_threshold: float | None) -> None:
    """Projected-gradient slopes against Frank-Wolfe only (module docstring, ``--slopes``)."""
    import os

    from relucert.arrangement import general_position_count
    from relucert.lp.tv.bab import bounding, certify, maximise

    default = bounding.Bounding.slope_iters
    print(f"machine: {machine()}; load {os.getloadavg()[0]:.1f}")
    print("| case | round (max |eta|) | run | slope iterations | result | nodes | nodes / chambers | CPU s | wall s |")
    print("|---|---|---|---:|---|---:|---:|---:|---:|")
    for case in cases:
        recs = _late_duals(case, dual_time)
        i = [i for i, r in enumerate(recs) if r["max_value"] < 1.6][-1]
        r = recs[i]
        X, q = r["X"], r["q"]
        chambers = general_position_count(*X.shape)
        if cert_threshold is None:
            scale, thr = maximise(X, q, progress=False).max_value, None
        else:
            scale, thr = 1.0, cert_threshold
        runs = [("scan", lambda: maximise(X, q, r["threshold"], limit=r["limit"], progress=False)),
                ("certify" + ("" if thr is None else f" at {thr:g}"),
                 lambda: certify(X, q / scale, threshold=thr, progress=False))]
        for run, fn in runs:
            for iters in (0, default):
                bounding.Bounding.slope_iters = iters
                try:
                    out, w, c = _timed(fn)
                finally:
                    bounding.Bounding.slope_iters = default
                res = (f"max {out.max_value:.9f}" + ("" if out.complete else " (stopped)") if run == "scan"
                       else out.status.value)
                print(f"| {case} | {i} ({r['max_value']:.4f}) | {run} | {iters} | {res} | {out.stats.n_nodes:,} "
                      f"| {out.stats.n_nodes / chambers:.2e} | {c:.2f} | {w:.2f} |", flush=True)


def _crossing_error_before(Sn, Q, und):
    """``tree.crossing_error`` before session 9 (the same numbers, on (m, n, P) temporaries)."""
    a, b = np.triu_indices(Sn.shape[2], 1)
    Sa, Sb = Sn[:, :, a], Sn[:, :, b]
    cross = (Sa * Sb < 0) & und[:, :, None]
    gap = np.where(cross, np.abs(Sa * Sb) / np.maximum(np.abs(Sa - Sb), np.finfo(np.float64).tiny), 0.0)
    return np.einsum("mn,mnp->mp", np.abs(Q), gap)


def scan_ab(cases: list, dual_time: float, cert_threshold: float | None, repeat: int) -> None:
    """The cost of one scan before/after (module docstring, ``--scan-ab``)."""
    import os

    from relucert.arrangement import general_position_count
    from relucert.lp.tv.bab import bounding, certify, maximise, tree
    from relucert.tolerances import BAB_SCAN_VIOLATORS

    after = tree.crossing_error
    arms = {"before": (_crossing_error_before, False), "after": (after, True)}
    print(f"machine: {machine()}; load {os.getloadavg()[0]:.1f}")
    print("| case | round (max |eta|) | run | code | result | nodes | nodes / chambers | CPU s | wall s |")
    print("|---|---|---|---|---|---:|---:|---:|---:|")
    for case in cases:
        recs = _late_duals(case, dual_time)
        i = [i for i, r in enumerate(recs) if r["max_value"] < 1.6][-1]
        r = recs[i]
        X, q = r["X"], r["q"]
        chambers = general_position_count(*X.shape)
        if X.shape[1] <= 4:
            scale, thr = maximise(X, q, progress=False).max_value, None
        else:
            scale, thr = 1.0, cert_threshold
        runs = [("scan", lambda: maximise(X, q, r["threshold"], limit=BAB_SCAN_VIOLATORS, progress=False))]
        if thr is not None or X.shape[1] <= 4:
            runs.append(("certify" + ("" if thr is None else f" at {thr:g}"),
                         lambda: certify(X, q / scale, threshold=thr, progress=False)))
        for run, fn in runs:
            for _ in range(repeat):
                for name, (ce, exit_) in arms.items():
                    tree.crossing_error, bounding.Bounding.slope_exit = ce, exit_
                    try:
                        out, w, c = _timed(fn)
                    finally:
                        tree.crossing_error, bounding.Bounding.slope_exit = after, True
                    res = (f"max {out.max_value:.9f}" + ("" if out.complete else " (stopped)") if run == "scan"
                           else f"{out.status.value} (U {out.upper_bound:.6f})")
                    print(f"| {case} | {i} ({r['max_value']:.4f}) | {run} | {name} | {res} | {out.stats.n_nodes:,} "
                          f"| {out.stats.n_nodes / chambers:.2e} | {c:.2f} | {w:.2f} |", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ab", default=None, help="before/after rules on late-round duals of these cases (dXnN,...)")
    ap.add_argument("--slopes", default=None, help="projected-gradient slopes on/off on late-round duals (dXnN,...)")
    ap.add_argument("--scan-ab", default=None, help="the cost of one scan before/after (session 9; dXnN,...)")
    ap.add_argument("--repeat", type=int, default=1, help="--scan-ab: before/after pairs per run")
    ap.add_argument("--cert-threshold", type=float, default=None,
                    help="--slopes, --scan-ab: certify the dual at this threshold instead of scaled to max 1")
    ap.add_argument("--dual-time", type=float, default=200.0, help="time limit (s) of the solve recording the duals")
    ap.add_argument("--quick", action="store_true", help="small cases only (well under a minute)")
    ap.add_argument("--leaf-undecided", type=int, default=None, help="exact leaves at |U| <= K")
    ap.add_argument("--no-enumerate-large", action="store_true", help="skip enumeration at d = 4, n = 50")
    args = ap.parse_args(argv)
    if args.ab:
        ab(args.ab.split(","), args.dual_time)
        return 0
    if args.scan_ab:
        scan_ab(args.scan_ab.split(","), args.dual_time, args.cert_threshold, args.repeat)
        return 0
    if args.slopes:
        slopes(args.slopes.split(","), args.dual_time, args.cert_threshold)
        return 0
    k0 = args.leaf_undecided
    if args.quick:
        cases = [(3, 40, "lasso", True), (4, 20, "lam_max", True), (4, 20, "fit", True)]
    else:
        cases = [(3, 100, "lasso", True), (3, 100, "fit", True), (4, 50, "lam_max", not args.no_enumerate_large),
                 (4, 50, "fit", not args.no_enumerate_large), (4, 100, "fit", False)]
    print(f"machine: {machine()}")
    print(f"leaf_undecided = {'d + 1 (default)' if k0 is None else k0}")
    head = ("| d | n | dual | chambers | enum s (CPU) | certify | nodes | nodes/chambers | certify s (CPU) "
            "| enum/certify (CPU) | maximise nodes | maximise s (CPU) | max |eta| |")
    print(head)
    print("|" + "---|" * 13)
    for d, n, kind, en in cases:
        r = run_case(d, n, kind, k0, en)
        ch = f"{r['chambers']:,}" + ("" if r["exact_count"] else " (formula)")
        print(f"| {d} | {n} | {kind} | {ch} | {r['enum_wall']:.2f} ({r['enum_cpu']:.2f}) | {r['cert_status']} "
              f"| {r['cert_nodes']:,} | {r['cert_nodes'] / r['chambers']:.4f} | {r['cert_wall']:.2f} "
              f"({r['cert_cpu']:.2f}) | {r['enum_cpu'] / r['cert_cpu']:.1f}x | {r['max_nodes']:,} "
              f"| {r['max_wall']:.2f} ({r['max_cpu']:.2f}) | {r['max_value']:.12f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
