"""The solution polytope Q and the LPs over it (DESIGN.md section 5,
proofs/solution_polytope.md, proofs/measure_vs_function.md).

With E the extremal set, signs ``s`` and ``r = K mu`` the (common) predictions of all
optimal measures, the optimal measures supported on E are exactly

    Q = {c in R^E : Phi_E c = r, s_theta c_theta >= 0}.

:func:`amplitude_ranges` solves, on HiGHS, the LPs min and max of linear functions of
``c`` over Q (of every ``c_theta`` for the measure; of the rows of
:func:`function_coordinates` for the learned function).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from relucert.errors import SolverError
from relucert.lp.highs import FiniteProgram, solve_objectives, solve_program
from relucert.results import Status
from relucert.tolerances import UNIQUENESS_BAND_FACTOR, UNIQUENESS_BAND_STEPS, Tolerances, resolve

__all__ = ["function_coordinates", "amplitude_ranges"]


def function_coordinates(theta: np.ndarray, tol: Tolerances | None = None) -> tuple[np.ndarray, list]:
    """A matrix M with ``f_c == f_c'`` on all of R^d iff ``M c == M c'``.

    ``relu(z) = (|z| + z) / 2``: rows, one per class ``{theta, -theta}`` with a non-zero
    weight part, hold the coefficient ``(c_theta + c_{-theta}) / 2`` of the kink
    ``|<theta, x~>|``; the last d + 1 rows hold the affine part
    ``sum c_theta theta / 2`` (plus ``relu(theta_b)`` in the constant row for the
    vertical directions ``theta = (0, ..., 0, +-1)``). Kinks on distinct hyperplanes and
    affine functions are linearly independent.

    Parameters
    ----------
    theta : array (k, d + 1)
        The points of E.
    tol : Tolerances, optional
        ``sign_zero`` (vertical directions), ``point_merge`` (classes ``{theta, -theta}``).

    Returns
    -------
    M : array (rows, k)
    labels : list
        ``("kink", theta)`` per class, then ``("affine", i)``.
    """
    tol = resolve(tol)
    theta = np.asarray(theta, dtype=np.float64)
    k, D = theta.shape
    classes: list[np.ndarray] = []
    rows: list[list] = []
    labels: list = []
    affine = np.zeros((D, k))
    for j in range(k):
        t = theta[j]
        if np.linalg.norm(t[:-1]) <= tol.sign_zero:
            affine[-1, j] = max(0.0, float(np.sign(t[-1])))
            continue
        affine[:, j] = 0.5 * t
        for ci, rep in enumerate(classes):
            if min(np.linalg.norm(rep - t), np.linalg.norm(rep + t)) <= tol.point_merge:
                rows[ci][j] = 0.5
                break
        else:
            classes.append(t)
            row = [0.0] * k
            row[j] = 0.5
            rows.append(row)
            labels.append(("kink", t))
    M = np.vstack([np.array(rows).reshape(len(rows), k), affine])
    labels += [("affine", i) for i in range(D)]
    return M, labels


def _q_program(Phi, r, signs, objective, maximize, band=0.0):
    lower = np.where(signs > 0, 0.0, -np.inf)
    upper = np.where(signs > 0, np.inf, 0.0)
    return FiniteProgram(c=np.asarray(objective, dtype=np.float64), A=sp.csc_matrix(Phi), row_lower=r - band,
                         row_upper=r + band, col_lower=lower, col_upper=upper, maximize=maximize)


def _bands(r, tol):
    """The band widths tried for ``Phi_E c = r``: exact, then ``primal_feas * max(1, |r|)``
    widened by ``UNIQUENESS_BAND_FACTOR`` up to ``UNIQUENESS_BAND_STEPS`` times (both in
    :mod:`relucert.tolerances`). Q holds the given amplitudes, so a failure at band 0 is
    rounding in rank-deficient rows of Phi_E (HiGHS's presolve says infeasible, or gives
    up with status "Unknown", on large rank-deficient Phi_E). A wider band only widens
    the computed ranges, so a "unique" verdict stays sound, and "not unique" still needs
    a re-checked witness."""
    base = tol.primal_feas * max(1.0, float(np.max(np.abs(r), initial=0.0)))
    return [0.0] + [base * UNIQUENESS_BAND_FACTOR ** k for k in range(UNIQUENESS_BAND_STEPS)]


def _in_signs(x, signs):
    """HiGHS may leave bound violations of the order of its feasibility tolerance."""
    return np.where(signs > 0, np.maximum(x, 0.0), np.minimum(x, 0.0))


def _solve_q(Phi, r, signs, objective, maximize, tol):
    for band in _bands(r, tol):
        res = solve_program(_q_program(Phi, r, signs, objective, maximize, band), tol=tol)
        if res.status not in (Status.INFEASIBLE, Status.ERROR, Status.INACCURATE):
            break
    if res.status is not Status.OPTIMAL:
        raise SolverError(f"uniqueness LP over Q ended with status {res.status.value}: {res.message}")
    return _in_signs(res.x, signs)


def amplitude_ranges(Phi, r, signs, rows, *, tol: Tolerances | None = None):
    """Min and max of ``rows @ c`` over Q, with the minimising/maximising points.

    Parameters
    ----------
    Phi : array (n, k)
        ``Phi_E``.
    r : array (n,)
        The predictions every optimal measure shares.
    signs : array of int (k,)
    rows : array (R, k)
        The linear functions of ``c`` to range over Q.
    tol : Tolerances, optional

    Returns
    -------
    ranges : array (R, 2)
        Min and max of each row over Q.
    argmin, argmax : array (R, k)
        Points of Q attaining them.

    Raises
    ------
    SolverError
        An LP over Q cannot be solved at any band.
    """
    tol = resolve(tol)
    rows = np.atleast_2d(rows)
    R = rows.shape[0]
    k = Phi.shape[1]
    ranges = np.zeros((R, 2))
    lo_pts = np.zeros((R, k))
    hi_pts = np.zeros((R, k))
    # all 2R objectives on one warm-started HiGHS instance, band by band (_bands); the
    # answers that fail the re-check at every band are redone cold by _solve_q, which
    # raises if Q's LP cannot be solved
    objectives = np.repeat(rows, 2, axis=0)
    senses = [False, True] * R
    pts: list = [None] * (2 * R)
    pending = list(range(2 * R))
    for band in _bands(r, tol):
        if not pending:
            break
        prog = _q_program(Phi, r, signs, objectives[pending[0]], False, band)
        got = solve_objectives(prog, objectives[pending], [senses[i] for i in pending], tol=tol)
        still = []
        for i, res in zip(pending, got):
            if res.status is Status.OPTIMAL:
                pts[i] = _in_signs(res.x, signs)
            else:
                still.append(i)
        pending = still
    for i in pending:
        pts[i] = _solve_q(Phi, r, signs, objectives[i], senses[i], tol)
    for i in range(R):
        lo, hi = pts[2 * i], pts[2 * i + 1]
        ranges[i] = (rows[i] @ lo, rows[i] @ hi)
        lo_pts[i] = lo
        hi_pts[i] = hi
    return ranges, lo_pts, hi_pts

