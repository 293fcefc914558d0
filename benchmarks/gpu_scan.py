"""Per-region certificate evaluation rate: numpy vs torch (CPU) vs torch (CUDA).

    python benchmarks/gpu_scan.py --quick        # one table, a few minutes
    python benchmarks/gpu_scan.py --threshold    # batched vs per-region loop, small sizes

Cases: d = 2, n = 1000 (1,000,000 regions) and d = 3, n = 100 (323,600 regions),
Gaussian data (general position); the chambers come from the library's exact enumerator
(relucert.arrangement.enumerate_chambers).

p is Gaussian, scaled so that half of the regions have ||v_A|| > 1 - gpu_margin (half
are pruned, half are projected). Every backend runs on the same arrangement and p in
this process; the ratio is against numpy. The per-region CPU loop (region_max on every
region, the exact path) is timed on a sample of regions and reported as a rate.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from relucert.arrangement import Arrangement, chamber_vectors, enumerate_chambers, region_maxima
from relucert.tolerances import DEFAULT

from _machine import machine


def scaled_p(arr: Arrangement, seed: int, quantile: float = 0.5) -> np.ndarray:
    p = np.random.default_rng(seed).standard_normal(arr.n)
    V = chamber_vectors(arr, p)
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


def maxima(arr, p, backend, device, method="lut"):
    """region_maxima on a backend: "exact" (the per-region loop), "numpy" or "torch"
    (the batched path on numpy or on torch ops for ``device``)."""
    if backend == "exact":
        return region_maxima(arr, p, backend="exact", method=method)
    ops = None
    if backend == "torch":
        from relucert.gpu import torch_ops

        ops = torch_ops(device)
    return region_maxima(arr, p, backend="batched", ops=ops, method=method)


def run_backend(arr, p, backend, device, method="lut", repeat=1):
    best = None
    for _ in range(repeat):
        if device == "cuda":
            import torch

            torch.cuda.synchronize()
        start = time.perf_counter()
        r = maxima(arr, p, backend, device, method)
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
    rows.append(face_row(name, arr, p, ref, base))
    rate = loop_rate(arr, p, loop_sample)
    rows.append((name, "per-region loop (region_max)", "cpu", arr.n_chambers, arr.n_chambers / rate, rate,
                 rate / base, -1, -1, float("nan")))
    return rows


def face_row(name, arr, p, ref, base):
    """The exchange oracle's exact path (lp.oracle: vectorised face candidates for d <= 3,
    the batched projections above) on the same regions: every (region, sign) whose
    maximum exceeds 1 - gpu_margin, the others bounded by the scan."""
    from relucert.lp.tv.oracle import scan_all_chambers as oracle_maxima

    oracle_maxima(arr, p, 1.0 - DEFAULT.gpu_margin)  # warm-up (d = 3 caches extreme rays)
    start = time.perf_counter()
    scan = oracle_maxima(arr, p, 1.0 - DEFAULT.gpu_margin)
    t = time.perf_counter() - start
    got = np.zeros((arr.n_chambers, 2))
    got[scan.chamber, (scan.sign < 0).astype(int)] = scan.value
    want = np.stack([np.nan_to_num(ref.max_pos), np.nan_to_num(ref.max_neg)], axis=1)
    over = want > 1.0 - DEFAULT.gpu_margin
    diff = float(np.max(np.abs(got[over] - want[over]), initial=0.0))
    rate = arr.n_chambers / t
    print(f"  {name} exact faces: {t:.2f} s, max |diff| vs numpy {diff:.2g}", file=sys.stderr, flush=True)
    return (name, "exact faces (lp.oracle, d<=3)", "cpu", arr.n_chambers, t, rate, rate / base, -1, -1, diff)


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
        arr = enumerate_chambers(X)
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
    small = enumerate_chambers(np.random.default_rng(1).standard_normal((12, 2)))
    for _, backend, device, method in backends:
        maxima(small, scaled_p(small, 1), backend, device, method)
    rows = []
    for case in args.cases.split(","):
        d, n = int(case[1:case.index("n")]), int(case[case.index("n") + 1:])
        t0 = time.perf_counter()
        arr = enumerate_chambers(np.random.default_rng(0).standard_normal((n, d)))
        print(f"{case}: {arr.n_chambers} chambers enumerated in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        p = scaled_p(arr, 0)
        rows += case_table(case, arr, p, backends, 2000 if args.quick else 20000,
                           1 if args.quick else args.repeat)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
