"""Issue 12 scale sweep: X scaled by 10^a and y (with lam) by 10^b, a, b in {-6, -3, 0, 3, 6},
on a seeded family (Gaussian X, y = sin(2 x_1) + 0.1 noise, lam = 0.05 * 10^b), solved with the
DEFAULT tolerances.

Usage:  python benchmarks/bench_scale_sweep.py [--cases 1:8,20,40 2:8,20,40 3:8,20] [--seeds 1]
                                               [--x-exponents -6,-3,0,3,6]

Prints one line per (d, n, seed, a): the statuses over b, then a table of certified / total
per (a, b). Label scaling is exact (objective x 10^(2b)); the worst relative deviation of
objective / 10^(2b) from the b = 0 run is printed per a.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np

from _machine import machine

EXP = (-6, -3, 0, 3, 6)


def family(seed, n, d):
    rng = np.random.default_rng([seed, n, d])
    X = rng.standard_normal((n, d))
    return X, np.sin(2.0 * X[:, 0]) + 0.1 * rng.standard_normal(n)


def main(argv=None) -> int:
    import relucert

    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default="1:8,20,40 2:8,20,40 3:8,20")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--x-exponents", default=",".join(str(a) for a in EXP),
                    help="the exponents a of the X scale 10^a to run (e.g. 6 for the X x 10^6 cells only)")
    args = ap.parse_args(argv)
    x_exp = tuple(int(a) for a in args.x_exponents.split(","))
    print(machine(), flush=True)
    count = {(a, b): [0, 0] for a in EXP for b in EXP}
    t_all = time.perf_counter()
    for part in args.cases.split():
        d, ns = part.split(":")
        for n in map(int, ns.split(",")):
            for seed in range(args.seeds):
                X0, y0 = family(seed, n, int(d))
                for a in x_exp:
                    objs, marks = {}, []
                    for b in EXP:
                        c = 10.0 ** b
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            sol = relucert.solve(X0 * 10.0 ** a, y0 * c, 0.05 * c, progress=False)
                        count[(a, b)][1] += 1
                        if sol.success:
                            count[(a, b)][0] += 1
                            objs[b] = sol.objective / c ** 2
                        marks.append("ok" if sol.success else f"{sol.status.value}({sol.info['relative_gap']:.0e})")
                    dev = (max(abs(v / objs[0] - 1) for v in objs.values()) if 0 in objs and objs else float("nan"))
                    print(f"d={d} n={n:3d} seed={seed} a={a:+d}: {' '.join(marks)}   max |obj/10^2b / obj_0 - 1| = {dev:.1e}",
                          flush=True)
    print(f"\ncertified / instances per (a = log10 X scale, b = log10 y scale), {time.perf_counter() - t_all:.0f} s")
    print("a \\ b " + "".join(f"{b:>8d}" for b in EXP))
    for a in x_exp:
        print(f"{a:5d} " + "".join(f"{count[(a, b)][0]:>4d}/{count[(a, b)][1]:<3d}" for b in EXP))
    return 0


if __name__ == "__main__":
    sys.exit(main())
