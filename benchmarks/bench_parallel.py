"""The branch and bound by subtrees on 2 workers, and a simulated scale-out (issue 14).

Part 1, speed-up: ``certify`` of a d = 4 lasso-like dual (the ridge-fit residual of
bench_bab.py, scaled so that its max |eta| is 1: the hardest case for certify) run as
``lp.tv.bab.certify`` (plain serial), ``certify_parallel`` on the serial executor, on a
local pool of 2 processes (``n_jobs=2``) and on a Dask LocalCluster(n_workers=2,
threads_per_worker=1, processes=True). The three parallel runs must return the same floats
(checked). Reported: wall and CPU seconds, speed-up (serial executor / 2 workers, same
process), units, units per second, bytes per unit (arguments + result, pickled); where the
2-worker time goes: the pool's start (apart), the seed phase, the coordinator's CPU, each
worker's CPU and busy seconds, and the wall time the units' own CPU seconds allow on 2 ideal
workers (the scheduling's share of the loss); a run with a time limit of a quarter of the
serial time (how far past it the run ends); and the same fixed work in a pool process and in
a Dask worker before and after ``relucert._executors.tune_malloc`` (system seconds: the
Dask slowdown). One command: ``OMP_NUM_THREADS=1 python benchmarks/bench_parallel.py
--skip-scaleout`` (n = 500; ``--plain`` also times ``lp.tv.bab.certify``).

Part 2, simulated scale-out (n = 200, d = 5 and d = 8; 8, 64, 512 cores). Measured on this
machine: the cost per node ``c`` and the units' shape (nodes per unit, follow-up units per
unit) from a budgeted run by units, the coordinator's cost per result ``t_c``, a Dask task's
round trip ``o`` with a unit's payload (part 1's cluster), the seed expansion ``T0``, and the
size of the whole tree ``N`` by Knuth's estimator (random root-to-leaf probes; each node's
fate is computed as in the search, with the incumbent of a budgeted maximise). Then an
event simulation: P workers, one coordinator; each unit costs ``B c + o`` on a worker, its
result costs ``t_c`` of coordinator time (serial), and leaves follow-up units drawn from the
measured distribution until ``N / B`` units have run. Printed: predicted wall time per P.
"""
from __future__ import annotations

import argparse
import heapq
import os
import pathlib
import pickle
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _machine import machine  # noqa: E402
from bench_bab import _dual  # noqa: E402
from bench_solver import make_data  # noqa: E402


def _same(a, b) -> bool:
    s, t = a.stats, b.stats
    return ((a.status, a.upper_bound, a.lower_bound, s.n_nodes, s.n_leaves, s.n_pruned, s.max_depth)
            == (b.status, b.upper_bound, b.lower_bound, t.n_nodes, t.n_leaves, t.n_pruned, t.max_depth))


def makespan(tasks, seed_s: float, P: int) -> float:
    """Wall time of the units on P workers by their measured CPU seconds, nothing else: a
    unit is ready when the unit that left its seeds is done, workers take the last ready
    unit (the coordinator's order). Its ratio to the summed CPU is the scheduling's loss
    (tail, seed phase), apart from pickling, the pool and the machine."""
    kids: dict = {}
    for r in tasks:
        kids.setdefault(r.parent, []).append(r)
    ready = [(seed_s, r) for r in kids.get(-1, [])]
    free = [seed_s] * P
    running: list = []
    end = seed_s
    while ready or running:
        while ready and len(running) < P:
            t, r = ready.pop()
            heapq.heappush(running, (max(heapq.heappop(free), t) + r.cpu_seconds, r.task, r))
        e, _, r = heapq.heappop(running)
        heapq.heappush(free, e)
        end = max(end, e)
        ready.extend((e, k) for k in kids.get(r.task, []))
    return end


def _worker_probe(X, p, tune: bool):
    """A fixed piece of work (a budgeted certify) in a worker: CPU, user and system seconds."""
    from relucert._executors import tune_malloc
    from relucert.lp.tv.bab import certify

    if tune:
        tune_malloc()
    t0 = os.times()
    certify(X, p, progress=False, max_nodes=8192)
    t1 = os.times()
    return t1.user - t0.user + t1.system - t0.system, t1.user - t0.user, t1.system - t0.system


def speedup(n: int, d: int, use_dask: bool, with_plain: bool) -> dict:
    from relucert._executors import DaskAdapter, ProcessPoolAdapter
    from relucert.lp.tv.bab import certify, maximise
    from relucert.lp.tv.bab.parallel import certify_parallel

    X, y = make_data(n, d)
    p = _dual("fit", X, y, d)
    p = p / maximise(X, p, progress=False).max_value
    out = {"n": n, "d": d}
    if with_plain:
        t, c = time.perf_counter(), time.process_time()
        plain = certify(X, p, progress=False)
        out["plain_s"], out["plain_cpu_s"] = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    ser, st = certify_parallel(X, p, return_stats=True)
    out["serial_s"], out["serial_cpu_s"] = time.perf_counter() - t, time.process_time() - c
    work = sum(r.cpu_seconds for r in st.tasks)
    out.update(status=ser.status.value, nodes=ser.stats.n_nodes, units=st.n_tasks,
               bytes_per_unit=st.bytes_per_task, unit_cpu_s=work, seed_nodes=st.seed_nodes, seed_s=st.seed_time_s,
               t_c=max(0.0, (st.wall_time_s - st.seed_time_s - sum(r.seconds for r in st.tasks)) / max(st.n_tasks, 1)),
               sim2_s=makespan(st.tasks, max(0.0, out["serial_cpu_s"] - work), 2))
    if with_plain:
        assert plain.status == ser.status and plain.stats.n_nodes == ser.stats.n_nodes
    t = time.perf_counter()
    pool = ProcessPoolAdapter(2)
    try:
        [f.result() for f in [pool.submit(os.getpid) for _ in range(4)]]   # the pool's start is not the search's
        out["pool_start_s"] = time.perf_counter() - t
        t, c = time.perf_counter(), time.process_time()
        par, st2 = certify_parallel(X, p, executor=pool, return_stats=True)
        out["jobs2_s"], out["coord_cpu_s"] = time.perf_counter() - t, time.process_time() - c
        out["workers"] = {w: (sum(r.cpu_seconds for r in st2.tasks if r.worker == w),
                              sum(r.seconds for r in st2.tasks if r.worker == w),
                              sum(1 for r in st2.tasks if r.worker == w))
                          for w in sorted({r.worker for r in st2.tasks})}
        out["jobs2_seed_s"] = st2.seed_time_s
        limit = out["serial_s"] / 4
        t = time.perf_counter()
        lim = certify_parallel(X, p, executor=pool, time_limit=limit)
        out["limit"] = (limit, time.perf_counter() - t, lim.status.value)
        out["probe_pool"] = pool.submit(_worker_probe, X, p, False).result()
        # how many cores two busy processes get: the fixed work alone, then twice at once
        t = time.perf_counter()
        pool.submit(_worker_probe, X, p, False).result()
        alone = time.perf_counter() - t
        t = time.perf_counter()
        [f.result() for f in [pool.submit(_worker_probe, X, p, False) for _ in range(2)]]
        out["cores"] = (alone, time.perf_counter() - t)
    finally:
        pool.close()
    assert _same(ser, par), "n_jobs=2 differs from the serial executor"
    out["jobs2_units_per_s"] = st2.n_tasks / out["jobs2_s"]
    if use_dask:
        import distributed

        t = time.perf_counter()
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                      silence_logs=50) as cluster, distributed.Client(cluster) as client:
            out["dask_start_s"] = time.perf_counter() - t
            # the same fixed work in a worker process without and with tune_malloc (a nanny
            # sets MALLOC_TRIM_THRESHOLD_; the untuned probe runs first, on a fresh worker)
            client.run(_worker_probe, X, p, False)   # imports and first calls, on every worker
            one = [next(iter(client.scheduler_info()["workers"]))]
            out["probe_dask"] = [client.submit(_worker_probe, X, p, tune, workers=one, pure=False).result()
                                 for tune in (False, True)]
            ex = DaskAdapter(client)
            t = time.perf_counter()
            dk, st3 = certify_parallel(X, p, executor=ex, return_stats=True)
            out["dask_s"] = time.perf_counter() - t
            assert _same(ser, dk), "Dask differs from the serial executor"
            out["dask_units_per_s"] = st3.n_tasks / out["dask_s"]
            out["dask_unit_cpu_s"] = sum(r.cpu_seconds for r in st3.tasks)
            payload = (np.zeros((256, d + 1, d + 1)),)
            trips = []
            for _ in range(20):
                t = time.perf_counter()
                client.submit(len, payload, pure=False).result()
                trips.append(time.perf_counter() - t)
            out["dask_round_trip_s"] = float(np.median(trips))
    return out


def knuth_estimate(X, p, incumbent: float, probes: int, seconds: float, rng) -> tuple[float, float, int]:
    """Knuth's unbiased estimate of the number of nodes of the tree (threshold = the
    incumbent): mean and standard error over the probes, and the probes done."""
    from relucert.lp.tv.bab.parallel import search_from

    roots = search_from(X, p, None, mode="maximise", incumbent=incumbent, max_depth=0)
    k0 = roots.open_bound.size
    est = []
    start = time.perf_counter()
    while len(est) < probes and time.perf_counter() - start < seconds:
        j = int(rng.integers(k0))
        node = (roots.open_R[j:j + 1], roots.open_sign[j:j + 1], roots.open_bound[j:j + 1], roots.open_depth[j:j + 1])
        weight, total = float(k0), float(k0)
        while True:
            run = search_from(X, p, node, mode="maximise", incumbent=incumbent, max_nodes=1, batch=1)
            kids = run.open_bound.size
            if kids == 0:
                break
            weight *= kids
            total += weight
            i = int(rng.integers(kids))
            node = (run.open_R[i:i + 1], run.open_sign[i:i + 1], run.open_bound[i:i + 1], run.open_depth[i:i + 1])
        est.append(total)
    e = np.array(est)
    return float(e.mean()), float(e.std(ddof=1) / np.sqrt(e.size)) if e.size > 1 else float("nan"), int(e.size)


def unit_profile(X, p, max_nodes: int) -> dict:
    """Per-node cost, the seed expansion and the units' follow-ups from a budgeted run by
    units (maximise, serial executor; a unit's follow-ups: its open nodes / chunk size)."""
    from relucert.lp.tv.bab.parallel import maximise_parallel
    from relucert.tolerances import PARALLEL_SEEDS_PER_TASK

    scan, st = maximise_parallel(X, p, max_nodes=max_nodes, return_stats=True)
    recs = st.tasks
    work = sum(r.seconds for r in recs)
    nodes = sum(r.n_nodes for r in recs)
    kids = np.array([-(-r.n_open // PARALLEL_SEEDS_PER_TASK) for r in recs]) if recs else np.array([0])
    seed_units = -(-st.seed_nodes // PARALLEL_SEEDS_PER_TASK)
    return {"c": work / max(nodes, 1), "units": len(recs), "nodes": nodes, "seed_units": seed_units,
            "kids": kids, "T0": st.seed_time_s, "best": scan.max_value, "bytes": st.bytes_per_task}


def simulate(P: int, n_units: float, seed_units: int, kids, unit_s: float, t_c: float, rng) -> float:
    """Makespan of ``n_units`` units on P workers and one coordinator (module docstring)."""
    free = [0.0] * P
    heapq.heapify(free)
    queue = [0.0] * seed_units           # the time each queued unit became available
    coord = 0.0
    made, done_heap = seed_units, []
    end = 0.0
    while queue or done_heap:
        while queue and free:
            w = heapq.heappop(free)
            avail = queue.pop()
            start = max(w, avail)
            heapq.heappush(done_heap, start + unit_s)
        if not done_heap:
            break
        t = heapq.heappop(done_heap)
        coord = max(coord, t) + t_c
        end = max(end, coord)
        heapq.heappush(free, t)
        k = int(rng.choice(kids)) if made < n_units else 0
        k = int(min(k, max(0, n_units - made)))
        made += k
        queue.extend([coord] * k)
    return end


def scaleout(n: int, d: int, quick: bool, round_trip: float, t_c: float, rng) -> dict:
    from relucert.lp.tv.bab import maximise
    from relucert.tolerances import PARALLEL_TASK_NODES

    X, y = make_data(n, d)
    p = _dual("fit", X, y, d)
    best = maximise(X, p, progress=False, max_nodes=400 if quick else 4000)
    p = p / best.max_value   # the best value met is 1: the tree of a certify at max |eta| ~ 1
    prof = unit_profile(X, p, 3000 if quick else (30000 if d <= 5 else 16384))
    T0 = prof["T0"]
    N, se, k = knuth_estimate(X, p, max(1.0, prof["best"]), 40 if quick else 400, 60 if quick else 300, rng)
    B = PARALLEL_TASK_NODES
    unit_s = B * prof["c"] + round_trip
    kids = prof["kids"]
    out = {"n": n, "d": d, "c_ms": 1e3 * prof["c"], "t_c_ms": 1e3 * t_c, "T0_s": T0, "N": N, "N_se": se,
           "probes": k, "profile_units": prof["units"], "profile_nodes": prof["nodes"],
           "kids_mean": float(np.mean(kids)), "bytes": prof["bytes"], "serial_h": N * prof["c"] / 3600.0}
    for P in (8, 64, 512):
        out[f"P{P}_h"] = (T0 + simulate(P, N / B, max(1, prof["seed_units"]), kids, unit_s, t_c, rng)) / 3600.0
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (a few minutes)")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster")
    ap.add_argument("--skip-scaleout", action="store_true")
    ap.add_argument("--n", type=int, default=None, help="samples of the d = 4 speed-up problem (default 500)")
    ap.add_argument("--plain", action="store_true", help="also time lp.tv.bab.certify itself")
    args = ap.parse_args(argv)
    print(machine(), flush=True)
    sp = speedup(args.n or (40 if args.quick else 500), 4, not args.no_dask, args.plain)
    print(f"speed-up d = {sp['d']}, n = {sp['n']}: {sp['status']}, {sp['nodes']} nodes, {sp['units']} units "
          f"({sp['seed_nodes']} seed nodes, seed phase {sp['seed_s']:.2f} s), {sp['bytes_per_unit'] / 1e3:.1f} kB "
          f"per unit", flush=True)
    if args.plain:
        print(f"  plain certify {sp['plain_s']:.2f} s ({sp['plain_cpu_s']:.2f} CPU s)", flush=True)
    print(f"  serial executor "
          f"{sp['serial_s']:.2f} s ({sp['serial_cpu_s']:.2f} CPU s, units {sp['unit_cpu_s']:.2f} CPU s); "
          f"the units' CPU s on 2 ideal workers: {sp['sim2_s']:.2f} s", flush=True)
    print(f"  n_jobs=2 {sp['jobs2_s']:.2f} s (speed-up {sp['serial_s'] / sp['jobs2_s']:.2f}x vs the serial executor; "
          f"{sp['jobs2_units_per_s']:.1f} units/s; pool start "
          f"{sp['pool_start_s']:.2f} s, not included; seed phase {sp['jobs2_seed_s']:.2f} s; coordinator "
          f"{sp['coord_cpu_s']:.2f} CPU s)", flush=True)
    for w, (cpu, busy, k) in sp["workers"].items():
        print(f"    worker {w}: {k} units, {cpu:.2f} CPU s, {busy:.2f} s busy", flush=True)
    lim, wall, status = sp["limit"]
    print(f"  n_jobs=2 with time_limit = {lim:.2f} s: {status} after {wall:.2f} s", flush=True)
    cpu, usr, sys_ = sp["probe_pool"]
    alone, two = sp["cores"]
    print(f"  fixed work (certify, 8,192 nodes) in a pool process: {cpu:.2f} CPU s ({sys_:.2f} system); "
          f"{alone:.2f} s alone, twice at once {two:.2f} s: two processes get {2 * alone / two:.2f} cores", flush=True)
    if "dask_s" in sp:
        (c0, _, s0), (c1, _, s1) = sp["probe_dask"]
        print(f"  the same in a Dask worker: {c0:.2f} CPU s ({s0:.2f} system) as started, {c1:.2f} CPU s "
              f"({s1:.2f} system) after tune_malloc", flush=True)
        print(f"  Dask LocalCluster(2): {sp['dask_s']:.2f} s (speed-up {sp['serial_s'] / sp['dask_s']:.2f}x, "
              f"{sp['dask_units_per_s']:.1f} units/s, units {sp['dask_unit_cpu_s']:.2f} CPU s; cluster start "
              f"{sp['dask_start_s']:.1f} s; task round trip {1e3 * sp['dask_round_trip_s']:.1f} ms)", flush=True)
    if args.skip_scaleout:
        return 0
    rng = np.random.default_rng(0)
    rt = sp.get("dask_round_trip_s", 0.0)
    for d in (5, 8):
        r = scaleout(200, d, args.quick, rt, sp["t_c"], rng)
        print(f"scale-out n = {r['n']}, d = {r['d']}: c = {r['c_ms']:.3f} ms/node, t_c = {r['t_c_ms']:.2f} ms/unit, "
              f"T0 = {r['T0_s']:.1f} s, N = {r['N']:.3g} +- {r['N_se']:.2g} nodes ({r['probes']} probes), "
              f"profile {r['profile_units']} units / {r['profile_nodes']} nodes, follow-ups {r['kids_mean']:.2f}, "
              f"{r['bytes'] / 1e3:.1f} kB/unit; serial {r['serial_h']:.3g} h; predicted "
              + ", ".join(f"P = {P}: {r[f'P{P}_h']:.3g} h" for P in (8, 64, 512)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
