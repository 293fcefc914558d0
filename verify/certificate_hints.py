"""The float hints of an exact certificate (:mod:`relucert.verify.certificate_builder`).

Floats only CHOOSE the numbers of a certificate; the checker re-verifies every one of
them exactly. This module chooses them: dyadic rounding of floats, rational interior
points of the chambers (verified exactly here too), the breadth-first chamber order
with parents, the projection multipliers of each region (rounded to the grid
``2**-MULT_BITS``), and for (P_0) extra atoms that make the interpolation exact.
"""
from __future__ import annotations

import math
from collections import deque
from fractions import Fraction

import numpy as np

from relucert.arrangement.exact_interior import exact_interior_point
from relucert.errors import CertificateError
from relucert.verify.checker.rational import sqrt_upper

__all__ = ["MULT_BITS", "INTERIOR_BITS", "dyadic_round", "to_float", "ratio", "hint_vector", "interior_points",
           "bfs_order", "region_multipliers", "exact_interpolation"]

#: Multipliers are rounded to the grid 2**-MULT_BITS.
MULT_BITS = 60
#: Interior points are first tried as integers round(theta * 2**k) for these k.
INTERIOR_BITS = (20, 40, 60)
#: Candidate interior points checked per block (bounded memory: object arrays of Python ints).
_CHUNK = 2048


def dyadic_round(x: float, bits: int) -> Fraction:
    """``x`` rounded to the grid ``2**-bits`` (exact: scaling a float by a power of two is
    exact while it stays finite; beyond that the scaling is done in rationals).

    Parameters
    ----------
    x : float
    bits : int

    Returns
    -------
    Fraction
    """
    scaled = x * (1 << bits)
    if math.isfinite(scaled):
        return Fraction(int(round(scaled)), 1 << bits)
    return Fraction(round(Fraction(x) * (1 << bits)), 1 << bits)


def to_float(q) -> float:
    """A rational (Fraction or int ratio) as a float: ``inf`` (with its sign) beyond the
    float range instead of OverflowError. Only used to choose hints, never in a proof.

    Parameters
    ----------
    q : Fraction

    Returns
    -------
    float
    """
    try:
        return float(q)
    except OverflowError:
        return math.copysign(math.inf, q)


def ratio(a: int, b: int) -> float:
    """``a / b`` for (possibly huge) Python ints, correctly rounded; ``inf`` on overflow.

    Parameters
    ----------
    a, b : int

    Returns
    -------
    float
    """
    try:
        return a / b
    except OverflowError:
        return math.copysign(math.inf, a) * (1 if b > 0 else -1)


def hint_vector(V_c, S: int) -> np.ndarray:
    """``v_A = V_c / S`` in float for the projection hints; CertificateError (naming the
    problem) when it does not fit in float64.

    Parameters
    ----------
    V_c : sequence of int
        The chamber vector's numerators.
    S : int
        Their common denominator.

    Returns
    -------
    array
    """
    v = np.array([to_float(Fraction(a, S)) for a in V_c])
    if not np.all(np.isfinite(v)):
        raise CertificateError("the certificate vector v_A of a dual region exceeds the float64 range, so no "
                               "projection hint can be computed; the data and lam are too badly scaled")
    return v


def interior_points(X_int_obj, masks_bool, interior: np.ndarray, exact_hints=None) -> list:
    """Rational interior points, verified exactly: small integers where possible.

    Per chamber, the first candidate that is exactly on the chamber's side of every
    hyperplane: the float hint rounded to integers ``round(theta * 2**k)`` for ``k`` in
    ``INTERIOR_BITS``; the enumeration's exact point (``exact_hints``, chambers narrower
    than float resolution); the sum of the exact extreme rays of the chamber's cone over
    all ``n`` hyperplanes (:func:`relucert.arrangement.exact_interior.exact_interior_point`:
    interior by construction, however thin the chamber).

    Parameters
    ----------
    X_int_obj : object array (n, d + 1) of int
        The lifted data scaled to integers.
    masks_bool : array of bool (chambers, n)
        The sign patterns.
    interior : array (chambers, d + 1)
        Float interior points from the enumeration (the hints).
    exact_hints : sequence, optional
        Per chamber, None or an exact rational point (``Arrangement.rational_interior``).

    Returns
    -------
    list of tuples of Fraction
        One verified rational interior point per chamber.

    Raises
    ------
    CertificateError
        A listed sign pattern whose open cone is empty (exactly): it is not a chamber.
    """
    m = interior.shape[0]
    out: list = [None] * m
    todo = np.arange(m)
    for bits in INTERIOR_BITS:
        if todo.size == 0:
            break
        T = np.array([[int(round(float(v) * (1 << bits))) for v in interior[k]] for k in todo], dtype=object)
        good = _strictly_inside(T, X_int_obj, masks_bool[todo])
        for idx, k in enumerate(todo):
            if good[idx]:
                out[k] = tuple(Fraction(int(v)) for v in T[idx])
        todo = todo[~good]
    for k in todo:  # thin chambers: exact points, checked exactly
        hint = None if exact_hints is None else exact_hints[k]
        if hint is not None:
            den = math.lcm(*(Fraction(v).denominator for v in hint))
            T = np.array([[int(Fraction(v) * den) for v in hint]], dtype=object)
            if _strictly_inside(T, X_int_obj, masks_bool[k:k + 1])[0]:
                out[k] = tuple(Fraction(int(v)) for v in T[0])
                continue
        signs = np.where(masks_bool[k], 1, -1)
        z = exact_interior_point([list(row) for row in X_int_obj], signs)
        if z is None:
            raise CertificateError(f"chamber {k}: the exact cone of its sign pattern has an empty interior, so it "
                                   "is not a chamber of the data's arrangement (no interior point exists)")
        out[k] = tuple(Fraction(v) for v in z)
    return out


def _strictly_inside(T, X_int_obj, masks_bool) -> np.ndarray:
    """Per row of ``T`` (integer points): exactly on the side ``masks_bool`` of every hyperplane."""
    good = np.zeros(len(T), dtype=bool)
    for a in range(0, len(T), _CHUNK):  # bounded memory: object arrays of Python ints
        G = T[a:a + _CHUNK] @ X_int_obj.T
        good[a:a + _CHUNK] = ~((G == 0).any(axis=1) | ((G > 0) != masks_bool[a:a + _CHUNK]).any(axis=1))
    return good


def bfs_order(masks: list, group_masks: list, sample_group: np.ndarray, arr) -> tuple[list, list]:
    """Chamber order (old indices) and parents (new indices) by BFS over facet flips.

    Parameters
    ----------
    masks : list of int
        Packed sign patterns of the chambers.
    group_masks : list of int
        One bit mask per group of identical data points (one hyperplane).
    sample_group : array of int
        The group of each data point.
    arr : Arrangement

    Returns
    -------
    order : list of int
    parents : list of int
        -1 for the root.
    """
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


def region_multipliers(v: np.ndarray, G: np.ndarray, idx: np.ndarray, scale: Fraction, tol) -> dict:
    """The projection multipliers of ``max <theta, v>`` over one region
    (:func:`relucert.arrangement.region_max`), rounded to the grid ``2**-MULT_BITS`` and
    divided by ``scale``: the hints of the polar-cone bound (proofs/polar_cone_bound.md;
    any non-negative multipliers are valid, the checker recomputes the bound).

    Parameters
    ----------
    v : array (d + 1,)
        The (signed) chamber vector.
    G : array (g, d + 1)
        The chamber's inward facet normals.
    idx : array of int (g,)
        The data index of each normal.
    scale : Fraction
        The dual scale the multipliers are divided by.
    tol : Tolerances

    Returns
    -------
    dict
        Data index -> positive dyadic multiplier.
    """
    from relucert.arrangement import region_max

    if G.shape[0] == 0:
        return {}
    r = region_max(v, G, tol=tol)
    out = {}
    for j, mult_j in zip(idx, r.multipliers):
        if mult_j > 0:
            q = dyadic_round(float(mult_j), MULT_BITS) / scale
            if q > 0:
                out[int(j)] = q
    return out


def exact_interpolation(Xl_frac, y, atoms, n, *, seed: int = 0, tries: int = 16) -> list:
    """(P_0): extra atoms that make the atoms interpolate y exactly.

    The residual ``r = y - f`` of the rounded atoms is absorbed by "sweep" atoms
    ``u_j = a_j (w, -c_j)`` for a rational direction w that separates the distinct points
    (exactly distinct projections ``pi_1 < ... < pi_k``) and thresholds ``c_1 < pi_1``,
    ``c_j = (pi_{j-1} + pi_j) / 2``: atom j is active exactly on points j..k, so the
    feature matrix is lower triangular with positive diagonal ``pi_j - c_j`` and the
    amplitudes follow by exact forward substitution (O(k^2) rational operations).

    Parameters
    ----------
    Xl_frac : list of tuples of Fraction
        The lifted data.
    y : list of Fraction
    atoms : list
        ``(u, sign, norm_upper)`` of the rounded atoms.
    n : int
    seed : int
    tries : int
        Random rational directions tried for the separating direction w.

    Returns
    -------
    list
        The extra atoms, in the form of ``atoms``.
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

