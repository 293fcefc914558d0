"""The API layer's one step from a ``device`` word to the ops the batched kernels run on.

``relucert.solve`` and ``relucert.certify`` take ``device="auto"|"cpu"|"cuda"``; the
layers below (the oracle in lp/tv, verify's region scan) take an ``ops`` object (None:
numpy). This module turns the one into the other, asking ``relucert.gpu`` only where
torch may be needed, so that a CPU solve never imports relucert.gpu or torch:

- "cpu": None (numpy);
- "cuda": torch ops on the CUDA device, built now (a clear error without one);
- "auto": None when torch is not installed; otherwise ops built on first use (torch on
  CUDA when torch sees a device, else numpy), so torch is imported only when a batched
  scan actually runs.

The branch and bound's bounding kernels (:func:`bab_kernels_for_device`) follow the same
words: "cpu": None (numpy's, the reference); "cuda": torch's on the CUDA device; "auto":
torch's on CUDA when torch sees a device (asked on first use, and only where a GPU driver
is visible, so a machine without one never imports torch), else numpy's. torch on the
CPU is slower than numpy there (benchmarks/RESULTS.md): no word picks it; pass
``relucert.gpu.bab_kernels("cpu")`` as ``kernels=`` to ``lp.tv.bab.maximise``/``certify``.
"""
from __future__ import annotations

import importlib.util
import os
from functools import partial

from relucert._validation import Device, check_device
from relucert.arrangement import LazyOps

__all__ = ["ops_for_device", "bab_kernels_for_device"]


def ops_for_device(device) -> object | None:
    """The ops for ``device`` ("auto", "cpu" or "cuda"), or None for numpy.

    Parameters
    ----------
    device : str or Device

    Returns
    -------
    None, ``relucert.gpu.TorchOps`` or ``relucert.arrangement.LazyOps``

    Raises
    ------
    ValueError
        An unknown device, or "cuda" without a CUDA device.

    Examples
    --------
    >>> ops_for_device("cpu") is None
    True
    """
    return _for_device(device, "torch_ops", "batched_ops", need_driver=False)


#: Paths present where a GPU driver is loaded (NVIDIA's, AMD's ROCm): without any of them
#: torch sees no CUDA device, so "auto" does not import torch to ask.
_GPU_DRIVER_PATHS = ("/proc/driver/nvidia", "/dev/nvidiactl", "/dev/kfd", "/dev/dxg")


def _gpu_driver_visible() -> bool:
    return any(os.path.exists(path) for path in _GPU_DRIVER_PATHS)


def bab_kernels_for_device(device) -> object | None:
    """The branch and bound's bounding kernels for ``device``, or None for numpy's.

    Parameters
    ----------
    device : str or Device

    Returns
    -------
    None, ``relucert.gpu.TorchBabKernels`` or ``relucert.arrangement.LazyOps`` (resolved on
    first use to torch's kernels on CUDA, or to the numpy module when torch sees no device)

    Raises
    ------
    ValueError
        An unknown device, or "cuda" without a CUDA device.

    Examples
    --------
    >>> bab_kernels_for_device("cpu") is None
    True
    """
    return _for_device(device, "bab_kernels", "bab_kernels", need_driver=True)


def _gpu_auto(factory: str):
    from relucert import gpu

    return getattr(gpu, factory)(Device.AUTO)


def _for_device(device, factory: str, auto: str, *, need_driver: bool):
    """The one rule of both functions: "cpu": None; "cuda": ``relucert.gpu.<factory>`` on
    CUDA, built now; "auto": None without torch (or, with ``need_driver``, without a
    visible GPU driver), else ``relucert.gpu.<auto>("auto")`` built on first use."""
    choice = check_device(device)
    if choice == Device.CPU.value:
        return None
    if choice == Device.CUDA.value:
        from relucert import gpu

        return getattr(gpu, factory)(Device.CUDA)
    if importlib.util.find_spec("torch") is None or (need_driver and not _gpu_driver_visible()):
        return None
    return LazyOps(partial(_gpu_auto, auto))
