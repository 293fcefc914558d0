"""relucert.solve end to end with oracle="enumerate" against oracle="bab": the crossover of
``oracle="auto"`` (``relucert.tolerances.AUTO_ENUMERATION_MAX_CHAMBERS``).

Usage:  python benchmarks/bench_oracle.py [--quick] [--cases d2n20,d3n12,...] [--lam L]
        [--time-limit S] [--warm-ab] [--targets d4n100,d5n200,d8n500,diabetes] [--no-quota]
        [--profile d4n100] [--policy-ab d4n30 --variants ray:1.25:1:16:0:0,ray:1.25:1:16:0:16]

Data: make_data of bench_solver.py (Gaussian X, smooth y plus noise), seed 0; lam = 0.05.
Each case solves with both oracles (progress off) and prints the estimated chamber
count, status, objective, certified relative gap, wall seconds, the exchange rounds and
the ratio bab / enumerate. A bab run stopped by ``--time-limit`` (default 120 s) shows
status "limit" with its certified gap. Both answers must agree to 1e-7 relative when both
are optimal (checked, a mismatch exits non-zero).

``--warm-ab``: instead, oracle="bab" twice in the same process, the warm start across rounds
off (``WarmStart.seeds`` returns None: every scan from the roots) and on, with the summed
branch-and-bound nodes of all scans (proofs/branch_and_bound.md, Lemma 9).

``--targets``: issue 13's targets, oracle="bab" end to end with ``--time-limit`` (wall
seconds): "dXnN" is the teacher family of ``relucert.examples.battery`` (seed 0), "diabetes"
scikit-learn's bundled data (n = 442, d = 10, X and y standardised); lam = ``--lam``. Prints
status, certified relative gap, rounds, summed nodes of every scan, nodes / chambers (the
general-position count), wall and CPU seconds and the load. ``--no-quota``: the same with
the violator quota of ``maximise`` off (``harvest=False``: proofs Lemma 10), for an A/B.

``--profile CASE``: one ``--targets`` run that prints every branch-and-bound scan (the
exchange's rounds, then the final bounding scan): nodes, seeds (warm start) and seeds closed
at once, CPU and wall seconds, completeness, max |eta| met, the upper bound, violators listed
and the violator limit; then each round's violators added and the run's certified gap.

``--policy-ab CASE``: one ``--targets`` case solved once per ``--variants`` entry, back to back
in one process: ``shift:band:exact[:cap[:complete[:local[:run]]]]`` sets the warm start's shift rule
(``WarmStart.shift``: "ray", "split" or "lemma9"), the violator cap's band
(``BranchAndBoundOracle.violator_band``), whether stopped scans list region optima
(``exact_regions``, 1 or 0), the cap (``violator_cap``), the band of complete scans
(``complete_band``, 0: none) and the violators a local scan must list to stand in for the tree
(``local.min_found``, 0: no local scans) and how many in a row (``local.max_run``); prints the status, objective, certified lower
bound, rounds, tree scans, local scans, nodes, wall and CPU seconds of each.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings

from _machine import machine
from bench_solver import make_data

CASES = "d2n20,d2n50,d2n100,d3n12,d3n20,d3n30,d4n10,d4n15"
QUICK = "d2n20,d3n12"


def run_case(d: int, n: int, lam: float, time_limit: float) -> dict:
    import relucert
    from relucert.arrangement import estimate_chambers

    X, y = make_data(n, d, seed=0)
    row = {"d": d, "n": n, "chambers_est": estimate_chambers(X)}
    for oracle in ("enumerate", "bab"):
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sol = relucert.solve(X, y, lam, oracle=oracle, progress=False,
                                 time_limit=time_limit if oracle == "bab" else None)
        row[oracle] = {"status": sol.status.value, "objective": sol.objective, "gap": sol.certified_rel_gap,
                       "seconds": time.perf_counter() - t, "rounds": sol.info.get("n_iter")}
    return row


def warm_ab(d: int, n: int, lam: float, time_limit: float) -> str:
    import relucert
    import relucert.lp.tv.bab as bab
    from relucert.lp.tv.bab.warm import WarmStart

    X, y = make_data(n, d, seed=0)
    maximise, seeds = bab.maximise, WarmStart.seeds
    count = {"nodes": 0, "scans": 0}

    def counting(*a, **k):
        out = maximise(*a, **k)
        count["nodes"] += out.stats.n_nodes
        count["scans"] += 1
        return out

    row = {}
    bab.maximise = counting
    try:
        for mode in ("cold", "warm"):
            WarmStart.seeds = seeds if mode == "warm" else (lambda self, q, support: None)
            count.update(nodes=0, scans=0)
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sol = relucert.solve(X, y, lam, oracle="bab", progress=False, time_limit=time_limit)
            row[mode] = (sol.status.value, time.perf_counter() - t, sol.info.get("n_iter"), count["nodes"],
                         sol.objective)
    finally:
        bab.maximise, WarmStart.seeds = maximise, seeds
    c, w = row["cold"], row["warm"]
    return (f"d{d}n{n}: cold {c[0]} {c[1]:.2f} s, {c[2]} rounds, {c[3]} nodes | warm {w[0]} {w[1]:.2f} s, "
            f"{w[2]} rounds, {w[3]} nodes | cold/warm: time {c[1] / w[1]:.2f}, nodes {c[3] / max(w[3], 1):.2f} "
            f"| objective difference {abs(c[4] - w[4]):.1e}")


def _target_data(case: str):
    import numpy as np

    if case == "diabetes":
        from sklearn.datasets import load_diabetes

        data = load_diabetes()
        X = (data.data - data.data.mean(0)) / data.data.std(0)
        return X, (data.target - data.target.mean()) / data.target.std()
    from relucert.examples import battery

    d, n = (int(v) for v in case[1:].split("n"))
    X, y = battery("teacher", n, d, seed=0)
    return np.asarray(X), np.asarray(y)


def _solve_counting(X, y, lam: float, time_limit: float, counting):
    """``relucert.solve(oracle="bab")`` with ``lp.tv.bab.maximise`` replaced by ``counting``
    for the run: the solution, wall and CPU seconds, and the load at the start."""
    import os

    import relucert
    import relucert.lp.tv.bab as bab

    maximise = bab.maximise
    bab.maximise = counting
    load0 = os.getloadavg()[0]
    t, c = time.perf_counter(), time.process_time()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sol = relucert.solve(X, y, lam, oracle="bab", progress=False, time_limit=time_limit)
    finally:
        bab.maximise = maximise
    return sol, time.perf_counter() - t, time.process_time() - c, load0


def target(case: str, lam: float, time_limit: float, quota: bool = True) -> str:
    import os

    import relucert.lp.tv.bab as bab
    from relucert.arrangement import general_position_count

    X, y = _target_data(case)
    n, d = X.shape
    maximise = bab.maximise
    count = {"nodes": 0, "scans": 0}

    def counting(*a, **k):
        k.setdefault("harvest", quota)
        out = maximise(*a, **k)
        count["nodes"] += out.stats.n_nodes
        count["scans"] += 1
        return out

    sol, wall, cpu, load0 = _solve_counting(X, y, lam, time_limit, counting)
    chambers = general_position_count(n, d)
    # the solver's gap is relative to max(1, |objective|) in its internal units; below 1 that is
    # an absolute gap, so the gap relative to the objective itself is printed too
    own = (sol.objective - sol.certified_lower_bound) / abs(sol.objective)
    return (f"{case} (n = {n}, d = {d}, lam = {lam:g}, quota {'on' if quota else 'off'}): {sol.status.value}, "
            f"objective {sol.objective:.6g}, certified lower bound {sol.certified_lower_bound:.6g}, "
            f"gap / objective {own:.3e}, solver's certified rel. gap {sol.certified_rel_gap:.3e}, "
            f"{sol.info.get('n_iter')} rounds, {count['scans']} scans, "
            f"{count['nodes']} nodes, nodes / chambers {count['nodes'] / chambers:.3g} (chambers {chambers:.4g}), "
            f"wall {wall:.1f} s, CPU {cpu:.1f} s, load {load0:.1f} -> {os.getloadavg()[0]:.1f}")


def profile(case: str, lam: float, time_limit: float) -> str:
    import os

    import relucert.lp.tv.bab as bab

    X, y = _target_data(case)
    n, d = X.shape
    maximise = bab.maximise
    rows = []

    def counting(*a, **k):
        t, c = time.perf_counter(), time.process_time()
        out = maximise(*a, **k)
        seeds = k.get("seeds")
        rows.append((len(rows) + 1, out.stats.n_nodes, 0 if seeds is None else len(seeds[2]), out.stats.n_pruned,
                     out.stats.n_open, time.process_time() - c, time.perf_counter() - t, out.complete,
                     out.max_value, out.upper_bound, len(out.value), k.get("limit")))
        print("scan {:>3}: nodes {:>8} seeds {:>7} pruned {:>8} open {:>7} cpu {:7.2f} wall {:7.2f} complete {!s:>5} "
              "max|eta| {:.6g} upper {:.6g} found {} limit {}".format(*rows[-1]), flush=True)
        return out

    sol, wall, cpu, load0 = _solve_counting(X, y, lam, time_limit, counting)
    for h in sol.info.get("history", []):
        print(f"round {h['iter']:>3}: atoms {h['n_atoms']:>4} / set {h['n_atoms_set']:>5} objective {h['objective']:.8g} "
              f"violators {h['violators']:>4} max|eta| {h['max_found']:.6g} complete {h['complete']} "
              f"qp {h['qp_s']:.2f} s oracle {h['oracle_s']:.2f} s")
    own = (sol.objective - sol.certified_lower_bound) / abs(sol.objective)
    return (f"{case} (n = {n}, d = {d}, lam = {lam:g}): {sol.status.value}, objective {sol.objective:.6g}, "
            f"certified lower bound {sol.certified_lower_bound:.6g}, gap / objective {own:.3e}, "
            f"{sum(r[1] for r in rows)} nodes in {len(rows)} scans, wall {wall:.1f} s, CPU {cpu:.1f} s, "
            f"load {load0:.1f} -> {os.getloadavg()[0]:.1f}")


def policy_ab(case: str, lam: float, time_limit: float | None, variants: str) -> list[str]:
    import os

    import relucert.lp.tv.bab as bab
    from relucert.lp.tv import oracle_api
    from relucert.lp.tv.bab.warm import WarmStart

    X, y = _target_data(case)
    maximise, init, shift = bab.maximise, oracle_api.BranchAndBoundOracle.__init__, WarmStart.shift
    out = []
    for v in variants.split(","):
        rule, band, exact, cap, full, local, run = (v.split(":") + [""] * 6)[:7]
        count = {"nodes": 0, "scans": 0}

        def counting(*a, **k):
            res = maximise(*a, **k)
            count["nodes"] += res.stats.n_nodes
            count["scans"] += 1
            return res

        def configured(self, *a, band=band, exact=exact, cap=cap, full=full, local=local, run=run, **k):
            init(self, *a, **k)
            count["oracle"] = self
            self.local.min_found = int(local) if local else self.local.min_found
            self.local.max_run = int(run) if run else self.local.max_run
            self.violator_band = float(band) if band else self.violator_band
            self.exact_regions = bool(int(exact)) if exact else self.exact_regions
            self.violator_cap = int(cap) if cap else self.violator_cap
            self.complete_band = float(full) if full else self.complete_band

        WarmStart.shift = rule or shift
        oracle_api.BranchAndBoundOracle.__init__ = configured
        try:
            sol, wall, cpu, load0 = _solve_counting(X, y, lam, time_limit, counting)
        finally:
            WarmStart.shift, oracle_api.BranchAndBoundOracle.__init__ = shift, init
        own = (sol.objective - sol.certified_lower_bound) / abs(sol.objective)
        out.append(f"{case} {v}: {sol.status.value}, objective {sol.objective:.9g}, certified lower bound "
                   f"{sol.certified_lower_bound:.9g}, gap / objective {own:.3e}, {sol.info.get('n_iter')} rounds, "
                   f"{count['scans']} scans, {count['oracle'].local.n_scans} local scans, {count['nodes']} nodes, "
                   f"wall {wall:.1f} s, CPU {cpu:.1f} s, "
                   f"load {load0:.1f} -> {os.getloadavg()[0]:.1f}")
        print(out[-1], flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cases", default=None)
    ap.add_argument("--lam", type=float, default=0.05)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--warm-ab", action="store_true", help="bab with the warm start off and on")
    ap.add_argument("--targets", default=None, help="issue 13's targets, e.g. d4n100,d8n500,diabetes")
    ap.add_argument("--no-quota", action="store_true", help="--targets with the violator quota off")
    ap.add_argument("--profile", default=None, help="one target case, every scan printed (e.g. d4n100)")
    ap.add_argument("--policy-ab", default=None, help="one target case, solved once per --variants entry")
    ap.add_argument("--variants", default="lemma9:1.25:0,ray:1.25:1", help="shift:band:exact[:cap[:complete[:local[:run]]]],...")
    ap.add_argument("--no-limit", action="store_true", help="--policy-ab without a time limit")
    args = ap.parse_args(argv)
    print(machine())
    if args.policy_ab:
        policy_ab(args.policy_ab, args.lam, None if args.no_limit else args.time_limit, args.variants)
        return 0
    if args.profile:
        print(profile(args.profile, args.lam, args.time_limit), flush=True)
        return 0
    if args.targets:
        for case in args.targets.split(","):
            print(target(case, args.lam, args.time_limit, quota=not args.no_quota), flush=True)
        return 0
    cases = args.cases or (QUICK if args.quick else CASES)
    if args.warm_ab:
        for case in cases.split(","):
            d, n = (int(v) for v in case[1:].split("n"))
            print(warm_ab(d, n, args.lam, args.time_limit), flush=True)
        return 0
    bad = 0
    print(f"{'case':>7} {'chambers':>9} | {'enum s':>8} {'rounds':>6} {'status':>8} | {'bab s':>8} {'rounds':>6} "
          f"{'status':>8} {'cert gap':>9} | {'bab/enum':>8}")
    for case in cases.split(","):
        d, n = (int(v) for v in case[1:].split("n"))
        r = run_case(d, n, args.lam, args.time_limit)
        e, b = r["enumerate"], r["bab"]
        if e["status"] == b["status"] == "optimal":
            if abs(e["objective"] - b["objective"]) > 1e-7 * max(1.0, abs(e["objective"])):
                bad += 1
                print(f"MISMATCH {case}: {e['objective']!r} vs {b['objective']!r}")
        print(f"{case:>7} {r['chambers_est']:>9} | {e['seconds']:8.2f} {e['rounds']:>6} {e['status']:>8} | "
              f"{b['seconds']:8.2f} {b['rounds']:>6} {b['status']:>8} {b['gap']:9.2e} | "
              f"{b['seconds'] / e['seconds']:8.1f}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
