"""Chamber counts: the general-position formula, a cheap estimate (an upper bound),
and the exact count of any arrangement from its intersection lattice (Zaslavsky)."""
from __future__ import annotations

from fractions import Fraction
from math import comb

import numpy as np

__all__ = ["general_position_count", "estimate_chambers", "characteristic_polynomial", "exact_chamber_count"]


def general_position_count(n: int, d: int) -> int:
    """``2 * sum_{k=0..d} C(n-1, k)``: chambers of n hyperplanes in general position
    in R^{d+1} (lifted data ``(x_i, 1)``, any d+1 of them linearly independent).

    Parameters
    ----------
    n : int
        The number of (distinct) data points.
    d : int
        The input dimension.

    Returns
    -------
    int

    >>> general_position_count(3, 1)
    6
    >>> general_position_count(4, 2)
    14
    """
    if n <= 0:
        return 1
    return 2 * sum(comb(n - 1, k) for k in range(0, d + 1))


def estimate_chambers(X: np.ndarray) -> int:
    """An upper bound on the chamber count, computed without enumeration.

    Uses the general-position formula with n the number of distinct points and d
    replaced by the exact rank of the lifted data minus one (a rank-r central arrangement of
    k hyperplanes has at most ``2 sum_{i<r} C(k-1, i)`` chambers).

    Parameters
    ----------
    X : (n, d) array

    Returns
    -------
    int
        An upper bound of the number of chambers (exact in general position).

    Examples
    --------
    >>> estimate_chambers(np.array([[0.0], [1.0], [2.0]]))
    6
    """
    from relucert.arrangement.exact import exact_rank_columns

    X = np.asarray(X, dtype=np.float64)
    Xl = np.hstack([X, np.ones((X.shape[0], 1))]) + 0.0
    k = np.unique(Xl, axis=0).shape[0]
    r = exact_rank_columns(Xl)[0]  # exact: a float rank could undercount
    return general_position_count(k, r - 1)


def _in_span(basis: list[list[Fraction]], pivots: list[int], v: list[Fraction]) -> bool:
    """Is ``v`` in the span of an echelon ``basis`` (rows, with pivot columns)?"""
    w = list(v)
    for row, p in zip(basis, pivots):
        if w[p]:
            f = w[p] / row[p]
            w = [a - f * b for a, b in zip(w, row)]
    return not any(w)


def _extend(basis, pivots, v):
    """Echelon basis of ``span(basis) + v`` (``v`` not in the span)."""
    w = list(v)
    for row, p in zip(basis, pivots):
        if w[p]:
            f = w[p] / row[p]
            w = [a - f * b for a, b in zip(w, row)]
    p = next(i for i, a in enumerate(w) if a)
    return basis + [w], pivots + [p]


def characteristic_polynomial(X, *, max_flats: int = 200_000) -> list[int]:
    """Coefficients ``[c_0, ..., c_D]`` of ``chi(t) = sum_X mu(X) t^dim(X)`` (``c_j`` the
    coefficient of ``t^j``) of the arrangement of ``X``, from its intersection lattice,
    in exact rational arithmetic.

    The flats are the subspaces cut out by subsets of hyperplanes; each is stored as
    the set of hyperplanes containing it. ``mu`` is the Moebius function of the lattice
    ordered by reverse inclusion.

    Parameters
    ----------
    X : (n, d) array
    max_flats : int
        Refuse (``ValueError``) beyond this many flats.

    Returns
    -------
    list of int
        ``[c_0, ..., c_D]``.

    >>> characteristic_polynomial(np.array([[0.0], [1.0], [2.0]]))
    [2, -3, 1]
    """
    from relucert._validation import check_X

    X = check_X(X)
    Xl = np.hstack([X, np.ones((X.shape[0], 1))]) + 0.0
    uniq = np.unique(Xl, axis=0)  # distinct hyperplanes (last coordinate 1)
    k, D = uniq.shape
    rows = [[Fraction(float(v)) for v in r] for r in uniq]
    # level by level: flats of rank j as {frozenset(hyperplanes): (basis, pivots)}
    levels = [{frozenset(): ([], [])}]
    mu: dict[frozenset, int] = {frozenset(): 1}
    total = 1
    while True:
        nxt: dict[frozenset, tuple] = {}
        for flat, (basis, piv) in levels[-1].items():
            for h in range(k):
                if h in flat:
                    continue
                b2, p2 = _extend(basis, piv, rows[h])
                if any(flat <= f2 and h in f2 for f2 in nxt):
                    continue
                members = frozenset(g for g in range(k) if g in flat or g == h or _in_span(b2, p2, rows[g]))
                nxt[members] = (b2, p2)
                total += 1
                if total > max_flats:
                    raise ValueError(f"the intersection lattice has more than max_flats={max_flats} flats")
        if not nxt:
            break
        for flat in nxt:
            mu[flat] = -sum(m for f, m in mu.items() if f < flat)
        levels.append(nxt)
    coeffs = [0] * (D + 1)
    for j, level in enumerate(levels):
        for flat in level:
            coeffs[D - j] += mu[flat]
    return coeffs


def exact_chamber_count(X, *, max_flats: int = 200_000) -> int:
    """The exact number of chambers, ``(-1)^D chi(-1) = sum_X |mu(X)|`` (Zaslavsky), for
    any data (repeated, collinear, coplanar, lower rank).

    Parameters
    ----------
    X : (n, d) array
    max_flats : int
        As in :func:`characteristic_polynomial`.

    Returns
    -------
    int

    >>> exact_chamber_count(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [0.0, 1.0]]))
    12
    """
    coeffs = characteristic_polynomial(X, max_flats=max_flats)
    D = len(coeffs) - 1
    value = sum(c * (-1) ** j for j, c in enumerate(coeffs))
    return int((-1) ** D * value)
