"""The finite lasso behind a fallback chain of backends: the exchange's entry to its QP.

:func:`relucert.lp.programs.lasso_qp` with ``qp_backend="active-set"`` already chains the
warm-started active-set method, HiGHS (then with more regularisation) and clarabel, each
answer finished by the active-set method; with ``qp_backend="daqp"`` it runs DAQP first and
that same chain after it. :func:`lasso_qp_chain` asks the chosen backend and, when every
solver of its chain failed, the other one (DAQP after the active set, when DAQP is
installed) before it gives up: DAQP solves the lasso's dual by a different algorithm, and
its answer is re-checked from its weights alone like any other (proofs/failure_statuses.md).
A fallback can only replace a failure by an answer that passed the same re-check; it never
changes what an optimal answer is. The failures it got past are returned, for the
exchange's per-round log. This module knows nothing about networks: ``Phi`` is a matrix.
"""
from __future__ import annotations

import numpy as np

from relucert.errors import SolverError
from relucert.lp.daqp_lasso import QPBackend, available, uses_daqp
from relucert.lp.programs import FiniteSolution, lasso_qp
from relucert.tolerances import Tolerances

__all__ = ["fallback_chain", "lasso_qp_chain"]


def fallback_chain(qp_backend: str | QPBackend) -> tuple[QPBackend, ...]:
    """The backends :func:`lasso_qp_chain` tries, in order.

    ``"active-set"``: the active set (with HiGHS and clarabel inside), then DAQP when it
    imports. ``"daqp"``: DAQP alone, since ``lasso_qp``'s DAQP path already ends with the
    active-set chain.

    Parameters
    ----------
    qp_backend : {"active-set", "daqp"}

    Returns
    -------
    tuple of QPBackend

    Raises
    ------
    ValueError
        Unknown backend (the message names ``qp_backend`` and the known ones).
    ImportError
        ``"daqp"`` asked for and not installed (the message names the ``qp`` extra).

    Examples
    --------
    >>> fallback_chain("daqp")
    (<QPBackend.DAQP: 'daqp'>,)
    """
    if uses_daqp(qp_backend):
        return (QPBackend.DAQP,)
    return (QPBackend.ACTIVE_SET, QPBackend.DAQP) if available() else (QPBackend.ACTIVE_SET,)


def lasso_qp_chain(Phi: np.ndarray, y: np.ndarray, lam: float, *, tol: Tolerances | None = None,
                   warm_start: np.ndarray | None = None,
                   qp_backend: str | QPBackend = QPBackend.ACTIVE_SET,
                   refine: bool = True, kept=None, floor_answer: bool = False) -> tuple[FiniteSolution, list[str]]:
    """:func:`relucert.lp.programs.lasso_qp` on each backend of :func:`fallback_chain` until
    one answers.

    Parameters
    ----------
    Phi : ndarray, shape (n, K)
        Signed columns.
    y : ndarray, shape (n,)
    lam : float
        ``> 0``.
    tol : Tolerances, optional
    warm_start : ndarray, shape (K,), optional
        Starting weights ``>= 0``, given to every backend tried.
    qp_backend : {"active-set", "daqp"}
        The backend asked for first.
    refine : bool
        Passed to every backend tried (:func:`relucert.lp.programs.lasso_qp`).
    kept : KeptFactors, optional
        The active set's factors kept across calls (:func:`relucert.lp.programs.lasso_qp`).
    floor_answer : bool
        Passed to every backend tried (:func:`relucert.lp.programs.lasso_qp`): an answer stopped
        at the precision floor comes back with status INACCURATE instead of a dense QP.

    Returns
    -------
    solution : FiniteSolution
        The first answer that passed its re-check.
    failures : list of str
        ``"<backend>: <error>"`` for each backend that failed before it (empty when the first
        one answered).

    Raises
    ------
    SolverError
        Every backend of the chain failed; the message gives each one's error, in order.

    Examples
    --------
    >>> sol, failures = lasso_qp_chain(np.ones((2, 1)), np.ones(2), 1.0)
    >>> round(float(sol.c[0]), 6), failures
    (0.5, [])
    """
    failures: list[str] = []
    for backend in fallback_chain(qp_backend):
        try:
            return lasso_qp(Phi, y, lam, tol=tol, warm_start=warm_start, qp_backend=backend,
                            refine=refine, kept=kept, floor_answer=floor_answer), failures
        except SolverError as exc:
            failures.append(f"{backend.value}: {exc}")
    tried = " -> ".join(b.value for b in fallback_chain(qp_backend))
    raise SolverError(f"every finite-lasso backend failed ({tried}): " + "; then ".join(failures))
