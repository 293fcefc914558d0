"""The executor protocol the parallel branch and bound depends on (issue 14, DESIGN.md
section 11), and its serial in-process implementation.

An executor is the ``concurrent.futures`` protocol plus three small hooks:

- ``submit(fn, *args) -> future`` (a future has ``result()``, ``cancel()``, ``done()``);
- ``as_completed(futures)``: an iterator over the given futures as they finish;
- ``cancel(futures)``: cancel every one not finished (KeyboardInterrupt, a violator);
- ``lost(exc) -> bool``: the task's worker died (the task itself did not fail), so the
  coordinator re-runs the task: the tree is deterministic, nothing is lost;
- ``share(value)``: a handle passed to tasks instead of ``value`` (a Dask client
  scatters the data once to every worker; the others return ``value`` itself);
- ``n_workers``: how many tasks run at once.

The adapters for a local process pool and for a Dask client live in the api layer
(``relucert._executors``): this layer imports neither ``concurrent.futures`` process pools
nor dask.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Protocol, runtime_checkable

__all__ = ["Executor", "SerialExecutor", "SerialFuture"]


@runtime_checkable
class Executor(Protocol):
    """What the coordinator of :mod:`relucert.lp.tv.bab.parallel` calls (module docstring)."""

    n_workers: int

    def submit(self, fn: Callable, /, *args) -> Any:
        ...

    def as_completed(self, futures: Iterable) -> Iterator:
        ...

    def cancel(self, futures: Iterable) -> None:
        ...

    def lost(self, exc: BaseException) -> bool:
        ...

    def share(self, value):
        ...


class SerialFuture:
    """A finished future: the task ran when it was submitted.

    Parameters
    ----------
    fn : callable
    args : tuple
    """

    def __init__(self, fn: Callable, args: tuple):
        self._value, self._error = None, None
        try:
            self._value = fn(*args)
        except Exception as exc:  # delivered by result(), as concurrent.futures does
            self._error = exc

    def result(self):
        """The task's value (or its exception, raised)."""
        if self._error is not None:
            raise self._error
        return self._value

    def done(self) -> bool:
        """Always True."""
        return True

    def cancel(self) -> bool:
        """Nothing to cancel: False, as for a finished ``concurrent.futures.Future``."""
        return False


class SerialExecutor:
    """Runs every task in the calling process, at ``submit``: the default.

    Examples
    --------
    >>> ex = SerialExecutor()
    >>> [f.result() for f in ex.as_completed([ex.submit(pow, 2, 3)])]
    [8]
    """

    n_workers = 1

    def submit(self, fn: Callable, /, *args) -> SerialFuture:
        """Run ``fn(*args)`` now; its value or exception is in the future."""
        return SerialFuture(fn, args)

    def as_completed(self, futures: Iterable) -> Iterator:
        """The futures in the given order (all are finished)."""
        return iter(list(futures))

    def cancel(self, futures: Iterable) -> None:
        """Nothing runs in the background: nothing to cancel."""

    def lost(self, exc: BaseException) -> bool:
        """No worker can die: False."""
        return False

    def share(self, value):
        """``value`` itself."""
        return value
