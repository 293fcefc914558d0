"""The exchange (column-generation) method: the exact global optimum of (P_lam) and (P_0).

DESIGN.md section 4 and proofs/exchange_method.md. Keep a finite set of signed atoms;
solve the lasso QP (lam > 0) or the basis-pursuit LP (lam = 0) over it on HiGHS; merge
atoms per (region, sign); ask the oracle (:mod:`relucert.lp.tv.oracle_api`; by default the
scan of every chamber) for ``max |eta_p|`` and the violators above ``1 + tol.dual_feas``;
add them; repeat. Whenever the scan is complete the duality gap

    G = primal(mu) - D(p / max(1, max |eta_p|))

is computed honestly (:mod:`relucert.lp.tv.candidate`); the method stops when
``G <= tol.obj_gap * max(1, |primal|)`` (an honest bound on the sub-optimality whatever
``max |eta_p|`` is: the scaled dual is feasible). Once the support pattern is found,
Newton's method on that pattern brings the solution to full double precision
(:mod:`relucert.lp.tv.polish_policy`); the atom set changes between rounds as
:mod:`relucert.lp.tv.atom_set` says. A run that does not reach the gap returns its best
candidate with status LIMIT (or INACCURATE when a finite program failed), its certified
gap and a diagnosis; it never claims optimality.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field, replace

import numpy as np

from relucert.errors import SolverError
from relucert.results import Status
from relucert.lp.tv.anytime import run_deadlines, with_anytime_bound
from relucert.lp.tv.atom_set import FeatureColumns, add_violators, interpolating_atoms, merge_answer, update_atom_set
from relucert.lp.tv.candidate import (CandidateEvaluation, accept_limit, as_oracle, diagnose, evaluate_candidate,
                                      refined_dual_scan)
from relucert.lp.tv.polish import dual_rounding_floor
from relucert.lp.tv.polish_policy import PolishPolicy, drop_negligible
from relucert.lp.lasso_chain import lasso_qp_chain
from relucert.lp.qr_factors import KeptFactors
from relucert.lp.programs import basis_pursuit_lp
from relucert.tolerances import (BAB_STOP_GAP_SHARE, BAB_STOP_TEST, DUAL_REFINE_WINDOW, EXCHANGE_ACCEPT_SLACK_EPS,
                                 EXCHANGE_CONTINUATION_FACTOR, EXCHANGE_PROGRESS_FRACTION, Tolerances, resolve)

__all__ = ["ExchangeResult", "solve_exchange", "initial_atoms", "DEFAULT_MAX_ITER"]

DEFAULT_MAX_ITER = 200


@dataclass(frozen=True)
class ExchangeResult:
    """The run's answer: ``best`` (certified when ``status`` is OPTIMAL; otherwise the
    candidate with the smallest certified gap, from a complete scan), the rounds, whether
    the answer came from polishing, the per-round ``history``, ``timings``, and a
    ``message`` saying what failed when it is not OPTIMAL (LIMIT: rounds or atoms ran
    out; INACCURATE: a finite program failed)."""

    best: CandidateEvaluation
    n_iter: int
    polished: bool
    history: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    status: Status = Status.OPTIMAL
    message: str = "optimal"
    diagnosis: str = ""


def _continuation_start(oracle, y, lam, tol, max_iter, add_limit, qp_backend):
    """Atoms to start (P_lam) from, by continuation: (P_{lam F^j}) for j = J, ..., 1
    (``F = EXCHANGE_CONTINUATION_FACTOR``, the largest level below the oracle's
    ``dual_norm_bound(y)``, an upper bound of the smallest lam with the zero solution), each
    solved to ``tol.continuation_gap`` and started from the previous level's atoms. Returns
    ``(init_atoms, rounds)`` or None.

    Only the starting set changes: whatever it is, the run at lam certifies on its own gap.
    Started cold at small lam, the dual ``y / lam`` is far from feasible and the first rounds'
    thousands of violators are mostly unused."""
    lam_max = oracle.dual_norm_bound(y)
    levels = []
    level = lam * EXCHANGE_CONTINUATION_FACTOR
    while level < lam_max:
        levels.append(level)
        level *= EXCHANGE_CONTINUATION_FACTOR
    if not levels:
        return None
    loose = tol.with_(obj_gap=max(tol.obj_gap, tol.continuation_gap))
    init, rounds = None, 0
    for level in reversed(levels):
        res = solve_exchange(None, y, level, tol=loose, max_iter=max_iter, add_limit=add_limit, progress=False,
                             init_atoms=init, continuation=False, oracle=oracle, qp_backend=qp_backend)
        rounds += res.n_iter
        b = res.best
        if b.theta.shape[0]:
            init = (b.theta, np.sign(b.amplitude), np.abs(b.amplitude))
    return None if init is None else (init, rounds)


def initial_atoms(X: np.ndarray, D: int, lam: float, init_atoms: tuple | None = None):
    """The exchange's starting columns ``(theta_set, sign_set, weights)``.

    lam > 0: the ``init_atoms`` (a warm start; ``weights`` when given, else None), or none.
    lam = 0: the interpolating atoms (:func:`relucert.lp.tv.atom_set.interpolating_atoms`,
    each with both signs, so the first basis-pursuit LP is feasible) followed by the
    ``init_atoms``; ``weights`` None (an LP has no warm start here).

    Parameters
    ----------
    X : ndarray, shape (n, d)
    D : int
        ``d + 1``.
    lam : float
    init_atoms : tuple, optional
        ``(theta, sign)`` or ``(theta, sign, weights)``.

    Returns
    -------
    theta_set : ndarray (k, D); sign_set : ndarray (k,); weights : ndarray (k,) or None
    """
    theta0, sign0, weights = np.zeros((0, D)), np.zeros(0), None
    if init_atoms is not None:
        theta0 = np.asarray(init_atoms[0], float).reshape(-1, D)
        sign0 = np.asarray(init_atoms[1], float).reshape(-1)
        if len(init_atoms) > 2 and lam > 0:  # weights: a warm start of the first QP
            weights = np.asarray(init_atoms[2], float).reshape(-1)
    if lam > 0:
        return theta0, sign0, weights
    T = interpolating_atoms(X)
    return (np.vstack([T, T, theta0]),
            np.concatenate([np.ones(T.shape[0]), -np.ones(T.shape[0]), sign0]), None)


def _early_stop(oracle, y, lam, amp_m, pred, p, tol) -> dict:
    """The early-stop arguments of this round's scan (proofs/exchange_method.md, "Early-stopped
    scans"): it may stop before it is complete only once it has found a value above the
    candidate's acceptance limit ``M*`` (:func:`accept_limit`, with the refinement window of
    the gap test: no candidate that the gap could accept is ever scanned incompletely), and
    then where the maximum is known, or at the violator limit when the violation found is
    at least ``EXCHANGE_PROGRESS_FRACTION`` times the largest one left possible (the descent
    that keeps the loop convergent). No projection budget: measured at n = 1000, d = 2, stops
    at a budget added too few columns per round (benchmarks/RESULTS.md). The branch and bound
    (serial) gets the stopping test instead (``BAB_STOP_TEST``; proofs/local_violators.md,
    Lemma L3): ``accept_below``, the largest upper bound ``U`` of ``max |eta_p|`` with which
    the candidate passes the gap test (for ``BAB_STOP_GAP_SHARE`` of the gap allowed); its
    scan stops once ``U`` is at most that (``settled``). The other oracles scan as before."""
    name = getattr(oracle, "name", "")
    bab = name == "bab" and BAB_STOP_TEST and getattr(oracle, "executor", None) is None
    if name != "enumerate" and not bab:
        return {}
    if lam > 0:
        r = y - pred
        objective = 0.5 * float(r @ r) + lam * float(np.sum(np.abs(amp_m)))
        allowed = tol.obj_gap * max(1.0, abs(objective)) * (BAB_STOP_GAP_SHARE if bab else DUAL_REFINE_WINDOW)
    else:
        objective = float(np.sum(np.abs(amp_m)))
        allowed = tol.obj_gap * max(1.0, abs(objective)) * (BAB_STOP_GAP_SHARE if bab else 1.0)
    if bab:   # no settling below 1: p itself would then be feasible and the scan complete
        below = accept_limit(objective, y, lam, p, allowed) / (1.0 + EXCHANGE_ACCEPT_SLACK_EPS * np.finfo(float).eps)
        return {"accept_below": below} if below >= 1.0 else {}
    m_star = accept_limit(objective, y, lam, p, allowed) * (1.0 + EXCHANGE_ACCEPT_SLACK_EPS * np.finfo(float).eps)
    return {"reject_above": max(m_star, 1.0 + tol.dual_feas), "progress": EXCHANGE_PROGRESS_FRACTION}


def solve_exchange(arr, y: np.ndarray, lam: float, *, tol: Tolerances | None = None,
                   max_iter: int = DEFAULT_MAX_ITER, add_limit: int | None = None,
                   progress: bool | None = None, ops=None, init_atoms: tuple | None = None,
                   continuation: bool = False, oracle=None, time_limit: float | None = None,
                   qp_backend: str = "active-set") -> ExchangeResult:
    """Run the exchange method (see the module doc).

    Parameters
    ----------
    arr : Arrangement or None
        The chambers of the data (the default oracle scans them); None when ``oracle``
        is given.
    y : ndarray, shape (n,)
    lam : float
        ``> 0`` for (P_lam), 0 for (P_0).
    tol : Tolerances, optional
    max_iter : int
        Rounds allowed.
    add_limit : int, optional
        Violators added per round (default ``max(2 n, 16)``).
    progress : bool, optional
        A tqdm bar on stderr (False: none).
    ops : optional
        The default oracle's array ops (None: numpy; torch ops from the API layer).
    init_atoms : tuple, optional
        ``(theta, sign)`` or ``(theta, sign, weights)``, unit atoms and signs to start from
        (:func:`initial_atoms`; lam = 0 adds them to the interpolating atoms), with optional
        weights ``>= 0`` warm-starting the first QP. Only the starting columns change.
    continuation : bool
        Start from the atoms of a sequence of larger lam (:func:`_continuation_start`).
        Off by default: measured on the issue-16 instance (n = 1000, d = 2, lam = 0.01) it
        cut the rounds at lam from 38 to 21 but cost 59 rounds of its own (323 s against
        174 s); at n = 300 it saved 17% (benchmarks/RESULTS.md).
    oracle : Oracle, optional
        Answers "max |eta_p| and the violators above t"
        (:mod:`relucert.lp.tv.oracle_api`); default: the
        :class:`~relucert.lp.tv.oracle_api.EnumerationOracle` of ``arr``.
    time_limit : float, optional
        Seconds; a stop rule only: no round starts after it and the oracle's scans stop
        at it (``oracle.deadline``). The best candidate's certified bound then comes from
        ``oracle.bound_scan`` (a complete scan, or a node-budgeted branch and bound), which
        does not depend on time; where the run stops does.
    qp_backend : {"active-set", "daqp"}
        Who solves the finite lasso first (:func:`relucert.lp.lasso_chain.lasso_qp_chain`:
        the other backend is tried before a failure ends the run; ``info["history"]`` logs
        the failures got past as ``qp_fallback``). (P_0)'s LP is always HiGHS's.

    Returns
    -------
    ExchangeResult
        OPTIMAL with a certified candidate, or LIMIT / INACCURATE with the best certified
        gap reached and a diagnosis.

    Raises
    ------
    SolverError
        A finite program failed before any candidate existed ((P_0): no interpolating
        network was found).
    """
    from tqdm import tqdm

    tol = resolve(tol)
    oracle = as_oracle(arr if oracle is None else oracle, ops)
    Xl = oracle.X_lift
    n, D = Xl.shape
    y = np.asarray(y, float)
    # the finite QP's optimality cannot be asked below the rounding floor of Phi^T p (tiny
    # lam relative to |y| |X~|, e.g. X in large units); the acceptance is on the gap and
    # does not use dual_feas (proofs/natural_units.md)
    xl_max = float(np.max(np.linalg.norm(Xl, axis=1), initial=0.0))
    floor = dual_rounding_floor(Xl, y, lam)
    tol_qp = tol.with_(dual_feas=floor) if floor > tol.dual_feas else tol
    limit = add_limit if add_limit is not None else max(2 * n, 16)
    timings = {"programs": 0.0, "oracle": 0.0, "polish": 0.0}
    pre_rounds = 0
    if continuation and lam > 0 and init_atoms is None:
        t0 = time.perf_counter()
        start = _continuation_start(oracle, y, lam, tol, max_iter, add_limit, qp_backend)
        timings["continuation"] = time.perf_counter() - t0
        if start is not None:
            init_atoms, pre_rounds = start
    oracle.forget()  # this run's scans start without an earlier run's prior
    # rounds stop before the limit: the rest is the final bounding scan's (lp/tv/anytime.py)
    deadline = run_deadlines(time_limit, oracle)
    oracle.deadline = deadline
    # c_prev: the last lasso weights, aligned with theta_set (new atoms get 0)
    theta_set, sign_set, c_prev = initial_atoms(oracle.X, D, lam, init_atoms)
    history = []
    best: CandidateEvaluation | None = None
    last = None    # the last iterate (theta, amplitude, p) when its scan was incomplete
    policy = PolishPolicy(oracle, y, lam, tol)
    kept = KeptFactors()   # the active set's factors of the last support, for the next round's QP
    features = FeatureColumns(Xl)   # Phi of the atom set, only the new columns computed
    qp_error = None
    prev_max = np.inf   # the last scan's max |eta_p| found (the first QP is not refined)
    stopped = f"iteration limit of {max_iter} rounds"
    bar = tqdm(total=max_iter, desc="exchange", disable=progress is False or None, file=sys.stderr, leave=False) \
        if progress is not False else None
    try:
        for it in range(1, max_iter + 1):
            t0 = t_round = time.perf_counter()
            c0 = time.process_time()
            if deadline is not None and t0 >= deadline:
                stopped = "time limit reached"
                break
            Phi = features(theta_set, sign_set)
            try:
                if lam > 0:
                    warm = None if c_prev is None else np.concatenate([c_prev, np.zeros(Phi.shape[1] - c_prev.size)])
                    # the weights' refinement only near the end game (the previous round's
                    # max |eta| within tol.polish_violation of 1): far from it no candidate
                    # can certify and the violators dwarf the QP's error
                    sol, qp_fallback = lasso_qp_chain(Phi, y, lam, tol=tol_qp, warm_start=warm, qp_backend=qp_backend,
                                                      refine=prev_max <= 1.0 + tol.polish_violation, kept=kept,
                                                      floor_answer=True)
                    c_prev = sol.c
                else:
                    sol, qp_fallback = basis_pursuit_lp(Phi, y, tol=tol), []
            except SolverError as exc:
                if lam == 0 and best is None and last is None:
                    raise
                qp_error = f"round {it}: {exc}"
                stopped = "finite QP failed"
                break
            finally:
                t_qp, c_qp = time.perf_counter() - t0, time.process_time() - c0
                timings["programs"] += t_qp
            t0 = time.perf_counter()
            theta_m, amp_m, pred, merge_note = merge_answer(Xl, theta_set, sign_set, sol.c, Phi, lam, tol, tol_qp)
            p_cur = (y - pred) / lam if lam > 0 else sol.p
            # the next scans skip regions that this one shows cannot reach 1
            early = _early_stop(oracle, y, lam, amp_m, pred, p_cur, tol)
            scan = oracle.scan(p_cur, 1.0 + tol.dual_feas, limit=limit, tol=tol, remember=True, **early)
            prev_max = scan.max_value   # a lower bound of max |eta_p| (exact when complete)
            t_scan = time.perf_counter() - t0
            timings["oracle"] += t_scan
            entry = {"iter": it, "n_atoms_set": int(theta_set.shape[0]), "n_atoms": int(theta_m.shape[0]),
                     "objective": float(sol.objective), "violators": scan.n_found,
                     "max_found": scan.max_value, "complete": scan.complete,
                     "qp": sol.program.backend_status, "qp_steps": sol.program.n_iter, "qp_s": t_qp,
                     "qp_cpu_s": c_qp, "oracle_s": t_scan, "projected": scan.n_projected}
            if merge_note:
                entry["merge"] = merge_note
            if qp_fallback:
                entry["qp_fallback"] = qp_fallback
            cands = []
            if scan.settled:
                # a settled scan (the stopping test) holds U <= accept_below: the gap test on U,
                # all that the acceptance uses, counts it as complete (proofs Lemma L3); so does
                # the polish policy (a polished candidate is judged on its own scan)
                scan = replace(scan, complete=True)
            if scan.complete:
                cand = evaluate_candidate(oracle, y, lam, theta_m, amp_m, p_cur, tol=tol, scan=scan)
                entry["gap"] = cand.duality_gap
                entry["rel_gap"] = cand.rel_gap()
                cands.append(cand)
                last = None
            else:
                last = (theta_m, amp_m, p_cur)
            if policy.should_try(scan, theta_m.shape[0], cands):
                t0 = time.perf_counter()
                polished = policy.run(theta_m, amp_m, p_cur, entry)
                if polished is not None:
                    cands.append(polished)
                timings["polish"] += time.perf_counter() - t0
            entry["seconds"] = time.perf_counter() - t_round
            if it == 1 and pre_rounds:
                entry["continuation_rounds"] = pre_rounds
            history.append(entry)
            if bar is not None:
                bar.update(1)
                gap = min((c.certified_rel_gap() for c in cands), default=np.inf)
                bar.set_postfix(atoms=entry["n_atoms"], viol=scan.n_found, maxeta=f"{scan.max_value:.3g}",
                                bound=f"{scan.upper_bound:.3g}", gap=f"{gap:.2e}")
            certified = [c for c in cands if c.certified]
            for c in cands:
                if c.feasible and c.scan.complete and (best is None or c.rel_gap() < best.rel_gap()):
                    best = c
            if certified:
                best = min(certified, key=lambda c: (c.duality_gap, c.max_abs_certificate))
                best = drop_negligible(oracle, y, lam, best, tol)
                return ExchangeResult(best=best, n_iter=it, polished=best is not cands[0],
                                      history=history, timings=timings)
            theta_set, sign_set, c_prev, added = update_atom_set(theta_set, sign_set, sol.c, c_prev, theta_m, amp_m,
                                                                 scan, p_cur, limit, tol, xl_max, kept)
            if deadline is not None and time.perf_counter() >= deadline:
                stopped = "time limit reached"
                break
            if not added and lam > 0 and theta_m.shape[0]:
                # every violator of the weights' dual is an atom already: at the rounding floor of
                # ill-conditioned weights, the support's refined dual finds the true ones
                # (proofs/exchange_method.md, "Violators of the refined dual")
                refined = refined_dual_scan(oracle, y, lam, theta_m, amp_m, tol)
                if refined is not None:
                    theta_set, sign_set, added = add_violators(theta_set, sign_set, refined[1], refined[0], limit,
                                                               tol, xl_max)
                    entry["refined_violators"] = refined[1].n_found
            if not added:
                stopped = f"no new atom after round {it}"
                break  # no new atom: the finite programs cannot improve further
    finally:
        if bar is not None:
            bar.close()
        oracle.deadline = None
    if last is not None:  # the last iterate's gap is not known yet: one bounding scan
        t0 = time.perf_counter()
        cand = evaluate_candidate(oracle, y, lam, *last, tol=tol, bounding=True)
        timings["oracle"] += time.perf_counter() - t0
        if cand.feasible and (best is None or cand.certified_rel_gap() < best.certified_rel_gap()):
            best = cand
    if best is None and lam > 0:  # no round finished: the zero network is a candidate
        t0 = time.perf_counter()
        zero = np.zeros((0, D)), np.zeros(0)
        best = evaluate_candidate(oracle, y, lam, *zero, tol=tol, bounding=True)
        timings["oracle"] += time.perf_counter() - t0
    if best is None:  # (P_0) with no interpolating iterate: nothing to return
        raise SolverError(f"exchange method found no interpolating network ({stopped}; "
                          f"{qp_error or 'no feasible iterate'})")
    if best.certified:  # the final complete scan certified the last iterate
        return ExchangeResult(best=best, n_iter=len(history), polished=False, history=history, timings=timings)
    best = with_anytime_bound(oracle, y, lam, best)   # the best bound of every dual scanned
    status = Status.INACCURATE if qp_error is not None else Status.LIMIT
    diagnosis = diagnose(Xl, y, lam, best, history, tol, qp_error, stopped)
    message = (f"exchange method did not certify an optimum after {len(history)} rounds ({stopped}; status "
               f"'{status.value}'); certified relative duality gap {best.certified_rel_gap():.3e} > tol.obj_gap = "
               f"{tol.obj_gap:g}; {diagnosis}")
    return ExchangeResult(best=best, n_iter=len(history), polished=False, history=history, timings=timings,
                          status=status, message=message, diagnosis=diagnosis)
