"""Independent checks for the arrangement tests (plain Fractions and floats; nothing
from relucert.arrangement.exact)."""
from __future__ import annotations

from fractions import Fraction

import numpy as np


def exact_sign(theta, x) -> int:
    v = sum(Fraction(float(a)) * Fraction(float(b)) for a, b in zip(theta, x))
    return (v > 0) - (v < 0)


def assert_interiors_exact(arr, exact_limit: int = 200_000):
    """Every chamber's interior point has exactly the chamber's signs on every data point.

    Float products with a crude but safe slack decide most entries; the rest (and all of
    them for small arrangements) are decided with Fractions."""
    S = arr.sign_matrix().astype(float)
    rational = arr.rational_interior or {}
    for k, point in rational.items():  # exact rational points of sub-float-width chambers
        for i in range(arr.n):
            v = sum(a * Fraction(float(b)) for a, b in zip(point, arr.X_lift[i]))
            assert (v > 0) - (v < 0) == int(S[k, i]), (k, i)
    keep = np.setdiff1d(np.arange(arr.n_chambers), list(rational))
    S = S[keep]
    V = arr.interior[keep] @ arr.X_lift.T
    scale = np.abs(arr.interior[keep]) @ np.abs(arr.X_lift).T
    unsure = np.abs(V) <= 1e-10 * scale
    if S.size <= exact_limit // 10:
        unsure[:] = True
    assert np.all((S * V > 0) | unsure), "an interior point is on the wrong side of a hyperplane"
    for k, i in zip(*np.nonzero(unsure)):
        assert exact_sign(arr.interior[keep[k]], arr.X_lift[i]) == int(S[k, i]), (k, i)


def pattern_set(arr) -> set[bytes]:
    return {arr.sign_patterns[k].tobytes() for k in range(arr.n_chambers)}


def facet_map(arr) -> dict[bytes, frozenset]:
    return {arr.sign_patterns[k].tobytes(): frozenset(arr.facets(k).tolist()) for k in range(arr.n_chambers)}


def lines_count(P: np.ndarray) -> int:
    """Chambers of 2-D integer points, derived by hand (Zaslavsky for rank 3, worked out
    in proofs/enumeration_by_restriction.md): 2 + 2 * sum over the lines through two or
    more distinct points of (points on the line - 1)."""
    pts = sorted({tuple(int(v) for v in p) for p in P})
    lines = {}
    for a in range(len(pts)):
        for b in range(a + 1, len(pts)):
            (x1, y1), (x2, y2) = pts[a], pts[b]
            A, B, C = y2 - y1, x1 - x2, x2 * y1 - x1 * y2  # A x + B y + C = 0
            g = np.gcd.reduce([A, B, C])
            A, B, C = A // g, B // g, C // g
            if A < 0 or (A == 0 and B < 0):
                A, B, C = -A, -B, -C
            lines.setdefault((A, B, C), set()).update({pts[a], pts[b]})
    return 2 + 2 * sum(len(s) - 1 for s in lines.values())


def region_maxima(arr, scan, support) -> dict:
    """Enumeration's violating (chamber, sign) pairs of ``scan`` as (activation pattern over the
    ``support`` rows, sign) -> largest value: chambers that differ only on zero-weight samples
    carry the same linear piece, so this is what a search over the support's regions lists."""
    out = {}
    act = arr.active(scan.chamber)[:, support] if scan.chamber.size else np.zeros((0, support.size), bool)
    for a, s, v in zip(act, scan.sign, scan.value):
        key = (np.packbits(a).tobytes(), int(s))
        out[key] = max(out.get(key, -np.inf), float(v))
    return out


def fdet(rows):
    """Plain Fraction determinant by cofactor expansion (independent of det_exact)."""
    rows = [list(r) for r in rows]
    if len(rows) == 1:
        return rows[0][0]
    return sum((-1) ** j * rows[0][j] * fdet([r[:j] + r[j + 1:] for r in rows[1:]])
               for j in range(len(rows)) if rows[0][j])


def sgn(v):
    return (v > 0) - (v < 0)


def cone_max_by_patterns(A, q, G) -> float:
    """max of ``sum_i q_i relu(<a_i, theta>)`` over the cone ``{G theta >= 0}`` and the unit
    ball, by brute force: every one of the ``2^n`` sign patterns of the rows of ``A``, each
    region (the cone cut by the pattern) projected with NNLS (``region_max``)."""
    from relucert.arrangement.cones import region_max

    n = A.shape[0]
    best = 0.0
    for bits in range(1 << n):
        s = np.array([(bits >> i) & 1 for i in range(n)], dtype=bool)
        Gs = np.vstack([G, np.where(s, 1.0, -1.0)[:, None] * A])
        best = max(best, region_max((q * s) @ A, Gs).value)
    return best
