"""Benchmark: exact certificates (issue 5) -- certify and check n = 200, d = 2.

Usage: python benchmarks/bench_exact.py [--quick] [--n N] [--seed S] [--bfs]

Prints, for one random (P_lam) instance with a known optimum (the recipe of tests/problems.py):
- enumeration time (reported separately: see below),
- certify time (make_exact_certificate, excluding enumeration) and file size,
- check time (the independent exact checker on the written file),
- the ratio of a naive exact baseline to our checker's core loop, run in the same
  process: per chamber, Fraction arithmetic from scratch (interior-point signs and
  v_A = sum of p_i x~_i) versus our common-denominator integer path (object-array
  matmul for the signs, v_A from the parent chamber by the changed bits);
- the machine.

Enumeration uses the library's exact enumerator (``enumerate_chambers``); ``--bfs``
forces the BFS/LP reference (slow: n = 40 takes minutes).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from fractions import Fraction

import numpy as np

from _machine import machine


def naive_vs_ours(doc, sample: int):
    """Per-chamber cost: naive Fraction arithmetic vs the checker's integer path."""
    from relucert.verify.checker import _Exact, parse_certificate
    from relucert.verify.checker.claims import check_interiors

    cert = parse_certificate(doc)
    n = cert.n
    Xl = [row + (Fraction(1),) for row in cert.X]
    idx = np.linspace(0, len(cert.masks) - 1, min(sample, len(cert.masks))).astype(int)
    t = time.perf_counter()
    for c in idx:
        mask, th = cert.masks[c], cert.interiors[c]
        for i in range(n):
            s = sum(a * b for a, b in zip(Xl[i], th))
            assert (s > 0) == bool((mask >> i) & 1) and s != 0
        v = [Fraction(0)] * (cert.d + 1)
        for i in range(n):
            if (mask >> i) & 1:
                v = [a + cert.dual[i] * b for a, b in zip(v, Xl[i])]
    naive = (time.perf_counter() - t) / len(idx)
    t = time.perf_counter()
    ex = _Exact(cert)
    assert check_interiors(ex).passed
    ex.chamber_vectors()
    ours = (time.perf_counter() - t) / len(cert.masks)
    return naive, ours


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="n = 40 instead of 200")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bfs", action="store_true", help="enumerate with the library's BFS/LP reference (slow)")
    args = ap.parse_args(argv)
    n = args.n or (40 if args.quick else 200)
    d, lam = 2, 0.1

    from relucert.arrangement import enumerate_chambers, lift, region_max
    from relucert.results import Status
    from relucert.solution import Solution, relu_features
    from relucert.verify import check_certificate_file, make_exact_certificate

    print(f"machine: {machine()}")
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((n, d))
    t = time.perf_counter()
    arr = enumerate_chambers(X, method="bfs" if args.bfs else "auto", progress=False)
    t_enum = time.perf_counter() - t
    print(f"n = {n}, d = {d}: {arr.n_chambers} chambers, enumerated in {t_enum:.2f} s ({arr.method})")
    # a known optimum (by_construction's recipe on this arrangement)
    p = rng.standard_normal(n)
    Xl = lift(X)
    act = arr.active()
    best_val, best = -1.0, None
    for k in range(arr.n_chambers):
        v = Xl[act[k]].T @ p[act[k]]
        if np.linalg.norm(v) <= best_val:
            continue
        G = arr.inward_normals(k)
        for s in (1.0, -1.0):
            r = region_max(s * v, G)
            if r.value > best_val:
                best_val, best = r.value, (r.point, s)
    p = p / best_val
    theta = best[0][None, :]
    amp = np.array([best[1] * 1.5])
    y = relu_features(Xl, theta) @ amp + lam * p
    opt = 0.5 * lam ** 2 * float(p @ p) + lam * 1.5
    sol = Solution(X=X, y=y, lam=lam, theta=theta, amplitude=amp, objective=opt, tv_norm=1.5, dual=p,
                   predictions=relu_features(Xl, theta) @ amp, max_abs_certificate=1.0, duality_gap=0.0,
                   n_chambers=arr.n_chambers, status=Status.OPTIMAL, method="by_construction")
    t = time.perf_counter()
    cert = make_exact_certificate(sol, arrangement=arr, progress=False)
    t_cert = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cert.json")
        cert.write(path)
        size = os.path.getsize(path)
        t = time.perf_counter()
        report = check_certificate_file(path)
        t_check = time.perf_counter() - t
    assert report.passed, report.first_failure()
    assert float(cert.lower_bound) <= opt * (1 + 1e-12) <= float(cert.upper_bound) * (1 + 2e-12)
    steps = ", ".join(f"{k} {v:.2f}" for k, v in cert.timings.items())
    print(f"certify (excluding enumeration): {t_cert:.2f} s [{steps}]; file {size / 1e6:.1f} MB")
    print(f"check (independent, exact): {t_check:.2f} s; verified; relative gap {float(cert.relative_gap):.2e}; "
          f"{cert.unique}")
    naive, ours = naive_vs_ours(cert.to_dict(), sample=200 if not args.quick else 100)
    print(f"core per-chamber exact work: naive Fraction {naive * 1e3:.3f} ms vs ours {ours * 1e3:.4f} ms: "
          f"ratio {naive / ours:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
