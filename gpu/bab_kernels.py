"""The bounding kernels of the branch and bound in torch (issue 13 item 6).

:class:`TorchBabKernels` has the six kernels of :mod:`relucert.lp.tv.bab.cones`
(``classify``, ``normals``, ``centre_alpha``, ``linear_majorant``, ``pre_bound``,
``cone_max``) as methods with the same signatures: numpy arrays in, numpy arrays out,
float64 throughout, the work done on a torch device (the CPU or CUDA), batched over the
cones of a node batch. The search calls them through its ``kernels`` object (default:
the numpy module, which stays the reference); :func:`bab_kernels` builds one for a device.

The arithmetic is the numpy kernels' own, in the same order where torch allows; where
torch rounds differently (another summation order in a product, another LAPACK), the
results differ at rounding level only and stay bounds (proofs/branch_and_bound.md,
"Torch kernels"):

- ``classify`` is exact on any device: the sign of a product whose float value is within
  the rounding bound ``(D + 2) eps sum_k |a_ik| |r_kj|`` of zero (a bound that holds for
  any summation order) is decided in rationals on the CPU, as in numpy, so Act/Ina/U are
  the same sets;
- ``linear_majorant`` is Lemma 2 for whatever slopes ``alpha`` in ``[0, 1]`` it is given
  (a centre on a hyperplane may get the other slope at rounding level: both are valid);
- ``cone_max`` is Lemma 3 (the largest feasible face projection), ``pre_bound`` its
  projection-free bound.

On the CPU, numpy arrays and torch tensors share memory (no copy); on CUDA every call
moves its inputs to the device and its results back.
"""
from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import numpy as np

from relucert._validation import Device, check_choice
from relucert.gpu.device import DEFAULT_CPU_THREADS, import_torch, resolve_device
from relucert.gpu.ops import TorchOps

__all__ = ["TorchBabKernels", "bab_kernels"]

_EPS = float(np.finfo(np.float64).eps)
_TINY = float(np.finfo(np.float64).tiny)


def bab_kernels(device: str | Device = "auto", *, cpu_threads: int | None = DEFAULT_CPU_THREADS):
    """The bounding kernels for ``device``.

    "cpu" and "cuda": :class:`TorchBabKernels` on that device ("cuda" without one is a
    ``ValueError``). "auto": torch on CUDA when torch sees a device, else the numpy
    module :mod:`relucert.lp.tv.bab.cones` (torch on the CPU is slower than numpy on these
    kernels: benchmarks/RESULTS.md, "Branch and bound: torch kernels").

    Parameters
    ----------
    device : "auto", "cpu" or "cuda"
    cpu_threads : int or None
        torch intra-op threads during each call on the CPU (None: torch's own setting).

    Returns
    -------
    TorchBabKernels or the module relucert.lp.tv.bab.cones

    Examples
    --------
    >>> bab_kernels("cpu").name  # doctest: +SKIP
    'torch'
    """
    choice = check_choice(device, "device", Device)
    torch = import_torch()
    if choice == Device.AUTO.value and not torch.cuda.is_available():
        from relucert.lp.tv.bab import cones

        return cones
    return TorchBabKernels(torch, resolve_device(choice), cpu_threads)


class TorchBabKernels(TorchOps):
    """The six kernels of :mod:`relucert.lp.tv.bab.cones` on one torch device (float64); the
    device, its name, the CPU thread count (``running``) and the copy back (``tonp``) are
    :class:`relucert.gpu.ops.TorchOps`'s.

    Parameters
    ----------
    torch : the torch module
    device : torch.device
    cpu_threads : int or None
        torch intra-op threads during each call on the CPU (see
        ``relucert.gpu.device.DEFAULT_CPU_THREADS``).
    """

    def __init__(self, torch, device, cpu_threads: int | None = DEFAULT_CPU_THREADS) -> None:
        super().__init__(torch, device, cpu_threads)
        self._faces: dict[int, list] = {}

    def __repr__(self) -> str:
        return f"TorchBabKernels(device={str(self.device)!r})"

    # --- transfers -------------------------------------------------------------------
    def _f(self, a):
        """A float64 tensor on the device (shares memory with ``a`` on the CPU; the kernels
        never write into their inputs)."""
        return self._tensor(a, np.float64)

    def _b(self, a):
        return self._tensor(a, bool)

    def _tensor(self, a, dtype):
        arr = np.ascontiguousarray(a, dtype=dtype)
        if not arr.flags.writeable:      # torch wants writeable memory to share
            arr = arr.copy()
        return self.torch.from_numpy(arr).to(self.device)

    # --- the six kernels ---------------------------------------------------------------
    def classify(self, A: np.ndarray, R: np.ndarray):
        """As :func:`relucert.lp.tv.bab.cones.classify`: ``act``, ``und`` (m, n) exact,
        ``Sn`` (m, n, D), ``Rn`` (m, D, D)."""
        t = self.torch
        with self.running():
            At, Rt = self._f(A), self._f(R)
            D = Rt.shape[1]
            S = t.matmul(At, Rt)                                          # (m, n, D)
            err = ((D + 2) * _EPS) * t.matmul(At.abs(), Rt.abs())
            sg = t.sign(S)
            amb = S.abs() <= err
            if bool(amb.any()):
                idx = self.tonp(t.nonzero(amb))
                exact = [_exact_sign(A, R, int(k), int(i), int(j)) for k, i, j in idx]
                at = t.from_numpy(idx.T.copy()).to(self.device)
                sg[at[0], at[1], at[2]] = t.tensor(exact, dtype=t.float64, device=self.device)
            ina = t.all(sg <= 0, dim=2)
            act = t.all(sg >= 0, dim=2) & ~ina
            und = ~act & ~ina
            norms = t.linalg.vector_norm(Rt, dim=1)                       # (m, D)
            Rn = Rt / norms[:, None, :]
            Sn = S / norms[:, None, :]
            return self.tonp(act), self.tonp(und), self.tonp(Sn), self.tonp(Rn)

    def normals(self, Rn: np.ndarray) -> np.ndarray:
        """As :func:`relucert.lp.tv.bab.cones.normals` (``numpy.linalg.LinAlgError`` on an
        exactly singular ray matrix, as numpy)."""
        t = self.torch
        with self.running():
            G, info = t.linalg.inv_ex(self._f(Rn))
            if bool((info != 0).any()):
                raise np.linalg.LinAlgError("Singular matrix")
            return self.tonp(G)

    def centre_alpha(self, Sn: np.ndarray) -> np.ndarray:
        """As :func:`relucert.lp.tv.bab.cones.centre_alpha`."""
        with self.running():
            return self.tonp(self._centre_alpha(self._f(Sn)))

    def _centre_alpha(self, Sn):
        return (Sn.sum(dim=2) > 0).to(self.torch.float64)

    def linear_majorant(self, A: np.ndarray, Q: np.ndarray, act: np.ndarray, und: np.ndarray, Sn: np.ndarray,
                        G: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
        """As :func:`relucert.lp.tv.bab.cones.linear_majorant`."""
        t = self.torch
        with self.running():
            At, Qt, Snt, Gt = self._f(A), self._f(Q), self._f(Sn), self._f(G)
            actt, undt = self._b(act), self._b(und)
            zero = t.zeros((), dtype=t.float64, device=self.device)
            v0 = t.where(actt, Qt, zero) @ At
            pos = undt & (Qt > 0)
            fr = t.matmul(t.where(pos, Qt, zero)[:, None, :], t.clamp(Snt, min=0.0))[:, 0, :]
            w_pos = (Gt * fr[:, :, None]).sum(dim=1)
            at = self._centre_alpha(Snt) if alpha is None else self._f(alpha)
            neg = undt & (Qt < 0)
            w_neg = t.where(neg, Qt * at, zero) @ At
            return self.tonp(v0 + w_pos + w_neg)

    def pre_bound(self, W: np.ndarray, Rn: np.ndarray, G: np.ndarray) -> np.ndarray:
        """As :func:`relucert.lp.tv.bab.cones.pre_bound`."""
        t = self.torch
        with self.running():
            Wt, Rt, Gt = self._f(W), self._f(Rn), self._f(G)
            wr = (Wt[:, :, None] * Rt).sum(dim=1)
            lin = t.sum(t.linalg.vector_norm(Gt, dim=2) * t.clamp(wr, min=0.0), dim=1)
            return self.tonp(t.minimum(t.linalg.vector_norm(Wt, dim=1), lin))

    def cone_max(self, W: np.ndarray, Rn: np.ndarray, G: np.ndarray, zero: float):
        """As :func:`relucert.lp.tv.bab.cones.cone_max`: ``||P_C(w)||`` (m,) and ``P_C(w)``
        (m, D), the largest feasible face projection (proofs Lemma 3)."""
        t = self.torch
        with self.running():
            Wt, Rt, Gt = self._f(W), self._f(Rn), self._f(G)
            value, P = self._cone_max(Wt, Rt, Gt, float(zero))
            return self.tonp(value), self.tonp(P)

    # --- cone_max's parts ----------------------------------------------------------------
    def _face_groups(self, D: int) -> list:
        """As ``cones._faces``, on the device: per size ``k``, the faces ``F`` (f, k), their
        complements ``N`` (f, D - k), whether the projection is solved on the rays, and
        flat indices into a (D,) vector or a (D, D) matrix for ``index_select``: the
        entries ``F``, ``N``, the blocks ``F x F``, ``N x N`` and ``F x N``."""
        if D not in self._faces:
            t, out = self.torch, []
            for k in range(1, D):
                F = np.array(list(combinations(range(D), k)), dtype=np.int64).reshape(-1, k)
                N = np.array([[j for j in range(D) if j not in f] for f in F], dtype=np.int64).reshape(len(F), D - k)
                flat = {"F": F, "N": N, "FF": F[:, :, None] * D + F[:, None, :],
                        "NN": N[:, :, None] * D + N[:, None, :], "FN": F[:, :, None] * D + N[:, None, :]}
                idx = {key: t.from_numpy(v.reshape(-1).copy()).to(self.device) for key, v in flat.items()}
                out.append((k, t.from_numpy(F).to(self.device), t.from_numpy(N).to(self.device), k <= D - k, idx))
            self._faces[D] = out
        return self._faces[D]

    def _solve_small(self, M, b):
        """``M^{-1} b`` for a stack of small symmetric systems (closed forms for k <= 2; a
        batch with an exactly singular system is solved by numpy's pseudo-inverse, as in
        numpy)."""
        t = self.torch
        k = M.shape[-1]
        if k == 1:
            return b / M[..., 0]
        if k == 2:
            a, c, e = M[..., 0, 0], M[..., 0, 1], M[..., 1, 1]
            det = a * e - c * c
            det = t.where(det != 0, det, t.full_like(det, _TINY))
            return t.stack([(e * b[..., 0] - c * b[..., 1]) / det, (a * b[..., 1] - c * b[..., 0]) / det], dim=-1)
        x, info = t.linalg.solve_ex(M, b[..., None])
        if bool((info != 0).any()):   # rays parallel to float precision (a forced leaf)
            pinv = np.linalg.pinv(self.tonp(M))
            return self._f(np.einsum("...kl,...l->...k", pinv, self.tonp(b)))
        return x[..., 0]

    def _cone_max(self, W, Rn, G, zero: float):
        t = self.torch
        m, D = W.shape
        vn = t.linalg.vector_norm(W, dim=1)
        gw = (G * W[:, None, :]).sum(dim=2)                         # coefficients of w on the rays
        gn = t.linalg.vector_norm(G, dim=2)
        inside = t.all(gw >= -zero * vn[:, None] * gn, dim=1)
        value = t.where(inside, vn, t.zeros_like(vn))
        P = t.where(inside[:, None], W, t.zeros_like(W))
        rw = (W[:, :, None] * Rn).sum(dim=1)
        rest = t.nonzero(~inside & t.any(rw > 0, dim=1)).reshape(-1)   # otherwise w is in the polar cone
        r = int(rest.numel())
        if r == 0:
            return value, P
        Wr, Rr, Gr, gwr, rwr = (x.index_select(0, rest) for x in (W, Rn, G, gw, rw))
        RR = t.matmul(Rr.transpose(1, 2), Rr).reshape(r, D * D)
        GG = t.matmul(Gr, Gr.transpose(1, 2)).reshape(r, D * D)
        w2 = vn[rest] ** 2
        tiny = (zero * vn[rest])[:, None, None]
        best = t.zeros(r, dtype=t.float64, device=self.device)
        face_g = t.full((r,), -1, dtype=t.int64, device=self.device)
        face_j = t.full((r,), -1, dtype=t.int64, device=self.device)
        groups = self._face_groups(D)
        for g, (k, F, N, on_rays, ix) in enumerate(groups):
            f, h = F.shape[0], D - k
            if on_rays:
                rF = rwr.index_select(1, ix["F"]).view(r, f, k)
                c = self._solve_small(RR.index_select(1, ix["FF"]).view(r, f, k, k), rF)
                val2 = (c * rF).sum(dim=2)
            else:
                gN = gwr.index_select(1, ix["N"]).view(r, f, h)
                mu = self._solve_small(GG.index_select(1, ix["NN"]).view(r, f, h, h), gN)
                c = gwr.index_select(1, ix["F"]).view(r, f, k) - (
                    GG.index_select(1, ix["FN"]).view(r, f, k, h) * mu[:, :, None, :]).sum(dim=3)
                val2 = w2[:, None] - (mu * gN).sum(dim=2)
            ok = t.all(c >= -tiny, dim=2) & t.any(c > tiny, dim=2)
            val2 = val2.masked_fill(~ok, -np.inf)
            j = t.argmax(val2, dim=1)                                  # first maximum, as numpy
            top = val2.gather(1, j[:, None])[:, 0]
            better = top > best
            best = t.where(better, top, best)
            face_g = t.where(better, t.full_like(face_g, g), face_g)
            face_j = t.where(better, j, face_j)
        Pr = t.zeros((r, D), dtype=t.float64, device=self.device)
        for g in self.tonp(t.unique(face_g[face_g >= 0])).tolist():
            rows = t.nonzero(face_g == g).reshape(-1)
            _, Fs, Ns, on_rays, _ = groups[g]
            j = face_j.index_select(0, rows)
            F, N = Fs.index_select(0, j), Ns.index_select(0, j)        # (q, k), (q, D - k)
            if on_rays:
                RF = Rr.index_select(0, rows).gather(2, F[:, None, :].expand(-1, D, -1))   # (q, D, k)
                c = self._solve_small(t.matmul(RF.transpose(1, 2), RF), rwr.index_select(0, rows).gather(1, F))
                Pr.index_copy_(0, rows, (RF * c[:, None, :]).sum(dim=2))
            else:
                GN = Gr.index_select(0, rows).gather(1, N[:, :, None].expand(-1, -1, D))   # (q, D - k, D)
                mu = self._solve_small(t.matmul(GN, GN.transpose(1, 2)), gwr.index_select(0, rows).gather(1, N))
                Pr.index_copy_(0, rows, Wr.index_select(0, rows) - (GN * mu[:, :, None]).sum(dim=1))
        value.index_copy_(0, rest, t.linalg.vector_norm(Pr, dim=1))
        P.index_copy_(0, rest, Pr)
        return value, P


def _exact_sign(A: np.ndarray, R: np.ndarray, k: int, i: int, j: int) -> float:
    """The exact sign of ``<a_i, r_j>`` on cone ``k`` (``Fraction`` of the float data times
    the integer rays), as ``cones.classify`` decides it."""
    exact = sum(Fraction(float(A[i, s])) * int(R[k, s, j]) for s in range(A.shape[1]))
    return float((exact > 0) - (exact < 0))
