"""Exact certificates: turn a float solution into a rational proof of global optimality.

:func:`make_exact_certificate` builds a ``relucert.exact-certificate/1`` document
(:mod:`relucert.verify.certfile`) from a :class:`~relucert.solution.Solution`:

- the data as the exact rationals of the input floats;
- every chamber of the arrangement with a rational interior point (small integers when
  the chamber is not thin), in breadth-first order with a parent for each;
- the dual vector: the float ``p`` rationalised exactly (``Fraction(float)``: dyadic,
  no rounding at all), then divided by one dyadic factor ``c >= 1`` chosen so that every
  per-region bound is exactly <= 1 (rounding of a solver's ``p`` may leave a tight region
  a hair above 1; the factor repairs it and the lower bound is that of the scaled vector);
- per (chamber, sign) where ``||v_A|| > 1`` (and where the uniqueness argument needs a
  tight bound), the projection multipliers of :func:`relucert.arrangement.region_max`,
  rounded to the dyadic grid ``2**-MULT_BITS`` (any ``lambda >= 0`` is valid; the checker
  recomputes the bound);
- the atoms ``u_k = theta_k |a_k|`` (float products, exact as rationals) with a rational
  upper bound on ``||u_k||``; for (P_0) extra "sweep" atoms with exactly solved rational
  amplitudes make the interpolation exact (:func:`~relucert.verify.certificate_hints.exact_interpolation`);
- the bounds, the gap and the uniqueness verdict, all re-derived by the independent
  checker (:mod:`relucert.verify.checker`), which then checks the whole document: a
  certificate that does not verify is never returned (fail closed).

Everything a proof uses is exact; floats only choose hints (interior points,
multipliers), which the checker re-verifies.
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from relucert.errors import CertificateError
from relucert.solution import Solution
from relucert.tolerances import Tolerances, resolve
from relucert.verify.certfile import CERTIFICATE_FORMAT, CertifiedVerdict, encode_rational
from relucert.verify.certificate_hints import (
    MULT_BITS, bfs_order, exact_interpolation, hint_vector, interior_points, ratio, region_multipliers, to_float,
)
from relucert.verify.certificate_result import SCALE_BITS, CertificateResult, dyadic_scale, scaled_dual
from relucert.verify.checker import (
    ParsedCertificate, _Exact, _unpack, check_certificate, derive_uniqueness, sqrt_upper,
)

__all__ = ["ExactCertificate", "make_exact_certificate", "MULT_BITS", "SCALE_BITS"]

#: Bit limit of the builder's own final check (its numbers come from float64 data and dyadic grids).
_SELF_CHECK_BITS = 1 << 16


@dataclass(frozen=True, kw_only=True)
class ExactCertificate(CertificateResult):
    """A chamber-list certificate (format /1) and what it proves: the fields of
    :class:`~relucert.verify.certificate_result.CertificateResult` and

    Attributes
    ----------
    unique : CertifiedVerdict
        ``"unique"`` or ``"uniqueness not certified"``; ``unique_reason`` says why.
    n_chambers : int
    """

    unique: CertifiedVerdict
    unique_reason: str
    n_chambers: int = 0

    def summary(self) -> dict:
        return {"lower_bound": str(self.lower_bound), "upper_bound": str(self.upper_bound),
                "gap": str(self.gap), "relative_gap": float(self.relative_gap), "unique": self.unique,
                "unique_reason": self.unique_reason, "dual_scale": str(self.dual_scale),
                "n_chambers": self.n_chambers, "timings": self.timings}


def _parsed(base: dict, **changes) -> ParsedCertificate:
    fields_ = dict(base)
    fields_.update(changes)
    return ParsedCertificate(**fields_)



def make_exact_certificate(solution: Solution, *, arrangement=None, tol: Tolerances | None = None,
                           progress: bool | None = None) -> ExactCertificate:
    """Build an exact, independently checkable certificate of ``solution``'s optimality.

    Parameters
    ----------
    solution : Solution
        A solution of (P_lam) (``lam > 0``) or (P_0) (``lam == 0``): its data, atoms and
        dual vector are used (as hints: nothing is trusted).
    arrangement : relucert.arrangement.Arrangement, optional
        The chambers of ``solution.X`` (enumerated when not given).
    tol : Tolerances, optional
        Used only by the enumeration and the float projections that choose hints.

    Returns
    -------
    ExactCertificate
        With ``lower_bound <= min <= upper_bound`` proven exactly, the gap, and the
        uniqueness verdict; ``.write(path)`` writes the file.

    Raises
    ------
    CertificateError
        When no valid certificate could be built (for example (P_0) data that cannot be
        interpolated exactly). Never returns a certificate that fails the checker.

    Notes
    -----
    See proofs/polar_cone_bound.md, proofs/chamber_completeness.md, proofs/exact_gap.md
    and proofs/certified_uniqueness.md.
    """
    if not isinstance(solution, Solution):
        raise TypeError(f"solution must be a relucert.Solution; got {type(solution).__name__}")
    tol = resolve(tol)
    from relucert.arrangement import enumerate_chambers, lift

    t0 = time.perf_counter()
    timings = {}
    X = np.asarray(solution.X, dtype=np.float64)
    y = np.asarray(solution.y, dtype=np.float64)
    lam = float(solution.lam)
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y)) and math.isfinite(lam) and lam >= 0):
        raise ValueError("solution must have finite X, y and lam >= 0")
    n, d = X.shape
    p_float = np.asarray(solution.dual, dtype=np.float64).reshape(-1)
    if p_float.shape[0] != n or not np.all(np.isfinite(p_float)):
        raise ValueError(f"solution.dual must be a finite vector of length {n}; got shape {p_float.shape}")
    arr = arrangement if arrangement is not None else enumerate_chambers(X, tol=tol, progress=progress)
    if arr.X_lift.shape != (n, d + 1) or not np.array_equal(np.asarray(arr.X, float), X):
        raise ValueError("arrangement was not built from solution.X")
    timings["enumerate_s"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    Xf = tuple(tuple(Fraction(float(v)) for v in row) for row in X)
    yf = tuple(Fraction(float(v)) for v in y)
    lamf = Fraction(lam)
    pf = tuple(Fraction(float(v)) for v in p_float)
    Xl = lift(X)
    # chambers: masks, groups of identical points, BFS order
    m0 = arr.n_chambers
    masks0 = [int.from_bytes(arr.sign_patterns[k].tobytes(), "little") for k in range(m0)]
    _, sample_group = np.unique(Xl, axis=0, return_inverse=True)
    sample_group = sample_group.reshape(-1)
    group_masks = [0] * (int(sample_group.max()) + 1)
    for i, g in enumerate(sample_group):
        group_masks[g] |= 1 << i
    order, parents = bfs_order(masks0, group_masks, sample_group, arr)
    masks = [masks0[k] for k in order]
    # exact interior points
    DX = 1
    for row in Xf:
        for v in row:
            DX = math.lcm(DX, v.denominator)
    Xint = np.array([[v.numerator * (DX // v.denominator) for v in row] + [DX] for row in Xf], dtype=object)
    exact_hints = arr.rational_interior or {}
    interiors = interior_points(Xint, _unpack(masks, n), np.asarray(arr.interior)[order],
                                [exact_hints.get(k) for k in order])
    timings["chambers_s"] = time.perf_counter() - t1

    # atoms (lam > 0: u = theta |a| rounded to float)
    atoms = []
    for th, a in zip(np.asarray(solution.theta, float).reshape(-1, d + 1), np.asarray(solution.amplitude, float)):
        if a == 0:
            continue
        u = tuple(Fraction(float(v)) for v in th * abs(a))
        if not any(u):
            continue
        atoms.append((u, 1 if a > 0 else -1, sqrt_upper(sum(x * x for x in u))))

    base = dict(n=n, d=d, X=Xf, y=yf, lam=lamf, dual=pf, atoms=tuple(atoms), masks=tuple(masks),
                interiors=tuple(interiors), parents=tuple(parents),
                mult=tuple(({}, {}) for _ in masks), n_chambers_claimed=len(masks),
                lower=Fraction(0), upper=Fraction(0), gap=Fraction(0), verdict=CertifiedVerdict.NOT_CERTIFIED, reason="")
    if lamf == 0:
        Xl_frac = tuple(row + (Fraction(1),) for row in Xf)
        atoms = atoms + exact_interpolation(Xl_frac, yf, atoms, n)
        base["atoms"] = tuple(atoms)

    # pass 1: multipliers where ||v_A|| > 1
    t2 = time.perf_counter()
    ex = _Exact(_parsed(base))
    V, F = ex.chamber_vectors()
    S2 = ex.S * ex.S
    mult = [({}, {}) for _ in masks]
    need = [c for c in range(len(masks)) if sum(a * a for a in V[c]) > S2]
    it = need
    if progress is not False and len(need) > 1000:
        from tqdm import tqdm

        it = tqdm(need, disable=None if progress is None else not progress, file=sys.stderr,
                  desc="multipliers")
    for c in it:
        k = order[c]
        idx = arr.facets(k)
        G = arr.inward_normals(k)
        v = hint_vector(V[c], ex.S)
        mult[c] = (region_multipliers(v, G, idx, Fraction(1), tol), region_multipliers(-v, G, idx, Fraction(1), tol))
    ex = _Exact(_parsed(base, mult=tuple(mult)))
    bounds, _ = ex.pair_bounds()
    worst = max(q for row in bounds for q, _ in row)
    scale = Fraction(1)
    if worst > 1:
        scale = dyadic_scale(sqrt_upper(worst))
        base["dual"] = scaled_dual(p_float, scale)
        mult = [({j: l / scale for j, l in mp.items()}, {j: l / scale for j, l in mm.items()}) for mp, mm in mult]
    ex = _Exact(_parsed(base, mult=tuple(mult)))
    lower, upper = ex.dual_value(), ex.primal_value()
    timings["dual_s"] = time.perf_counter() - t2

    # pass 2: tight multipliers where the uniqueness argument needs them
    t3 = time.perf_counter()
    if lamf > 0 and upper >= lower:
        # float screening only (huge or tiny rationals: no float overflow; inf screens in)
        rho = math.sqrt(to_float(2 * (upper - lower) / (lamf * lamf)))
        V, F = ex.chamber_vectors()
        S2, D2 = ex.S * ex.S, ex.DX * ex.DX
        for c in range(len(masks)):
            if mult[c][0] or mult[c][1]:
                continue
            vn = math.sqrt(ratio(sum(a * a for a in V[c]), S2))
            beta = math.sqrt(ratio(F[c], D2)) * rho
            if vn + 2 * beta >= 1 - 2 * beta or vn >= 1:
                k = order[c]
                idx = arr.facets(k)
                G = arr.inward_normals(k)
                v = hint_vector(V[c], ex.S)
                mult[c] = (region_multipliers(v, G, idx, scale, tol), region_multipliers(-v, G, idx, scale, tol))
        ex = _Exact(_parsed(base, mult=tuple(mult)))
        bounds, _ = ex.pair_bounds()
        unique, reason, _ = derive_uniqueness(ex, bounds, lower, upper)
    elif lamf == 0:
        unique, reason = False, ("lam = 0: the dual of (P_0) is not strongly concave, so the certified gap gives "
                                 "no ball around p")
    else:
        unique, reason = False, "negative gap"
    timings["uniqueness_s"] = time.perf_counter() - t3

    verdict = CertifiedVerdict.UNIQUE if unique else CertifiedVerdict.NOT_CERTIFIED
    gap = upper - lower
    enc = encode_rational
    document = {
        "format": CERTIFICATE_FORMAT,
        "problem": "P_0" if lamf == 0 else "P_lam",
        "n": n, "d": d,
        "X": [[enc(v) for v in row] for row in Xf],
        "y": [enc(v) for v in yf],
        "lam": enc(lamf),
        "dual": [enc(v) for v in base["dual"]],
        "atoms": [{"u": [enc(v) for v in u], "sign": s, "norm_upper": enc(nu)} for u, s, nu in base["atoms"]],
        "chambers": [{"signs": format(masks[c], "x"), "interior": [enc(v) for v in interiors[c]],
                      "parent": parents[c],
                      "mult_plus": {str(j): enc(l) for j, l in sorted(mult[c][0].items())},
                      "mult_minus": {str(j): enc(l) for j, l in sorted(mult[c][1].items())}}
                     for c in range(len(masks))],
        "completeness": {"method": "zaslavsky", "n_chambers": len(masks)},
        "lower_bound": enc(lower), "upper_bound": enc(upper), "gap": enc(gap),
        "uniqueness": {"verdict": verdict.value, "reason": reason},
        "provenance": {"producer": "relucert.verify.certificate_builder", "solution_method": str(solution.method),
                       "solution_objective": float(solution.objective), "dual_scale": enc(scale),
                       "enumeration": str(arr.method), "tol": tol.to_dict()},
    }
    t4 = time.perf_counter()
    # the fail-closed gate checks our own document, whatever its size: limits sized to it
    # (``relucert check`` applies the default limits, raised by options, to files it is given)
    report = check_certificate(document, max_n=n, max_d=d, max_bits=_SELF_CHECK_BITS)
    timings["self_check_s"] = time.perf_counter() - t4
    timings["total_s"] = time.perf_counter() - t0
    if not report.passed:
        bad = report.first_failure()
        raise CertificateError(f"the exact certificate does not verify: {bad.name}: {bad.detail}")
    return ExactCertificate(lower_bound=lower, upper_bound=upper, gap=gap, unique=verdict, unique_reason=reason,
                            document=document, report=report, dual_scale=scale, n_chambers=len(masks),
                            timings=timings)
