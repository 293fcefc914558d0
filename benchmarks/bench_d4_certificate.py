"""Benchmark: data to a checked exact certificate at d = 4, n = 100 (issue 13's target "under
5 minutes"), CPU seconds by phase.

Usage: python benchmarks/bench_d4_certificate.py [--n 100] [--d 4] [--lam 0.05] [--out FILE]
       [--save-solution FILE.pkl | --solution FILE.pkl] [--profile FILE.prof]

Teacher data of ``relucert.examples.battery`` (seed 0). Phases: ``relucert.solve(X, y, lam,
oracle="bab")`` (skipped with ``--solution``: a pickled Solution, so the builder can be rerun
alone; ``--save-solution`` writes one), the branch and bound's ``certify(record_tree=True)`` of
its dual, the /2 builder (``make_tree_certificate``: the tree, the document, the self-check),
the write, and ``relucert check FILE`` in a subprocess (its CPU from ``RUSAGE_CHILDREN``).
``--profile`` runs cProfile over the certify and builder phases and writes the stats.
To compare with another commit, put an exported copy of it ahead of the editable install
(``PYTHONPATH``; the subprocess check inherits it).
"""
from __future__ import annotations

import argparse
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time

from _machine import machine


def _timed(name, f, times, prof=None):
    c, w = time.process_time(), time.perf_counter()
    if prof is not None:
        prof.enable()
    out = f()
    if prof is not None:
        prof.disable()
    times[name] = (time.process_time() - c, time.perf_counter() - w)
    print(f"{name}: {times[name][0]:.1f} CPU s ({times[name][1]:.1f} s wall)", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--d", type=int, default=4)
    ap.add_argument("--lam", type=float, default=0.05)
    ap.add_argument("--out", default=None, help="the certificate file (default: a temporary one)")
    ap.add_argument("--solution", default=None, help="a pickled Solution: skip the solve")
    ap.add_argument("--save-solution", default=None)
    ap.add_argument("--profile", default=None)
    args = ap.parse_args()
    print(machine(), flush=True)
    import relucert
    from relucert.examples import battery
    from relucert.lp.tv.bab.parallel import certify_parallel
    from relucert.tolerances import resolve
    from relucert.verify.bab_certificate import make_tree_certificate

    times: dict = {}
    if args.solution:
        with open(args.solution, "rb") as f:
            sol = pickle.load(f)
    else:
        X, y = battery("teacher", args.n, args.d, seed=0)
        sol = _timed("solve", lambda: relucert.solve(X, y, args.lam, oracle="bab", progress=False), times)
        print(f"  {sol.status.value}, objective {sol.objective!r}, {sol.info.get('n_iter')} rounds", flush=True)
        if args.save_solution:
            with open(args.save_solution, "wb") as f:
                pickle.dump(sol, f)
    prof = None
    if args.profile:
        import cProfile
        prof = cProfile.Profile()
    bab = _timed("bab certify", lambda: certify_parallel(sol.X, sol.dual, executor=None, tol=resolve(None),
                                                         progress=False, record_tree=True), times, prof)
    cert = _timed("builder", lambda: make_tree_certificate(sol, bab, progress=False, tol=resolve(None)), times, prof)
    print(f"  nodes {cert.n_nodes}, leaves {cert.n_leaves} ({cert.n_exact_leaves} exact), phases (wall s) "
          + ", ".join(f"{k} {v:.1f}" for k, v in cert.timings.items()), flush=True)
    if prof is not None:
        prof.dump_stats(args.profile)
    path = args.out or os.path.join(tempfile.mkdtemp(), "certificate.json")
    _timed("write", lambda: cert.write(path), times)
    print(f"  {os.path.getsize(path) / 1e6:.1f} MB", flush=True)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "relucert"), "check", path],
                          capture_output=True, text=True)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    times["check"] = ((r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime), time.perf_counter() - w0)
    verdict = next((line for line in done.stdout.splitlines() if line.startswith(("VERIFIED", "REFUSED"))), "")
    print(f"check: {times['check'][0]:.1f} CPU s ({times['check'][1]:.1f} s wall), rc {done.returncode}: "
          f"{verdict[:160]}", flush=True)
    print(f"total: {sum(v[0] for v in times.values()):.1f} CPU s (" + ", ".join(
        f"{k} {v[0]:.1f}" for k, v in times.items()) + ")")


if __name__ == "__main__":
    main()
