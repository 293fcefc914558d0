"""The public solver entry point `relucert.solve`: the exact global optimum of (P_lam) or (P_0), with its certificate."""
from __future__ import annotations

import time
import warnings
from dataclasses import replace
from enum import Enum

import numpy as np

from relucert._devices import bab_kernels_for_device, ops_for_device
from relucert._executors import check_parallel, executor_for
from relucert._model import lift, problem_scales
from relucert._warm_start import warm_start_atoms
from relucert._validation import check_choice, check_lam, check_positive_int, check_time_limit, check_Xy
from relucert.errors import ConvergenceWarning, InaccurateSolutionWarning, SolverError
from relucert.results import Status
from relucert.solution import Solution
from relucert.tolerances import Tolerances, resolve

__all__ = ["solve", "SolverMethod", "OracleChoice", "choose_oracle", "check_interpolation_consistent",
           "check_qp_backend"]


class SolverMethod(str, Enum):
    """How the optimum is computed."""

    EXCHANGE = "exchange"   #: column generation on HiGHS with the exact region oracle
    SOCP = "socp"           #: the full reformulation over all chambers, clarabel


class OracleChoice(str, Enum):
    """Which oracle answers "max |eta_p|" in the exchange method."""

    ENUMERATE = "enumerate"  #: scan every chamber of the enumerated arrangement
    BAB = "bab"              #: branch and bound over cones (no chamber list)
    AUTO = "auto"            #: enumeration up to ``AUTO_ENUMERATION_MAX_CHAMBERS`` estimated chambers


def choose_oracle(X: np.ndarray, oracle: str, method: str, arrangement=None) -> str:
    """``"enumerate"`` or ``"bab"`` for ``oracle`` (already validated).

    "auto" picks the enumeration when a chamber list is given or needed (``method="socp"``)
    or the estimated chamber count (:func:`relucert.arrangement.estimate_chambers`, an upper
    bound) is at most ``AUTO_ENUMERATION_MAX_CHAMBERS`` (benchmarks/RESULTS.md, "Oracle
    crossover"), the branch and bound otherwise. A caller's smaller ``max_chambers`` does not
    switch to the branch and bound: the enumeration then refuses (``TooManyChambersError``).

    Parameters
    ----------
    X : ndarray, shape (n, d)
    oracle : {"enumerate", "bab", "auto"}
    method : {"exchange", "socp"}
    arrangement : Arrangement, optional

    Returns
    -------
    str
    """
    from relucert.arrangement import estimate_chambers
    from relucert.tolerances import AUTO_ENUMERATION_MAX_CHAMBERS

    if oracle != OracleChoice.AUTO.value:
        return oracle
    if arrangement is not None or method == SolverMethod.SOCP.value:
        return OracleChoice.ENUMERATE.value
    small = estimate_chambers(X) <= AUTO_ENUMERATION_MAX_CHAMBERS
    return OracleChoice.ENUMERATE.value if small else OracleChoice.BAB.value


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


def check_qp_backend(qp_backend, method: str = SolverMethod.EXCHANGE.value) -> str:
    """``qp_backend`` as the value of a :class:`relucert.lp.daqp_lasso.QPBackend`: ValueError
    naming the field for an unknown one (or a non-default one with ``method="socp"``, which
    solves no finite lasso), ImportError naming the ``qp`` extra for "daqp" without DAQP."""
    from relucert.lp.daqp_lasso import QPBackend, uses_daqp

    value = check_choice(qp_backend, "qp_backend", QPBackend)
    uses_daqp(value)
    if method == SolverMethod.SOCP.value and value != QPBackend.ACTIVE_SET.value:
        raise ValueError(f"qp_backend: only method='exchange' solves finite lasso programs; got {value!r} "
                         "with method='socp'")
    return value


def _solution_from(X, y, lam, n_chambers, cert, method, timings, tol, info, scales, status) -> Solution:
    s_x, c_y = scales
    amp_scale = c_y / s_x
    obj_scale = c_y * c_y if lam > 0 else amp_scale
    info = {**info, "relative_gap": float(cert.rel_gap()), "scaling": {"x": s_x, "y": c_y},
            "certified_upper_bound_eta": float(cert.scan.upper_bound)}
    lower = cert.lower_bound * obj_scale if cert.feasible else -np.inf
    return Solution(X=X, y=y, lam=lam, theta=cert.theta, amplitude=cert.amplitude * amp_scale,
                    objective=cert.objective * obj_scale, tv_norm=cert.tv_norm * amp_scale, dual=cert.p / s_x,
                    predictions=cert.predictions * c_y, max_abs_certificate=cert.max_abs_certificate,
                    duality_gap=cert.duality_gap * obj_scale, n_chambers=n_chambers, status=status,
                    method=method, timings=timings, tol=tol, info=info, certified_lower_bound=float(lower))


def _within(sol: Solution) -> str:
    """"certified within X % of the optimum" with ``X = 100 * sol.certified_rel_gap``, the
    fraction of the objective (user's units) the optimum may lie below it."""
    lower, obj, rel = sol.certified_lower_bound, sol.objective, sol.certified_rel_gap
    if not np.isfinite(rel):
        return "no certified gap"
    return (f"certified within {100.0 * rel:.3g} % of the optimum (objective {obj:.12g}, certified lower "
            f"bound {lower:.12g})")


def _outcome(sol: Solution, strict: bool, history=None) -> Solution:
    """Warn about (or, under ``strict``, raise on) a non-optimal solution."""
    if sol.status is Status.OPTIMAL:
        return sol
    message = sol.info.get("message", f"status {sol.status.value!r}")
    if strict:
        err = SolverError(message)
        err.history = history or []
        err.solution = sol
        raise err
    category = InaccurateSolutionWarning if sol.status is Status.INACCURATE else ConvergenceWarning
    within = _within(sol)
    warnings.warn(f"{within}: {message}", category, stacklevel=3)
    return sol


def solve(X, y, lam, *, method: str | SolverMethod = "exchange", tol: Tolerances | None = None,
          progress: bool | None = None, max_chambers: int | None = None,
          max_iter: int | None = None, device: str = "auto", strict: bool = False,
          arrangement=None, oracle: str | OracleChoice = "auto", time_limit: float | None = None,
          n_jobs: int | None = None, scheduler=None, warm_start=None,
          max_nodes: int | None = None, qp_backend: str = "active-set") -> Solution:
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
        (default ``relucert.arrangement.DEFAULT_MAX_CHAMBERS``); enumeration only (the
        branch-and-bound oracle lists no chambers and has no such limit).
    max_iter : bound on the exchange rounds (default 200).
    device : "auto" (CUDA when torch sees one), "cpu" or "cuda": where the oracle's batched
        region projections run (d >= 4; d <= 3 use exact vectorised face candidates), and
        the branch and bound's bounding kernels. "cuda" without a CUDA device is an error.
    strict : raise SolverError instead of returning a non-optimal solution.
    arrangement : Arrangement, optional
        The chambers of ``X`` when the caller has them already (``relucert.certify``
        enumerates once); enumerated when None. One built from other data is an error.
    oracle : "enumerate", "bab" or "auto" (default)
        What answers ``max |eta_p|`` in the exchange: the scan of every enumerated chamber,
        or the branch and bound over cones of the sphere (DESIGN.md section 10; no chamber
        list, ``n_chambers`` is then 0); "auto" enumerates up to
        ``relucert.tolerances.AUTO_ENUMERATION_MAX_CHAMBERS`` estimated chambers. ``socp``
        always enumerates.
    time_limit : float, optional
        Seconds (None: no limit). A stop rule only: no exchange round starts after it
        (with the branch and bound, after ``1 - ANYTIME_BOUND_SHARE`` of it) and
        branch-and-bound scans stop there; the answer is then status LIMIT with the best
        network and a certified lower bound: the largest ``D(t p)``, ``0 <= t <= 1/U``, over
        every dual ``p`` scanned with its certified ``U >= max |eta_p|``, the last one's ``U``
        from a best-first branch and bound on ``BAB_BOUND_NODES`` nodes continued until the
        limit (``relucert.lp.tv.anytime``). Where the run stops depends on the machine's
        speed. Exchange only.
    n_jobs, scheduler : optional
        Where the branch-and-bound oracle's scans run (issue 14): ``n_jobs`` local
        processes (-1: every CPU) or the Dask scheduler at ``scheduler`` (an address, or a
        ``distributed.Client``; the optional extra ``relucert[dask]``), by subtrees
        (:mod:`relucert.lp.tv.bab.parallel`); default serial. The enumeration oracle's scan
        runs in this process (splitting it does not pay: benchmarks/RESULTS.md).
    warm_start : Solution, array (k, n_features + 1) or (theta, amplitude), optional
        Atoms the exchange starts from instead of nothing: a previous Solution (e.g. at a
        nearby lam), atom directions ``theta = (w, b)`` (normalised; each tried with both
        signs), or directions with signed amplitudes (which also warm-start the first finite
        program). Only the starting columns change: the answer is certified by the same
        complete scan, so a poor warm start costs rounds, never correctness. Exchange only.
    max_nodes : int, optional
        A node budget of every branch-and-bound scan of the exchange rounds (``oracle="bab"``;
        default: none). A deterministic work budget: with ``max_iter`` it bounds a run
        without a clock. A scan stopped by it returns its violators and a valid bound.
    qp_backend : "active-set" (default) or "daqp"
        Who solves the exchange's finite lasso programs first: the active-set method
        (HiGHS, then clarabel, when it does not converge) or DAQP (the optional extra
        ``relucert[qp]``). When every solver of the first fails, the other is tried before
        the run ends INACCURATE (``info["history"]``, ``qp_fallback``). Either answer is
        re-checked from its weights, and optimality is decided by the same certified gap.
        (P_0) solves LPs on HiGHS whatever it is. Exchange only.

    Returns
    -------
    Solution
        ``status`` OPTIMAL: the duality gap, computed with the scaled-feasible dual
        ``p / max(1, max|eta_p|)`` from a complete exact scan of every dual region, is at
        most ``tol.obj_gap`` relative (socp: ``max(tol.obj_gap, tol.conic_accept)``).
        Otherwise LIMIT (rounds ran out) or INACCURATE (a finite program failed, or the
        socp answer failed the check) with the certified gap reached, a diagnosis in
        ``info["message"]``, and a ``ConvergenceWarning`` / ``InaccurateSolutionWarning``.
        The stopping test's gap is relative to ``max(1, |objective|)`` in the solver's
        internal units (``y`` divided by a power of two near ``max |y_i|``:
        ``info["relative_gap"]``). Every status carries ``certified_lower_bound`` (``<=`` the
        optimum) and ``certified_rel_gap = (objective - lower) / |objective|`` in the user's
        units (rounded up; :func:`relucert.solution.user_rel_gap`); the warning says
        "certified within X %" with ``X = 100 * certified_rel_gap``.

    Raises
    ------
    ValueError, TypeError
        Bad input (named field); for lam = 0, equal x_i with different y_i.
    TooManyChambersError
        More chambers than ``max_chambers``.
    SolverError
        Under ``strict``, any non-optimal status; always, a (P_0) run that found no
        interpolating network.

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
    from relucert.lp.tv.candidate import evaluate_candidate
    from relucert.lp.tv.exchange import DEFAULT_MAX_ITER, solve_exchange
    from relucert.lp.tv.oracle_api import BranchAndBoundOracle

    X, y = check_Xy(X, y)
    lam = check_lam(lam, allow_zero=True)
    method = check_choice(method, "method", SolverMethod)
    oracle = check_choice(oracle, "oracle", OracleChoice)
    time_limit = check_time_limit(time_limit)
    if method == SolverMethod.SOCP.value and oracle == OracleChoice.BAB.value:
        raise ValueError("oracle: 'bab' works with method='exchange' only (the socp reformulation lists "
                         "every chamber)")
    if method == SolverMethod.SOCP.value and time_limit is not None:
        raise ValueError("time_limit: only method='exchange' takes a time limit")
    n_jobs, scheduler = check_parallel(n_jobs, scheduler)
    if method == SolverMethod.SOCP.value and warm_start is not None:
        raise ValueError("warm_start: only method='exchange' takes a warm start")
    max_nodes = check_positive_int(max_nodes, "max_nodes", allow_none=True)
    qp_backend = check_qp_backend(qp_backend, method)
    tol = resolve(tol)
    max_chambers = DEFAULT_MAX_CHAMBERS if max_chambers is None else check_positive_int(max_chambers, "max_chambers")
    max_iter = DEFAULT_MAX_ITER if max_iter is None else check_positive_int(max_iter, "max_iter")
    ops = ops_for_device(device)
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be a bool or None; got {type(progress).__name__}")
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be a bool; got {type(strict).__name__}")
    if lam == 0:
        check_interpolation_consistent(X, y)
    if arrangement is not None and not (getattr(arrangement, "X", None) is not None
                                        and np.array_equal(arrangement.X, X)):
        raise ValueError("arrangement was built from other data than X")
    timings = {}
    start = time.perf_counter()
    chosen = choose_oracle(X, oracle, method, arrangement)
    if chosen == OracleChoice.BAB.value:
        arr = None
        info = {"oracle": chosen, "arrangement_method": "none (branch and bound)"}
        scales = problem_scales(lift(X), y)
    else:
        arr = arrangement if arrangement is not None else enumerate_chambers(
            X, max_chambers=max_chambers, progress=progress, tol=tol)
        info = {"oracle": chosen, "arrangement_method": arr.method}
        scales = problem_scales(arr.X_lift, y)
    timings["chambers"] = time.perf_counter() - start
    if method == SolverMethod.SOCP.value:  # the cross-check runs on the data as given (clarabel equilibrates)
        scales = (1.0, 1.0)
    s_x, c_y = scales
    if arr is None:
        arr_s = None
        budget = {} if max_nodes is None else {"max_nodes": max_nodes}
        kernels = bab_kernels_for_device(device)
        if kernels is not None:
            budget["kernels"] = kernels
        the_oracle = BranchAndBoundOracle(X, lift_scale=s_x, progress=progress, **budget)
    else:
        arr_s = replace(arr, X_lift=arr.X_lift / s_x) if s_x != 1.0 else arr
        the_oracle = None
    n_chambers = 0 if arr is None else arr.n_chambers
    y_s, lam_s = y / c_y, lam / (c_y * s_x)
    status = Status.OPTIMAL
    if method == SolverMethod.EXCHANGE.value:
        t0 = time.perf_counter()
        left = None if time_limit is None else max(time_limit - (t0 - start), 0.0)
        init = warm_start_atoms(warm_start, X, c_y / s_x)
        with executor_for(n_jobs, scheduler) as executor:   # used by the branch and bound only
            if executor is not None and the_oracle is not None:
                the_oracle.executor = executor
            res = solve_exchange(arr_s, y_s, lam_s, tol=tol, max_iter=max_iter, progress=progress, ops=ops,
                                 oracle=the_oracle, time_limit=left, init_atoms=init, qp_backend=qp_backend)
            if the_oracle is not None:
                the_oracle.executor = None
        timings["solve"] = time.perf_counter() - t0
        timings.update({f"solve_{k}": v for k, v in res.timings.items()})
        cert = res.best
        status = res.status
        info.update({"n_iter": res.n_iter, "polished": res.polished, "history": res.history,
                     "message": res.message})
        if res.diagnosis:
            info["diagnosis"] = res.diagnosis
    else:
        from relucert.lp.tv.merge import merge_atoms
        from relucert.lp.tv.socp import solve_socp

        t0 = time.perf_counter()
        sol = solve_socp(arr_s, y_s, lam_s, tol=tol)
        timings["solve"] = time.perf_counter() - t0
        norms = np.linalg.norm(sol.U, axis=1)
        scale = max(1.0, float(np.max(norms, initial=0.0)))
        keep = norms > tol.conic * scale
        sign = np.tile([1.0, -1.0], arr.n_chambers)[keep]
        theta = sol.U[keep] / norms[keep, None]
        theta, amp = merge_atoms(arr_s.X_lift, theta, sign * norms[keep], tol)
        t0 = time.perf_counter()
        p = None if lam > 0 else -sol.z
        cert = evaluate_candidate(arr_s, y_s, lam_s, theta, amp, p, tol=tol, exact=True, ops=ops)
        timings["certificate"] = time.perf_counter() - t0
        info.update({"clarabel_status": sol.backend_status, "clarabel_iterations": sol.n_iter,
                     "clarabel_objective": sol.objective})
        accept = max(tol.obj_gap, tol.conic_accept)
        # The interior-point answer has errors of order tol.conic in its atoms; amplified by
        # 1/lam in p = (y - K mu)/lam they make max|eta| slightly exceed 1, which the gap
        # (computed with p scaled into feasibility) already accounts for: accept on the gap.
        interp = (lam > 0 or float(np.max(np.abs(cert.predictions - y_s)))
                  <= accept * max(1.0, float(np.max(np.abs(y_s)))))
        if cert.scan.complete and abs(cert.rel_gap()) <= accept and interp:
            info["message"] = "optimal"
        else:
            status = Status.INACCURATE
            info["message"] = (f"socp: clarabel reported {sol.backend_status} but the exact check failed (status "
                               f"'inaccurate'): relative gap {cert.rel_gap():.3e}, max|eta| = "
                               f"{cert.max_abs_certificate:.12g}" + ("" if interp else ", interpolation not met"))
    timings["total"] = time.perf_counter() - start
    if the_oracle is not None:
        last = cert.scan.detail
        if last is not None:
            info["bab_nodes_last_scan"] = int(last.stats.n_nodes)
    out = _solution_from(X, y, lam, n_chambers, cert, method, timings, tol, info, scales, status)
    return _outcome(out, strict, info.get("history"))
