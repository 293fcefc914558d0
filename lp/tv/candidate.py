"""A candidate network's certified evaluation: primal value, dual vector, the oracle's
``max |eta_p|``, the duality gap of the scaled dual and the verdict; and the diagnosis of
a run that did not reach a certified optimum.

The verdict is the gap's (proofs/exchange_method.md, "Acceptance on the certified gap"):
``G = primal(mu) - D(p / max(1, max |eta_p|))`` is an honest bound on the sub-optimality
whatever ``max |eta_p|`` is, because the scaled dual is feasible.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from relucert._model import relu_features, scaled_dual_value
from relucert.lp.compensated import masked_sums, refined_stationary_dual, residual
from relucert.lp.tv.oracle_api import EnumerationOracle, Oracle, OracleScan
from relucert.lp.tv.polish import dual_rounding_floor
from relucert.tolerances import (DUAL_REFINE_MAX_WORK, DUAL_REFINE_STEPS, DUAL_REFINE_WINDOW,
                                 EXCHANGE_ACCEPT_SLACK_EPS, EXCHANGE_NEAR_MISS_FACTOR, Tolerances, resolve)

__all__ = ["CandidateEvaluation", "evaluate_candidate", "accept_limit", "as_oracle", "diagnose", "refined_dual_scan"]


def as_oracle(source, ops=None) -> Oracle:
    """An oracle for ``source``.

    Parameters
    ----------
    source : Oracle or Arrangement
        An oracle is returned as it is; an arrangement gets the
        :class:`~relucert.lp.tv.oracle_api.EnumerationOracle` (the default).
    ops : optional
        The enumeration oracle's array ops (None: numpy; torch ops from the API layer).

    Returns
    -------
    Oracle
    """
    if hasattr(source, "scan") and hasattr(source, "X_lift"):
        return source
    return EnumerationOracle(source, ops=ops)


def accept_limit(objective: float, y: np.ndarray, lam: float, p: np.ndarray, allowed: float) -> float:
    """The largest ``M`` for which ``objective - D(p / M) <= allowed`` can hold.

    With ``u = 1/M``, ``D(p/M) = a u - b u^2`` (``a = lam <p, y>``, ``b = lam^2 ||p||^2 / 2``;
    ``a = <p, y>``, ``b = 0`` for (P_0)) and the condition is ``b u^2 - a u + c <= 0`` with
    ``c = objective - allowed``: ``u`` at least the smaller root ``2c / (a + sqrt(a^2 - 4bc))``
    (proofs/exchange_method.md, "Acceptance on the certified gap").

    Parameters
    ----------
    objective : float
        The candidate's primal value.
    y : ndarray, shape (n,)
    lam : float
    p : ndarray, shape (n,)
        The candidate's dual vector.
    allowed : float
        The gap allowed.

    Returns
    -------
    float
        Any ``max |eta_p| = M >= 1`` above it gives a gap above ``allowed``; 0.0 when no
        ``M >= 1`` passes, ``inf`` when every ``M`` does.
    """
    c = objective - allowed
    if c <= 0.0:
        return np.inf
    if lam > 0:
        a, b = lam * float(p @ y), 0.5 * lam * lam * float(p @ p)
    else:
        a, b = float(p @ y), 0.0
    disc = a * a - 4.0 * b * c
    if a <= 0.0 or disc < 0.0:
        return 0.0
    return (a + float(np.sqrt(disc))) / (2.0 * c)


@dataclass(frozen=True)
class CandidateEvaluation:
    """A candidate network with its dual vector, the oracle's scan and its duality gap.

    ``feasible``: interpolation holds (lam = 0; always True for lam > 0); ``certified``:
    the scan is conclusive (complete or settled, ``OracleScan.conclusive``) and the gap on its
    upper bound within ``tol.obj_gap`` (relative). ``p`` is
    ``(y - K mu)/lam`` (lam > 0), or, for a candidate re-scored at the double-precision
    floor, the refined stationary dual of its support whose gap is smaller (any dual vector
    gives an honest gap: proofs/natural_units.md, "Compensated duals").
    """

    theta: np.ndarray
    amplitude: np.ndarray
    p: np.ndarray
    predictions: np.ndarray
    objective: float
    tv_norm: float
    dual_value: float
    duality_gap: float
    max_abs_certificate: float
    scan: OracleScan
    feasible: bool
    certified: bool
    lower_bound: float = -np.inf

    def certified_rel_gap(self) -> float:
        """``(objective - lower_bound) / max(1, |objective|)``: certified even when the scan
        stopped early, since ``lower_bound = D(p / max(1, U))`` uses the scan's upper bound
        ``U >= max |eta_p|`` (open regions or nodes included).

        Returns
        -------
        float
            ``inf`` for an infeasible (P_0) candidate (no primal value to compare).
        """
        if not (self.feasible and np.isfinite(self.lower_bound)):
            return np.inf
        return (self.objective - self.lower_bound) / max(1.0, abs(self.objective))

    def rel_gap(self) -> float:
        """The gap relative to ``max(1, |objective|)``.

        Returns
        -------
        float
            ``inf`` when the scan was not conclusive (no honest gap is known then).
        """
        if not (self.scan.conclusive and self.feasible):
            return np.inf
        return self.duality_gap / max(1.0, abs(self.objective))


def evaluate_candidate(oracle, y: np.ndarray, lam: float, theta: np.ndarray, amplitude: np.ndarray,
                       p: np.ndarray | None = None, *, tol: Tolerances | None = None, exact: bool = False,
                       scan: OracleScan | None = None, warm: bool = False,
                       ops=None, bounding: bool = False) -> CandidateEvaluation:
    """The certified evaluation of the network ``(theta, amplitude)``.

    The verdict is the gap's: ``certified`` when the scan is conclusive (complete, or
    settled by the stopping test: ``OracleScan.conclusive``) and
    ``G = primal - D(p / max(1, max|eta_p|)) <= tol.obj_gap * max(1, |primal|)``. Unless
    ``exact``, the scan stops at the first region above :func:`accept_limit` (no larger
    ``max |eta_p|`` can pass; the candidate is rejected and ``max_abs_certificate`` is only
    a lower bound); a certified answer comes from a conclusive scan: from a complete one its
    ``max_abs_certificate`` is the exact maximum, from a settled one a value met at a point (the
    gap is judged on the settled upper bound).

    Parameters
    ----------
    oracle : Oracle or Arrangement
        Scans ``|eta_p|`` (an arrangement: the enumeration oracle on ``ops``).
    y : ndarray, shape (n,)
    lam : float
    theta : ndarray, shape (k, d + 1)
        Unit atoms.
    amplitude : ndarray, shape (k,)
    p : ndarray, optional
        The dual vector for lam = 0; for lam > 0 it is ``(y - K mu)/lam``.
    tol : Tolerances, optional
    exact : bool
        Scan completely (threshold ``1 + tol.dual_feas``).
    scan : OracleScan, optional
        A conclusive scan of the same ``p`` already made (complete, or settled: judged on its
        upper bound).
    warm : bool
        Let the oracle use its remembered prior.
    ops : optional
        The enumeration oracle's array ops (None: numpy; torch ops from the API layer).
    bounding : bool
        Scan with ``oracle.bound_scan`` (complete for the enumeration; a node-budgeted
        branch and bound, possibly incomplete, whose upper bound still gives the certified
        ``lower_bound``).

    Returns
    -------
    CandidateEvaluation
    """
    tol = resolve(tol)
    oracle = as_oracle(oracle, ops)
    Xl = oracle.X_lift
    pred = relu_features(Xl, theta) @ amplitude if theta.shape[0] else np.zeros(Xl.shape[0])
    tv = float(np.sum(np.abs(amplitude)))
    if lam > 0:  # the residual compensated: p within about an ulp of (y - K mu)/lam
        r_hi, r_lo = residual(y, relu_features(Xl, theta), amplitude) if theta.shape[0] else (y, 0.0 * y)
        resid = r_hi + r_lo
        p = r_hi / lam + r_lo / lam
        objective = 0.5 * float(resid @ resid) + lam * tv
        feasible = True
    else:
        objective = tv
        feasible = bool(np.max(np.abs(pred - y), initial=0.0)
                        <= tol.primal_feas * max(1.0, float(np.max(np.abs(y), initial=0.0))))
    allowed = tol.obj_gap * max(1.0, abs(objective))
    if scan is None and bounding:
        scan = oracle.bound_scan(p, tol=tol)
    if scan is None:
        if exact:
            threshold = 1.0 + tol.dual_feas
        else:  # a region above the limit settles the verdict (rejected): stop there
            limit_m = accept_limit(objective, y, lam, p, allowed)
            slack = 1.0 + EXCHANGE_ACCEPT_SLACK_EPS * np.finfo(float).eps
            threshold = max(1.0, limit_m * slack) if np.isfinite(limit_m) else np.inf
        scan = oracle.scan(p, threshold, limit=None if exact else 1, tol=tol, warm=warm)
    # a complete scan's upper bound IS its exact maximum for the enumeration; a backend
    # exact only to a relative accuracy (branch and bound) scales the dual by its bound, and
    # so does a settled scan (U <= accept_below bounds max |eta_p|: proofs Lemma L3)
    dval = scaled_dual_value(p, y, lam, scan.upper_bound if scan.conclusive else scan.max_value)
    gap = objective - dval
    ok = feasible and scan.conclusive and gap <= allowed
    # every scan's upper bound holds, complete or not: a certified lower bound on the optimum
    lower = scaled_dual_value(p, y, lam, scan.upper_bound) if np.isfinite(scan.upper_bound) else -np.inf
    if (lam > 0 and scan.conclusive and allowed < gap <= DUAL_REFINE_WINDOW * allowed
            and _gap_rounding_floor(Xl, y, lam, theta, amplitude, p, objective) >= tol.obj_gap / EXCHANGE_NEAR_MISS_FACTOR):
        # the miss is within reach of double precision's floor: re-scored with a refined dual
        refined = refined_dual_scan(oracle, y, lam, theta, amplitude, tol)
        if refined is not None:
            q, scan_q = refined
            dval_q = scaled_dual_value(q, y, lam, scan_q.upper_bound)
            if objective - dval_q < gap:
                p, scan, dval, gap = q, scan_q, dval_q, objective - dval_q
                ok, lower = gap <= allowed, dval_q
    return CandidateEvaluation(theta=theta, amplitude=amplitude, p=p, predictions=pred, objective=objective,
                               tv_norm=tv, dual_value=dval, duality_gap=gap, max_abs_certificate=scan.max_value,
                               scan=scan, feasible=feasible, certified=bool(ok), lower_bound=lower)


def refined_dual_scan(oracle, y: np.ndarray, lam: float, theta: np.ndarray, amplitude: np.ndarray,
                       tol: Tolerances):
    """The refined dual of a candidate at the double-precision floor and its complete scan
    with compensated chamber vectors, or None (no arrangement, too large, rank deficient).

    The float network cannot carry ``p = (y - K mu)/lam`` to better than about
    ``ulp(a) ||phi||^2 / lam`` in ``eta`` (its amplitudes are doubles), nor can float chamber
    vectors resolve ``max |eta|`` below ``eps sum |p_i| ||x~_i||``. Any ``q`` gives the honest
    bound ``D(q / max(1, max |eta_q|))``: here ``q`` is the stationary dual of the candidate's
    support refined in double-double (:func:`relucert.lp.compensated.refined_stationary_dual`)
    and ``max |eta_q|`` comes from chamber vectors summed compensated
    (proofs/natural_units.md, "Compensated duals").
    """
    arr = getattr(oracle, "arr", None)
    if arr is None or theta.shape[0] == 0:
        return None
    Xl = oracle.X_lift
    A = relu_features(Xl, theta) * np.sign(amplitude)[None, :]
    out = refined_stationary_dual(A, y, lam, np.ones(A.shape[1]), np.abs(amplitude), DUAL_REFINE_STEPS, tol.rank)
    if out is None or not np.all(np.isfinite(out[2])):
        return None
    from relucert.lp.tv.oracle import scan_all_chambers

    q = out[2]
    ops = getattr(oracle, "ops", None)
    if arr.n_chambers * arr.n <= DUAL_REFINE_MAX_WORK:
        V = masked_sums(arr.active(), q, Xl)
        return q, scan_all_chambers(arr, q, 1.0 + tol.dual_feas, V=V, tol=tol, ops=ops)
    scan = _selectively_compensated_scan(arr, q, Xl, tol, ops)
    return None if scan is None else (q, scan)


def _selectively_compensated_scan(arr, q: np.ndarray, Xl: np.ndarray, tol: Tolerances, ops) -> OracleScan | None:
    """A complete scan of ``q`` whose upper bound is rigorous up to the face kernels' own
    rounding, for arrangements too large for compensated chamber vectors everywhere
    (proofs/natural_units.md, "Large arrangements").

    A float chamber vector is within ``err = gamma_2n 2 sum_i |q_i| ||x~_i||`` of the exact one
    (at most ``2n`` terms, each ``i`` at most twice) and a region's maximum is 1-Lipschitz in
    it. A float scan gives every chamber's bound; the chambers whose bound is within ``err``
    of the float maximum get compensated vectors and are scanned again; every other chamber
    keeps its float bound plus ``err``, which is below the float maximum. The second scan takes
    the first as its prior (``(q, bounds, V)``): a chamber's bound there is its first bound
    moved by ``||v_A' - v_A||``, zero for every chamber not re-summed, so only the chambers
    whose bound still passes the running cut-off are projected again (the others cannot
    change its maximum nor its violators; proofs/natural_units.md, "Large arrangements").
    None when that set is too large (``DUAL_REFINE_MAX_WORK``)."""
    from relucert.arrangement.chambers import unpack_signs
    from relucert.arrangement.vectors import chamber_vectors
    from relucert.lp.tv.oracle import scan_all_chambers

    V = chamber_vectors(arr, q)
    first = scan_all_chambers(arr, q, 1.0 + tol.dual_feas, V=V, tol=tol, ops=ops)
    eps_2n = 2 * arr.n * np.finfo(float).eps
    err = 2.0 * eps_2n / (1.0 - eps_2n) * float(np.abs(q) @ np.linalg.norm(Xl, axis=1))
    top = first.bounds.max(axis=1)
    near = top > first.max_value - err
    if np.count_nonzero(near) * arr.n > DUAL_REFINE_MAX_WORK:
        return None
    V2 = V.copy()
    V2[near] = masked_sums(unpack_signs(arr.sign_patterns[near], arr.n), q, Xl)
    scan = scan_all_chambers(arr, q, 1.0 + tol.dual_feas, V=V2, tol=tol, ops=ops, prior=(q, first.bounds, V))
    outside = float(np.max(top[~near], initial=0.0)) + err
    return replace(scan, upper_bound=max(scan.upper_bound, outside))


def _gap_rounding_floor(Xl, y, lam, theta, amplitude, p, objective) -> float:
    """The relative gap that :func:`eta_rounding_floor`'s error of ``max |eta_p|`` costs:
    ``floor * lam ||mu||_TV / max(1, |objective|)``."""
    eps = np.finfo(float).eps
    nrm = np.linalg.norm(Xl, axis=1)
    absK = relu_features(Xl, theta) @ np.abs(amplitude) if theta.shape[0] else 0.0
    floor = float(np.sum((eps * (np.abs(y) + absK) / lam + eps * np.abs(p)) * nrm))
    return floor * lam * float(np.sum(np.abs(amplitude))) / max(1.0, abs(objective))


def eta_rounding_floor(Xl: np.ndarray, y: np.ndarray, lam: float, cand: CandidateEvaluation) -> float:
    """A first-order estimate of the rounding error of the region maxima of ``eta_p``.

    ``p = (y - K mu)/lam`` carries ``eps (|y| + |K||mu|)/lam`` per entry, and
    ``v_A = sum p_i x~_i`` adds ``eps |p_i| ||x~_i||`` per term.

    Parameters
    ----------
    Xl : ndarray, shape (n, d + 1)
    y : ndarray, shape (n,)
    lam : float
    cand : CandidateEvaluation

    Returns
    -------
    float
    """
    eps = np.finfo(float).eps
    nrm = np.linalg.norm(Xl, axis=1)
    absK = relu_features(Xl, cand.theta) @ np.abs(cand.amplitude) if cand.theta.shape[0] else 0.0
    err_p = eps * (np.abs(y) + absK) / lam if lam > 0 else eps * np.abs(cand.p)
    return float(np.sum((err_p + eps * np.abs(cand.p)) * nrm))


def diagnose(Xl: np.ndarray, y: np.ndarray, lam: float, best: CandidateEvaluation, history: list,
             tol: Tolerances, qp_error: str | None, stopped: str) -> str:
    """What kept a run from a certified optimum, with the numbers.

    Parameters
    ----------
    Xl : ndarray, shape (n, d + 1)
    y : ndarray, shape (n,)
    lam : float
    best : CandidateEvaluation
        The best candidate of the run.
    history : list of dict
        The per-round log.
    tol : Tolerances
    qp_error : str or None
        The finite program's failure, if any.
    stopped : str
        Why the loop stopped.

    Returns
    -------
    str
        "QP inaccurate", "precision floor" (of double precision) or "support not found"
        (violators still found, polishing not succeeding), each with its numbers.
    """
    rel = best.rel_gap()
    last = history[-1] if history else {}
    tried = sum(len(h.get("polish", [])) for h in history)
    polishing = (f"{tried} polishing attempts failed" if tried else
                 f"polishing not tried (max|eta| - 1 stayed above tol.polish_violation = {tol.polish_violation:g})")
    if qp_error is not None:
        return f"QP inaccurate: {qp_error}"
    floor = eta_rounding_floor(Xl, y, lam, best)
    # the gap moves by about (max|eta| - 1) lam ||mu||_TV for a max|eta| error
    gap_floor = floor * (lam * best.tv_norm if lam > 0 else best.tv_norm) / max(1.0, abs(best.objective))
    qp_floor = dual_rounding_floor(Xl, y, lam)
    if qp_floor >= tol.polish_violation:  # eta_p cannot even be resolved to the polishing level
        spread = float(np.max(np.linalg.norm(Xl[:, :-1], axis=1), initial=0.0) / np.max(np.abs(Xl[:, -1])))
        return (f"precision floor: Phi^T p carries rounding errors up to {qp_floor:.1e} in double precision "
                f"(3 eps |y| |X~|_F / lam; max |x_i| / bias = {spread:.1e}): lam is too small for the units of "
                f"X and y, or the bias coordinate 1 of the lift is negligible next to |x_i| (rescale X)")
    near = EXCHANGE_NEAR_MISS_FACTOR
    if rel <= near * tol.obj_gap and gap_floor >= tol.obj_gap / near:
        return (f"precision floor: best relative gap {rel:.3e} vs tol.obj_gap = {tol.obj_gap:g}; the region "
                f"maxima carry rounding errors of about {floor:.1e} (relative gap {gap_floor:.1e}) in double "
                f"precision; relucert.Tolerances(obj_gap=...) may be loosened")
    return (f"support not found ({stopped}): best relative gap {rel:.3e} (max|eta| = "
            f"{best.max_abs_certificate:.12g}); last round: {last.get('violators', 0)} violators, "
            f"{last.get('n_atoms', 0)} atoms; {polishing}")
