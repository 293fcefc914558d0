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
  amplitudes make the interpolation exact (:func:`_exact_interpolation`);
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
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from relucert.errors import CertificateError
from relucert.results import VerificationReport
from relucert.solution import Solution
from relucert.tolerances import Tolerances, resolve
from relucert.verify.certfile import (
    CERTIFICATE_FORMAT, VERDICT_NOT_CERTIFIED, VERDICT_UNIQUE, encode_rational, write_certificate,
)
from relucert.verify.checker import (
    ParsedCertificate, _Exact, _unpack, check_certificate, derive_uniqueness, sqrt_upper,
)

__all__ = ["ExactCertificate", "make_exact_certificate", "MULT_BITS", "SCALE_BITS"]

#: Multipliers are rounded to the grid 2**-MULT_BITS.
MULT_BITS = 60
#: The dual scale factor is rounded up to the grid 2**-SCALE_BITS.
SCALE_BITS = 62
#: Interior points are first tried as integers round(theta * 2**k) for these k.
_INTERIOR_BITS = (20, 40, 60)
_CHUNK = 2048
#: Bit limit of the builder's own final check (its numbers come from float64 data and dyadic grids).
_SELF_CHECK_BITS = 1 << 16


@dataclass(frozen=True)
class ExactCertificate:
    """An exact certificate and what it proves.

    Attributes
    ----------
    lower_bound, upper_bound, gap : Fraction
        ``lower <= min (P) <= upper`` proven in exact arithmetic; ``gap = upper - lower``.
    unique : str
        ``"unique"`` or ``"uniqueness not certified"``; ``unique_reason`` says why.
    document : dict
        The ``relucert.exact-certificate/1`` JSON document.
    report : VerificationReport
        The independent checker's report on ``document`` (passed).
    dual_scale : Fraction
        The factor ``c >= 1`` the rationalised dual vector was divided by.
    n_chambers : int
    timings : dict
    """

    lower_bound: Fraction
    upper_bound: Fraction
    gap: Fraction
    unique: str
    unique_reason: str
    document: dict = field(repr=False)
    report: VerificationReport = field(repr=False)
    dual_scale: Fraction = Fraction(1)
    n_chambers: int = 0
    timings: dict = field(default_factory=dict)

    @property
    def relative_gap(self) -> Fraction:
        """``gap / max(1, |upper_bound|)``."""
        return self.gap / max(Fraction(1), abs(self.upper_bound))

    def to_dict(self) -> dict:
        """The certificate document (JSON-ready)."""
        return self.document

    def summary(self) -> dict:
        return {"lower_bound": str(self.lower_bound), "upper_bound": str(self.upper_bound),
                "gap": str(self.gap), "relative_gap": float(self.relative_gap), "unique": self.unique,
                "unique_reason": self.unique_reason, "dual_scale": str(self.dual_scale),
                "n_chambers": self.n_chambers, "timings": self.timings}

    def write(self, path) -> None:
        """Write the certificate file (``relucert check FILE`` re-verifies it)."""
        write_certificate(path, self.document)


def _dyadic_round(x: float, bits: int) -> Fraction:
    """``x`` rounded to the grid ``2**-bits`` (exact: scaling a float by a power of two is
    exact while it stays finite; beyond that the scaling is done in rationals)."""
    scaled = x * (1 << bits)
    if math.isfinite(scaled):
        return Fraction(int(round(scaled)), 1 << bits)
    return Fraction(round(Fraction(x) * (1 << bits)), 1 << bits)


def _to_float(q) -> float:
    """A rational (Fraction or int ratio) as a float: ``inf`` (with its sign) beyond the
    float range instead of OverflowError. Only used to choose hints, never in a proof."""
    try:
        return float(q)
    except OverflowError:
        return math.copysign(math.inf, q)


def _ratio(a: int, b: int) -> float:
    """``a / b`` for (possibly huge) Python ints, correctly rounded; ``inf`` on overflow."""
    try:
        return a / b
    except OverflowError:
        return math.copysign(math.inf, a) * (1 if b > 0 else -1)


def _hint_vector(V_c, S: int) -> np.ndarray:
    """``v_A = V_c / S`` in float for the projection hints; CertificateError (naming the
    problem) when it does not fit in float64."""
    v = np.array([_to_float(Fraction(a, S)) for a in V_c])
    if not np.all(np.isfinite(v)):
        raise CertificateError("the certificate vector v_A of a dual region exceeds the float64 range, so no "
                               "projection hint can be computed; the data and lam are too badly scaled")
    return v


def _interior_points(X_int_obj, masks_bool, interior: np.ndarray) -> list:
    """Rational interior points, verified exactly: small integers where possible."""
    m = interior.shape[0]
    out: list = [None] * m
    todo = np.arange(m)
    for bits in _INTERIOR_BITS:
        if todo.size == 0:
            break
        T = np.array([[int(round(float(v) * (1 << bits))) for v in interior[k]] for k in todo], dtype=object)
        good = np.zeros(len(todo), dtype=bool)
        for a in range(0, len(todo), _CHUNK):  # bounded memory: object arrays of Python ints
            G = T[a:a + _CHUNK] @ X_int_obj.T
            good[a:a + _CHUNK] = ~((G == 0).any(axis=1) | ((G > 0) != masks_bool[todo[a:a + _CHUNK]]).any(axis=1))
        for idx, k in enumerate(todo):
            if good[idx]:
                out[k] = tuple(Fraction(int(v)) for v in T[idx])
        todo = todo[~good]
    for k in todo:  # the float point itself, exactly
        out[k] = tuple(Fraction(float(v)) for v in interior[k])
    return out


def _bfs_order(masks: list, group_masks: list, sample_group: np.ndarray, arr) -> tuple[list, list]:
    """Chamber order (old indices) and parents (new indices) by BFS over facet flips."""
    index = {mk: k for k, mk in enumerate(masks)}
    m = len(masks)
    new_of = [-1] * m
    order, parents = [], []
    for root in range(m):
        if new_of[root] >= 0:
            continue
        new_of[root] = len(order)
        order.append(root)
        parents.append(-1)
        queue = deque([root])
        while queue:
            k = queue.popleft()
            for j in arr.facets(k):
                nb = index.get(masks[k] ^ group_masks[sample_group[j]])
                if nb is not None and new_of[nb] < 0:
                    new_of[nb] = len(order)
                    order.append(nb)
                    parents.append(new_of[k])
                    queue.append(nb)
    return order, parents


def _region_multipliers(v: np.ndarray, G: np.ndarray, idx: np.ndarray, scale: Fraction, tol) -> dict:
    from relucert.arrangement import region_max

    if G.shape[0] == 0:
        return {}
    r = region_max(v, G, tol=tol)
    out = {}
    for j, lam_j in zip(idx, r.multipliers):
        if lam_j > 0:
            q = _dyadic_round(float(lam_j), MULT_BITS) / scale
            if q > 0:
                out[int(j)] = q
    return out


def _parsed(base: dict, **changes) -> ParsedCertificate:
    fields_ = dict(base)
    fields_.update(changes)
    return ParsedCertificate(**fields_)


def _exact_interpolation(Xl_frac, y, atoms, n, *, seed: int = 0, tries: int = 16) -> list:
    """(P_0): extra atoms that make the atoms interpolate y exactly.

    The residual ``r = y - f`` of the rounded atoms is absorbed by "sweep" atoms
    ``u_j = a_j (w, -c_j)`` for a rational direction w that separates the distinct points
    (exactly distinct projections ``pi_1 < ... < pi_k``) and thresholds ``c_1 < pi_1``,
    ``c_j = (pi_{j-1} + pi_j) / 2``: atom j is active exactly on points j..k, so the
    feature matrix is lower triangular with positive diagonal ``pi_j - c_j`` and the
    amplitudes follow by exact forward substitution (O(k^2) rational operations).
    """
    d1 = len(Xl_frac[0])
    f = [Fraction(0)] * n
    for u, s, _ in atoms:
        for i in range(n):
            t = sum(a * b for a, b in zip(u, Xl_frac[i]))
            if t > 0:
                f[i] += s * t
    r = [y[i] - f[i] for i in range(n)]
    if not any(r):
        return []
    groups: dict = {}
    for i in range(n):
        groups.setdefault(Xl_frac[i], []).append(i)
    for members in groups.values():
        if any(r[i] != r[members[0]] for i in members):
            raise CertificateError("(P_0): repeated points carry different residuals (different labels at one "
                                   "point): y cannot be interpolated exactly")
    pts = list(groups.keys())
    reps = [members[0] for members in groups.values()]
    rng = np.random.default_rng(seed)
    Xf = np.array([[float(v) for v in p[:-1]] for p in pts])
    best, best_gap = None, -1.0
    for _ in range(tries):
        w = rng.integers(-1000, 1001, size=d1 - 1)
        proj = np.sort(Xf @ w)
        gap = float(np.min(np.diff(proj))) / max(1.0, float(np.linalg.norm(w))) if len(pts) > 1 else 1.0
        if gap > best_gap:
            best, best_gap = w, gap
    w = tuple(Fraction(int(v)) for v in best)
    proj = [sum(a * b for a, b in zip(w, p[:-1])) for p in pts]
    order = sorted(range(len(pts)), key=lambda g: proj[g])
    pis = [proj[g] for g in order]
    if any(a == b for a, b in zip(pis, pis[1:])):
        raise CertificateError("(P_0): no separating direction found for the exact interpolation atoms")
    cs = [pis[0] - 1] + [(a + b) / 2 for a, b in zip(pis, pis[1:])]
    amps: list = []
    for i, g in enumerate(order):
        acc = r[reps[g]] - sum(amps[j] * (pis[i] - cs[j]) for j in range(i))
        amps.append(acc / (pis[i] - cs[i]))
    extra = []
    for a, c in zip(amps, cs):
        if a != 0:
            u = tuple(abs(a) * v for v in w) + (-abs(a) * c,)
            extra.append((u, 1 if a > 0 else -1, sqrt_upper(sum(x * x for x in u))))
    return extra


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
    order, parents = _bfs_order(masks0, group_masks, sample_group, arr)
    masks = [masks0[k] for k in order]
    # exact interior points
    DX = 1
    for row in Xf:
        for v in row:
            DX = math.lcm(DX, v.denominator)
    Xint = np.array([[v.numerator * (DX // v.denominator) for v in row] + [DX] for row in Xf], dtype=object)
    interiors = _interior_points(Xint, _unpack(masks, n), np.asarray(arr.interior)[order])
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
                lower=Fraction(0), upper=Fraction(0), gap=Fraction(0), verdict=VERDICT_NOT_CERTIFIED, reason="")
    if lamf == 0:
        Xl_frac = tuple(row + (Fraction(1),) for row in Xf)
        atoms = atoms + _exact_interpolation(Xl_frac, yf, atoms, n)
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
        v = _hint_vector(V[c], ex.S)
        mult[c] = (_region_multipliers(v, G, idx, Fraction(1), tol), _region_multipliers(-v, G, idx, Fraction(1), tol))
    ex = _Exact(_parsed(base, mult=tuple(mult)))
    bounds, _ = ex.pair_bounds()
    worst = max(q for row in bounds for q, _ in row)
    scale = Fraction(1)
    if worst > 1:
        c = sqrt_upper(worst)
        scale = Fraction(math.ceil(c * (1 << SCALE_BITS)), 1 << SCALE_BITS)
        base["dual"] = tuple(v / scale for v in pf)
        mult = [({j: l / scale for j, l in mp.items()}, {j: l / scale for j, l in mm.items()}) for mp, mm in mult]
    ex = _Exact(_parsed(base, mult=tuple(mult)))
    lower, upper = ex.dual_value(), ex.primal_value()
    timings["dual_s"] = time.perf_counter() - t2

    # pass 2: tight multipliers where the uniqueness argument needs them
    t3 = time.perf_counter()
    if lamf > 0 and upper >= lower:
        # float screening only (huge or tiny rationals: no float overflow; inf screens in)
        rho = math.sqrt(_to_float(2 * (upper - lower) / (lamf * lamf)))
        V, F = ex.chamber_vectors()
        S2, D2 = ex.S * ex.S, ex.DX * ex.DX
        for c in range(len(masks)):
            if mult[c][0] or mult[c][1]:
                continue
            vn = math.sqrt(_ratio(sum(a * a for a in V[c]), S2))
            beta = math.sqrt(_ratio(F[c], D2)) * rho
            if vn + 2 * beta >= 1 - 2 * beta or vn >= 1:
                k = order[c]
                idx = arr.facets(k)
                G = arr.inward_normals(k)
                v = _hint_vector(V[c], ex.S)
                mult[c] = (_region_multipliers(v, G, idx, scale, tol), _region_multipliers(-v, G, idx, scale, tol))
        ex = _Exact(_parsed(base, mult=tuple(mult)))
        bounds, _ = ex.pair_bounds()
        unique, reason, _ = derive_uniqueness(ex, bounds, lower, upper)
    elif lamf == 0:
        unique, reason = False, ("lam = 0: the dual of (P_0) is not strongly concave, so the certified gap gives "
                                 "no ball around p")
    else:
        unique, reason = False, "negative gap"
    timings["uniqueness_s"] = time.perf_counter() - t3

    verdict = VERDICT_UNIQUE if unique else VERDICT_NOT_CERTIFIED
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
        "uniqueness": {"verdict": verdict, "reason": reason},
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
