"""Time to a certified optimum: relucert's exchange method vs the full reformulation
through cvxpy + clarabel (same chambers) and vs a wide ReLU net trained by Adam with
weight decay in torch (objective it reaches in the same time).

Usage:  python benchmarks/bench_solver.py [--quick] [--cases 200x2,1000x2,100x3]
                                          [--lam 0.01] [--no-cvxpy] [--no-torch]

Prints one block per case and the machine. The ratio is cvxpy+clarabel time / exchange
time, both run in this process on the same enumerated chambers. Enumeration is timed
separately (it is shared by both methods).
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from _machine import machine


def make_data(n: int, d: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.sin(2 * X[:, 0]) * np.cos(X[:, -1]) + 0.1 * rng.standard_normal(n)
    return X, y


def primal(X, y, lam, theta, amp):
    Xl = np.hstack([X, np.ones((len(X), 1))])
    r = np.maximum(0, Xl @ theta.T) @ amp - y
    return 0.5 * float(r @ r) + lam * float(np.abs(amp).sum())


def cvxpy_socp(arr, y, lam):
    """The full reformulation (DESIGN.md section 4) in cvxpy, solved by clarabel."""
    import cvxpy as cp
    import scipy.sparse as sp

    Xl = arr.X_lift
    n, D = Xl.shape
    m = arr.n_chambers
    act = arr.active()
    ch, rows = np.nonzero(act)
    # predictions: sum_C D_C X~ u_C = Amat @ vec(U)   (U is m x D, row-major vec)
    r_idx = np.repeat(rows, D)
    c_idx = (ch[:, None] * D + np.arange(D)[None, :]).reshape(-1)
    vals = Xl[rows].reshape(-1)
    Amat = sp.csr_matrix((vals, (r_idx, c_idx)), shape=(n, m * D))
    # facet constraints G_C u_C >= 0
    fr, fc, fv = [], [], []
    row = 0
    signs = np.where(act, 1.0, -1.0)
    for C in range(m):
        idx = arr.facets(C)
        G = signs[C, idx][:, None] * Xl[idx]
        f = len(idx)
        fr.append(np.repeat(np.arange(row, row + f), D))
        fc.append(np.tile(C * D + np.arange(D), f))
        fv.append(G.reshape(-1))
        row += f
    F = sp.csr_matrix((np.concatenate(fv), (np.concatenate(fr), np.concatenate(fc))), shape=(row, m * D))
    Up = cp.Variable((m, D))
    Um = cp.Variable((m, D))
    up, um = cp.vec(Up, order="C"), cp.vec(Um, order="C")
    pred = Amat @ up - Amat @ um
    obj = 0.5 * cp.sum_squares(pred - y) + lam * (cp.sum(cp.norm(Up, 2, axis=1)) + cp.sum(cp.norm(Um, 2, axis=1)))
    prob = cp.Problem(cp.Minimize(obj), [F @ up >= 0, F @ um >= 0])
    t0 = time.perf_counter()
    prob.solve(solver=cp.CLARABEL)
    return time.perf_counter() - t0, float(prob.value), prob.status


def torch_adam(X, y, lam, seconds, width=1000, seed=0):
    """Wide ReLU net, Adam with weight decay lam (0.5 lam (|a|^2 + |(w,b)|^2) >= lam |a| |(w,b)|),
    run for ``seconds``; returns the best TV objective reached and the steps taken."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    d = X.shape[1]
    W = torch.nn.Parameter(torch.randn(width, d, dtype=torch.float64) / np.sqrt(d))
    b = torch.nn.Parameter(torch.randn(width, dtype=torch.float64) * 0.1)
    a = torch.nn.Parameter(torch.randn(width, dtype=torch.float64) / width)
    opt = torch.optim.Adam([W, b, a], lr=1e-3)
    best = np.inf
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        opt.zero_grad()
        f = torch.relu(Xt @ W.T + b) @ a
        loss = 0.5 * ((f - yt) ** 2).sum() + 0.5 * lam * ((a ** 2).sum() + (W ** 2).sum() + (b ** 2).sum())
        loss.backward()
        opt.step()
        steps += 1
        if steps % 10 == 0 or time.perf_counter() - start >= seconds:
            with torch.no_grad():
                f = torch.relu(Xt @ W.T + b) @ a
                tv = (a.abs() * torch.sqrt((W ** 2).sum(1) + b ** 2)).sum()
                best = min(best, float(0.5 * ((f - yt) ** 2).sum() + lam * tv))
    return best, steps


def run_case(n, d, lam, *, use_cvxpy, use_torch):
    from relucert.arrangement import enumerate_chambers
    from relucert.arrangement.counts import estimate_chambers
    from relucert.lp.tv.exchange import solve_exchange

    X, y = make_data(n, d)
    est = estimate_chambers(X)
    print(f"\n== n = {n}, d = {d}, lam = {lam}: {est} chambers (estimate)", flush=True)
    t0 = time.perf_counter()
    arr = enumerate_chambers(X, progress=False)
    t_enum = time.perf_counter() - t0
    print(f"   enumeration ({arr.method}): {t_enum:.2f} s; {arr.n_chambers} chambers", flush=True)
    t0 = time.perf_counter()
    res = solve_exchange(arr, y, lam, progress=False)
    t_solve = time.perf_counter() - t0
    best = res.best
    print(f"   exchange (certified): {t_solve:.2f} s; objective {best.objective:.12g}; relative gap "
          f"{best.rel_gap():.1e}; max|eta| {best.max_abs_certificate:.15g}; {best.theta.shape[0]} neurons; "
          f"{res.n_iter} rounds; phases {dict((k, round(v, 2)) for k, v in res.timings.items())}", flush=True)
    out = {"n": n, "d": d, "chambers": arr.n_chambers, "exchange_s": t_solve, "enum_s": t_enum,
           "objective": best.objective}
    if use_cvxpy:
        try:
            t_cv, v_cv, st = cvxpy_socp(arr, y, lam)
            out["cvxpy_s"] = t_cv
            print(f"   cvxpy + clarabel (full reformulation): {t_cv:.2f} s; status {st}; objective {v_cv:.12g} "
                  f"(rel. diff {(v_cv - best.objective) / best.objective:.1e})")
            print(f"   ratio cvxpy+clarabel / exchange: {t_cv / t_solve:.1f}x", flush=True)
        except ImportError:
            print("   cvxpy not installed (pip install relucert[bench])")
    if use_torch:
        try:
            budget = max(t_solve, 1.0)
            val, steps = torch_adam(X, y, lam, budget)
            out["adam_objective"] = val
            print(f"   torch Adam + weight decay, width 1000, same time ({budget:.2f} s, {steps} steps): "
                  f"objective {val:.6g} ({(val - best.objective) / best.objective:+.1%} vs the optimum)")
        except ImportError:
            print("   torch not installed (pip install relucert[gpu])")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small cases only (seconds)")
    ap.add_argument("--cases", default=None, help="comma-separated NxD, e.g. 200x2,1000x2,100x3")
    ap.add_argument("--lam", type=float, default=0.01)
    ap.add_argument("--no-cvxpy", action="store_true")
    ap.add_argument("--no-torch", action="store_true")
    args = ap.parse_args(argv)
    if args.cases:
        cases = [tuple(int(v) for v in c.split("x")) for c in args.cases.split(",")]
    elif args.quick:
        cases = [(12, 2), (60, 1)]
    else:
        cases = [(200, 2), (1000, 2), (100, 3), (30, 2), (300, 1)]
    print(f"machine: {machine()}")
    for n, d in cases:
        run_case(n, d, args.lam, use_cvxpy=not args.no_cvxpy, use_torch=not args.no_torch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
