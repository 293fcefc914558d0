"""The few array operations the batched kernels need (the ``ops`` interface), on numpy.

The batched kernels (:mod:`relucert.arrangement.chamber_vectors`,
:mod:`relucert.arrangement.region_maxima`) are written once against this small
interface: :class:`NumpyOps` runs them on the host, and ``relucert.gpu.TorchOps`` runs
the same arithmetic in the same order on a torch device (CPU or CUDA). Besides the
array operations, an ops object carries ``name`` ("numpy" or "torch"), ``device``
(None for numpy), ``device_name`` (for reports) and ``running()``, a context manager
around a whole batched call (torch uses it to set its CPU thread count).

:class:`LazyOps` defers building an ops object until a batched kernel first uses it,
so a caller can hand one down without importing torch on paths that never need it.
"""
from __future__ import annotations

import contextlib

import numpy as np

__all__ = ["NumpyOps", "LazyOps", "resolve_ops"]


class NumpyOps:
    """float64 numpy arrays on the host."""

    name = "numpy"

    def __init__(self) -> None:
        self.device = None
        self.device_name = "cpu"

    def running(self):
        """Context manager around one batched call (nothing to set up for numpy)."""
        return contextlib.nullcontext()

    def asarray(self, a, dtype=None):
        return np.ascontiguousarray(a, dtype=dtype if dtype is not None else None)

    def tonp(self, a) -> np.ndarray:
        return np.asarray(a)

    def einsum(self, spec, *ops):
        return np.einsum(spec, *ops)

    def zeros(self, shape):
        return np.zeros(shape)

    def zeros_bool(self, shape):
        return np.zeros(shape, dtype=bool)

    def ones(self, shape):
        return np.ones(shape)

    def full(self, shape, value):
        return np.full(shape, value)

    def sqrt(self, x):
        return np.sqrt(x)

    def clamp0(self, x):
        return np.maximum(x, 0.0)

    def where(self, cond, a, b):
        return np.where(cond, a, b)

    def minimum(self, a, b):
        return np.minimum(a, b)

    def maximum(self, a, b):
        return np.maximum(a, b)

    def amax(self, x, axis):
        return np.max(x, axis=axis)

    def amin(self, x, axis):
        return np.min(x, axis=axis)

    def any(self, x, axis):
        return np.any(x, axis=axis)

    def all(self, x, axis):
        return np.all(x, axis=axis)

    def sum(self, x, axis):
        return np.sum(x, axis=axis)

    def isfinite(self, x):
        return np.isfinite(x)

    def index(self, idx):
        return np.asarray(idx, dtype=np.int64)

    def lut_index(self, signs, offsets):
        return signs.astype(np.int64) + offsets

    def unpack_float(self, signs, n):
        return np.unpackbits(signs, axis=-1, count=n, bitorder="little").astype(np.float64)

    def nonzero(self, mask):
        return np.flatnonzero(mask)

    def argmin(self, x):
        return np.argmin(x, axis=1)

    def rows(self, a, idx):
        return a[idx]

    def put_rows(self, a, idx, x):
        a[idx] = x
        return a

    def active_first(self, S):
        """Per row, the column order with the True entries of S first (stable)."""
        return np.argsort(~S, axis=1, kind="stable")

    def take_along(self, x, idx, axis):
        return np.take_along_axis(x, idx, axis=axis)

    def scatter_cols(self, F, idx, vals):
        out = np.zeros((vals.shape[0], F), dtype=vals.dtype)
        np.put_along_axis(out, idx, vals, axis=1)
        return out


class LazyOps:
    """An ops object built on first use by ``factory()`` (a zero-argument callable).

    Attribute access resolves it once and delegates; until then nothing is imported.

    Examples
    --------
    >>> ops = LazyOps(NumpyOps)
    >>> ops.name
    'numpy'
    """

    def __init__(self, factory) -> None:
        self._factory = factory
        self._ops = None

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        if self._ops is None:
            self._ops = self._factory()
        return getattr(self._ops, attr)


def resolve_ops(ops):
    """``ops`` itself, or :class:`NumpyOps` when it is None.

    Parameters
    ----------
    ops : an ops object (``NumpyOps``, ``relucert.gpu.TorchOps``, ``LazyOps``) or None.

    Returns
    -------
    The ops object the batched kernels run on.

    Examples
    --------
    >>> resolve_ops(None).name
    'numpy'
    """
    return NumpyOps() if ops is None else ops
