"""Skip marks for the tests that need torch or a CUDA device (the numpy paths of the same
modules always run). CI has torch on the CPU and no GPU."""
import importlib.util

import pytest

HAS_TORCH = importlib.util.find_spec("torch") is not None


def _has_cuda() -> bool:
    if not HAS_TORCH:
        return False
    import torch

    return bool(torch.cuda.is_available())


requires_torch = pytest.mark.skipif(not HAS_TORCH, reason="needs torch (pip install 'relucert[gpu]')")
requires_cuda = pytest.mark.skipif(not _has_cuda(), reason="needs a CUDA device")
without_cuda = pytest.mark.skipif(_has_cuda(), reason="a CUDA device is present")
