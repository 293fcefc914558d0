"""The API layer's one step from ``n_jobs`` / ``scheduler`` to an executor (issue 14).

``relucert.solve``, ``relucert.certifier.tree_certificate`` and the CLI (``--jobs N``,
``--scheduler ADDRESS``) take these two words; the branch and bound below
(:mod:`relucert.lp.tv.bab.parallel`) takes an executor with the protocol of
:class:`relucert.lp.tv.bab.parallel.Executor`. This module builds it, as
``relucert._devices`` builds the batched ops from ``device``:

- neither (or ``n_jobs=1``): None, the serial in-process default;
- ``n_jobs=N`` (N >= 2, or -1 for every CPU, scikit-learn's names): a local process
  pool (:class:`ProcessPoolAdapter`); a pool whose process died is rebuilt and the lost
  units run again;
- ``scheduler="tcp://host:8786"`` (a running Dask scheduler) or a ``distributed.Client``:
  :class:`DaskAdapter` (needs the optional extra ``relucert[dask]``); X and p are
  scattered once to every worker; Dask itself re-runs the tasks of a worker that died.

Every worker process (pool process, Dask worker) raises glibc's mmap and trim thresholds
before its first unit (:func:`tune_malloc`): a Dask nanny's ``MALLOC_TRIM_THRESHOLD_``
made every node batch's arrays be mapped and unmapped by the kernel, and the units ran
2-3x slower than in a pool (benchmarks/RESULTS.md, "Parallel branch and bound").
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from concurrent.futures import as_completed as _futures_as_completed

from relucert.errors import RelucertError
from relucert.tolerances import WORKER_MMAP_THRESHOLD, WORKER_TRIM_THRESHOLD

__all__ = ["executor_for", "check_parallel", "ProcessPoolAdapter", "DaskAdapter", "DASK_EXTRA_HINT",
           "MissingExtraError", "tune_malloc"]

#: The one sentence every "dask is missing" error ends with.
DASK_EXTRA_HINT = "install the optional extra: pip install 'relucert[dask]' (dask[distributed])"


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_tuned = False


def tune_malloc() -> bool:
    """Set glibc's mmap threshold to ``WORKER_MMAP_THRESHOLD`` and its trim threshold to
    ``WORKER_TRIM_THRESHOLD`` in this process, once (the initializer of a pool process;
    the first unit on a Dask worker). True when they are set (Linux with glibc), False
    elsewhere (nothing changes: the units run, only slower where a nanny set
    ``MALLOC_TRIM_THRESHOLD_``)."""
    global _tuned
    if _tuned:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    _tuned = (mallopt(_M_MMAP_THRESHOLD, WORKER_MMAP_THRESHOLD) == 1
              and mallopt(_M_TRIM_THRESHOLD, WORKER_TRIM_THRESHOLD) == 1)
    return _tuned


def _tuned_call(fn, *args):
    """``fn(*args)`` after :func:`tune_malloc` (the task a Dask worker runs)."""
    tune_malloc()
    return fn(*args)


def check_parallel(n_jobs, scheduler):
    """Validate ``n_jobs`` and ``scheduler`` (public boundary): ``(n_jobs, scheduler)``
    with ``n_jobs`` an int >= 1 or None (-1: every CPU).

    Raises
    ------
    TypeError, ValueError
        A wrong kind or value (the field is named); both given.
    """
    if n_jobs is not None:
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, int):
            raise TypeError(f"n_jobs must be None, -1 or an int >= 1; got {type(n_jobs).__name__}")
        if n_jobs == -1:
            n_jobs = os.cpu_count() or 1
        elif n_jobs < 1:
            raise ValueError(f"n_jobs must be None, -1 or an int >= 1; got {n_jobs}")
    if scheduler is not None:
        if isinstance(scheduler, str):
            if not scheduler.strip():
                raise ValueError("scheduler must be a Dask scheduler address such as 'tcp://host:8786'; got ''")
        elif not (hasattr(scheduler, "submit") and hasattr(scheduler, "scatter")):
            raise TypeError("scheduler must be a Dask scheduler address (str) or a distributed.Client; got "
                            f"{type(scheduler).__name__}")
        if n_jobs is not None:
            raise ValueError(f"give n_jobs or scheduler, not both (n_jobs = {n_jobs}, scheduler = {scheduler!r}): "
                             "the Dask cluster's workers are the jobs")
    return n_jobs, scheduler


class ProcessPoolAdapter:
    """A local pool of ``n`` processes with the executor protocol.

    A process that dies breaks a ``concurrent.futures`` pool (every pending future raises
    ``BrokenProcessPool``): :meth:`lost` says so, and the next :meth:`submit` builds a
    new pool, so the coordinator's re-run of the lost units proceeds.
    """

    def __init__(self, n: int):
        self.n_workers = int(n)
        self.pool = self._new()

    def _new(self):
        import multiprocessing as mp

        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        return ProcessPoolExecutor(max_workers=self.n_workers, mp_context=mp.get_context(method),
                                   initializer=tune_malloc)

    def submit(self, fn, /, *args):
        """``pool.submit``; a broken pool is replaced first."""
        try:
            return self.pool.submit(fn, *args)
        except BrokenExecutor:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new()
            return self.pool.submit(fn, *args)

    def as_completed(self, futures):
        """``concurrent.futures.as_completed``."""
        return _futures_as_completed(list(futures))

    def cancel(self, futures) -> None:
        """Cancel the futures not started (a running unit ends on its node budget)."""
        for f in futures:
            f.cancel()

    def lost(self, exc: BaseException) -> bool:
        """A process of the pool died (``BrokenProcessPool``)."""
        return isinstance(exc, BrokenExecutor)

    def share(self, value):
        """``value`` (pickled with every unit: X and p are small next to a unit's work)."""
        return value

    def close(self) -> None:
        """Shut the pool down, cancelling what has not started."""
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskAdapter:
    """A ``distributed.Client`` with the executor protocol.

    Parameters
    ----------
    client : distributed.Client
    """

    def __init__(self, client):
        import distributed

        self.client = client
        self._distributed = distributed
        info = client.scheduler_info()
        workers = info.get("workers", {}) if isinstance(info, dict) else {}
        self.n_workers = max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def submit(self, fn, /, *args):
        """``client.submit(fn, *args, pure=False)``, run after :func:`tune_malloc` on the worker."""
        return self.client.submit(_tuned_call, fn, *args, pure=False)

    def as_completed(self, futures):
        """``distributed.as_completed`` on this client's event loop (the client need not be
        the process's default one)."""
        return self._distributed.as_completed(list(futures), loop=self.client.loop)

    def cancel(self, futures) -> None:
        """``client.cancel``."""
        futures = list(futures)
        if futures:
            self.client.cancel(futures)

    def lost(self, exc: BaseException) -> bool:
        """A task whose workers kept dying (``KilledWorker``; Dask re-runs a task once its
        worker dies by itself, up to its ``allowed-failures``) or a closed connection."""
        from distributed.comm.core import CommClosedError

        return isinstance(exc, (self._distributed.KilledWorker, CommClosedError))

    def share(self, value):
        """``client.scatter(value, broadcast=True)``: sent once to every worker."""
        return self.client.scatter(value, broadcast=True)


class MissingExtraError(RelucertError, ImportError):
    """An optional dependency is not installed (the message names the extra)."""


def _import_distributed(what: str):
    try:
        import distributed
    except ImportError as exc:
        raise MissingExtraError(f"{what} needs Dask distributed, which is not installed: {DASK_EXTRA_HINT}") from exc
    return distributed


@contextlib.contextmanager
def executor_for(n_jobs=None, scheduler=None):
    """The executor for ``n_jobs`` / ``scheduler`` (module docstring), closed on exit.

    Parameters
    ----------
    n_jobs : int, optional
        Local processes (-1: every CPU; None or 1: serial, in this process).
    scheduler : str or distributed.Client, optional
        The address of a running Dask scheduler, or a client (left open on exit).

    Yields
    ------
    None (serial), ProcessPoolAdapter or DaskAdapter

    Raises
    ------
    MissingExtraError (an ImportError)
        ``scheduler`` without dask installed (the message names the ``relucert[dask]`` extra).

    Examples
    --------
    >>> with executor_for() as ex:
    ...     ex is None
    True
    """
    n_jobs, scheduler = check_parallel(n_jobs, scheduler)
    if scheduler is not None:
        distributed = _import_distributed(f"scheduler = {scheduler!r}" if isinstance(scheduler, str)
                                          else "scheduler")
        if isinstance(scheduler, str):
            try:
                client = distributed.Client(scheduler, set_as_default=False)
            except OSError as exc:
                raise ValueError(f"scheduler: no Dask scheduler answered at {scheduler!r} ({exc})") from exc
            try:
                yield DaskAdapter(client)
            finally:
                client.close()
        else:
            yield DaskAdapter(scheduler)
        return
    if n_jobs is None or n_jobs == 1:
        yield None
        return
    adapter = ProcessPoolAdapter(n_jobs)
    try:
        yield adapter
    finally:
        adapter.close()
