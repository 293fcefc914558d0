"""The unit of parallel work (issue 14): one search loop for every entry, a unit that meets
the run's time limit itself (a deadline shipped with it), and worker processes with glibc's
allocator thresholds raised (relucert._executors.tune_malloc)."""
from __future__ import annotations

import ast
import pathlib
import time

import numpy as np
import pytest

import relucert._executors as executors
from relucert._executors import ProcessPoolAdapter
from relucert.lp.tv.bab import certify, maximise
from relucert.lp.tv.bab.parallel import certify_parallel, search_from
from tests.test_parallel import SMALL, _problem

BAB = pathlib.Path(__file__).resolve().parents[1] / "lp" / "tv" / "bab"


def _loops(path: pathlib.Path) -> list[int]:
    """Lines of the ``while`` loops of a module that take nodes off a stack or a heap."""
    tree = ast.parse(path.read_text())
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.While)
            and any(isinstance(m, ast.Attribute) and m.attr == "heappop" for m in ast.walk(n))]


def test_the_search_loop_exists_once():
    """certify, maximise, search_seeds and the parallel units all run _Search.explore: no
    other module of the branch and bound has a loop popping nodes."""
    found = {p.relative_to(BAB).as_posix(): _loops(p) for p in sorted(BAB.rglob("*.py"))}
    assert {k for k, v in found.items() if v} == {"loop.py"}
    assert len(found["loop.py"]) == 1


def test_depth_cap_and_continuation_give_the_serial_counters():
    """A run held at depth 2, continued from its open nodes, evaluates the serial tree."""
    X, p = _problem(3, 16)
    ref = certify(X, p, progress=False)
    first = search_from(X, p, None, max_depth=2)
    assert first.open_bound.size > 0 and np.all(first.open_depth == 2)
    rest = search_from(X, p, (first.open_R, first.open_sign, first.open_bound, first.open_depth))
    assert rest.open_bound.size == 0 and rest.witness is None
    assert first.n_nodes + rest.n_nodes == ref.stats.n_nodes
    assert first.n_leaves + rest.n_leaves == ref.stats.n_leaves
    assert first.n_pruned + rest.n_pruned == ref.stats.n_pruned
    assert max(first.closed_upper, rest.closed_upper) <= ref.threshold


def test_a_unit_stops_at_its_deadline():
    """A unit whose deadline has passed evaluates nothing and returns every seed open."""
    X, p = _problem(3, 16)
    first = search_from(X, p, None, max_depth=1)
    seeds = (first.open_R, first.open_sign, first.open_bound, first.open_depth)
    late = search_from(X, p, seeds, deadline=time.time() - 1.0)
    assert late.n_nodes == 0 and late.open_bound.size == first.open_bound.size
    assert np.array_equal(np.sort(late.open_bound), np.sort(first.open_bound))
    on_time = search_from(X, p, seeds, deadline=time.time() + 3600.0)
    assert on_time.n_nodes > 0 and on_time.open_bound.size == 0


@pytest.mark.parametrize("jobs", [None, 2])
def test_a_time_limit_gives_limit_with_a_valid_bound(jobs):
    """A run past its time limit: status limit, the open nodes counted in a valid bound."""
    X, p = _problem(3, 16)
    top = maximise(X, p, progress=False).max_value
    pool = None if jobs is None else ProcessPoolAdapter(jobs)
    try:
        # a limit far below one batch's time: the seed phase and every unit stop at once
        c = certify_parallel(X, p, executor=pool, time_limit=np.finfo(float).tiny, **SMALL)
    finally:
        if pool is not None:
            pool.close()
    assert c.status.value == "limit" and c.stats.n_open > 0
    assert c.upper_bound >= top


def _tuned_here() -> bool:
    return executors._tuned


def test_worker_processes_tune_the_allocator(monkeypatch):
    """tune_malloc runs in every pool process before its first unit (Linux with glibc)."""
    assert executors.tune_malloc()   # Linux with glibc, as CI
    monkeypatch.setattr(executors, "_tuned", False)   # what the forked processes inherit
    pool = ProcessPoolAdapter(2)
    try:
        flags = [f.result(timeout=60) for f in [pool.submit(_tuned_here) for _ in range(4)]]
    finally:
        pool.close()
    assert flags == [True] * 4
