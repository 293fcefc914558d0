"""Chamber enumeration speed: the exact LP-free method ("restrict") against the BFS
baseline (one HiGHS feasibility LP per candidate sign flip), same process, same data.

For each d = 1, 2, 3: the baseline and the fast method on small n (the ratio), then
the fast method alone on growing n (the baseline would take hours there: it solves
about n LPs per chamber), each large case in a fresh subprocess so that its peak
memory (max RSS, whole process including Python and numpy) is its own.

    python benchmarks/bench_arrangement.py [--quick] [--rays 30,60,100]

``--rays``: at d = 3 only, the chambers' extreme rays and radii in one process, the lines of the
arrangement (``relucert.arrangement.vertex_rays``) against the per-chamber method (all facet
triples of each chamber), alternately twice, CPU seconds, with the check that both list the
same ray directions (to 1e-12) and the radii's largest difference.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

from _machine import machine

FULL = {
    "ratio": {1: [20, 40], 2: [10, 15], 3: [7, 9, 12]},
    "large": {1: [1000, 10000, 30000], 2: [100, 300, 1000], 3: [30, 60, 100], 4: [15, 25]},
}
QUICK = {
    "ratio": {1: [20], 2: [10], 3: [7]},
    "large": {1: [10000], 2: [100, 300], 3: [30]},
}

_CHILD = r"""
import json, resource, sys, time
import numpy as np
from relucert.arrangement import enumerate_chambers, general_position_count
d, n = int(sys.argv[1]), int(sys.argv[2])
X = np.random.default_rng(n * 10 + d).standard_normal((n, d))
t = time.perf_counter()
c = time.process_time()
arr = enumerate_chambers(X, max_chambers=None, progress=False)
el = time.perf_counter() - t
cpu = time.process_time() - c
print(json.dumps({"d": d, "n": n, "m": arr.n_chambers, "formula": general_position_count(n, d),
                  "time": el, "cpu": cpu, "rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
"""


def highs_chamber_lp(U, s, *, tol=None):
    """The baseline's chamber LP on the library's HiGHS layer (relucert.lp.highs, one
    warm highspy instance per solve), passed to ``enumerate_bfs`` as its ``chamber_lp``:
    the arrangement package's own default runs scipy's linprog, which costs more per call."""
    import scipy.sparse as sp

    from relucert.errors import SolverError
    from relucert.lp.highs import FiniteProgram, solve_program
    from relucert.results import Status

    k, D = U.shape
    A = sp.csc_matrix(np.hstack([s[:, None] * U, -np.ones((k, 1))]))
    c = np.zeros(D + 1)
    c[-1] = 1.0
    prog = FiniteProgram(c=c, A=A, row_lower=np.zeros(k), row_upper=np.full(k, np.inf),
                         col_lower=np.r_[-np.ones(D), -np.inf], col_upper=np.ones(D + 1), maximize=True)
    res = solve_program(prog, tol=tol)
    if res.status is not Status.OPTIMAL:
        raise SolverError(f"chamber feasibility LP ended with status {res.status.value}: {res.message}")
    return float(res.x[-1]), res.x[:-1]


def ratio_rows(sizes) -> list[str]:
    from relucert.arrangement import enumerate_chambers
    from relucert.arrangement.baseline import enumerate_bfs

    rows = []
    for d, ns in sizes.items():
        for n in ns:
            X = np.random.default_rng(n * 10 + d).standard_normal((n, d))
            t = time.perf_counter()
            ref = enumerate_bfs(X, chamber_lp=highs_chamber_lp)
            t_ref = time.perf_counter() - t
            t = time.perf_counter()
            arr = enumerate_chambers(X, progress=False)
            t_fast = time.perf_counter() - t
            same = {r.tobytes() for r in ref.sign_patterns} == {r.tobytes() for r in arr.sign_patterns}
            rows.append(f"| {d} | {n} | {arr.n_chambers} | {t_ref:.3f} | {ref.n_chambers / t_ref:,.0f} | "
                        f"{t_fast:.4f} | {arr.n_chambers / t_fast:,.0f} | {t_ref / t_fast:,.0f}x | "
                        f"{'yes' if same else 'NO'} |")
            print(rows[-1], flush=True)
    return rows


def large_rows(sizes) -> list[str]:
    rows = []
    for d, ns in sizes.items():
        for n in ns:
            out = subprocess.run([sys.executable, "-c", _CHILD, str(d), str(n)], capture_output=True, text=True)
            if out.returncode != 0:
                rows.append(f"| {d} | {n} | failed: {out.stderr.strip().splitlines()[-1]} |")
            else:
                r = json.loads(out.stdout.strip().splitlines()[-1])
                ok = "yes" if r["m"] == r["formula"] else "NO"
                rows.append(f"| {d} | {n} | {r['m']:,} | {ok} | {r['time']:.2f} | {r['cpu']:.2f} | "
                            f"{r['m'] / r['time']:,.0f} | {r['rss_gib']:.2f} |")
            print(rows[-1], flush=True)
    return rows


def rays_rows(ns) -> list[str]:
    from relucert.arrangement import enumerate_chambers
    from relucert.lp.tv import chamber_arrays, chamber_bounds

    rows = []
    for n in ns:
        X = np.random.default_rng(n * 10 + 3).standard_normal((n, 3))
        arr = enumerate_chambers(X, max_chambers=None, progress=False)
        times, out = {"lines": [], "per-chamber": []}, {}
        for _ in range(2):
            for name in ("per-chamber", "lines"):
                saved = chamber_arrays.vertex_rays
                if name == "per-chamber":
                    chamber_arrays.vertex_rays = lambda *a, **k: None
                for cache in (chamber_arrays._RAYS, chamber_bounds._RADII, chamber_bounds._SCALED):
                    cache.pop(arr, None)
                c = time.process_time()
                rays = chamber_arrays.chamber_rays(arr, 1e-12)
                t_rays = time.process_time() - c
                rho = chamber_bounds.chamber_radii(arr, 1e-12)
                times[name].append((t_rays, time.process_time() - c))
                out[name] = (rays, rho.copy())
                chamber_arrays.vertex_rays = saved
        (ia, ra), rho_a = out["lines"]
        (ib, rb), rho_b = out["per-chamber"]
        same = np.array_equal(ia, ib) and all(
            np.all(np.linalg.norm(ra[ia[k]:ia[k + 1], None] - rb[None, ib[k]:ib[k + 1]], axis=2).min(axis=1) <= 1e-12)
            for k in range(arr.n_chambers) if ia[k + 1] > ia[k])
        both = np.isfinite(rho_a) & np.isfinite(rho_b)
        fmt = lambda ts: " / ".join(f"{a:.2f}, {b:.2f}" for a, b in ts)  # noqa: E731
        rows.append(f"| {n} | {arr.n_chambers:,} | {fmt(times['per-chamber'])} | {fmt(times['lines'])} | "
                    f"{'yes' if same else 'NO'} | {int(np.isfinite(rho_b).sum()):,} / {int(np.isfinite(rho_a).sum()):,} | "
                    f"{float(np.max(np.abs(rho_a[both] - rho_b[both]), initial=0.0)):.1e} |")
        print(rows[-1], flush=True)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes only (well under a minute)")
    parser.add_argument("--rays", default=None, help="d = 3 rays and radii, lines vs per chamber, e.g. 30,60,100")
    args = parser.parse_args(argv)
    if args.rays:
        print(f"machine: {machine()}")
        print("| n | chambers | per-chamber CPU s (rays, rays + radii) x2 | lines CPU s (rays, rays + radii) x2 "
              "| same rays | radii finite (per-chamber / lines) | largest radius difference |")
        print("|---:|---:|---|---|---|---|---:|")
        rays_rows([int(v) for v in args.rays.split(",")])
        return 0
    sizes = QUICK if args.quick else FULL
    print(f"machine: {machine()}")
    print("\nFast (restrict) vs baseline (BFS, one HiGHS LP per candidate flip), same process, same data:")
    print("| d | n | chambers | BFS s | BFS chambers/s | restrict s | restrict chambers/s | speed-up | same patterns |")
    print("|---|---|---|---|---|---|---|---|---|")
    ratio_rows(sizes["ratio"])
    print("\nFast method alone on larger n (baseline not run: ~n LPs per chamber, hours);"
          " peak RSS of a fresh process:")
    print("| d | n | chambers | = formula | wall s | CPU s | chambers/s (wall) | peak RSS GiB |")
    print("|---|---|---|---|---|---|---|---|")
    large_rows(sizes["large"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
