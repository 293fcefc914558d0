"""Chamber discovery by sampling: theta on S^d in large batches, sign patterns as
packed integer keys, deduplicated on the device.

A sample ``theta`` lies in exactly one chamber with probability 1 (the hyperplanes
have measure zero; samples within ``sign_zero`` of a hyperplane are discarded), so
every distinct pattern found is a chamber: the result is always a SUBSET of the
exact enumeration. It reaches all of it when enough samples fall in the smallest
chamber. The number of chambers not yet seen is estimated from the discovery
frequencies (Chao1: ``f1^2 / (2 f2)``, f1/f2 the chambers seen once/twice).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np

from relucert._validation import check_positive_int, check_X
from relucert.arrangement.chambers import lift
from relucert.results import jsonable
from relucert.tolerances import Tolerances, resolve
from relucert.gpu.device import DEFAULT_CPU_THREADS, cpu_threads_for, device_name, import_torch, resolve_device

__all__ = ["ScanResult", "sample_chambers", "DEFAULT_SAMPLES", "DEFAULT_BATCH"]

DEFAULT_SAMPLES = 1_000_000
DEFAULT_BATCH = 65536


@dataclass(frozen=True, eq=False)
class ScanResult:
    """Chambers found by sampling.

    Attributes
    ----------
    sign_patterns : (k, ceil(n/8)) uint8, packed patterns in the Arrangement layout (bit i of
        byte i // 8, little bit order: sample i active), sorted by their int64 keys.
    points : (k, d + 1) a unit representative point in each (the sample with the
        largest margin).
    margin : (k,) ``min_i |<point, x~_i>| / ||x~_i||`` of the representative.
    counts : (k,) samples that fell in each chamber.
    n_samples : samples drawn (discarded ones included).
    n_discarded : samples within ``sign_zero`` of a hyperplane.
    curve : ((samples so far, distinct so far), ...) after each batch.
    estimate : Chao1 estimate of the total chamber count (>= k).
    device, wall_time_s, seed.
    """

    sign_patterns: np.ndarray
    points: np.ndarray
    margin: np.ndarray
    counts: np.ndarray
    n: int
    n_samples: int
    n_discarded: int
    curve: tuple
    estimate: float
    device: str
    wall_time_s: float
    seed: int

    @property
    def n_found(self) -> int:
        return int(self.sign_patterns.shape[0])

    def pattern_set(self) -> set[bytes]:
        """The patterns as a set of bytes (compare with ``Arrangement.sign_patterns``)."""
        return {row.tobytes() for row in self.sign_patterns}

    def to_dict(self, *, limit: int | None = 10000) -> dict:
        out = {"n": self.n, "n_found": self.n_found, "estimate": self.estimate,
               "n_samples": self.n_samples, "n_discarded": self.n_discarded,
               "curve": [list(c) for c in self.curve], "device": self.device,
               "wall_time_s": self.wall_time_s, "seed": self.seed}
        if limit is None or self.n_found <= limit:
            bits = np.unpackbits(self.sign_patterns, axis=1, count=self.n, bitorder="little")
            out["chambers"] = [{"signs": "".join("+" if b else "-" for b in row),
                                "point": pt, "samples": c}
                               for row, pt, c in zip(bits, self.points, self.counts)]
        return jsonable(out)


def chao1(counts: np.ndarray) -> float:
    """Chao1 richness estimate ``k + f1^2 / (2 f2)`` (bias-corrected ``f1 (f1-1)/2`` when f2 = 0).

    Parameters
    ----------
    counts : (k,) int array
        How often each chamber found was sampled.

    Returns
    -------
    float
        The estimated number of chambers (seen and unseen).

    Examples
    --------
    >>> chao1(np.array([1, 1, 2, 7]))
    6.0
    """
    k = counts.shape[0]
    f1 = int(np.sum(counts == 1))
    f2 = int(np.sum(counts == 2))
    if f2 > 0:
        return float(k + f1 * f1 / (2.0 * f2))
    return float(k + f1 * (f1 - 1) / 2.0)


def sample_chambers(X, *, n_samples: int = DEFAULT_SAMPLES, batch: int = DEFAULT_BATCH,
                    device: str = "auto", seed: int = 0, tol: Tolerances | None = None,
                    progress: bool | None = None,
                    cpu_threads: int | None = DEFAULT_CPU_THREADS) -> ScanResult:
    """Distinct chambers hit by ``n_samples`` uniform samples of S^d.

    Parameters
    ----------
    X : (n, d) data.
    n_samples : total samples (drawn in batches of ``batch``).
    device : "auto", "cpu" or "cuda".
    seed : seeds a ``torch.Generator`` (the same seed and device give the same result).
    tol : ``sign_zero`` decides which samples lie on a hyperplane.
    progress : tqdm bar on stderr (None: only on a terminal).
    cpu_threads : torch intra-op threads on the CPU (None: torch's setting).

    Examples
    --------
    Three points on a line: the 6 chambers of the circle.

    >>> sample_chambers(np.array([[0.0], [1.0], [2.0]]), n_samples=20000, device="cpu").n_found
    6
    """
    start = time.perf_counter()
    X = check_X(X)
    n_samples = check_positive_int(n_samples, "n_samples")
    batch = check_positive_int(batch, "batch")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int; got {type(seed).__name__}")
    tol = resolve(tol)
    cpu_threads = check_positive_int(cpu_threads, "cpu_threads", allow_none=True)
    torch = import_torch()
    dev = resolve_device(device)
    with cpu_threads_for(dev, cpu_threads):
        return _sample(torch, dev, X, n_samples, batch, int(seed), tol, progress, start)


def _sample(torch, dev, X, n_samples, batch, seed, tol, progress, start):
    from tqdm import tqdm

    Xl = lift(X)
    n, D = Xl.shape
    nbytes = (n + 7) // 8
    nwords = (nbytes + 7) // 8
    Xt = torch.from_numpy(Xl).to(dev)
    norms = torch.linalg.norm(Xt, dim=1)
    shifts = torch.arange(8, device=dev, dtype=torch.uint8)
    gen = torch.Generator(device=dev)
    gen.manual_seed(int(seed))
    keys = torch.zeros((0, nwords), dtype=torch.int64, device=dev)
    pts = torch.zeros((0, D), dtype=torch.float64, device=dev)
    marg = torch.zeros((0,), dtype=torch.float64, device=dev)
    cnt = torch.zeros((0,), dtype=torch.int64, device=dev)
    curve, drawn, discarded = [], 0, 0
    bar = tqdm(total=n_samples, disable=False if progress else None if progress is None else True,
               file=sys.stderr, desc="sampling chambers", unit="pt")
    while drawn < n_samples:
        b = min(batch, n_samples - drawn)
        theta = torch.randn((b, D), generator=gen, device=dev, dtype=torch.float64)
        theta = theta / torch.linalg.norm(theta, dim=1, keepdim=True)
        S = theta @ Xt.T
        m = torch.amin(torch.abs(S) / norms, dim=1)
        good = m > tol.sign_zero
        discarded += int(b - int(good.sum()))
        theta, S, m = theta[good], S[good], m[good]
        bits = torch.zeros((theta.shape[0], nwords * 64), dtype=torch.uint8, device=dev)
        bits[:, :n] = (S > 0).to(torch.uint8)
        packed = torch.sum(bits.reshape(-1, nwords * 8, 8) << shifts, dim=2, dtype=torch.uint8)
        k = packed.view(torch.int64)
        # merge the new samples with the chambers known so far
        all_keys = torch.cat([keys, k])
        all_pts = torch.cat([pts, theta])
        all_m = torch.cat([marg, m])
        all_c = torch.cat([cnt, torch.ones(theta.shape[0], dtype=torch.int64, device=dev)])
        keys, inv = torch.unique(all_keys, dim=0, return_inverse=True)
        U = keys.shape[0]
        cnt = torch.zeros(U, dtype=torch.int64, device=dev).scatter_add_(0, inv, all_c)
        best = torch.full((U,), -1.0, dtype=torch.float64, device=dev).scatter_reduce(
            0, inv, all_m, reduce="amax", include_self=True)
        is_best = all_m == best[inv]
        pos = torch.arange(all_m.shape[0], device=dev)
        pick = torch.full((U,), all_m.shape[0], dtype=torch.int64, device=dev).scatter_reduce(
            0, inv[is_best], pos[is_best], reduce="amin", include_self=True)
        pts, marg = all_pts[pick], all_m[pick]
        drawn += b
        curve.append((drawn, int(U)))
        bar.update(b)
    bar.close()
    signs = keys.contiguous().view(torch.uint8).reshape(keys.shape[0], -1)[:, :nbytes]
    counts = cnt.cpu().numpy()
    return ScanResult(sign_patterns=np.ascontiguousarray(signs.cpu().numpy()), points=pts.cpu().numpy(),
                      margin=marg.cpu().numpy(), counts=counts, n=n, n_samples=drawn,
                      n_discarded=discarded, curve=tuple(curve), estimate=chao1(counts),
                      device=device_name(dev), wall_time_s=time.perf_counter() - start,
                      seed=int(seed))
