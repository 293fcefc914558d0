"""Benchmark: exact certificates without the chamber list (format /2, issue 13 item 2).

Usage: python benchmarks/bench_tree_certificate.py [--quick] [--cases d3n50,d4n30] [--no-baseline]
       [--own-tree]
       python benchmarks/bench_tree_certificate.py --data FILE.npz --lam L [--jobs 2]

``--data`` (issue 14, the parallel /2 build): one saved problem (X, y); solve, the branch
and bound's ``certify(record_tree=True)``, then the /2 build three times from the same
``bab``: serial without the near-extremal claims, serial with them, and with them on
``--jobs`` local processes (``relucert._executors.ProcessPoolAdapter``); wall and CPU
seconds (the workers' CPU included), nodes, listed chambers, the claimed verdict, and
whether the serial and parallel files are byte-identical.

Per case (Gaussian X, y = relu(X w) + noise, lam = 0.1, seed 0): ``relucert.solve``, the
branch and bound's ``certify`` of its dual, the /2 builder
(``make_tree_certificate``: tree nodes, leaves, exact leaves, file size, build time) and
the independent check of the written file (``relucert.verify.check``). The builder replays
the branch and bound's own tree (``certify(record_tree=True)``, split rule
"recorded-edge/1"); ``--own-tree`` also builds the builder's own longest-edge tree of the
same dual (its nodes, build time and file size: the saving of the replay). Baseline, same
process and same solution: the chamber-list certificate (format /1,
``make_exact_certificate``: file size, build time including enumeration, check time).
Both must verify; the table gives the size and check-time ratios /1 : /2.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

from _machine import machine


def _case(text: str) -> tuple[int, int]:
    d, n = text.lstrip("d").split("n")
    return int(n), int(d)


def run(n: int, d: int, baseline: bool, folder: str, own: bool = False) -> dict:
    import relucert
    from relucert.lp.tv.bab import certify
    from relucert.verify import check, make_exact_certificate
    from relucert.verify.bab_certificate import make_tree_certificate

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    y = np.maximum(X @ rng.standard_normal(d), 0.0) + 0.1 * rng.standard_normal(n)
    sol = relucert.solve(X, y, 0.1, progress=False)
    t = time.perf_counter()
    bab = certify(X, sol.dual, progress=False, record_tree=True)
    out = {"n": n, "d": d, "chambers": sol.n_chambers, "bab_nodes": bab.stats.n_nodes,
           "bab_s": time.perf_counter() - t}
    t = time.perf_counter()
    tree = make_tree_certificate(sol, bab, progress=False)
    out.update(tree_nodes=tree.n_nodes, leaves=tree.n_leaves, exact_leaves=tree.n_exact_leaves,
               build_s=time.perf_counter() - t, rel_gap=float(tree.relative_gap))
    path = os.path.join(folder, f"tree_{n}_{d}.json")
    tree.write(path)
    out["size"] = os.path.getsize(path)
    t = time.perf_counter()
    res = check(path, max_nodes=10 ** 8)
    out.update(check_s=time.perf_counter() - t, verified=res.passed)
    if own:
        t = time.perf_counter()
        mine = make_tree_certificate(sol, bab, progress=False, use_solver_tree=False)
        out.update(own_nodes=mine.n_nodes, own_build_s=time.perf_counter() - t)
        path_own = os.path.join(folder, f"own_{n}_{d}.json")
        mine.write(path_own)
        out["own_size"] = os.path.getsize(path_own)
    if baseline:
        t = time.perf_counter()
        one = make_exact_certificate(sol, progress=False)
        out["build1_s"] = time.perf_counter() - t
        path1 = os.path.join(folder, f"chambers_{n}_{d}.json")
        one.write(path1)
        out["size1"] = os.path.getsize(path1)
        t = time.perf_counter()
        res1 = check(path1)
        out.update(check1_s=time.perf_counter() - t, verified1=res1.passed)
    return out


def run_parallel(path: str, lam: float, jobs: int) -> int:
    import json
    import resource

    import relucert
    from relucert._executors import ProcessPoolAdapter
    from relucert.lp.tv.bab import certify
    from relucert.verify.bab_certificate import make_tree_certificate

    data = np.load(path)
    X, y = data["X"], data["y"]
    n, d = X.shape
    print(f"machine: {machine()}")
    t = time.perf_counter()
    sol = relucert.solve(X, y, lam, progress=False)
    bab = certify(X, sol.dual, progress=False, record_tree=True)
    print(f"data {path}: n = {n}, d = {d}, lam = {lam}; solve + certify {time.perf_counter() - t:.1f} s wall, "
          f"bab nodes {bab.stats.n_nodes:,}", flush=True)

    def cpu():
        return (time.process_time() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
                + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime)

    print("| build | wall s | CPU s | tree wall s | claims wall s | self-check wall s | nodes | leaves (exact) | "
          "listed chambers | margin | claimed verdict |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    docs = {}
    for name, kw in (("serial, no claims", dict(claims=False)), ("serial, claims", {}),
                     (f"{jobs} processes, claims", dict(jobs=jobs))):
        w, c = time.perf_counter(), cpu()
        if "jobs" in kw:
            pool = ProcessPoolAdapter(kw.pop("jobs"))
            try:
                tree = make_tree_certificate(sol, bab, progress=False, executor=pool)
            finally:
                pool.close()
        else:
            tree = make_tree_certificate(sol, bab, progress=False, **kw)
        w, c = time.perf_counter() - w, cpu() - c
        docs[name] = json.dumps(tree.document, sort_keys=True)
        tm = tree.timings
        margin = tree.document["claims"]["margin"] if "claims" in tree.document else "-"
        print(f"| {name} | {w:.1f} | {c:.1f} | {tm['tree_s']:.1f} | {tm['claims_s']:.1f} | {tm['self_check_s']:.1f} | "
              f"{tree.n_nodes:,} | {tree.n_leaves:,} ({tree.n_exact_leaves:,}) | "
              f"{tree.n_listed_chambers if tree.n_listed_chambers is not None else '-'} | {margin} | "
              f"{tree.unique.value} |", flush=True)
        if tree.n_listed_chambers is not None and name == "serial, claims":
            print(f"  verdict reason: {tree.unique_reason[:300]}", flush=True)
    same = docs["serial, claims"] == docs[f"{jobs} processes, claims"]
    print(f"serial and {jobs}-process files byte-identical: {same}")
    return 0 if same else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="cases d2n20,d3n12")
    parser.add_argument("--cases", default=None, help="comma-separated dDnN (default d3n50,d4n30)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the format /1 certificate")
    parser.add_argument("--own-tree", action="store_true",
                        help="also build the builder's own longest-edge tree (the replay's saving)")
    parser.add_argument("--data", default=None, help="a saved problem (.npz with X, y): the parallel build")
    parser.add_argument("--lam", type=float, default=0.05, help="lam for --data")
    parser.add_argument("--jobs", type=int, default=2, help="processes for --data")
    args = parser.parse_args(argv)
    if args.data is not None:
        return run_parallel(args.data, args.lam, args.jobs)
    cases = args.cases or ("d2n20,d3n12" if args.quick else "d3n50,d4n30")
    print(f"machine: {machine()}")
    print("| d | n | chambers | bab nodes | tree nodes | nodes / chambers | leaves (exact) | build s | file | "
          "check s | /1 build s | /1 file | /1 check s | size /1 : /2 | verified |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        for text in cases.split(","):
            n, d = _case(text)
            r = run(n, d, not args.no_baseline, folder, args.own_tree)
            good = r["verified"] and r.get("verified1", True)
            ok = ok and good
            base = (f"{r['build1_s']:.1f} | {r['size1'] / 1e6:.2f} MB | {r['check1_s']:.1f} | "
                    f"{r['size1'] / r['size']:.2f}" if "size1" in r else "- | - | - | -")
            print(f"| {d} | {n} | {r['chambers']:,} | {r['bab_nodes']:,} | {r['tree_nodes']:,} | "
                  f"{r['tree_nodes'] / r['chambers']:.3f} | {r['leaves']:,} ({r['exact_leaves']:,}) | "
                  f"{r['build_s']:.1f} | {r['size'] / 1e6:.2f} MB | {r['check_s']:.1f} | {base} | "
                  f"{'yes' if good else 'NO'} |", flush=True)
            if "own_nodes" in r:
                print(f"|   own longest-edge tree: {r['own_nodes']:,} nodes, build {r['own_build_s']:.1f} s, "
                      f"{r['own_size'] / 1e6:.2f} MB (replayed: {r['tree_nodes']:,} nodes, {r['build_s']:.1f} s, "
                      f"{r['size'] / 1e6:.2f} MB) |", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
