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
"""
from __future__ import annotations

import importlib.util

from relucert._validation import Device, check_device
from relucert.arrangement import LazyOps

__all__ = ["ops_for_device"]


def _auto_ops():
    from relucert.gpu import batched_ops

    return batched_ops(Device.AUTO)


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
    choice = check_device(device)
    if choice == Device.CPU.value:
        return None
    if choice == Device.CUDA.value:
        from relucert.gpu import torch_ops

        return torch_ops(Device.CUDA)
    if importlib.util.find_spec("torch") is None:
        return None
    return LazyOps(_auto_ops)
