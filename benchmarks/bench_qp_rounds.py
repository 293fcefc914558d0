"""The exchange's finite programs replayed: the active set of an earlier commit (``--base``,
loaded from git) against the working tree's, on the very programs one exchange run solved.

    OMP_NUM_THREADS=1 python benchmarks/bench_qp_rounds.py [--quick] [--data issue16 | --family
        gauss-smooth] [--n 1000] [--lam 0.001] [--rounds 30,40,47,56,61,67] [--base ccd02c6]

``--data issue16`` is the data of issue 16 (``default_rng(0)``, ``X`` standard normal (n, 2),
``y = sin(2 x1) cos(x2) + 0.1 noise``), solved by ``relucert.solve`` with its defaults (its
programs are on the solver's scaled data); otherwise ``relucert.examples.battery(family, n, 2)``
by ``solve_exchange``. The run records the chosen rounds' programs (columns, warm start, the
factors kept for them); each is then solved by ``nonneg_lasso_active_set`` of both versions,
alternately, twice, and the smaller CPU time (``time.process_time``) of each is printed with
the steps, whether both converged, the relative difference of the objectives and the supports.
"""
from __future__ import annotations

import argparse
import importlib.util
import pathlib
import subprocess
import sys
import time

import numpy as np

from _machine import machine

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _base_active_set(rev: str):
    """``lp/active_set.py`` and ``lp/qr_factors.py`` of ``rev`` as modules (the first imports
    the second under its own name, not the working tree's)."""
    mods = {}
    for name in ("qr_factors", "active_set"):
        src = subprocess.run(["git", "show", f"{rev}:lp/{name}.py"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
        src = src.replace("from relucert.lp.qr_factors import", "from _bench_base_qr_factors import")
        spec = importlib.util.spec_from_loader(f"_bench_base_{name}", loader=None)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        exec(compile(src, f"{rev}:lp/{name}.py", "exec"), mod.__dict__)
        mods[name] = mod
    return mods["active_set"]


def _issue16(n: int):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 2))
    return X, np.sin(2 * X[:, 0]) * np.cos(X[:, 1]) + 0.1 * rng.standard_normal(n)


def _record(args, rounds):
    """Run the exchange once; the chosen rounds' programs ``(round, Phi, y, lam, warm, tol, kept)``."""
    import relucert
    import relucert.lp.tv.exchange as exchange

    recorded, count = [], [0]
    real = exchange.lasso_qp_chain

    def spy(Phi, y, lam, **kw):
        count[0] += 1
        k = kw.get("kept")
        if count[0] in rounds:
            state = None if k is None or k.cols is None else (list(k.cols), k.Q.copy(), k.R.copy())
            recorded.append((count[0], Phi.copy(), y.copy(), lam, kw["warm_start"], kw["tol"], state))
        return real(Phi, y, lam, **kw)

    exchange.lasso_qp_chain = spy
    c0 = time.process_time()
    try:
        if args.data == "issue16":
            X, y = _issue16(args.n)
            out = relucert.solve(X, y, args.lam, progress=False)
            status, n_iter = out.status.value, out.info.get("n_iter")
        else:
            from relucert.arrangement import enumerate_chambers
            from relucert.examples import battery

            X, y = battery(args.family, args.n, 2, seed=0)
            res = exchange.solve_exchange(enumerate_chambers(X, progress=False), y, args.lam, progress=False)
            status, n_iter = res.status.value, res.n_iter
    finally:
        exchange.lasso_qp_chain = real
    name = args.data or args.family
    print(f"{name}, n = {args.n}, d = 2, lam = {args.lam}: {status}, {n_iter} rounds, "
          f"{time.process_time() - c0:.1f} CPU s (recording)", flush=True)
    return recorded


def main(argv=None) -> int:
    from relucert.lp import active_set as now
    from relucert.lp.qr_factors import KeptFactors

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 150, three rounds (seconds)")
    ap.add_argument("--data", choices=["issue16"], default=None)
    ap.add_argument("--family", default="gauss-smooth")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--lam", type=float, default=0.001)
    ap.add_argument("--rounds", default="30,40,47,56,61,67")
    ap.add_argument("--base", default="ccd02c6", help="the commit whose active set is compared")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.lam = 150, 0.01
    rounds = {5, 10, 15} if args.quick else {int(r) for r in args.rounds.split(",")}
    print(f"machine: {machine()}")
    base = _base_active_set(args.base)
    total = {"base": 0.0, "now": 0.0}
    for r, Phi, y, lam, warm, tol, state in _record(args, rounds):
        best = {}
        for _ in range(2):
            for v, mod in (("base", base), ("now", now)):
                kept = KeptFactors()
                if state is not None:
                    kept.cols, kept.Q, kept.R = list(state[0]), state[1].copy(), state[2].copy()
                c0 = time.process_time()
                res = mod.nonneg_lasso_active_set(Phi, y, lam, warm, tol=tol, kept=kept)
                dt = time.process_time() - c0
                if v not in best or dt < best[v][0]:
                    best[v] = (dt, res)
        (t_b, s_b), (t_n, s_n) = best["base"], best["now"]
        total["base"] += t_b
        total["now"] += t_n
        diff = (s_n.objective - s_b.objective) / max(1.0, abs(s_b.objective))
        print(f"round {r:3d}: K = {Phi.shape[1]:5d}, support {int(np.sum(s_n.c > 0)):4d}; {args.base}: {t_b:.3f} CPU s "
              f"({s_b.steps} steps, converged {s_b.converged}); now: {t_n:.3f} CPU s ({s_n.steps} steps, converged "
              f"{s_n.converged}); objective diff {diff:.1e}, same support {np.array_equal(s_b.c > 0, s_n.c > 0)}",
              flush=True)
    print(f"total over the rounds replayed: {args.base} {total['base']:.2f} CPU s, now {total['now']:.2f} CPU s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
