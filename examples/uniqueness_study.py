"""A certified uniqueness study: how often is the optimal measure, and the optimal
function, unique on small random data, as n and lam vary?

For each n and each ratio lam / lam_max, random data (X standard normal, y standard
normal, d = 1 by default) is solved exactly and certified (relucert.certify): the measure
verdict ("unique" / "not unique" / "undetermined") comes from the exact solution polytope
(DESIGN.md section 5), the function verdict from that polytope modulo networks that vanish
on R^d. The non-unique instances found are counterexamples, printed with the seed that
rebuilds them; the figure shows the fraction of unique measures and of unique functions.

    python examples/uniqueness_study.py [--out FILE] [--quick] [--d 1|2] [--trials T]
"""
from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np

RATIOS = (0.3, 0.1, 0.03, 0.01)
SIZES = (4, 6, 8, 10)


def instance(n: int, d: int, seed: int):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal(n)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="uniqueness_study.png", help="figure file")
    parser.add_argument("--quick", action="store_true", help="reduced size (the smoke test)")
    parser.add_argument("--d", type=int, choices=[1, 2], default=1)
    parser.add_argument("--trials", type=int, default=None, help="instances per cell (default 6; quick: 2)")
    args = parser.parse_args(argv)
    import relucert
    from relucert.path import lam_max
    import matplotlib

    from relucert.plots import save_figure

    sizes = SIZES[:2] if args.quick else SIZES
    ratios = RATIOS[::2] if args.quick else RATIOS
    trials = args.trials or (2 if args.quick else 6)
    verdicts = {}
    counterexamples = []
    for a, n in enumerate(sizes):
        for b, ratio in enumerate(ratios):
            cell = []
            for t in range(trials):
                seed = 1000 * n + 100 * b + t
                X, y = instance(n, args.d, seed)
                lam = ratio * lam_max(X, y)
                with warnings.catch_warnings():
                    warnings.simplefilter("error")  # a non-optimal solve is not part of the study
                    sol = relucert.solve(X, y, lam, progress=False, strict=True)
                rep = relucert.certify(sol)
                cell.append((rep.unique, rep.unique_function))
                if rep.unique != "unique":
                    counterexamples.append({"n": n, "d": args.d, "seed": seed, "lam": lam, "ratio": ratio,
                                            "measure": rep.unique, "function": rep.unique_function,
                                            "reason": rep.unique_reason, "support": rep.support_size})
            verdicts[(n, ratio)] = cell
            print(f"n = {n:2d}, lam = {ratio} lam_max: measure unique {sum(m == 'unique' for m, _ in cell)}/{trials}, "
                  f"function unique {sum(f == 'unique' for _, f in cell)}/{trials}", file=sys.stderr)
    print(f"{len(counterexamples)} instances whose optimal measure is not certified unique "
          f"(rebuild with instance(n, d, seed)):")
    for c in counterexamples:
        print(f"  n = {c['n']}, d = {c['d']}, seed = {c['seed']}, lam = {c['lam']:.6g} ({c['ratio']} lam_max): "
              f"measure {c['measure']}, function {c['function']}, {c['support']} atoms; {c['reason']}")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, k, what in zip(axes, (0, 1), ("measure", "function on R^d")):
        frac = np.array([[np.mean([v[k] == "unique" for v in verdicts[(n, r)]]) for r in ratios] for n in sizes])
        im = ax.imshow(frac, vmin=0, vmax=1, cmap="viridis", origin="lower", aspect="auto")
        for a in range(len(sizes)):
            for b in range(len(ratios)):
                ax.text(b, a, f"{frac[a, b]:.2f}", ha="center", va="center", color="w" if frac[a, b] < 0.5 else "k")
        ax.set_xticks(range(len(ratios)), [str(r) for r in ratios])
        ax.set_yticks(range(len(sizes)), [str(n) for n in sizes])
        ax.set(xlabel="lam / lam_max", ylabel="n", title=f"fraction with a certified unique {what}")
        fig.colorbar(im, ax=ax)
    fig.suptitle(f"random data, d = {args.d}, {trials} instances per cell")
    save_figure(fig, args.out, dpi=110)
    print(f"figure written to {args.out}")
    return {"verdicts": verdicts, "counterexamples": counterexamples}


if __name__ == "__main__":
    main()
