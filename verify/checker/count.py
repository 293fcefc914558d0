"""Chamber counts for the independent checker: the cheap range every arrangement obeys,
and the exact count by Zaslavsky's theorem (proofs/chamber_completeness.md).

For a central arrangement of ``m >= 1`` distinct hyperplanes in ``R^(d+1)``:
``2m <= #chambers <= 2 sum_{k=0..d} C(m-1, k)`` (:func:`count_range`); the listed count is
compared with this range before any lattice is built, and the Zaslavsky count stops as
soon as its running total (a sum of non-negative terms) exceeds the listed count.
"""
from __future__ import annotations

import math
from fractions import Fraction

from relucert.verify.checker.rational import as_ints, common_denominator, pivot_columns, rref

__all__ = ["count_range", "exact_chamber_count"]


def count_range(m: int, d: int, stop_above: int | None = None) -> tuple[int, int]:
    """``(2m, 2 sum_{k<=d} C(m-1, k))``: the fewest and the most chambers of a central
    arrangement of ``m >= 1`` distinct hyperplanes in ``R^(d+1)`` (the most: general
    position). With ``stop_above``, the sum stops once it exceeds that number (the upper
    end returned is then only known to exceed it).

    >>> count_range(3, 1), count_range(3, 2), count_range(1, 5)
    ((6, 6), (6, 8), (2, 2))

    Parameters
    ----------
    m : int
        Distinct hyperplanes, >= 1.
    d : int
    stop_above : int, optional

    Returns
    -------
    low, high : int
    """
    total = 0
    c = 1  # C(m-1, k)
    for k in range(min(d, m - 1) + 1):
        if k:
            c = c * (m - k) // k
        total += c
        if stop_above is not None and 2 * total > stop_above:
            break
    return 2 * m, 2 * total


def _rank2_key(a: tuple, b: tuple) -> tuple:
    """Canonical key of the span of two independent integer vectors in O(len(a)) integer
    operations: the two rows of its reduced row echelon form, each scaled to a primitive
    integer vector with a positive pivot (the RREF rows are unique, so is this key)."""
    c1 = next(i for i in range(len(a)) if a[i] or b[i])
    if not a[c1]:
        a, b = b, a
    b = [a[c1] * y - b[c1] * x for x, y in zip(a, b)]      # b[c1] = 0
    c2 = next(i for i in range(len(b)) if b[i])
    a = [b[c2] * x - a[c2] * y for x, y in zip(a, b)]      # a[c2] = 0
    out = []
    for row, c in ((a, c1), (b, c2)):
        g = math.gcd(*row)
        if row[c] < 0:
            g = -g
        out.append(tuple(x // g for x in row))
    return tuple(out)


def exact_chamber_count(normals: list, stop_above: int | None = None) -> int:
    """Number of chambers of the central arrangement with these distinct hyperplane normals.

    The checker's own twin of :func:`relucert.arrangement.exact_chamber_count` (same name,
    as pycddlib names its float and exact APIs alike): the same theorem, a separate code
    path on the certificate's rationals, so that the completeness claim is re-derived
    without the enumerator's code (tests/test_checker_zaslavsky.py checks it against that twin,
    the enumeration and the general-position formula).

    Zaslavsky: ``r(A) = sum over flats F of |mu(0, F)|``; the flats are built rank by
    rank in exact arithmetic (a rank-2 flat is keyed by the integer reduced row echelon
    form of the span of two normals, a higher one by the reduced row echelon form of the
    span of its normals). The top flat (the intersection of all hyperplanes) gets
    ``mu = -sum of the others``. Rank <= 2 is counted directly (``2m``); otherwise the
    normals are first written in coordinates of their own span (dimension = rank <= m),
    so a large ambient dimension costs only the one elimination that finds the rank.

    With ``stop_above``, the count stops as soon as its running total exceeds that
    number and returns that total (a lower bound on the count, > ``stop_above``): the
    work is then bounded by the number of flats, which is at most ``stop_above + 1``.

    Parameters
    ----------
    normals : list of tuples of Fraction
        Distinct hyperplane normals.
    stop_above : int, optional

    Returns
    -------
    int

    Examples
    --------
    Three points on a line (d = 1) give 2 * 3 = 6 chambers; three general points in the
    plane (d = 2) give 2 * (1 + 2 + 1) = 8:

    >>> exact_chamber_count([(0, 1), (1, 1), (2, 1)])
    6
    >>> exact_chamber_count([(0, 0, 1), (1, 0, 1), (0, 1, 1)])
    8
    """
    m = len(normals)
    if m == 0:
        return 1
    pivots = pivot_columns(normals)
    rank = len(pivots)
    if rank <= 2:
        return 2 * m  # rank 1: one hyperplane; rank 2: m distinct lines through 0 in a plane
    # Coordinates on the pivot columns of an echelon form: a linear map injective on the span
    # of the normals, so every span and dependency (the whole lattice) is kept, in dimension rank.
    normals = [tuple(Fraction(row[c]) for c in pivots) for row in normals]
    limit = math.inf if stop_above is None else stop_above
    total = 1 + m  # rank 0 (mu = 1) and the m rank-1 flats (mu = -1)
    mu_sum = 1 - m
    ints = [as_ints(tuple(map(Fraction, row)), common_denominator(map(Fraction, row))) for row in normals]
    prev: dict = {}
    for g in range(m):
        a = ints[g]
        for h in range(g + 1, m):
            key = _rank2_key(a, ints[h])
            entry = prev.get(key)
            if entry is None:
                prev[key] = [{g, h}, (normals[g], normals[h])]
            else:
                entry[0].update((g, h))
        if total + len(prev) > limit:  # every rank-2 flat has |mu| >= 1
            return total + len(prev)
    flats = {}  # id -> (rank, members, mu, subflat ids of rank >= 2)
    level = []
    for members, basis in prev.values():
        fid = len(flats)
        mu = len(members) - 1  # mu of a rank-2 flat with t lines: t - 1
        flats[fid] = (2, frozenset(members), mu, frozenset())
        level.append((fid, basis))
        total += abs(mu)
        mu_sum += mu
    if total > limit:
        return total
    for k in range(3, rank):
        nxt: dict = {}
        for fid, key in level:
            members = flats[fid][1]
            for g in range(m):
                if g in members:
                    continue
                nkey = rref(list(key) + [normals[g]])
                entry = nxt.get(nkey)
                if entry is None:
                    entry = nxt[nkey] = [set(), set()]
                entry[0].update(members)
                entry[0].add(g)
                entry[1].add(fid)
            if total + len(nxt) > limit:
                return total + len(nxt)
        level = []
        for nkey, (members, gens) in nxt.items():
            sub = set(gens)
            for gid in gens:
                sub |= flats[gid][3]
            # subflats of rank 0, 1: 1 - |members|; of rank >= 2: those in sub
            mu = -(1 - len(members) + sum(flats[s][2] for s in sub))
            fid = len(flats)
            flats[fid] = (k, frozenset(members), mu, frozenset(sub))
            level.append((fid, nkey))
            total += abs(mu)
            mu_sum += mu
        if total > limit:
            return total
    return total + abs(-mu_sum)
