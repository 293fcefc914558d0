"""The branch and bound by subtrees on a Dask cluster (issue 14): a LocalCluster of two
worker processes, started once for this module. Same floats, verdicts and byte-identical
certificate files as the serial run; a worker killed mid-run loses nothing; Ctrl-C
cancels the futures. (dask[distributed] is the `dask` extra, installed by `make setup`.)"""
from __future__ import annotations

import os
import signal

import distributed
import numpy as np
import pytest

from relucert._executors import DaskAdapter, executor_for
from relucert.lp.tv.bab.parallel import certify_parallel, maximise_parallel
from relucert.lp.tv.bab import maximise
from relucert.tolerances import DEFAULT
from tests.test_parallel import PROBLEMS, SMALL, _fields, _Interrupt, _KillFirst, _problem


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as c:
        yield c


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster, set_as_default=False) as cl:
        cl.wait_for_workers(2)
        yield cl


@pytest.mark.parametrize("d", [2, 3, 4])
def test_dask_is_bit_identical_to_serial(d, client):
    X, p = _problem(*PROBLEMS[d])
    a = certify_parallel(X, p, **SMALL)
    with executor_for(scheduler=client) as ex:
        b, stats = certify_parallel(X, p, executor=ex, return_stats=True, **SMALL)
    assert _fields(a) == _fields(b)
    assert stats.n_workers == 2 and stats.n_tasks >= 3
    assert stats.shared_bytes > 0 and all(t.bytes_in < X.nbytes + 2 ** 20 for t in stats.tasks)


def test_dask_maximise_shares_the_incumbent(client):
    X, p = _problem(*PROBLEMS[3], scale=1.02)
    ref = maximise(X, p, 1.0, progress=False)
    got = maximise_parallel(X, p, 1.0, executor=DaskAdapter(client), **SMALL)
    assert got.complete and got.n_found == ref.n_found
    assert got.max_value == pytest.approx(ref.max_value, rel=2 * DEFAULT.bab_rel_gap)


@pytest.mark.parametrize("d,n", [(2, 12), (3, 9), (4, 6)])
def test_tree_certificate_is_byte_identical_on_a_cluster(d, n, cluster, tmp_path):
    """Through the scheduler's address, as `relucert ... --scheduler ADDR` does."""
    import relucert
    from relucert.certifier import tree_certificate
    from relucert.verify import check

    rng = np.random.default_rng(d)
    X = rng.standard_normal((n, d))
    y = np.sin(2 * X[:, 0]) + 0.1 * rng.standard_normal(n)
    sol = relucert.solve(X, y, 0.05, progress=False)
    tree_certificate(sol, progress=False).write(tmp_path / "serial.json")
    tree_certificate(sol, progress=False, scheduler=cluster.scheduler_address).write(tmp_path / "dask.json")
    assert (tmp_path / "serial.json").read_bytes() == (tmp_path / "dask.json").read_bytes()
    assert check(tmp_path / "dask.json").status.value == "verified"


def test_keyboard_interrupt_cancels_the_futures(client):
    X, p = _problem(*PROBLEMS[3])
    ex = _Interrupt(DaskAdapter(client))
    with pytest.raises(KeyboardInterrupt):
        certify_parallel(X, p, executor=ex, **SMALL)
    assert ex.cancelled
    assert all(f.status in ("cancelled", "finished") for f in ex.cancelled)


def test_a_killed_worker_loses_nothing(client):
    """Run last: the nanny restarts the killed worker for later users of the cluster."""
    X, p = _problem(*PROBLEMS[3])
    ref = certify_parallel(X, p, **SMALL)

    def pids():
        return sorted(client.run(os.getpid).values())

    ex = _KillFirst(DaskAdapter(client), pids)
    got = certify_parallel(X, p, executor=ex, **SMALL)
    assert ex.killed
    assert _fields(got) == _fields(ref)


def test_dask_workers_tune_the_allocator(client):
    """A unit submitted through the adapter runs after tune_malloc on its worker (a nanny
    sets MALLOC_TRIM_THRESHOLD_: without it the units spend most of their time in the kernel;
    benchmarks/RESULTS.md). The check itself travels as a string: eval is a builtin."""
    ex = DaskAdapter(client)
    probe = "__import__('relucert._executors', fromlist=['_tuned'])._tuned"
    assert [f.result() for f in [ex.submit(eval, probe) for _ in range(4)]] == [True] * 4
