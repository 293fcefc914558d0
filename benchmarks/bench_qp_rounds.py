"""The exchange's finite programs replayed: the session-7 active set (pricing batch by a block
prefix then one-by-one ``qr_insert``; each round's support factorised afresh) against the
current one (the batch by one block update skipping dependent columns; the last round's QR
factors kept, ``KeptFactors``), on the very programs one exchange run solved.

    OMP_NUM_THREADS=1 python benchmarks/bench_qp_rounds.py [--quick] [--family gauss-smooth]
        [--n 1000] [--lam 0.01] [--rounds 10,20,30]

The run records the chosen rounds' programs (columns, warm start, refinement flag and the
factors kept for them); each is then solved by both paths, alternately, twice, and the
smaller CPU time (``time.process_time``) of each is printed with the steps, the support and
the relative difference of the objectives (both answers are re-checked by the same test).
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from _machine import machine


def _old_independent(fac, js):
    """The session-7 pricing: the run before the first dependent column in one block, the
    rest by one-by-one insertions."""
    js = list(js)
    first = fac.insert_block(js)
    return first + [t for t in js[len(first):] if fac.insert(t)]


def main(argv=None) -> int:
    import relucert.lp.tv.exchange as exchange
    from relucert.arrangement import enumerate_chambers
    from relucert.examples import battery
    from relucert.lp.lasso_chain import lasso_qp_chain
    from relucert.lp.qr_factors import KeptFactors, ThinQR

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 150, three rounds (seconds)")
    ap.add_argument("--family", default="gauss-smooth")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--lam", type=float, default=0.01)
    ap.add_argument("--rounds", default="10,20,30,33,35,37,39")
    args = ap.parse_args(argv)
    n, rounds = (150, {5, 10, 15}) if args.quick else (args.n, {int(r) for r in args.rounds.split(",")})
    print(f"machine: {machine()}")
    X, y = battery(args.family, n, 2, seed=0)
    arr = enumerate_chambers(X, progress=False)
    recorded, count = [], [0]
    real = exchange.lasso_qp_chain

    def spy(Phi, y, lam, **kw):
        count[0] += 1
        k = kw.get("kept")
        if count[0] in rounds:
            state = None if k is None or k.cols is None else (list(k.cols), k.Q.copy(), k.R.copy())
            recorded.append((count[0], Phi.copy(), kw["warm_start"], kw["refine"], kw["tol"], state))
        return real(Phi, y, lam, **kw)

    exchange.lasso_qp_chain = spy
    try:
        res = exchange.solve_exchange(arr, y, args.lam, progress=False)
    finally:
        exchange.lasso_qp_chain = real
    print(f"{args.family}, n = {n}, d = 2, lam = {args.lam}: {res.status.value}, {res.n_iter} rounds")
    new_independent = ThinQR.insert_independent
    total = {"old": 0.0, "new": 0.0}
    try:
        for r, Phi, warm, refine, tol, state in recorded:
            out: dict = {}
            for _ in range(2):
                for v in ("old", "new"):
                    ThinQR.insert_independent = _old_independent if v == "old" else new_independent
                    kept = None
                    if v == "new":
                        kept = KeptFactors()
                        if state is not None:
                            kept.cols, kept.Q, kept.R = list(state[0]), state[1].copy(), state[2].copy()
                    c0 = time.process_time()
                    sol, _ = lasso_qp_chain(Phi, y, args.lam, tol=tol, warm_start=warm, refine=refine, kept=kept)
                    out.setdefault(v, []).append((time.process_time() - c0, sol))
            (t_o, s_o), (t_n, s_n) = (min(out[v], key=lambda e: e[0]) for v in ("old", "new"))
            total["old"] += t_o
            total["new"] += t_n
            diff = (s_n.objective - s_o.objective) / max(1.0, abs(s_o.objective))
            print(f"round {r:3d}: K = {Phi.shape[1]:5d}, support {int(np.sum(s_n.c > 0)):4d}, refine {refine!s:5}, "
                  f"kept factors {'yes' if state else 'no '}; session 7: {t_o:.3f} CPU s ({s_o.program.n_iter} steps); "
                  f"now: {t_n:.3f} CPU s ({s_n.program.n_iter} steps); objective diff {diff:.1e}", flush=True)
    finally:
        ThinQR.insert_independent = new_independent
    print(f"total over the rounds replayed: session 7 {total['old']:.2f} CPU s, now {total['new']:.2f} CPU s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
