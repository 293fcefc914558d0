"""gpu/: batched torch kernels (DESIGN.md sections 8 and 9): the torch ``ops`` that run
the batched kernels of :mod:`relucert.arrangement` (chamber vectors, region maxima) on
the CPU or CUDA, the branch and bound's bounding kernels (:mod:`relucert.gpu.bab_kernels`),
device handling, and chamber discovery by sampling.

Layer: gpu (batched torch kernels). It may import core, arrangement, lp, lp.tv and
verify; the API (relucert.solver, certifier, estimator) asks
:func:`batched_ops` / :func:`torch_ops` for the ops of a device and passes them down.
No CPU-only path imports this package. Importing it does not import torch: torch is
imported by the functions that need it (``relucert.gpu.device.import_torch``).
"""
from relucert.gpu.bab_kernels import TorchBabKernels, bab_kernels
from relucert.gpu.device import Device, resolve_device, torch_available
from relucert.gpu.ops import TORCH_CPU_MIN_CHAMBERS, TorchOps, batched_ops, torch_ops
from relucert.gpu.scan import ScanResult, sample_chambers

__all__ = [
    "Device", "resolve_device", "torch_available",
    "TORCH_CPU_MIN_CHAMBERS", "TorchOps", "batched_ops", "torch_ops",
    "ScanResult", "sample_chambers",
    "TorchBabKernels", "bab_kernels",
]
