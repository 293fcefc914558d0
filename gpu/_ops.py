"""The few array operations the batched kernels need, for numpy and for torch.

The kernels in :mod:`relucert.gpu.certificate` are written once against this small
interface, so the numpy path (no torch) and the torch path (CPU or CUDA) run the
same arithmetic in the same order.
"""
from __future__ import annotations

import numpy as np

__all__ = ["NumpyOps", "TorchOps"]


class NumpyOps:
    """float64 numpy arrays on the host."""

    name = "numpy"

    def __init__(self) -> None:
        self.device = None

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


class TorchOps:
    """float64 torch tensors on one device (CPU or CUDA)."""

    name = "torch"

    def __init__(self, torch, device) -> None:
        self.torch = torch
        self.device = device

    def asarray(self, a, dtype=None):
        t = self.torch
        if isinstance(a, t.Tensor):
            return a.to(self.device)
        arr = np.ascontiguousarray(a)
        if dtype is None:
            dtype = t.float64 if arr.dtype.kind == "f" else None
        out = t.from_numpy(arr)
        return out.to(device=self.device, dtype=dtype) if dtype is not None else out.to(self.device)

    def tonp(self, a) -> np.ndarray:
        return a.detach().cpu().numpy()

    def einsum(self, spec, *ops):
        return self.torch.einsum(spec, *ops)

    def zeros(self, shape):
        return self.torch.zeros(shape, dtype=self.torch.float64, device=self.device)

    def zeros_bool(self, shape):
        return self.torch.zeros(shape, dtype=self.torch.bool, device=self.device)

    def ones(self, shape):
        return self.torch.ones(shape, dtype=self.torch.float64, device=self.device)

    def full(self, shape, value):
        return self.torch.full(shape, value, dtype=self.torch.float64, device=self.device)

    def sqrt(self, x):
        return self.torch.sqrt(x)

    def clamp0(self, x):
        return self.torch.clamp(x, min=0.0)

    def where(self, cond, a, b):
        t = self.torch
        if not isinstance(a, t.Tensor) and not isinstance(b, t.Tensor):
            b = t.tensor(b, dtype=t.float64, device=self.device)
        return t.where(cond, a, b)

    def minimum(self, a, b):
        return self.torch.minimum(a, b)

    def maximum(self, a, b):
        return self.torch.maximum(a, b)

    def amax(self, x, axis):
        return self.torch.amax(x, dim=axis)

    def amin(self, x, axis):
        return self.torch.amin(x, dim=axis)

    def any(self, x, axis):
        return self.torch.any(x, dim=axis)

    def all(self, x, axis):
        return self.torch.all(x, dim=axis)

    def sum(self, x, axis):
        return self.torch.sum(x, dim=axis)

    def isfinite(self, x):
        return self.torch.isfinite(x)

    def index(self, idx):
        return self.torch.as_tensor(np.asarray(idx, dtype=np.int64), device=self.device)

    def lut_index(self, signs, offsets):
        return signs.long() + offsets

    def unpack_float(self, signs, n):
        t = self.torch
        shifts = t.arange(8, device=self.device, dtype=t.uint8)
        bits = (signs.unsqueeze(-1) >> shifts) & 1
        return bits.reshape(signs.shape[0], -1)[:, :n].to(t.float64)

    def nonzero(self, mask):
        return self.torch.nonzero(mask).reshape(-1)

    def argmin(self, x):
        return self.torch.argmin(x, dim=1)

    def rows(self, a, idx):
        return a.index_select(0, idx)

    def put_rows(self, a, idx, x):
        return a.index_copy_(0, idx, x)

    def active_first(self, S):
        return self.torch.argsort((~S).to(self.torch.int8), dim=1, stable=True)

    def take_along(self, x, idx, axis):
        return self.torch.take_along_dim(x, idx, dim=axis)

    def scatter_cols(self, F, idx, vals):
        out = self.torch.zeros((vals.shape[0], F), dtype=vals.dtype, device=self.device)
        return out.scatter(1, idx, vals)
