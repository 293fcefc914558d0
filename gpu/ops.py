"""The ``ops`` interface of the batched kernels on torch tensors (CPU or CUDA), and the
factory the API layer calls to get the ops for a device.

The kernels live in :mod:`relucert.arrangement` (chamber vectors, batched region
maxima) and are written once against the interface of
:class:`relucert.arrangement._ops.NumpyOps`; :class:`TorchOps` runs the same arithmetic
in the same order on a torch device.
"""
from __future__ import annotations

import numpy as np

from relucert._validation import Device, check_choice
from relucert.arrangement._ops import NumpyOps
from relucert.gpu.device import (DEFAULT_CPU_THREADS, cpu_threads_for, device_name, import_torch, resolve_device,
                                 torch_available)

__all__ = ["TorchOps", "torch_ops", "batched_ops", "TORCH_CPU_MIN_CHAMBERS"]

#: Region count from which :func:`batched_ops` prefers torch on the CPU to numpy.
#: Measured by ``python benchmarks/gpu_scan.py --threshold`` (benchmarks/RESULTS.md,
#: section "gpu"): torch is slower below a few thousand regions, faster from about
#: 10,000 on. With a CUDA device, torch is used whatever the count.
TORCH_CPU_MIN_CHAMBERS = 10_000


def torch_ops(device: str | Device = "auto", *, cpu_threads: int | None = DEFAULT_CPU_THREADS) -> "TorchOps":
    """Torch ops on ``device`` ("auto": CUDA when torch sees one, else the CPU).

    Parameters
    ----------
    device : "auto", "cpu" or "cuda"
        "cuda" without a CUDA device is a ``ValueError``.
    cpu_threads : int or None
        torch intra-op threads during each batched call on the CPU (None: torch's own
        setting); see ``DEFAULT_CPU_THREADS``.

    Returns
    -------
    TorchOps

    Examples
    --------
    >>> torch_ops("cpu").name  # doctest: +SKIP
    'torch'
    """
    torch = import_torch()
    return TorchOps(torch, resolve_device(device), cpu_threads)


def batched_ops(device: str | Device = "auto", n_regions: int | None = None, *,
                cpu_threads: int | None = DEFAULT_CPU_THREADS):
    """The ops a batched scan of ``n_regions`` regions should run on (the measured rule).

    torch on CUDA when ``device`` is "cuda", or "auto" and torch sees a CUDA device;
    otherwise torch on the CPU from :data:`TORCH_CPU_MIN_CHAMBERS` regions on (when
    torch imports), else numpy. ``n_regions=None`` (unknown, e.g. the oracle's chunks
    of a few thousand) counts as fewer than that threshold.

    Parameters
    ----------
    device : "auto", "cpu" or "cuda"
    n_regions : int or None
    cpu_threads : int or None
        As in :func:`torch_ops`.

    Returns
    -------
    ``TorchOps`` or ``relucert.arrangement._ops.NumpyOps``

    Examples
    --------
    >>> batched_ops("cpu", 10).name
    'numpy'
    """
    choice = check_choice(device, "device", Device)
    if choice == Device.CUDA.value:
        return torch_ops(choice, cpu_threads=cpu_threads)
    if choice == Device.AUTO.value and torch_available() and import_torch().cuda.is_available():
        return torch_ops("cuda", cpu_threads=cpu_threads)
    if n_regions is not None and n_regions >= TORCH_CPU_MIN_CHAMBERS and torch_available():
        return torch_ops("cpu", cpu_threads=cpu_threads)
    return NumpyOps()


class TorchOps:
    """float64 torch tensors on one device (CPU or CUDA)."""

    name = "torch"

    def __init__(self, torch, device, cpu_threads: int | None = DEFAULT_CPU_THREADS) -> None:
        self.torch = torch
        self.device = device
        self.device_name = device_name(device)
        self.cpu_threads = cpu_threads

    def running(self):
        """Context manager around one batched call: torch's intra-op threads set to
        ``cpu_threads`` on the CPU (see ``DEFAULT_CPU_THREADS``), restored afterwards."""
        return cpu_threads_for(self.device, self.cpu_threads)

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
