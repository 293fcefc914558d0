"""The certified global optimum against gradient descent on the same objective.

A finite network f(x) = sum_k a_k relu(w_k x + b_k) with the TV penalty of a finite
network, 0.5 ||f(X) - y||^2 + lam sum_k |a_k| ||(w_k, b_k)||, is trained with torch Adam
from several random initialisations and widths, on 1-D data (2-D with --d 2); relucert.solve gives the global optimum
of the infinite-width problem (which every finite network is an instance of) with a
certified duality gap. The figure shows each Adam run's objective gap to the certified
optimum and its number of active neurons against the width.

    python examples/adam_vs_certified.py [--out FILE] [--quick] [--d 1|2]

Every Adam objective is >= the certified lower bound (weak duality): the script checks it.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

#: A neuron counts as active when it carries this fraction of the network's TV norm.
ACTIVE_FRACTION = 1e-3


def make_data(n: int = 16, seed: int = 0, d: int = 1):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, d))
    if d == 1:
        X = np.sort(X, axis=0)
    y = np.sin(2 * X[:, 0]) + X[:, -1] / 2 * (d > 1) + 0.1 * rng.standard_normal(n)
    return X, y


def train_adam(X, y, lam, width, seed, steps, lr=1e-2):
    """Adam on 0.5 ||f(X) - y||^2 + lam sum |a_k| ||(w_k, b_k)||; returns (objective, active)."""
    import torch

    torch.manual_seed(seed)
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    W = torch.randn(width, X.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.randn(width, dtype=torch.float64, requires_grad=True)
    a = (torch.randn(width, dtype=torch.float64) / width).requires_grad_(True)
    opt = torch.optim.Adam([W, b, a], lr=lr)

    def objective():
        f = torch.relu(Xt @ W.T + b) @ a
        r = torch.sqrt((W ** 2).sum(1) + b ** 2)
        return 0.5 * ((f - yt) ** 2).sum() + lam * (a.abs() * r).sum()

    best = float("inf")
    for _ in range(steps):
        opt.zero_grad()
        loss = objective()
        loss.backward()
        opt.step()
        best = min(best, loss.item())
    with torch.no_grad():
        final = float(objective())
        mass = (a.abs() * torch.sqrt((W ** 2).sum(1) + b ** 2)).numpy()
    active = int(np.sum(mass > ACTIVE_FRACTION * mass.sum()))
    return min(best, final), active


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="adam_vs_certified.png", help="figure file")
    parser.add_argument("--quick", action="store_true", help="reduced size (the smoke test)")
    parser.add_argument("--d", type=int, choices=[1, 2], default=1, help="input dimension of the data")
    args = parser.parse_args(argv)
    import torch

    import relucert
    import matplotlib

    from relucert.plots import save_figure

    torch.set_num_threads(1)
    widths = [10, 50] if args.quick else [10, 100, 1000]
    seeds = range(2) if args.quick else range(3)
    steps = 100 if args.quick else 1500
    X, y = make_data(d=args.d)
    lam = 0.01
    t0 = time.perf_counter()
    sol = relucert.solve(X, y, lam, progress=False)
    t_solve = time.perf_counter() - t0
    lower = sol.objective - sol.duality_gap  # certified lower bound on every network's objective
    print(f"certified optimum: objective {sol.objective:.10g}, {sol.n_atoms} neurons, status "
          f"{sol.status.value}, gap {sol.duality_gap:.2e}, {t_solve:.2f} s")
    runs = []
    for width in widths:
        for seed in seeds:
            t0 = time.perf_counter()
            obj, active = train_adam(X, y, lam, width, seed, steps)
            runs.append({"width": width, "seed": seed, "objective": obj, "active": active,
                         "gap": obj - sol.objective, "time_s": time.perf_counter() - t0})
            print(f"width {width:5d} seed {seed}: objective {obj:.6g} (gap {obj - sol.objective:.3e}), "
                  f"{active} active neurons, {runs[-1]['time_s']:.1f} s", file=sys.stderr)
            if obj < lower:
                raise AssertionError(f"Adam's objective {obj!r} is below the certified lower bound {lower!r}")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(14, 4))
    w = np.array([r["width"] for r in runs])
    gaps = np.array([max(r["gap"], sol.duality_gap) for r in runs])
    ax1.scatter(w, gaps, c=[r["seed"] for r in runs], cmap="tab10")
    ax1.set(xscale="log", yscale="log", xlabel="width", ylabel="objective - certified optimum",
            title=f"Adam, {steps} steps, lam = {lam}")
    ax2.scatter(w, [r["active"] for r in runs])
    ax2.axhline(sol.n_atoms, color="k", ls="--", label=f"certified optimum: {sol.n_atoms}")
    ax2.set(xscale="log", yscale="log", xlabel="width", ylabel="active neurons",
            title=f"active neurons (> {ACTIVE_FRACTION:g} of the TV norm)")
    ax2.legend()
    if args.d == 1:
        grid = np.linspace(X.min() - 0.5, X.max() + 0.5, 400)[:, None]
        ax3.plot(X[:, 0], y, "k.", label="data")
        ax3.plot(grid[:, 0], sol.predict(grid), "r-", label="certified optimum")
        for t in sol.theta:
            if t[0] != 0:
                ax3.axvline(-t[1] / t[0], color="r", ls=":", lw=1)
        ax3.set(title="certified optimum (dotted: kinks)", xlabel="x")
        ax3.legend()
    else:
        g = np.linspace(-2.5, 2.5, 100)
        G1, G2 = np.meshgrid(g, g)
        Z = sol.predict(np.column_stack([G1.ravel(), G2.ravel()])).reshape(G1.shape)
        im = ax3.contourf(G1, G2, Z, levels=20, cmap="coolwarm")
        ax3.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k")
        fig.colorbar(im, ax=ax3)
        ax3.set(title=f"certified optimum, {sol.n_atoms} neurons", xlabel="x1", ylabel="x2")
    save_figure(fig, args.out, dpi=110)
    print(f"figure written to {args.out}")
    return {"solution": sol, "runs": runs, "lower_bound": lower}


if __name__ == "__main__":
    main()
