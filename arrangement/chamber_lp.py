"""The largest-margin LP of a sign pattern: is it a chamber, and a point well inside it.

Used by the BFS reference enumerator (:mod:`relucert.arrangement.baseline`) and by the
interior-point repair of :func:`relucert.arrangement.enumerate_chambers`. It runs on
scipy's own HiGHS (``scipy.optimize.linprog``): the arrangement layer imports nothing
from ``relucert.lp``. A caller may pass any function with the same signature instead
(``ChamberLP``), e.g. one on ``relucert.lp.highs``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from relucert.errors import SolverError
from relucert.tolerances import Tolerances, resolve

__all__ = ["ChamberLP", "chamber_lp"]

#: ``chamber_lp(U, s, *, tol) -> (t, theta)``: the signature of a chamber LP.
ChamberLP = Callable[..., "tuple[float, np.ndarray]"]


def chamber_lp(U: np.ndarray, s: np.ndarray, *, tol: Tolerances | None = None) -> tuple[float, np.ndarray]:
    """Largest margin of the sign pattern ``s`` on unit normals ``U`` (k, D).

    Solves ``max t  s.t.  s_j <u_j, theta> >= t,  -1 <= theta <= 1,  t <= 1``.

    Parameters
    ----------
    U : (k, D) array
        Unit normals of the hyperplanes.
    s : (k,) array of +-1
        The sign pattern.
    tol : Tolerances or None
        ``highs_feas`` is HiGHS's feasibility and optimality tolerance.

    Returns
    -------
    (t, theta)
        The optimal margin and its point: the pattern is a chamber iff ``t > 0``.

    Raises
    ------
    SolverError
        HiGHS did not reach an optimum.

    Examples
    --------
    The quarter plane of two axes in R^2: the best point is (1, 1), margin 1.

    >>> t, theta = chamber_lp(np.eye(2), np.array([1.0, 1.0]))
    >>> round(t, 9), theta.round(9).tolist()
    (1.0, [1.0, 1.0])
    """
    from scipy.optimize import linprog

    tol = resolve(tol)
    k, D = U.shape
    c = np.zeros(D + 1)
    c[-1] = -1.0
    A_ub = np.hstack([-(s[:, None] * U), np.ones((k, 1))])
    bounds = [(-1.0, 1.0)] * D + [(None, 1.0)]
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(k), bounds=bounds, method="highs",
                  options={"primal_feasibility_tolerance": tol.highs_feas,
                           "dual_feasibility_tolerance": tol.highs_feas})
    if res.status != 0:
        raise SolverError(f"chamber feasibility LP ended with status {res.status}: {res.message}")
    return float(res.x[-1]), np.asarray(res.x[:-1], dtype=np.float64)
