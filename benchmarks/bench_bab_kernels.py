"""The branch and bound's bounding kernels: numpy (the reference) vs torch (issue 13 item 6).

Usage:  OMP_NUM_THREADS=1 python benchmarks/bench_bab_kernels.py [--quick] [--device cpu|cuda]

1. Kernel time per 1,000 cones, same process, same inputs: the inputs are the calls a
   numpy ``certify`` makes (recorded on its first batches), replayed through
   ``lp.tv.bab.cones`` and through ``relucert.gpu.bab_kernels(device)``; best of 3. Also
   the largest difference of the bounds (``cone_max`` values relative to ``||w||``).
2. A whole ``certify`` and ``maximise`` at d = 4 (n = 100) and d = 5 (n = 30) with each
   kernel set: nodes, wall and CPU seconds, status / max |eta| (they must agree).

Data: make_data of bench_solver.py (seed 0); dual: the "fit" dual of bench_bab.py,
scaled so that its max |eta_p| is 1 (the hardest case for certify).
torch runs with 1 intra-op thread on the CPU (relucert.gpu.device.DEFAULT_CPU_THREADS).
With a CUDA device: ``python benchmarks/bench_bab_kernels.py --device cuda``.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from _machine import machine
from bench_bab import _dual
from bench_solver import make_data

KERNELS = ("classify", "normals", "centre_alpha", "linear_majorant", "pre_bound", "cone_max")


class _Recorder:
    """Numpy's kernels, keeping the arguments of every call (the first ``limit`` cones of
    each kernel)."""

    def __init__(self, limit: int):
        from relucert.lp.tv.bab import cones

        self.cones, self.limit, self.calls = cones, limit, {k: [] for k in KERNELS}
        self.seen = dict.fromkeys(KERNELS, 0)

    def __getattr__(self, name):
        fn = getattr(self.cones, name)

        def call(*args):
            m = np.shape(args[1] if name in ("classify", "linear_majorant") else args[0])[0]
            if self.seen[name] < self.limit:
                self.calls[name].append(tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args))
                self.seen[name] += m
            return fn(*args)
        return call


def _cones_of(name, args) -> int:
    return int(np.shape(args[1] if name in ("classify", "linear_majorant") else args[0])[0])


def _best(fn, repeat=3):
    wall, cpu = np.inf, np.inf
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = min(wall, time.perf_counter() - w), min(cpu, time.process_time() - c)
    return out, wall, cpu


def _problem(d: int, n: int):
    from relucert.lp.tv.bab import maximise

    X, y = make_data(n, d)
    p = _dual("fit", X, y, d)
    return X, p / maximise(X, p, progress=False).max_value


def kernel_rows(d: int, n: int, torch_kernels, limit: int):
    from relucert.lp.tv.bab import certify, cones

    X, p = _problem(d, n)
    rec = _Recorder(limit)
    certify(X, p, progress=False, kernels=rec, max_nodes=2 * limit)
    rows = []
    for name in KERNELS:
        calls = rec.calls[name]
        m = sum(_cones_of(name, a) for a in calls)
        _, w_np, c_np = _best(lambda: [getattr(cones, name)(*a) for a in calls])
        out_t, w_t, c_t = _best(lambda: [getattr(torch_kernels, name)(*a) for a in calls])
        diff = float("nan")
        if name == "cone_max":
            out_n = [cones.cone_max(*a) for a in calls]
            diff = max(float(np.max(np.abs(a[0] - b[0]) / np.maximum(np.linalg.norm(args[0], axis=1),
                                                                    np.finfo(float).tiny), initial=0.0))
                       for a, b, args in zip(out_n, out_t, calls))
        rows.append((name, m, 1e6 * c_np / m, 1e6 * c_t / m, 1e6 * w_np / m, 1e6 * w_t / m, diff))
    return rows


def whole_rows(d: int, n: int, torch_kernels, label: str):
    from relucert.lp.tv.bab import certify, maximise

    X, p = _problem(d, n)
    rows = []
    for name, k in (("numpy", None), (label, torch_kernels)):
        cert, wc, cc = _best(lambda: certify(X, p, progress=False, kernels=k), repeat=1)
        mx, wm, cm = _best(lambda: maximise(X, p, progress=False, kernels=k), repeat=1)
        rows.append((d, n, name, cert.status.value, cert.stats.n_nodes, wc, cc, mx.stats.n_nodes, wm, cm,
                     mx.max_value))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="d = 4, n = 50 only (about a minute)")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="where the torch kernels run")
    args = ap.parse_args(argv)
    from relucert.gpu import bab_kernels

    K = bab_kernels(args.device)
    label = f"torch {args.device}"
    print(f"machine: {machine()}")
    print(f"torch kernels: {K.device_name}, cpu_threads = {K.cpu_threads}")
    kernel_cases = [(4, 50)] if args.quick else [(3, 100), (4, 100), (5, 50)]
    whole_cases = [(4, 50)] if args.quick else [(4, 100), (5, 30)]
    print("\n| d | n | kernel | cones | numpy CPU ms / 1k cones | "
          f"{label} CPU ms / 1k | numpy wall ms / 1k | {label} wall ms / 1k | {label} / numpy (CPU) "
          "| max bound diff / ||w|| |")
    print("|" + "---|" * 10)
    for d, n in kernel_cases:
        for name, m, cn, ct, wn, wt, diff in kernel_rows(d, n, K, limit=4096):
            dd = "" if np.isnan(diff) else f"{diff:.1e}"
            print(f"| {d} | {n} | {name} | {m:,} | {cn:.2f} | {ct:.2f} | {wn:.2f} | {wt:.2f} | {ct / cn:.2f} "
                  f"| {dd} |", flush=True)
    print("\n| d | n | kernels | certify | nodes | wall s | CPU s | maximise nodes | wall s | CPU s | max |eta| |")
    print("|" + "---|" * 11)
    for d, n in whole_cases:
        for d_, n_, name, st, nc, wc, cc, nm, wm, cm, mv in whole_rows(d, n, K, label):
            print(f"| {d_} | {n_} | {name} | {st} | {nc:,} | {wc:.2f} | {cc:.2f} | {nm:,} | {wm:.2f} | {cm:.2f} "
                  f"| {mv:.12f} |", flush=True)
    if args.device == "cpu":
        print("\nCUDA rows (a machine with a GPU): OMP_NUM_THREADS=1 python benchmarks/bench_bab_kernels.py "
              "--device cuda")
    return 0


if __name__ == "__main__":
    sys.exit(main())
