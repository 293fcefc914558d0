"""Per-region certificate evaluation rate: numpy vs torch (CPU) vs torch (CUDA).

    python benchmarks/gpu_scan.py --quick        # one table, a few minutes
    python benchmarks/gpu_scan.py --threshold    # batched vs per-region loop, small sizes

Cases: d = 2, n = 1000 (1,000,000 regions) and d = 3, n = 100 (323,600 regions),
Gaussian data (general position). The chambers are built by a sweep that lives in this
script only (the fast enumerator of relucert.arrangement is another issue): on each
hyperplane the crossings with the others are sorted, consecutive crossings bound the
facets, and a chamber is identified by a Zobrist hash of its sign pattern; d = 3 runs
the d = 2 sweep inside every hyperplane. The result is checked against the
general-position count, and the patterns recomputed from the interior points must be
distinct.

p is Gaussian, scaled so that half of the regions have ||v_A|| > 1 - gpu_margin (half
are pruned, half are projected). Every backend runs on the same arrangement and p in
this process; the ratio is against numpy. The per-region CPU loop (region_max on every
region, the exact path) is timed on a sample of regions and reported as a rate.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

from relucert.arrangement import Arrangement, general_position_count, lift
from relucert.arrangement.chambers import pack_signs
from relucert.gpu import certificate as cert
from relucert.tolerances import DEFAULT


# ----------------------------------------------------------------------------- sweep

def _circle_cells(N: np.ndarray, ids: np.ndarray, zob: np.ndarray):
    """Facets of the chambers of the central arrangement of normals N (k, 3) in R^3.

    Returns (keys_with_side, facet_id, point): one row per (arc, side); the key is the
    Zobrist hash of the chamber on that side of the arc, the point the arc midpoint."""
    k = N.shape[0]
    Nu = N / np.linalg.norm(N, axis=1, keepdims=True)
    # orthonormal basis (e1, e2) of each plane N_j^perp
    helper = np.where(np.abs(Nu[:, :1]) < 0.9, np.array([[1.0, 0, 0]]), np.array([[0, 1.0, 0]]))
    e1 = np.cross(Nu, helper)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(Nu, e1)
    W = np.cross(Nu[:, None, :], Nu[None, :, :])  # (j, l, 3): direction of H_j cap H_l
    ang = np.arctan2(np.einsum("jld,jd->jl", W, e2), np.einsum("jld,jd->jl", W, e1))
    off = ~np.eye(k, dtype=bool)
    ang = ang[off].reshape(k, k - 1)
    other = np.broadcast_to(np.arange(k), (k, k))[off].reshape(k, k - 1)
    ang = np.concatenate([np.mod(ang, 2 * np.pi), np.mod(ang + np.pi, 2 * np.pi)], axis=1)
    other = np.concatenate([other, other], axis=1)
    order = np.argsort(ang, axis=1)
    ang = np.take_along_axis(ang, order, axis=1)
    other = np.take_along_axis(other, order, axis=1)
    nxt = np.concatenate([ang[:, 1:], ang[:, :1] + 2 * np.pi], axis=1)
    mid = (ang + nxt) / 2  # arc t lies between crossing t and t + 1
    pts = np.cos(mid)[:, :, None] * e1[:, None, :] + np.sin(mid)[:, :, None] * e2[:, None, :]
    s0 = pts[:, 0, :] @ Nu.T  # (j, l) signs at the first arc midpoint
    act0 = (s0 > 0) & off
    key0 = np.bitwise_xor.reduce(np.where(act0, zob[ids][None, :], np.uint64(0)), axis=1)
    flips = zob[ids[other]]
    flips[:, 0] = 0
    keys = key0[:, None] ^ np.bitwise_xor.accumulate(flips, axis=1)
    T = keys.shape[1]
    fid = np.repeat(ids, T)
    keys = keys.reshape(-1)
    pts = pts.reshape(-1, 3)
    zj = np.repeat(zob[ids], T)
    return (np.concatenate([keys, keys ^ zj]), np.concatenate([fid, fid]), np.concatenate([pts, pts]))


def sweep_arrangement(X: np.ndarray, seed: int = 0) -> Arrangement:
    """All chambers, interior points and facets of Gaussian data with d = 2 or 3."""
    Xl = lift(X)
    n, D = Xl.shape
    zob = np.random.default_rng(seed).integers(0, 2 ** 63, size=n, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    ids = np.arange(n)
    if D == 3:
        keys, fid, pts = _circle_cells(Xl, ids, zob)
    elif D == 4:
        parts = []
        for i in range(n):
            Nu = Xl[i] / np.linalg.norm(Xl[i])
            B = np.linalg.svd(Nu[None, :])[2][1:].T  # (4, 3) basis of H_i
            rest = np.delete(ids, i)
            k2, _, p2 = _circle_cells(Xl[rest] @ B, rest, zob)
            p4 = p2 @ B.T
            parts.append((np.concatenate([k2, k2 ^ zob[i]]), np.full(2 * k2.size, i), np.concatenate([p4, p4])))
        keys, fid, pts = (np.concatenate(z) for z in zip(*parts))
    else:
        raise ValueError("the benchmark sweep handles d = 2 and d = 3 only")
    uniq, inv = np.unique(keys, return_inverse=True)
    m = uniq.size
    interior = np.zeros((m, D))
    for c in range(D):
        interior[:, c] = np.bincount(inv, weights=pts[:, c], minlength=m)
    interior /= np.linalg.norm(interior, axis=1, keepdims=True)
    pair = np.unique(inv.astype(np.int64) * n + fid)
    owner, facet = pair // n, pair % n
    indptr = np.zeros(m + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(owner, minlength=m))
    Ul = Xl / np.linalg.norm(Xl, axis=1, keepdims=True)
    signs = np.empty((m, (n + 7) // 8), dtype=np.uint8)
    margin = np.empty(m)
    for s in range(0, m, 65536):
        S = interior[s:s + 65536] @ Ul.T
        signs[s:s + 65536] = pack_signs(S > 0)
        margin[s:s + 65536] = np.min(np.abs(S), axis=1)
    expected = general_position_count(n, D - 1)
    if m != expected or np.unique(signs, axis=0).shape[0] != m or not np.all(margin > 0):
        raise RuntimeError(f"sweep found {m} chambers, expected {expected} (data not in general position?)")
    return Arrangement(X=X, X_lift=Xl, signs=signs, interior=interior, margin=margin,
                       facet_indptr=indptr, facet_indices=facet.astype(np.int64), method="benchmark-sweep")


# ----------------------------------------------------------------------------- timing

def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cpus, python {platform.python_version()}"


def scaled_p(arr: Arrangement, seed: int, quantile: float = 0.5) -> np.ndarray:
    p = np.random.default_rng(seed).standard_normal(arr.n)
    V = cert.certificate_vectors(arr, p, backend="numpy")
    return p * (1.0 / np.quantile(np.linalg.norm(V, axis=1), 1 - quantile))


def loop_rate(arr: Arrangement, p: np.ndarray, sample: int, seed: int = 0) -> float:
    """Regions per second of the per-region CPU path (region_max on each projected region)."""
    from relucert.arrangement import region_max

    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(arr.n_chambers, size=min(sample, arr.n_chambers), replace=False))
    start = time.perf_counter()
    act = arr.active(rows)
    V = act.astype(float) @ (p[:, None] * arr.X_lift)
    for r, k in enumerate(rows):
        if np.linalg.norm(V[r]) <= 1 - DEFAULT.gpu_margin:
            continue
        G = arr.inward_normals(int(k))
        region_max(V[r], G)
        region_max(-V[r], G)
    return rows.size / (time.perf_counter() - start)


def run_backend(arr, p, backend, device, method="lut", repeat=1):
    best = None
    for _ in range(repeat):
        if device == "cuda":
            import torch

            torch.cuda.synchronize()
        start = time.perf_counter()
        r = cert.region_maxima(arr, p, backend=backend, device=device, method=method)
        t = time.perf_counter() - start
        best = t if best is None else min(best, t)
    return best, r


def case_table(name, arr, p, backends, loop_sample, repeat):
    rows = []
    base = None
    ref = None
    for label, backend, device, method in backends:
        t, r = run_backend(arr, p, backend, device, method, repeat)
        if ref is None:
            ref = r
        kept = ~ref.pruned
        diff = max(float(np.nanmax(np.abs(r.max_pos[kept] - ref.max_pos[kept]), initial=0.0)),
                   float(np.nanmax(np.abs(r.max_neg[kept] - ref.max_neg[kept]), initial=0.0)))
        if diff > DEFAULT.gpu_margin:
            raise RuntimeError(f"{label} disagrees with numpy by {diff:.3g}")
        rate = arr.n_chambers / t
        base = base or rate
        rows.append((name, label, r.device, arr.n_chambers, t, rate, rate / base,
                     int(r.pruned.sum()), int(r.exact.sum()), diff))
        print(f"  {name} {label}: {t:.2f} s, max |diff| vs numpy {diff:.2g}", file=sys.stderr, flush=True)
    rate = loop_rate(arr, p, loop_sample)
    rows.append((name, "per-region loop (region_max)", "cpu", arr.n_chambers, arr.n_chambers / rate, rate,
                 rate / base, -1, -1, float("nan")))
    return rows


def print_table(rows):
    head = f"{'case':<16} {'path':<30} {'device':<34} {'regions':>9} {'time s':>9} {'regions/s':>11} {'vs numpy':>9} {'pruned':>8} {'exact':>6} {'max diff':>9}"
    print(head)
    print("-" * len(head))
    for case, label, dev, m, t, rate, ratio, pr, ex, diff in rows:
        extra = f"{pr:>8} {ex:>6} {diff:>9.1e}" if pr >= 0 else f"{'':>8} {'':>6}"
        dev = dev[:34]
        print(f"{case:<16} {label:<30} {dev:<34} {m:>9} {t:>9.2f} {rate:>11.0f} {ratio:>9.2f} {extra}")


def threshold_table():
    """Batched (numpy, torch CPU) vs the per-region loop on small arrangements."""
    print("per-region loop vs batched, whole region_maxima call (p: half the regions projected)")
    print(f"{'d':>2} {'n':>4} {'regions':>8} {'loop s':>8} {'numpy s':>8} {'torch s':>8}")
    for d, n in [(2, 16), (2, 30), (2, 50), (2, 80), (2, 120), (3, 10), (3, 15), (3, 20), (3, 30), (3, 40)]:
        X = np.random.default_rng(n).standard_normal((n, d))
        arr = sweep_arrangement(X)
        p = scaled_p(arr, 1)
        times = []
        for backend in ("exact", "numpy", "torch"):
            best = min(run_backend(arr, p, backend, "cpu")[0] for _ in range(3))
            times.append(best)
        print(f"{d:>2} {n:>4} {arr.n_chambers:>8} {times[0]:>8.4f} {times[1]:>8.4f} {times[2]:>8.4f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="one timed run per backend, the per-region loop on 2000 sampled regions")
    ap.add_argument("--threshold", action="store_true", help="measure BATCH_MIN_CHAMBERS")
    ap.add_argument("--cases", default="d2n1000,d3n100")
    ap.add_argument("--repeat", type=int, default=2, help="timed runs per backend, best kept (not --quick)")
    ap.add_argument("--methods", action="store_true", help="also time method='unpack' for v_A")
    args = ap.parse_args(argv)
    print(f"machine: {machine()}")
    if args.threshold:
        threshold_table()
        return 0
    import torch

    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, cuda: "
          f"{torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none'}")
    backends = [("numpy", "numpy", "cpu", "lut"), ("torch cpu", "torch", "cpu", "lut")]
    if args.methods:
        backends += [("numpy (unpack v_A)", "numpy", "cpu", "unpack"),
                     ("torch cpu (unpack v_A)", "torch", "cpu", "unpack")]
    if torch.cuda.is_available():
        backends.append(("torch cuda", "torch", "cuda", "lut"))
    # warm-up: torch start-up and CUDA context creation are not part of the rates
    small = sweep_arrangement(np.random.default_rng(1).standard_normal((12, 2)))
    for _, backend, device, method in backends:
        cert.region_maxima(small, scaled_p(small, 1), backend=backend, device=device, method=method)
    rows = []
    for case in args.cases.split(","):
        d, n = int(case[1:case.index("n")]), int(case[case.index("n") + 1:])
        t0 = time.perf_counter()
        arr = sweep_arrangement(np.random.default_rng(0).standard_normal((n, d)))
        print(f"{case}: {arr.n_chambers} chambers by the benchmark sweep in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        p = scaled_p(arr, 0)
        rows += case_table(case, arr, p, backends, 2000 if args.quick else 20000,
                           1 if args.quick else args.repeat)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
