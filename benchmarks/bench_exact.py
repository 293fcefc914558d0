"""Benchmark: exact certificates (issue 5) -- certify and check n = 200, d = 2.

Usage: python benchmarks/bench_exact.py [--quick] [--n N] [--seed S] [--bfs | --local]

Prints, for one random (P_lam) instance with a known optimum (the recipe of tests/problems.py):
- enumeration time (reported separately: see below),
- certify time (make_exact_certificate, excluding enumeration) and file size,
- check time (the independent exact checker on the written file),
- the ratio of a naive exact baseline to our checker's core loop, run in the same
  process: per chamber, Fraction arithmetic from scratch (interior-point signs and
  v_A = sum of p_i x~_i) versus our common-denominator integer path (object-array
  matmul for the signs, v_A from the parent chamber by the changed bits);
- the machine.

Enumeration. When the library has a fast enumerator (a method other than "bfs") it is
used. Otherwise (as on the branch where this was written) the reference BFS (one HiGHS
LP per candidate flip: ~n x #chambers = 8 million LPs at n = 200) is far too slow, and
this benchmark builds the arrangement of general-position 2-D data with a small local
vertex-sector method
(every chamber of a great-circle arrangement on S^2 has a vertex; the chambers are
the sectors around the vertices). Its output is NOT trusted: the exact checker proves
every chamber non-empty by its rational interior point and the list complete by the
Zaslavsky count. ``--bfs`` forces the library's BFS enumerator (n = 40: 74-113 s),
``--local`` the vertex-sector method.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from fractions import Fraction

import numpy as np


def arrangement_d2_vertices(X):
    """Chambers of general-position 2-D data: sectors around the arrangement's vertices."""
    from relucert.arrangement import Arrangement, lift, pack_signs

    Xl = lift(X)
    n = Xl.shape[0]
    gi, hi = np.triu_indices(n, 1)
    C = np.cross(Xl[gi], Xl[hi])
    C /= np.linalg.norm(C, axis=1, keepdims=True)
    V = np.vstack([C, -C])
    G = np.concatenate([gi, gi])
    H = np.concatenate([hi, hi])
    S = V @ Xl.T  # (vertices, n)
    pts, pats, fac = [], [], []
    for a in (1.0, -1.0):
        for b in (1.0, -1.0):
            # direction u with <x~_g,u> = a, <x~_h,u> = b, <v,u> = 0
            M = np.stack([Xl[G], Xl[H], V], axis=1)
            rhs = np.tile(np.array([a, b, 0.0]), (len(V), 1))
            U = np.linalg.solve(M, rhs[..., None])[..., 0]
            DU = U @ Xl.T
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.abs(S) / np.abs(DU)
            ratio[np.arange(len(V)), G] = np.inf
            ratio[np.arange(len(V)), H] = np.inf
            eps = 0.5 * np.min(np.where(np.isfinite(ratio), ratio, np.inf), axis=1)
            eps = np.minimum(eps, 1.0)
            P = V + eps[:, None] * U
            P /= np.linalg.norm(P, axis=1, keepdims=True)
            pts.append(P)
            pats.append(P @ Xl.T > 0)
            fac.append(np.stack([G, H], axis=1))
    P = np.vstack(pts)
    A = np.vstack(pats)
    F = np.vstack(fac)
    packed = pack_signs(A)
    _, first, inv = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    m = len(first)
    facets = [set() for _ in range(m)]
    for k, (g, h) in zip(inv, F):
        facets[k].update((int(g), int(h)))
    lists = [np.array(sorted(f), dtype=np.int64) for f in facets]
    indptr = np.zeros(m + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(f) for f in lists])
    # the mean of a chamber's sector points (one near each of its vertices) lies inside the
    # convex cone and is more central than any one of them
    interior = np.zeros((m, 3))
    np.add.at(interior, inv, P)
    interior /= np.linalg.norm(interior, axis=1, keepdims=True)
    A_first = interior @ Xl.T > 0
    keep = np.all(A_first == A[first], axis=1)
    interior[~keep] = P[first][~keep]
    Ul = Xl / np.linalg.norm(Xl, axis=1, keepdims=True)
    margin = np.min(np.where(A[first], 1, -1) * (interior @ Ul.T), axis=1)  # > 0 (checked exactly later)
    return Arrangement(X=np.asarray(X, float), X_lift=Xl, signs=packed[first], interior=interior, margin=margin,
                       facet_indptr=indptr, facet_indices=np.concatenate(lists), method="bench-vertex-sectors")


def naive_vs_ours(doc, sample: int):
    """Per-chamber cost: naive Fraction arithmetic vs the checker's integer path."""
    from relucert.verify.checker import _Exact, _check_interiors, parse_certificate

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
    assert _check_interiors(ex).passed
    ex.chamber_vectors()
    ours = (time.perf_counter() - t) / len(cert.masks)
    return naive, ours


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="n = 40 instead of 200")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bfs", action="store_true", help="enumerate with the library's BFS/LP reference (slow)")
    ap.add_argument("--local", action="store_true", help="enumerate with the bench-local vertex-sector method")
    args = ap.parse_args(argv)
    n = args.n or (40 if args.quick else 200)
    d, lam = 2, 0.1

    from relucert.arrangement import enumerate_chambers, lift, region_max
    from relucert.results import Status
    from relucert.solution import Solution, relu_features
    from relucert.verify import check_certificate_file, make_exact_certificate

    print(f"machine: {platform.platform()}; {platform.processor() or platform.machine()}; "
          f"{os.cpu_count()} cores; Python {platform.python_version()}")
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((n, d))
    t = time.perf_counter()
    from relucert.arrangement.enumerate import Method

    fast = any(m.value not in ("auto", "bfs") for m in Method)  # a fast library enumerator exists
    if args.bfs:
        arr = enumerate_chambers(X, method="bfs", progress=False)
    elif fast and not args.local:
        arr = enumerate_chambers(X, progress=False)
    else:
        arr = arrangement_d2_vertices(X)
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
