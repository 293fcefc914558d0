"""``bench_solver.py`` with CPU seconds (``time.process_time``) next to the wall seconds of
each phase it times (enumeration, exchange, cvxpy + clarabel), for a shared machine where
wall time depends on the load. Same arguments as bench_solver.py; the load average is printed
before and after each phase.

Usage:  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_solver_cpu.py [bench_solver options]
"""
from __future__ import annotations

import os
import sys
import time

import bench_solver


def _timed(label: str, fn):
    def run(*args, **kwargs):
        load = os.getloadavg()[0]
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn(*args, **kwargs)
        print(f"   [{label}] {time.process_time() - c0:.2f} CPU s, {time.perf_counter() - t0:.2f} wall s "
              f"(load {load:.1f} -> {os.getloadavg()[0]:.1f})", flush=True)
        return out
    return run


def _fallbacks(fn):
    """``fn`` (solve_exchange) that also prints the rounds whose finite lasso needed the
    other backend (``qp_fallback`` in the history): a run with none is one main would make."""
    def run(*args, **kwargs):
        res = fn(*args, **kwargs)
        rounds = [h["iter"] for h in res.history if "qp_fallback" in h]
        print(f"   [qp fallback] {len(rounds)} rounds{': ' + str(rounds) if rounds else ''}", flush=True)
        return res
    return run


def main(argv=None) -> int:
    import relucert.arrangement as arrangement
    import relucert.lp.tv.exchange as exchange

    # run_case imports these by name when it runs, so the timed versions are the ones it gets
    arrangement.enumerate_chambers = _timed("enumeration", arrangement.enumerate_chambers)
    exchange.solve_exchange = _timed("exchange", _fallbacks(exchange.solve_exchange))
    bench_solver.cvxpy_socp = _timed("cvxpy + clarabel", bench_solver.cvxpy_socp)
    return bench_solver.main(argv)


if __name__ == "__main__":
    sys.exit(main())
