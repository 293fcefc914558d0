"""Batched region scans in torch (imported lazily; torch is an optional extra).

Importing ``relucert.gpu`` does not import torch: torch is imported by the functions
that need it (``relucert.gpu.device.import_torch``). ``region_maxima`` also runs
without torch (``backend="numpy"`` or ``"exact"``).

Layer: gpu (batched torch kernels). It may import core, arrangement, lp, lp.tv and
verify; no CPU-only path imports it.
"""
from relucert.gpu.certificate import (
    BATCH_MIN_CHAMBERS,
    TORCH_CPU_MIN_CHAMBERS,
    Backend,
    RegionMaxima,
    certificate_vectors,
    region_maxima,
)
from relucert.gpu.device import Device, resolve_device, torch_available
from relucert.gpu.scan import ScanResult, sample_chambers

__all__ = [
    "BATCH_MIN_CHAMBERS", "TORCH_CPU_MIN_CHAMBERS", "Backend", "RegionMaxima", "certificate_vectors", "region_maxima",
    "Device", "resolve_device", "torch_available", "ScanResult", "sample_chambers",
]
