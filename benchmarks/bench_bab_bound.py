"""Node bound quality high in the tree (issue 13): bound minus the node's maximum at depths 0-10.

Usage:  python benchmarks/bench_bab_bound.py [--cases d4n100,d5n200,fit8n500,diabetes] [--descents 3]
        [--budget 300]

Nodes: random descents from random roots (both signs), each split by ``tree.split`` into a
random child; nodes at depths 0, 2, ..., 10 are measured. Duals: "dXnN" the last late-round
dual (max |eta| < 1.6) of the exchange on teacher data (recorded by bench_bab.py, cached in
/tmp); "fitXnN" and "diabetes" (scikit-learn's data, standardised) the residual of a ridge fit
on 200 random ReLU features, scaled by the incumbent of a short maximise (so max |eta| >= 1).
Per node, the bound of:

- ``centre``: the centre slopes (no slope step);
- ``fw4``: four Frank-Wolfe steps (the rule before session 8);
- ``pg``: the default (``BAB_SLOPE_ITERS`` projected-gradient iterations, ``lp/tv/bab/slopes.py``);
- ``best``: the best slopes (scipy's BVLS over slopes and multipliers);
- ``tri``: the undecided positive terms bounded by the better of the interpolation and the chord
  of ``relu`` over ``[l_i, u_i]``, the exact range of ``<a_i, theta>`` on the cone and the ball
  (one projection per term), mixed per term with the slopes by 60 Frank-Wolfe steps (an affine
  bound, valid but not a /2 leaf; measured, not used);
- ``tri-cheap``: the same with the ranges from the pre-bound (no projection).

``lo``: the node's largest ``|eta|`` met by a maximise seeded with the node (``--budget`` nodes);
``up``: that search's upper bound. Printed: per node, and per depth the median excess over
``lo`` of each bound.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from scipy.optimize import lsq_linear

from _machine import machine

_ZERO = 1e-12


def _fit_dual(X, y, d):
    rng = np.random.default_rng(1)
    Z = np.hstack([X, np.ones((len(X), 1))])
    Phi = np.maximum(Z @ rng.standard_normal((d + 1, 200)), 0.0)
    return y - Phi @ np.linalg.solve(Phi.T @ Phi + np.eye(200), Phi.T @ y)


def _problem(case: str):
    from relucert.examples import battery
    from relucert.lp.tv.bab import maximise

    if case == "diabetes":
        from sklearn.datasets import load_diabetes

        X, y = load_diabetes(return_X_y=True)
        X, y = (X - X.mean(0)) / X.std(0), (y - y.mean()) / y.std()
        p = _fit_dual(X, y, X.shape[1])
    elif case.startswith("fit"):
        d, n = (int(v) for v in case[3:].split("n"))
        X, y = (np.asarray(v) for v in battery("teacher", n, d, seed=0))
        p = _fit_dual(X, y, d)
    else:
        from bench_bab import _late_duals

        r = [r for r in _late_duals(case, 200.0) if r["max_value"] < 1.6][-1]
        return r["X"], r["q"]
    return X, p / maximise(X, p, time_limit=30, progress=False).max_value


def _bounds(A, q, R, sign) -> dict:
    from relucert.lp.tv.bab import cones
    from relucert.lp.tv.bab.slopes import projected_slopes
    from relucert.tolerances import BAB_SLOPE_ITERS

    Q = sign * q
    act, und, Sn, Rn = cones.classify(A, R[None])
    act, und, Sn, Rn = act[0], und[0], Sn[0], Rn[0]
    G = cones.normals(Rn[None])[0]
    D = A.shape[1]
    val = lambda w: cones.cone_max(w[None], Rn[None], G[None], _ZERO)     # noqa: E731
    pos, neg = und & (Q > 0), und & (Q < 0)
    v0 = Q[act] @ A[act]
    wI = (np.maximum(Sn[pos], 0) * Q[pos][:, None]) @ G          # per-term interpolation (rows)
    base = v0 + wI.sum(axis=0)
    An, qn = A[neg], Q[neg]
    out = {"nU": int(und.sum())}
    alpha = (Sn[neg].sum(axis=1) > 0).astype(float)
    best = np.inf
    for k in range(5):
        v, P = val(base + (qn * alpha) @ An)
        best = min(best, v[0])
        out.setdefault("centre", v[0])
        if v[0] <= 0:
            break
        g = 2.0 / (k + 3.0)
        alpha = (1 - g) * alpha + g * (An @ (P[0] / v[0]) > 0)
    out["fw4"] = best
    a0 = np.zeros(len(Q))
    a0[neg] = Sn[neg].sum(axis=1) > 0
    a = projected_slopes(A, Q[None], neg[None], base[None], G[None], a0[None], BAB_SLOPE_ITERS)[0]
    out["pg"] = min(out["centre"], val(base + (Q * a) @ A)[0][0])
    M = np.hstack([(qn[:, None] * An).T, G.T])
    ub = np.r_[np.ones(neg.sum()), np.full(D, np.inf)]
    x = lsq_linear(M, -base, bounds=(np.zeros(M.shape[1]), ub), method="bvls").x
    out["best"] = float(np.linalg.norm(M @ x + base))
    Ap, qp = A[pos], Q[pos]
    k = len(Ap)
    rep = lambda X: np.repeat(X[None], k, 0)                             # noqa: E731
    ranges = {"tri": (cones.cone_max(Ap, rep(Rn), rep(G), _ZERO)[0], cones.cone_max(-Ap, rep(Rn), rep(G), _ZERO)[0])}
    gn, Sp, na = np.linalg.norm(G, axis=1), Ap @ Rn, np.linalg.norm(Ap, axis=1)
    ranges["tri-cheap"] = (np.minimum(na, np.maximum(Sp, 0) @ gn), np.minimum(na, np.maximum(-Sp, 0) @ gn))
    for name, (u, ml) in ranges.items():
        s, c = u / (u + ml), qp * u * ml / (u + ml)                     # relu(t) <= s (t - l) on [l, u]
        wT = (s * qp)[:, None] * Ap
        al, mu, bt = x[:neg.sum()].copy(), np.zeros(k), np.inf
        for it in range(60):
            v, P = val(v0 + (1 - mu) @ wI + mu @ wT + (qn * al) @ An)
            bt = min(bt, v[0] + mu @ c)
            th = P[0] / v[0] if v[0] > 0 else np.zeros(D)
            g = 2.0 / (it + 2.0)
            mu = (1 - g) * mu + g * (((wT - wI) @ th + c) < 0)
            al = (1 - g) * al + g * (An @ th > 0)
        out[name] = bt
    return out


def run(case: str, descents: int, budget: int) -> None:
    from relucert.lp.tv.bab import cones, maximise
    from relucert.lp.tv.bab.tree import prepare, roots, split

    X, p = _problem(case)
    prob = prepare(X, p)
    A, q = prob.A, prob.q
    rng = np.random.default_rng(0)
    R0, s0 = roots(A.shape[1])
    names = ("centre", "fw4", "pg", "best", "tri", "tri-cheap")
    rows = []
    for _ in range(descents):
        i = rng.integers(len(s0))
        R, sg = R0[i], int(s0[i])
        for depth in range(11):
            if depth % 2 == 0:
                b = _bounds(A, q, R, float(sg))
                m = maximise(X, p, seeds=(R[None], np.array([sg], np.int8), np.array([np.inf]), None),
                             max_nodes=budget, progress=False)
                b.update(depth=depth, lo=m.max_value, up=m.upper_bound)
                rows.append(b)
            act, und, Sn, Rn = cones.classify(A, R[None])
            if not und.any():
                break
            c1, c2, _ = split(R[None], Rn, Sn, (sg * q)[None], und)
            R = (c1 if rng.random() < 0.5 else c2)[0]
    print(f"\n### {case} (n = {X.shape[0]}, d = {X.shape[1]}), {descents} descents, lo/up from {budget} nodes")
    print("| depth | undecided | " + " | ".join(names) + " | lo | up |")
    print("|---:|---:|" + "---:|" * (len(names) + 2))
    for b in rows:
        print(f"| {b['depth']} | {b['nU']} | " + " | ".join(f"{b[k]:.3f}" for k in names) + f" | {b['lo']:.3f} | {b['up']:.3f} |")
    print("\nmedian excess over lo per depth: | depth | " + " | ".join(names) + " |")
    for dep in sorted({b["depth"] for b in rows}):
        sel = [b for b in rows if b["depth"] == dep]
        print(f"| {dep} | " + " | ".join(f"{np.median([b[k] - b['lo'] for b in sel]):.3f}" for k in names) + " |",
              flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="d4n100,d5n200,fit8n500,diabetes")
    ap.add_argument("--descents", type=int, default=3)
    ap.add_argument("--budget", type=int, default=300)
    args = ap.parse_args(argv)
    print(f"machine: {machine()}; load {os.getloadavg()[0]:.1f}")
    for case in args.cases.split(","):
        run(case, args.descents, args.budget)
    return 0


if __name__ == "__main__":
    sys.exit(main())
