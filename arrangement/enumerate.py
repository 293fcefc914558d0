"""``enumerate_chambers``: the public entry point of chamber enumeration.

It validates the input, estimates the chamber count before any work and refuses
beyond ``max_chambers``, then dispatches to an enumeration method:

- ``"restrict"`` (the default): exact and LP-free, by recursion on restrictions down
  to circles, where the normals are sorted by angle (d = 1 is one such sort; d = 2 one
  sort per great circle); see :mod:`relucert.arrangement.restrict`.
- ``"bfs"``: the reference, one LP (scipy's HiGHS) per candidate sign flip (slow).

Each chamber's interior point is checked exactly against the chamber's facets (which
bound it: proofs/enumeration_by_restriction.md); a point that fails is replaced by the
chamber's largest-margin point from an LP, then by the exact sum of its extreme rays
(pycddlib) rounded to float, each checked exactly. A chamber narrower than float
resolution (e.g. from 0.1 + 0.2 != 0.3) keeps that exact rational point in
``Arrangement.rational_interior`` and gets margin 0.0 (its float point is not certified).
"""
from __future__ import annotations

from enum import Enum

import numpy as np

from relucert._validation import check_choice, check_positive_int, check_X
from relucert.arrangement.baseline import enumerate_bfs
from relucert.arrangement.chambers import Arrangement, lift
from relucert.arrangement.counts import estimate_chambers
from relucert.arrangement.exact import ExactData
from relucert.arrangement.restrict import enumerate_restrict
from relucert.errors import SolverError, TooManyChambersError
from relucert.tolerances import Tolerances, resolve

__all__ = ["EnumerationMethod", "enumerate_chambers", "enumerate_fast", "verify_interior_points", "DEFAULT_MAX_CHAMBERS"]

#: Default refusal limit on the estimated number of chambers.
DEFAULT_MAX_CHAMBERS = 5_000_000


class EnumerationMethod(str, Enum):
    """How :func:`enumerate_chambers` enumerates: ``restrict`` (exact, LP-free; ``auto``)
    or ``bfs`` (the LP reference)."""

    AUTO = "auto"
    RESTRICT = "restrict"
    BFS = "bfs"


def enumerate_chambers(X, *, method: str | EnumerationMethod = "auto", max_chambers: int | None = DEFAULT_MAX_CHAMBERS,
                       progress: bool | None = None, tol: Tolerances | None = None) -> Arrangement:
    """Every chamber of the arrangement ``{<theta, (x_i, 1)> = 0}`` in R^{d+1}.

    Parameters
    ----------
    X : array (n, d)
    method : "auto" (= "restrict"), "restrict" or "bfs"
    max_chambers : refuse (``TooManyChambersError``) when the estimate exceeds it;
        None means no limit.
    progress : show a tqdm bar (None: only on a terminal; True: always; False: never).
    tol : tolerances (used by the LP of the "bfs" method and of the interior-point
        repair; the combinatorics are exact and use none).

    Returns
    -------
    Arrangement
        Sign patterns (packed bits), interior points with margins, facets; the fast
        method also records the adjacency edges.

    Raises
    ------
    TooManyChambersError
        When the estimated count exceeds ``max_chambers``.

    Examples
    --------
    Three points on a line give 2 * (1 + 2) = 6 chambers on the circle:

    >>> enumerate_chambers(np.array([[0.0], [1.0], [2.0]])).n_chambers
    6
    """
    X = check_X(X)
    method = check_choice(method, "method", EnumerationMethod)
    max_chambers = check_positive_int(max_chambers, "max_chambers", allow_none=True)
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be None, True or False; got {type(progress).__name__}")
    tol = resolve(tol)
    estimate = estimate_chambers(X)
    if max_chambers is not None and estimate > max_chambers:
        raise TooManyChambersError(
            f"the arrangement of X (n={X.shape[0]}, d={X.shape[1]}) has up to {estimate} chambers, "
            f"more than max_chambers={max_chambers}; raise max_chambers (max_chambers=None "
            f"lifts the limit; memory is about {_bytes_per_chamber(X.shape[0]) * estimate / 2**30:.2g} GiB), "
            f"or use fewer samples or features"
        )
    if method == EnumerationMethod.BFS.value:
        return enumerate_bfs(X, tol=tol)
    return enumerate_fast(X, progress=progress, tol=tol)


def _bytes_per_chamber(n: int) -> int:
    """Rough memory per chamber of the fast method (pattern, point, facets, finds)."""
    return (n + 7) // 8 + 8 * 3 + 8 * 12 + 40


def enumerate_fast(X: np.ndarray, *, progress: bool | None = None, tol: Tolerances | None = None,
                   seed: int = 0) -> Arrangement:
    """The exact LP-free enumeration (``method="restrict"``) on validated ``X``.

    Parameters
    ----------
    X : (n, d) array
        Validated data.
    progress : bool or None
        As in :func:`enumerate_chambers`.
    tol : Tolerances or None
        The LP tolerances of the interior-point repair.
    seed : int
        Seed of the 64-bit pattern hashes (the result does not depend on it).

    Returns
    -------
    Arrangement
        With the adjacency edges recorded.
    """
    tol = resolve(tol)
    Xl = lift(X)
    n, D = Xl.shape
    core = enumerate_restrict(Xl, progress=progress, seed=seed)
    m = core.pos.shape[0]
    theta = np.zeros((m, D))
    theta[:, core.columns] = core.pt
    margin, rational = _verify_and_margin(Xl, core.pos, theta, core.fptr, core.fidx, tol)
    return Arrangement(X=np.asarray(X, float), X_lift=Xl, sign_patterns=core.pos, interior=theta, margin=margin,
                       facet_indptr=core.fptr, facet_indices=core.fidx, method="restrict",
                       rational_interior=rational or None,
                       edges=core.edges, edge_indptr=core.edge_class_ptr, edge_indices=core.edge_class_idx)


def _central_ray(rows: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, tuple]:
    """A point well inside the cone ``{s_f <theta, x~_f> >= 0}``: the sum of its extreme
    rays (each scaled to max-norm 1), computed exactly by pycddlib and rounded once.
    Every facet misses some extreme ray, so the exact sum is strictly interior; rounding
    it moves it by a relative 2^-53, far less than its distance to the facets unless
    the chamber is narrower than float resolution."""
    from fractions import Fraction

    from relucert.arrangement.exact_interior import extreme_ray_sum

    total = extreme_ray_sum([[Fraction(float(v)) for v in r] for r in rows], [int(si) for si in s])
    if total is None:
        raise SolverError("a chamber's cone has no extreme ray (a bug)")
    th = np.array([float(v) for v in total])
    return th / np.linalg.norm(th), tuple(total)


def _frac_dot(exact, x) -> "Fraction":
    from fractions import Fraction

    return sum((a * Fraction(float(b)) for a, b in zip(exact, x)), Fraction(0))


def _verify_and_margin(Xl, pos, theta, fptr, fidx, tol, chunk: int = 1 << 19) -> np.ndarray:
    """Exact check that every interior point is strictly on the chamber's side of each
    facet (repairing by LP where not), and the margins
    ``min_f |<theta, x~_f>| / ||x~_f||`` (the distance to the nearest hyperplane: the
    nearest hyperplane of a point of a chamber carries one of its facets)."""
    from relucert.arrangement.chamber_lp import chamber_lp

    data = ExactData(Xl)
    m = len(theta)
    row_norm = np.linalg.norm(Xl, axis=1)
    cnt = np.diff(fptr)
    owner = np.repeat(np.arange(m, dtype=np.int64), cnt)
    dist = np.empty(len(fidx))
    bad: list[int] = []
    for lo in range(0, len(fidx), chunk):
        hi = min(len(fidx), lo + chunk)
        rows, f = owner[lo:hi], fidx[lo:hi]
        want = np.where((pos[rows, f >> 3] >> (f & 7).astype(np.uint8)) & 1, 1, -1).astype(np.int8)
        got = data.dot_signs(theta, f, rows)
        wrong = got != want
        if wrong.any():
            bad.extend(np.unique(rows[wrong]).tolist())
        dist[lo:hi] = np.abs(np.einsum("ij,ij->i", theta[rows], Xl[f])) / row_norm[f]
    del owner
    margin = np.minimum.reduceat(dist, fptr[:-1]) if m else np.zeros(0)
    rational: dict[int, tuple] = {}
    for k in sorted(set(bad)):
        f = fidx[fptr[k]:fptr[k + 1]]
        s = np.where((pos[k, f >> 3] >> (f & 7).astype(np.uint8)) & 1, 1.0, -1.0)
        rows = np.zeros(len(f), dtype=np.int64)
        U = Xl[f] / row_norm[f][:, None]
        t_lp, th = chamber_lp(U, s, tol=tol)
        nrm = float(np.linalg.norm(th))
        # a chamber narrower than the LP's tolerances comes back with margin 0 and theta = 0
        # (nearly collinear float data): no float point to try, go to the exact ray sum
        if t_lp > 0 and nrm > 0:
            th = th / nrm
            if np.array_equal(data.dot_signs(th[None, :], f, rows), s.astype(np.int8)):
                theta[k] = th
                margin[k] = float(np.min(np.abs(Xl[f] @ th) / row_norm[f]))
                continue
        th, exact = _central_ray(Xl[f], s)
        if np.array_equal(data.dot_signs(th[None, :], f, rows), s.astype(np.int8)):
            theta[k] = th
            margin[k] = float(np.min(np.abs(Xl[f] @ th) / row_norm[f]))
            continue
        # narrower than float resolution: keep the exact rational interior point
        if not all(_frac_dot(exact, Xl[j]) * int(sj) > 0 for j, sj in zip(f, s)):
            raise SolverError(f"chamber {k}: the exact interior point failed its check (a bug)")
        rational[k] = exact
        theta[k] = th
        margin[k] = 0.0
    return margin, rational


def verify_interior_points(arr: Arrangement) -> np.ndarray:
    """Exact check of every chamber's interior point against ALL n hyperplanes.

    Float filter with a rigorous bound, Fractions where it cannot decide. Chambers
    listed in ``arr.rational_interior`` are checked with their exact rational point.

    Parameters
    ----------
    arr : Arrangement

    Returns
    -------
    (m,) bool array
        True when the chamber's point has exactly the chamber's sign on every data point.

    >>> arr = enumerate_chambers(np.array([[0.0], [1.0]]))
    >>> bool(verify_interior_points(arr).all())
    True
    """
    from fractions import Fraction

    Xl = arr.X_lift
    data = ExactData(Xl)
    m, n = arr.n_chambers, arr.n
    ok = np.ones(m, dtype=bool)
    step = max(1, (1 << 22) // max(n, 1))
    absX = np.abs(Xl)
    for lo in range(0, m, step):
        hi = min(m, lo + step)
        P = arr.interior[lo:hi]
        V = P @ Xl.T
        bound = data.bound_factor * (np.abs(P) @ absX.T) + data.r * float(np.nextafter(0.0, 1.0)) * 4
        want = arr.sign_matrix(slice(lo, hi))
        sure = np.abs(V) > bound
        ok[lo:hi] &= ~np.any(sure & (np.sign(V).astype(np.int8) != want), axis=1)
        for k, i in zip(*np.nonzero(~sure)):
            v = sum((Fraction(float(a)) * Fraction(float(b)) for a, b in zip(P[k], Xl[i])), Fraction(0))
            if (v > 0) - (v < 0) != int(want[k, i]):
                ok[lo + k] = False
    for k, point in (arr.rational_interior or {}).items():
        want = arr.sign_matrix([k])[0]
        vals = [sum((a * Fraction(float(b)) for a, b in zip(point, Xl[i])), Fraction(0)) for i in range(n)]
        ok[k] = all((v > 0) - (v < 0) == int(w) for v, w in zip(vals, want))
    return ok
