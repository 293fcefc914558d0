"""The near-extremal chambers of a dual certificate without the whole arrangement
(issue 13, item 3; proofs/near_extremal_chambers.md).

The certificate report (:func:`relucert.verify.analysis.analyse`) reads only the
chambers where ``|eta_p|`` comes near 1: the extremal set E, one extremum per region,
uniqueness and ND1-ND4. Beyond enumeration (d >= 4, or more chambers than can be
listed) the branch and bound lists them: ``relucert.lp.tv.bab.maximise(X, p, t)`` returns
every (region, sign) whose maximum exceeds ``t`` (proofs/branch_and_bound.md, Lemma 7),
a region being a chamber of the arrangement of the *support rows* (distinct samples with
non-zero summed weight). The API layer runs it and hands its result here (verify never
imports the TV solver). :func:`near_extremal_arrangement` refines those regions to the
chambers of the whole data arrangement (a region splits only along the hyperplanes of
zero-weight samples: a local breadth-first search over their sign flips, inside the
region) and computes each listed chamber's interior point and margin by the chamber LP
(:func:`relucert.arrangement.chamber_lp.chamber_lp`) and its facets by cdd's redundancy
removal (one call per chamber), so the cost follows the number of near-extremal
chambers, never the arrangement's size.

The result is an :class:`~relucert.arrangement.Arrangement` holding only those chambers
(``method = "near-extremal"``), and the bound ``t`` on the region maxima it leaves out.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from itertools import product

import numpy as np

from relucert.arrangement import Arrangement, lift, pack_signs
from relucert.arrangement.chamber_lp import chamber_lp
from relucert.errors import CertificateError
from relucert.tolerances import (NEAR_EXTREMAL_BAND, NEAR_EXTREMAL_MAX_TIES, NEAR_EXTREMAL_MIN_BAND_FACTOR,
                                 NEAR_EXTREMAL_REACH_FACTOR, Tolerances, resolve)

__all__ = ["NearExtremal", "near_extremal_arrangement", "chambers_of_patterns", "adaptive_band"]

METHOD = "near-extremal"


@dataclass(frozen=True, eq=False)
class NearExtremal:
    """The chambers whose maximum of ``eta_p`` or ``-eta_p`` exceeds ``threshold``.

    Attributes
    ----------
    arrangement : Arrangement
        Those chambers only (and possibly some below the threshold that share a region
        with one above it), with interior points, margins and facets.
    threshold : float
        Every chamber left out has both region maxima at most this.
    n_regions : int
        Distinct regions (support-row patterns) the branch and bound listed.
    n_lps : int
        Chamber LPs solved (one per chamber, plus the zero-weight flips).
    """

    arrangement: Arrangement = field(repr=False)
    threshold: float
    n_regions: int
    n_lps: int

    @property
    def n_chambers(self) -> int:
        return self.arrangement.n_chambers


def adaptive_band(X, lam: float, gap: float, *, tol: Tolerances | None = None) -> float:
    """The report's band from the instance (proofs/near_extremal_chambers.md, "The band"):
    the smallest power of two ``b <= NEAR_EXTREMAL_BAND`` with
    ``b >= NEAR_EXTREMAL_REACH_FACTOR * sqrt(2 gap) / lam * ||X~||_2`` (the reach of the
    duality gap in the report's exclusion test of mass outside E) and
    ``b >= NEAR_EXTREMAL_MIN_BAND_FACTOR * tol.extremal``; ``NEAR_EXTREMAL_BAND`` when no
    smaller power of two is that large (or the gap is not finite). Only a starting point: the report checks afterwards
    whether its level ``1 - b`` decided a verdict (``CertificateReport.band_decides``).

    Parameters
    ----------
    X : array (n, d)
    lam : float (> 0)
    gap : float, the solution's duality gap (negative read as 0)
    tol : Tolerances, optional

    Returns
    -------
    float
        A power of two in ``[.., NEAR_EXTREMAL_BAND]``, above ``tol.extremal``.
    """
    tol = resolve(tol)
    reach = np.sqrt(2.0 * max(float(gap), 0.0)) / float(lam) * float(np.linalg.norm(lift(np.asarray(X, float)), 2))
    want = max(NEAR_EXTREMAL_REACH_FACTOR * reach, NEAR_EXTREMAL_MIN_BAND_FACTOR * tol.extremal)
    if not np.isfinite(want) or want >= NEAR_EXTREMAL_BAND:
        return float(NEAR_EXTREMAL_BAND)
    band = float(NEAR_EXTREMAL_BAND)
    while band / 2 >= want:
        band /= 2
    return band


def _distinct_rows(Xl: np.ndarray):
    uniq, inverse = np.unique(Xl, axis=0, return_inverse=True)
    return uniq, inverse.reshape(-1)


def near_extremal_arrangement(X, scan, *, tol: Tolerances | None = None) -> NearExtremal:
    """The chambers of ``X`` where ``|eta_p|`` exceeds ``scan.threshold`` (module docstring).

    Parameters
    ----------
    X : array (n, d)
        The data the branch and bound ran on.
    scan : the result of ``relucert.lp.tv.bab.maximise(X, p, threshold)`` (read by
        attribute: ``complete``, ``threshold``, ``active`` (k, s) over the support rows,
        ``point`` (k, D), ``support`` (s,), ``groups`` (n,)).
    tol : Tolerances, optional (``sign_zero``: an LP margin above it is a chamber).

    Returns
    -------
    NearExtremal

    Raises
    ------
    CertificateError
        The branch and bound stopped before closing every node (its list may miss a
        region), or a listed region has no chamber (inconsistent input).
    """
    tol = resolve(tol)
    X = np.asarray(X, dtype=np.float64)
    if not bool(getattr(scan, "complete", False)):
        raise CertificateError("the branch and bound stopped before closing every node: its list of "
                               "near-extremal regions may be incomplete, so no report is made from it")
    threshold = float(scan.threshold)
    if not np.isfinite(threshold):
        raise ValueError(f"scan.threshold must be finite (the near-extremal level); got {threshold!r}")
    Xl = lift(X)
    n = Xl.shape[0]
    groups = np.asarray(scan.groups, dtype=np.int64).reshape(-1)
    if groups.shape != (n,):
        raise ValueError(f"scan.groups must have one entry per sample ({n},); got shape {groups.shape}")
    active = np.asarray(scan.active, dtype=bool)
    uniq, inverse = _distinct_rows(Xl)
    U = uniq / np.linalg.norm(uniq, axis=1, keepdims=True)
    k = U.shape[0]
    # the support rows' sign on each distinct hyperplane (-1: a zero-weight hyperplane)
    row_group = np.full(k, -1, dtype=np.int64)
    row_group[inverse] = groups
    free = np.flatnonzero(row_group < 0)
    counter = [0]

    def lp(s):
        counter[0] += 1
        return chamber_lp(U, s.astype(np.float64), tol=tol)

    regions = {np.packbits(a).tobytes(): (a, pt) for a, pt in zip(active, np.asarray(scan.point, float))}
    seen: dict[bytes, int] = {}
    patterns, points, margins = [], [], []
    for a, pt in regions.values():
        base = np.where(row_group >= 0, np.where(a[np.maximum(row_group, 0)], 1, -1), 0).astype(np.int8)
        seed = _seed(base, free, U, pt, tol, lp)
        if seed is None:
            raise CertificateError("a region the branch and bound listed contains no chamber of the data's "
                                   "arrangement (inconsistent scan)")
        queue = deque([seed])
        while queue:
            s, t, th = queue.popleft()
            key = s.tobytes()
            if key in seen:
                continue
            seen[key] = len(patterns)
            patterns.append(s)
            points.append(th)
            margins.append(t)
            for j in free:
                s2 = s.copy()
                s2[j] = -s2[j]
                if s2.tobytes() in seen:
                    continue
                t2, th2 = lp(s2)
                if t2 > tol.sign_zero:
                    queue.append((s2, t2, th2))
    facets = [np.flatnonzero(np.isin(inverse, _facets(U, s))) for s in patterns]
    m = len(patterns)
    S = np.array(patterns, dtype=np.int8).reshape(m, k)
    P = np.array(points, dtype=np.float64).reshape(m, Xl.shape[1])
    P = P / np.linalg.norm(P, axis=1, keepdims=True) if m else P
    full = S[:, inverse]
    Ul = Xl / np.linalg.norm(Xl, axis=1, keepdims=True)
    margin = np.min(full * (P @ Ul.T), axis=1) if m else np.zeros(0)
    indptr = np.zeros(m + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([f.size for f in facets])
    indices = np.concatenate(facets).astype(np.int64) if facets else np.zeros(0, np.int64)
    arr = Arrangement(X=X, X_lift=Xl, sign_patterns=pack_signs(full > 0), interior=P, margin=margin,
                      facet_indptr=indptr, facet_indices=indices, method=METHOD)
    return NearExtremal(arrangement=arr, threshold=threshold, n_regions=len(regions), n_lps=counter[0])


def _facets(U: np.ndarray, s: np.ndarray) -> np.ndarray:
    """The distinct hyperplanes carrying a facet of the chamber ``{s_j <u_j, theta> >= 0}``:
    the rows cdd does not find redundant (pycddlib, float arithmetic; a chamber is a full
    cone, so no row is an implicit equality)."""
    import cdd

    mat = cdd.Matrix(np.hstack([np.zeros((U.shape[0], 1)), s[:, None] * U]).tolist(), number_type="float")
    mat.rep_type = cdd.RepType.INEQUALITY
    _, redundant = mat.canonicalize()
    return np.setdiff1d(np.arange(U.shape[0]), np.fromiter(redundant, dtype=np.int64))


def _seed(base: np.ndarray, free: np.ndarray, U: np.ndarray, point: np.ndarray, tol: Tolerances, lp):
    """One chamber inside the region ``base`` (signs on the support hyperplanes, 0 on the
    zero-weight ones ``free``): the zero-weight signs of the region's maximiser, ties (a
    maximiser on such a hyperplane) tried both ways; ``(s, t, theta)`` or None."""
    s = base.copy()
    if free.size == 0:
        t, th = lp(s)
        return (s, t, th) if t > tol.sign_zero else None
    val = U[free] @ point if np.all(np.isfinite(point)) else np.zeros(free.size)
    tie = np.abs(val) <= tol.sign_zero
    s[free] = np.where(val > 0, 1, -1)
    ties = free[tie]
    if ties.size > NEAR_EXTREMAL_MAX_TIES:
        raise CertificateError(f"a region's maximiser lies on {ties.size} hyperplanes of zero-weight samples "
                               f"(more than {NEAR_EXTREMAL_MAX_TIES}): too degenerate to refine")
    for signs in product((1, -1), repeat=int(ties.size)):
        s[ties] = signs
        t, th = lp(s)
        if t > tol.sign_zero:
            return (s.copy(), t, th)
    return None


def chambers_of_patterns(X, patterns, *, tol: Tolerances | None = None) -> Arrangement:
    """The chambers of ``X`` with the given sign vectors (bool ``(m, n)``, True = active),
    each with its chamber-LP interior point and margin and its facets (cdd), as an
    :class:`~relucert.arrangement.Arrangement` of those chambers only
    (``method = "near-extremal"``): the chambers a format /2 file lists for its claims
    (:mod:`relucert.verify.bab_certificate`).

    Raises
    ------
    CertificateError
        A sign vector whose chamber is empty (its LP margin is not above ``tol.sign_zero``)
        or that gives identical samples different signs.
    """
    tol = resolve(tol)
    X = np.asarray(X, dtype=np.float64)
    Xl = lift(X)
    n = Xl.shape[0]
    patterns = np.asarray(patterns, dtype=bool).reshape(-1, n)
    uniq, inverse = _distinct_rows(Xl)
    U = uniq / np.linalg.norm(uniq, axis=1, keepdims=True)
    points, facets = [], []
    for c, row in enumerate(patterns):
        s = np.zeros(U.shape[0], dtype=np.int8)
        s[inverse] = np.where(row, 1, -1)
        if not np.array_equal(s[inverse] > 0, row):
            raise CertificateError(f"listed chamber {c}: identical samples have different signs")
        t, th = chamber_lp(U, s.astype(np.float64), tol=tol)
        if not t > tol.sign_zero:
            raise CertificateError(f"listed chamber {c}: its sign vector has no interior point (LP margin {t:.3g})")
        points.append(th)
        facets.append(np.flatnonzero(np.isin(inverse, _facets(U, s))))
    m = len(points)
    P = np.array(points, dtype=np.float64).reshape(m, Xl.shape[1])
    P = P / np.linalg.norm(P, axis=1, keepdims=True) if m else P
    Ul = Xl / np.linalg.norm(Xl, axis=1, keepdims=True)
    margin = np.min(np.where(patterns, 1, -1) * (P @ Ul.T), axis=1) if m else np.zeros(0)
    indptr = np.zeros(m + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([f.size for f in facets])
    indices = np.concatenate(facets).astype(np.int64) if facets else np.zeros(0, np.int64)
    return Arrangement(X=X, X_lift=Xl, sign_patterns=pack_signs(patterns), interior=P, margin=margin,
                       facet_indptr=indptr, facet_indices=indices, method=METHOD)
