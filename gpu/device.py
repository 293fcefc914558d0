"""Device choice for the batched scans, and the one place torch is imported.

torch is an optional extra (``relucert[gpu]``): nothing outside ``relucert.gpu``
imports it, and inside ``relucert.gpu`` it is imported only when a function that
needs it runs (:func:`import_torch`).
"""
from __future__ import annotations

from relucert._validation import Device, check_choice

__all__ = ["Device", "import_torch", "torch_available", "resolve_device", "device_name",
           "DEFAULT_CPU_THREADS", "cpu_threads_for"]

#: torch-on-CPU intra-op threads used by the scans: the kernels are many small
#: element-wise operations, and more threads spin-wait instead of working (measured,
#: benchmarks/RESULTS.md, section "gpu"). numpy is single-threaded.
DEFAULT_CPU_THREADS = 1


def import_torch():
    """The ``torch`` module; ``ModuleNotFoundError`` naming the extra when it is missing."""
    try:
        import torch
    except ModuleNotFoundError as exc:  # pragma: no cover - torch is installed in CI
        raise ModuleNotFoundError(
            "relucert.gpu needs torch; install the extra: pip install 'relucert[gpu]'"
        ) from exc
    return torch


def torch_available() -> bool:
    """Whether torch imports (it is then imported)."""
    try:
        import_torch()
    except ModuleNotFoundError:
        return False
    return True


def resolve_device(device: str | Device = "auto"):
    """A ``torch.device`` for ``device`` ("auto", "cpu" or "cuda").

    "auto" is CUDA when ``torch.cuda.is_available()``, else the CPU. "cuda" without a
    CUDA device is an error (``ValueError``), never a silent fallback.

    Parameters
    ----------
    device : "auto", "cpu" or "cuda"

    Returns
    -------
    torch.device

    Examples
    --------
    >>> str(resolve_device("cpu"))
    'cpu'
    """
    choice = check_choice(device, "device", Device)
    torch = import_torch()
    if choice == Device.CPU.value:
        return torch.device("cpu")
    has_cuda = bool(torch.cuda.is_available())
    if choice == Device.CUDA.value:
        if not has_cuda:
            raise ValueError("device='cuda' was requested but torch sees no CUDA device; "
                             "use device='cpu' or device='auto'")
        return torch.device("cuda")
    return torch.device("cuda") if has_cuda else torch.device("cpu")


def device_name(dev) -> str:
    """A human-readable name: the CUDA card's name, or the CPU's.

    Parameters
    ----------
    dev : torch.device

    Returns
    -------
    str
    """
    if getattr(dev, "type", str(dev)) == "cuda":
        torch = import_torch()
        return f"cuda ({torch.cuda.get_device_name(dev)})"
    import platform

    return f"cpu ({platform.processor() or platform.machine()})"


class cpu_threads_for:
    """Context manager: torch intra-op threads set to ``n`` while work runs on the CPU
    device ``dev`` (restored afterwards); a no-op for CUDA, for ``n=None`` and without
    torch (``dev`` None)."""

    def __init__(self, dev, n: int | None):
        self.n = n if (dev is not None and getattr(dev, "type", "") == "cpu" and n is not None) else None

    def __enter__(self):
        if self.n is not None:
            torch = import_torch()
            self.old = torch.get_num_threads()
            torch.set_num_threads(self.n)
        return self

    def __exit__(self, *exc):
        if self.n is not None:
            import_torch().set_num_threads(self.old)
