"""The public solver entry point `relucert.solve`: the exact global optimum of (P_lam) or (P_0), with its certificate."""
from __future__ import annotations

import time
from enum import Enum

import numpy as np

from relucert._validation import check_choice, check_device, check_lam, check_positive_int, check_Xy
from relucert.errors import SolverError
from relucert.results import Status
from relucert.solution import Solution
from relucert.tolerances import Tolerances, resolve

__all__ = ["solve", "Method", "check_interpolation_consistent"]


class Method(str, Enum):
    """How the optimum is computed."""

    EXCHANGE = "exchange"   #: column generation on HiGHS with the exact region oracle
    SOCP = "socp"           #: the full reformulation over all chambers, clarabel


def check_interpolation_consistent(X: np.ndarray, y: np.ndarray) -> None:
    """(P_0) is feasible iff equal ``x_i`` carry equal ``y_i``; raise ValueError naming
    the first offending pair of sample indices otherwise."""
    _, inverse = np.unique(X, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(inverse[order])) + 1)
    for g in groups:
        if g.size > 1 and np.any(y[g] != y[g[0]]):
            j = int(g[np.flatnonzero(y[g] != y[g[0]])[0]])
            i = int(g[0])
            raise ValueError(
                f"y: the interpolation problem (lam = 0) is infeasible: samples {i} and {j} have equal "
                f"x = {X[i].tolist()} but different y ({y[i]!r} and {y[j]!r}); use lam > 0")


def _solution_from(X, y, lam, arr, cert, method, timings, tol, info) -> Solution:
    return Solution(X=X, y=y, lam=lam, theta=cert.theta, amplitude=cert.amplitude, objective=cert.objective,
                    tv_norm=cert.tv_norm, dual=cert.p, predictions=cert.predictions,
                    max_abs_certificate=cert.max_abs_certificate, duality_gap=cert.duality_gap,
                    n_chambers=arr.n_chambers, status=Status.OPTIMAL, method=method, timings=timings,
                    tol=tol, info=info)


def solve(X, y, lam, *, method: str | Method = "exchange", tol: Tolerances | None = None,
          progress: bool | None = None, max_chambers: int | None = None,
          max_iter: int | None = None, device: str = "auto") -> Solution:
    """The global solution of TV-regularised training of an infinite-width ReLU network.

    Solves (P_lam) ``min_mu 0.5 ||K mu - y||^2 + lam ||mu||_TV`` for ``lam > 0``, or (P_0)
    ``min ||mu||_TV`` s.t. ``K mu = y`` for ``lam == 0``, over signed measures on the
    sphere of ``(w, b)``, and returns a finite network with an exactly-scanned dual
    certificate.

    Parameters
    ----------
    X : array (n_samples, n_features)
    y : array (n_samples,)
    lam : float >= 0
    method : "exchange" (default; HiGHS column generation with the exact region oracle
        and Newton polishing) or "socp" (the full reformulation over every chamber,
        solved by clarabel: the cross-check).
    tol : Tolerances, optional
    progress : show progress bars (None: only on a terminal).
    max_chambers : refuse data with more dual regions than this
        (default ``relucert.arrangement.DEFAULT_MAX_CHAMBERS``).
    max_iter : bound on the exchange rounds (default 200).
    device : "auto" (CUDA when torch sees one), "cpu" or "cuda": where the oracle's batched
        region projections run (d >= 4; d <= 3 use exact vectorised face candidates).
        "cuda" without a CUDA device is an error.

    Returns
    -------
    Solution
        ``status`` is always OPTIMAL: the relative duality gap is at most
        ``tol.obj_gap`` and ``max |eta_p| <= 1 + tol.dual_feas`` on every dual region
        (socp: relative gap at most ``max(tol.obj_gap, tol.conic_accept)``).

    Raises
    ------
    ValueError, TypeError
        Bad input (named field); for lam = 0, equal x_i with different y_i.
    TooManyChambersError
        More chambers than ``max_chambers``.
    SolverError
        No certified optimum (a finite program's status, or the iteration limit).

    Notes
    -----
    On a chamber with activation set A the certificate ``eta_p(theta) = sum_i p_i
    relu(<theta, x~_i>)`` is linear, ``<theta, v_A>``, and its maximum on the closed
    region is ``||P_C(v_A)||``; so the semi-infinite dual constraint ``|eta_p| <= 1`` is
    checked exactly on finitely many regions. The duality gap is
    ``G = primal(mu) - D(p / max(1, max|eta_p|))`` with ``D(p) = lam <p, y> -
    lam^2/2 ||p||^2`` (``<p, y>`` for lam = 0).

    Examples
    --------
    Three points on a line, a tent ``y = (0, 1, 0)`` and ``lam = 0`` (interpolation):
    the cheapest network has TV norm ``5 / sqrt(2)`` and interpolates exactly.

    >>> sol = solve([[0.0], [1.0], [2.0]], [0.0, 1.0, 0.0], 0.0)
    >>> sol.status.value, round(sol.objective * 2 ** 0.5, 9), (sol.predictions.round(9) + 0.0).tolist()
    ('optimal', 5.0, [0.0, 1.0, 0.0])
    """
    from relucert.arrangement import DEFAULT_MAX_CHAMBERS, enumerate_chambers
    from relucert.lp.exchange import DEFAULT_MAX_ITER, evaluate, solve_exchange

    X, y = check_Xy(X, y)
    lam = check_lam(lam, allow_zero=True)
    method = check_choice(method, "method", Method)
    tol = resolve(tol)
    max_chambers = DEFAULT_MAX_CHAMBERS if max_chambers is None else check_positive_int(max_chambers, "max_chambers")
    max_iter = DEFAULT_MAX_ITER if max_iter is None else check_positive_int(max_iter, "max_iter")
    device = check_device(device)
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be a bool or None; got {type(progress).__name__}")
    if lam == 0:
        check_interpolation_consistent(X, y)
    timings = {}
    start = time.perf_counter()
    arr = enumerate_chambers(X, max_chambers=max_chambers, progress=progress, tol=tol)
    timings["chambers"] = time.perf_counter() - start
    info = {"arrangement_method": arr.method}
    if method == Method.EXCHANGE.value:
        t0 = time.perf_counter()
        res = solve_exchange(arr, y, lam, tol=tol, max_iter=max_iter, progress=progress, device=device)
        timings["solve"] = time.perf_counter() - t0
        timings.update({f"solve_{k}": v for k, v in res.timings.items()})
        cert = res.best
        info.update({"n_iter": res.n_iter, "polished": res.polished,
                     "history": res.history})
    else:
        from relucert.lp.merge import merge_atoms
        from relucert.lp.socp import solve_socp

        t0 = time.perf_counter()
        sol = solve_socp(arr, y, lam, tol=tol)
        timings["solve"] = time.perf_counter() - t0
        norms = np.linalg.norm(sol.U, axis=1)
        scale = max(1.0, float(np.max(norms, initial=0.0)))
        keep = norms > tol.conic * scale
        sign = np.tile([1.0, -1.0], arr.n_chambers)[keep]
        theta = sol.U[keep] / norms[keep, None]
        theta, amp = merge_atoms(arr.X_lift, theta, sign * norms[keep], tol)
        t0 = time.perf_counter()
        p = None if lam > 0 else -sol.z
        cert = evaluate(arr, y, lam, theta, amp, p, tol=tol, exact=True, device=device)
        timings["certificate"] = time.perf_counter() - t0
        info.update({"clarabel_status": sol.backend_status, "clarabel_iterations": sol.n_iter,
                     "clarabel_objective": sol.objective})
        accept = max(tol.obj_gap, tol.conic_accept)
        # The interior-point answer has errors of order tol.conic in its atoms; amplified by
        # 1/lam in p = (y - K mu)/lam they make max|eta| slightly exceed 1, which the gap
        # (computed with p scaled into feasibility) already accounts for: accept on the gap.
        interp = (lam > 0 or float(np.max(np.abs(cert.predictions - y)))
                  <= accept * max(1.0, float(np.max(np.abs(y)))))
        if not (cert.scan.complete and abs(cert.rel_gap()) <= accept and interp):
            raise SolverError(
                f"socp: clarabel reported Solved but the exact check failed (status 'inaccurate'): "
                f"relative gap {cert.rel_gap():.3e}, max|eta| = {cert.max_abs_certificate:.12g}")
    timings["total"] = time.perf_counter() - start
    return _solution_from(X, y, lam, arr, cert, method, timings, tol, info)
