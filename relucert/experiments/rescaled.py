"""The solver the theory experiments use: :func:`relucert.solve` in rescaled form.

The experiments (:mod:`relucert.experiments.lownoise`, :mod:`relucert.experiments.theorems`)
never import a solver themselves; the command line and the tests pass them
:func:`default_solver`.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from relucert.solution import Solution
from relucert.tolerances import Tolerances

__all__ = ["Solver", "default_solver"]

#: What the experiments take as their solver: ``solver(X, y, lam) -> Solution``, with
#: ``lam = 0`` for (P_0).
Solver = Callable[[np.ndarray, np.ndarray, float], Solution]


def default_solver(*, tol: Tolerances | None = None, method: str = "exchange", progress: bool | None = False,
                   max_iter: int | None = None) -> Solver:
    """``solver(X, y, lam) -> Solution`` for the experiments: :func:`relucert.solve`, with
    (P_lam) solved in the rescaled form ``mu = lam mu'``, ``mu'`` solving (P_1) for
    ``y / lam``.

    The rescaling is an identity: ``0.5||K mu - y||^2 + lam||mu|| =
    lam^2 (0.5||K mu' - y/lam||^2 + ||mu'||)``, with the same dual vector
    ``p = (y - K mu)/lam = y/lam - K mu'`` (proofs/lownoise_rate.md). It keeps the
    finite QPs well scaled for tiny lam, where HiGHS's QP solver can stop with "Solve
    error" on the unscaled lasso. ``max_iter`` bounds the exchange rounds (default: the
    solver's).

    Parameters
    ----------
    tol : Tolerances, optional
    method : str
        The solver method (``"exchange"``; ``"socp"`` for the theorem suite's second,
        independent method).
    progress : bool or None
        Progress bars of each solve.
    max_iter : int, optional
        Exchange rounds per solve.

    Returns
    -------
    callable
        ``solver(X, y, lam) -> Solution``; ``lam = 0`` solves (P_0). Non-optimal solves
        raise (``strict=True``): the experiments measure errors of optima only.
    """
    from relucert.solver import solve

    # strict: the sweep measures errors of optimal solutions only; a non-optimal run raises
    opts = {"method": method, "tol": tol, "progress": progress, "strict": True}
    if max_iter is not None:
        opts["max_iter"] = max_iter

    def solver(X, y, lam):
        lam = float(lam)
        if lam == 0.0 or lam == 1.0:
            return solve(X, y, lam, **opts)
        y = np.asarray(y, dtype=np.float64)
        s = solve(X, y / lam, 1.0, **opts)
        info = dict(s.info)
        info["rescaled"] = "solved (P_1) for y / lam; mu = lam mu'"
        return replace(s, y=y, lam=lam, amplitude=lam * s.amplitude, objective=lam ** 2 * s.objective,
                       tv_norm=lam * s.tv_norm, predictions=lam * s.predictions,
                       duality_gap=lam ** 2 * s.duality_gap, info=info)

    return solver
