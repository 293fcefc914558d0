"""The branch and bound by subtrees on an executor (issue 14; proofs/parallel_subtrees.md):
serial in-process and a local process pool (``n_jobs``). Dask: tests/test_parallel_dask.py."""
from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import sys

import numpy as np
import pytest

from relucert._executors import MissingExtraError, ProcessPoolAdapter, check_parallel, executor_for
from relucert._model import eta, lift
from relucert.lp.tv.bab import certify, maximise
from relucert.lp.tv.bab.parallel import SerialExecutor, certify_parallel, maximise_parallel, search_from
from relucert.tolerances import DEFAULT

# small units so that every problem is cut into many of them
SMALL = dict(task_nodes=64, seeds_per_task=16, seed_depth=1)


def _problem(d: int, n: int, scale: float = 1.0):
    """Data and a dual whose max |eta| is ``scale`` (a ridge-fit residual, rescaled)."""
    rng = np.random.default_rng(10 + d)
    X = rng.standard_normal((n, d))
    y = np.sin(2 * X[:, 0]) * np.cos(X[:, -1]) + 0.1 * rng.standard_normal(n)
    Z = lift(X)
    T = rng.standard_normal((d + 1, 60))
    Phi = np.maximum(Z @ T, 0.0)
    p = y - Phi @ np.linalg.solve(Phi.T @ Phi + np.eye(60), Phi.T @ y)
    top = maximise(X, p, progress=False).max_value
    return X, p * (scale / top)


PROBLEMS = {2: (2, 80), 3: (3, 16), 4: (4, 10)}


def _fields(c):
    """Everything of a BabCertificate but the wall time and the witness's point."""
    s = c.stats
    return (c.status, c.threshold, c.upper_bound, c.lower_bound, s.n_nodes, s.n_leaves, s.n_pruned, s.n_open,
            s.max_depth)


@pytest.fixture(scope="module")
def pool():
    adapter = ProcessPoolAdapter(2)
    yield adapter
    adapter.close()


@pytest.mark.parametrize("d", [2, 3, 4])
def test_subtrees_give_the_serial_tree(d):
    """Units of work cover the serial tree: same verdict, node counts, and bounds (to the
    rounding of other batch shapes) as lp.tv.bab.certify, in several units."""
    X, p = _problem(*PROBLEMS[d])
    ref = certify(X, p, progress=False)
    got, stats = certify_parallel(X, p, return_stats=True, **SMALL)
    assert ref.status.value == got.status.value == "certified"
    assert stats.n_tasks >= 3
    for name in ("n_nodes", "n_leaves", "n_pruned", "max_depth"):
        assert getattr(got.stats, name) == getattr(ref.stats, name), name
    assert got.stats.n_open == 0
    assert got.upper_bound == pytest.approx(ref.upper_bound, rel=1e-14, abs=0)
    assert got.lower_bound == pytest.approx(ref.lower_bound, rel=1e-14, abs=0)
    assert got.upper_bound <= got.threshold


@pytest.mark.parametrize("d", [2, 3, 4])
def test_units_record_the_serial_split_map(d, pool):
    """certify_parallel(record_tree=True) merges the units' split edges into the map of the
    serial certify(record_tree=True): the same tree, so the /2 file replays the same splits
    whatever the executor."""
    X, p = _problem(*PROBLEMS[d])
    ref = certify(X, p, progress=False, record_tree=True)
    got = certify_parallel(X, p, executor=pool, record_tree=True, **SMALL)
    assert ref.splits and got.splits == ref.splits
    assert certify_parallel(X, p, **SMALL).splits is None


@pytest.mark.parametrize("d", [2, 3, 4])
def test_process_pool_is_bit_identical_to_serial(d, pool):
    """The units depend on the tree only, so every bound is the same float on any executor."""
    X, p = _problem(*PROBLEMS[d])
    a = certify_parallel(X, p, **SMALL)
    b, stats = certify_parallel(X, p, executor=pool, return_stats=True, **SMALL)
    assert _fields(a) == _fields(b)
    assert stats.n_workers == 2 and stats.n_tasks >= 3
    assert stats.bytes_per_task > 0 and all(t.bytes_in > X.nbytes for t in stats.tasks)   # data shipped per unit


def test_violated_is_found_with_a_true_witness(pool):
    X, p = _problem(3, 16, scale=1.01)
    for ex in (None, pool):
        c = certify_parallel(X, p, executor=ex, **SMALL)
        assert c.status.value == "violated"
        value = c.witness_sign * float(eta(lift(X), p, c.witness_point[None])[0])
        assert value == pytest.approx(c.witness_value, rel=1e-12) and value > c.threshold
        assert np.linalg.norm(c.witness_point) == pytest.approx(1.0, rel=1e-12)


def test_node_budget_gives_limit_with_a_valid_bound():
    X, p = _problem(3, 16)
    c = certify_parallel(X, p, max_nodes=60, **SMALL)
    assert c.status.value == "limit" and c.stats.n_open > 0
    assert c.upper_bound >= maximise(X, p, progress=False).max_value


@pytest.mark.parametrize("d", [2, 3, 4])
def test_maximise_parallel_matches_maximise(d, pool):
    """Same maximum (within bab_rel_gap) and the same (region, sign) violators."""
    X, p = _problem(*PROBLEMS[d], scale=1.02)
    ref = maximise(X, p, 1.0, progress=False)
    for ex in (None, pool):
        got = maximise_parallel(X, p, 1.0, executor=ex, **SMALL)
        assert got.complete
        assert got.max_value == pytest.approx(ref.max_value, rel=2 * DEFAULT.bab_rel_gap)
        assert got.upper_bound <= got.max_value * (1 + 2 * DEFAULT.bab_rel_gap)
        keys = lambda s: sorted((bytes(np.packbits(a)), int(g)) for a, g in zip(s.active, s.sign))
        assert keys(got) == keys(ref)
        assert np.allclose(np.sort(got.value), np.sort(ref.value), rtol=1e-12, atol=0)
        vals = got.sign * eta(lift(X), p, got.point)
        assert np.allclose(vals, got.value, rtol=1e-12, atol=0)


def test_search_from_roots_without_budget_is_certify():
    X, p = _problem(2, 30)
    run = search_from(X, p, None, mode="certify")
    ref = certify(X, p, progress=False)
    assert run.open_bound.size == 0 and run.witness is None
    assert run.n_nodes == ref.stats.n_nodes and run.n_leaves == ref.stats.n_leaves


class _KillFirst:
    """An executor that kills one worker process when the first unit comes back."""

    def __init__(self, inner, pids):
        self.inner, self.pids, self.killed = inner, pids, False
        self.n_workers = inner.n_workers

    def submit(self, fn, /, *args):
        return self.inner.submit(fn, *args)

    def as_completed(self, futures):
        for f in self.inner.as_completed(futures):
            if not self.killed:
                self.killed = True
                os.kill(self.pids()[0], signal.SIGKILL)
            yield f

    def cancel(self, futures):
        self.inner.cancel(futures)

    def lost(self, exc):
        return self.inner.lost(exc)

    def share(self, value):
        return self.inner.share(value)


def test_a_killed_pool_process_loses_nothing():
    X, p = _problem(3, 16)
    ref = certify_parallel(X, p, **SMALL)
    adapter = ProcessPoolAdapter(2)
    try:
        ex = _KillFirst(adapter, lambda: list(adapter.pool._processes))
        got, stats = certify_parallel(X, p, executor=ex, return_stats=True, **SMALL)
    finally:
        adapter.close()
    assert ex.killed and stats.n_retried >= 1
    assert _fields(got) == _fields(ref)


class _Interrupt:
    """An executor whose wait is interrupted (Ctrl-C) after the first unit."""

    def __init__(self, inner):
        self.inner, self.cancelled = inner, []
        self.n_workers = inner.n_workers

    def submit(self, fn, /, *args):
        return self.inner.submit(fn, *args)

    def as_completed(self, futures):
        for f in self.inner.as_completed(futures):
            yield f
            raise KeyboardInterrupt

    def cancel(self, futures):
        self.cancelled.extend(futures)
        self.inner.cancel(futures)

    def lost(self, exc):
        return self.inner.lost(exc)

    def share(self, value):
        return self.inner.share(value)


def test_keyboard_interrupt_cancels_the_units(pool):
    X, p = _problem(3, 16)
    ex = _Interrupt(pool)
    with pytest.raises(KeyboardInterrupt):
        certify_parallel(X, p, executor=ex, **SMALL)
    assert ex.cancelled
    done, not_done = concurrent.futures.wait(ex.cancelled, timeout=60)
    assert not not_done   # every unit cancelled or finished: nothing left running
    assert certify_parallel(X, p, executor=pool, **SMALL).certified   # the pool is still usable


@pytest.mark.parametrize("d,n", [(2, 12), (3, 9), (4, 6)])
def test_tree_certificate_is_byte_identical_serial_and_jobs(d, n, tmp_path):
    import relucert
    from relucert.certifier import tree_certificate

    rng = np.random.default_rng(d)
    X = rng.standard_normal((n, d))
    y = np.sin(2 * X[:, 0]) + 0.1 * rng.standard_normal(n)
    sol = relucert.solve(X, y, 0.05, progress=False)
    assert sol.success
    tree_certificate(sol, progress=False).write(tmp_path / "serial.json")
    tree_certificate(sol, progress=False, n_jobs=2).write(tmp_path / "jobs2.json")
    a, b = (tmp_path / "serial.json").read_bytes(), (tmp_path / "jobs2.json").read_bytes()
    assert a == b
    from relucert.verify import check

    assert check(tmp_path / "jobs2.json").status.value == "verified"


def test_solve_with_the_bab_oracle_on_two_processes():
    import relucert

    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 2))
    y = np.sin(2 * X[:, 0])
    a = relucert.solve(X, y, 0.05, oracle="bab", progress=False)
    b = relucert.solve(X, y, 0.05, oracle="bab", progress=False, n_jobs=2)
    assert a.success and b.success
    assert b.objective == pytest.approx(a.objective, rel=1e-9)
    assert b.certified_lower_bound <= b.objective


def test_parallel_options_are_checked():
    assert check_parallel(None, None) == (None, None)
    assert check_parallel(-1, None)[0] == (os.cpu_count() or 1)
    with pytest.raises(ValueError, match="n_jobs"):
        check_parallel(0, None)
    with pytest.raises(TypeError, match="n_jobs"):
        check_parallel("2", None)
    with pytest.raises(ValueError, match="not both"):
        check_parallel(2, "tcp://127.0.0.1:8786")
    with pytest.raises(TypeError, match="scheduler"):
        check_parallel(None, 3)
    with executor_for(n_jobs=1) as ex:
        assert ex is None
    assert isinstance(SerialExecutor().submit(pow, 2, 3).result(), int)


def test_scheduler_without_dask_names_the_extra(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)   # import distributed -> ImportError
    with pytest.raises(MissingExtraError, match=r"relucert\[dask\]"):
        with executor_for(scheduler="tcp://127.0.0.1:8786"):
            pass
    from relucert.cli import main

    data = tmp_path / "d.npz"
    np.savez(data, X=np.array([[0.0], [1.0], [2.0]]), y=np.array([0.0, 1.0, 0.0]))
    capsys.readouterr()
    assert main(["solve", "--lam", "0.1", "--scheduler", "tcp://127.0.0.1:8786", str(data)]) == 2
    assert "relucert[dask]" in capsys.readouterr().err


def test_cli_jobs_flags(tmp_path, capsys):
    from relucert.cli import main

    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 2))
    data = tmp_path / "d.npz"
    np.savez(data, X=X, y=np.sin(2 * X[:, 0]))
    assert main(["solve", "--lam", "0.05", "--jobs", "0", str(data)]) == 2
    assert main(["solve", "--lam", "0.05", "--jobs", "2", "--scheduler", "tcp://x:1", str(data)]) == 2
    capsys.readouterr()
    out = tmp_path / "s.json"
    assert main(["solve", "--lam", "0.05", "--oracle", "bab", "--jobs", "2", "--no-progress", "--json", str(out),
                 str(data)]) == 0
    assert json.loads(out.read_text())["status"] == "optimal"
