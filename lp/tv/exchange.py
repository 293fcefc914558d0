"""The exchange (column-generation) method: the exact global optimum of (P_lam) and (P_0).

DESIGN.md section 4 and proofs/exchange_method.md. Keep a finite set of signed atoms;
solve the lasso QP (lam > 0) or the basis-pursuit LP (lam = 0) over it on HiGHS; merge
atoms per (region, sign); compute the EXACT maximum of ``|eta_p|`` on every dual region
(:mod:`relucert.lp.tv.oracle`); add the region maximisers that violate ``|eta| <= 1``;
repeat. Whenever the scan is complete the duality gap

    G = primal(mu) - D(p / max(1, max |eta_p|))

is computed honestly; the method stops when ``G <= tol.obj_gap * max(1, |primal|)``
(an honest bound on the sub-optimality whatever ``max |eta_p|`` is: the scaled dual is
feasible; proofs/exchange_method.md, "Acceptance on the certified gap"). Once the
support pattern is found, Newton's method on that pattern (:mod:`relucert.lp.tv.polish`)
brings the solution to full double precision; a polished candidate is accepted only
after the same exact checks. A run that does not reach the gap returns its best
candidate with status LIMIT (or INACCURATE when a finite program failed), its certified
gap and a diagnosis; it never claims optimality.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np

from relucert._model import scaled_dual_value
from relucert.arrangement.chambers import Arrangement
from relucert.errors import SolverError
from relucert.results import Status
from relucert.lp.tv.merge import merge_atoms, sign_vectors
from relucert.lp.tv.oracle import RegionScan, chamber_vectors, region_maxima
from relucert.lp.tv.polish import dual_rounding_floor, polish_pruned, snap_to_faces
from relucert.lp.programs import basis_pursuit_lp, lasso_qp
from relucert.tolerances import SNAP_LADDER_POWERS, SNAP_LADDER_STEP, Tolerances, resolve

__all__ = ["Certified", "ExchangeResult", "evaluate", "solve_exchange", "accept_limit",
           "interpolating_atoms", "dual_rounding_floor", "DEFAULT_MAX_ITER"]

DEFAULT_MAX_ITER = 200
#: Zero-weight atoms are dropped when the set exceeds max(_CAP_ATOMS, 4 x the per-round
#: addition limit). Measured (n = 60, d = 3, lam = 0.01, limit 120): dropping past 480
#: took 62 rounds, past 2,400 took 38 (the warm-started active-set QP barely notices
#: unused columns; its pricing costs O(n K) and Phi takes 8 n K bytes).
_CAP_ATOMS = 2500
#: A failed run whose best relative gap is within this factor of tol.obj_gap, and whose
#: estimated rounding floor of the gap is within it too, is diagnosed as a precision floor.
_NEAR_MISS = 1000.0
#: Continuation levels lam F^j.
_CONTINUATION_FACTOR = 10.0
#: A failed polishing is retried once the certified gap has dropped by this factor.
_POLISH_RETRY = 0.01


def accept_limit(objective: float, y: np.ndarray, lam: float, p: np.ndarray, allowed: float) -> float:
    """The largest ``M`` for which ``objective - D(p / M) <= allowed`` can hold: any
    ``max |eta_p| = M >= 1`` above it gives a gap above ``allowed`` (0.0 when no ``M >= 1``
    does; ``inf`` when every ``M`` does).

    With ``u = 1/M``, ``D(p/M) = a u - b u^2`` (``a = lam <p, y>``, ``b = lam^2 ||p||^2 / 2``;
    ``a = <p, y>``, ``b = 0`` for (P_0)) and the condition is ``b u^2 - a u + c <= 0`` with
    ``c = objective - allowed``: ``u`` at least the smaller root ``2c / (a + sqrt(a^2 - 4bc))``
    (proofs/exchange_method.md, "Acceptance on the certified gap")."""
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
class Certified:
    """A network with its dual vector, exactly scanned certificate and duality gap."""

    theta: np.ndarray
    amplitude: np.ndarray
    p: np.ndarray
    predictions: np.ndarray
    objective: float
    tv_norm: float
    dual_value: float
    duality_gap: float
    max_abs_certificate: float
    scan: RegionScan
    feasible: bool          # interpolation holds (lam = 0); always True for lam > 0
    certified: bool

    def rel_gap(self) -> float:
        """The gap relative to ``max(1, |objective|)`` (inf when the scan was not complete:
        no honest gap is known then)."""
        if not (self.scan.complete and self.feasible):
            return np.inf
        return self.duality_gap / max(1.0, abs(self.objective))


def evaluate(arr: Arrangement, y: np.ndarray, lam: float, theta: np.ndarray, amplitude: np.ndarray,
             p: np.ndarray | None = None, *, tol: Tolerances | None = None, exact: bool = False,
             scan: RegionScan | None = None, prior: tuple | None = None, ops=None) -> Certified:
    """Primal value, dual vector (``(y - K mu)/lam`` for lam > 0, the given ``p`` for
    lam = 0), ``max |eta_p|``, duality gap and the verdict.

    The verdict is the gap's: ``certified`` when the scan is complete and
    ``G = primal - D(p / max(1, max|eta_p|)) <= tol.obj_gap * max(1, |primal|)``. Unless
    ``exact``, the scan stops at the first region above :func:`accept_limit` (no larger
    ``max |eta_p|`` can pass; the candidate is rejected and ``max_abs_certificate`` is only
    a lower bound); a certified answer always comes from a complete scan, so its
    ``max_abs_certificate`` is the exact maximum. ``scan`` may pass a complete scan of the
    same ``p`` already made; ``prior`` an earlier scan's ``(p, bounds)`` (see
    :func:`relucert.lp.tv.oracle.region_maxima`)."""
    tol = resolve(tol)
    Xl = arr.X_lift
    pred = np.maximum(0.0, Xl @ theta.T) @ amplitude if theta.shape[0] else np.zeros(Xl.shape[0])
    tv = float(np.sum(np.abs(amplitude)))
    if lam > 0:
        resid = y - pred
        p = resid / lam
        objective = 0.5 * float(resid @ resid) + lam * tv
        feasible = True
    else:
        objective = tv
        feasible = bool(np.max(np.abs(pred - y), initial=0.0)
                        <= tol.primal_feas * max(1.0, float(np.max(np.abs(y), initial=0.0))))
    allowed = tol.obj_gap * max(1.0, abs(objective))
    if scan is None:
        if exact:
            threshold = 1.0 + tol.dual_feas
        else:  # a region above the limit settles the verdict (rejected): stop there
            limit_m = accept_limit(objective, y, lam, p, allowed)
            threshold = max(1.0, limit_m * (1.0 + 8.0 * np.finfo(float).eps)) if np.isfinite(limit_m) else np.inf
        scan = region_maxima(arr, p, threshold, limit=None if exact else 1, tol=tol, prior=prior,
                             ops=ops)
    dval = scaled_dual_value(p, y, lam, scan.max_value)
    gap = objective - dval
    ok = feasible and scan.complete and gap <= allowed
    return Certified(theta=theta, amplitude=amplitude, p=p, predictions=pred, objective=objective,
                     tv_norm=tv, dual_value=dval, duality_gap=gap, max_abs_certificate=scan.max_value,
                     scan=scan, feasible=feasible, certified=bool(ok))


@dataclass(frozen=True)
class ExchangeResult:
    """The run's answer: ``best`` (certified when ``status`` is OPTIMAL; otherwise the
    candidate with the smallest certified gap, from a complete scan), the rounds, whether
    the answer came from polishing, the per-round ``history``, ``timings``, and a
    ``message`` saying what failed when it is not OPTIMAL (LIMIT: rounds or atoms ran
    out; INACCURATE: a finite program failed)."""

    best: Certified
    n_iter: int
    polished: bool
    history: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    status: Status = Status.OPTIMAL
    message: str = "optimal"
    diagnosis: str = ""


def interpolating_atoms(X: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Unit atoms whose ReLU features span every function on the distinct points of
    ``X``: kinks at the data along a generic direction ``w``, a linear and a constant
    feature (the starting set of the (P_0) exchange: its LP is feasible)."""
    n, d = X.shape
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(d)
    w /= np.linalg.norm(w)
    t = np.unique(X @ w)
    rows = [np.r_[w, -tk] for tk in t[:-1]]
    rows.append(np.r_[w, 1.0 - t[0]])
    rows.append(np.r_[np.zeros(d), 1.0])
    T = np.asarray(rows, float)
    return T / np.linalg.norm(T, axis=1, keepdims=True)


def _dedupe_add(theta_set, sign_set, new_theta, new_sign, tol, radius=None):
    """Append atoms, skipping those within ``radius`` (default ``merge_angle``; Euclidean
    distance of unit vectors) of one of the same sign already in the set or earlier among
    the new ones. Neighbours come from k-d trees (O(K log K), not a K x new distance matrix)."""
    from scipy.spatial import cKDTree

    if new_theta.shape[0] == 0:
        return theta_set, sign_set
    r = tol.merge_angle if radius is None else radius
    keep = np.ones(new_theta.shape[0], dtype=bool)
    for s in np.unique(new_sign):
        sel = np.flatnonzero(new_sign == s)
        old = theta_set[sign_set == s]
        if old.shape[0]:
            dist, _ = cKDTree(old).query(new_theta[sel], k=1, distance_upper_bound=np.nextafter(r, np.inf))
            keep[sel[dist <= r]] = False
        # duplicates among the new ones: greedy, the first of a close group is kept
        pairs = sorted((int(sel[j]), int(sel[i])) for i, j in cKDTree(new_theta[sel]).query_pairs(r))
        for later, earlier in pairs:  # by the later index: an earlier atom's fate is settled first
            if keep[earlier] and np.linalg.norm(new_theta[later] - new_theta[earlier]) <= r:
                keep[later] = False
    chosen = np.flatnonzero(keep)
    return (np.vstack([theta_set, new_theta[chosen]]), np.concatenate([sign_set, new_sign[chosen]]))


def _drop_negligible(arr, y, lam, cert: Certified, tol: Tolerances) -> Certified:
    """Try the certified answer without its negligible atoms (amplitude at most
    ``tol.prune_amplitude`` times the largest), re-polished on the smaller pattern and re-verified;
    keep whichever is certified with the smaller support."""
    amp = cert.amplitude
    if amp.size < 2:
        return cert
    small = np.abs(amp) <= tol.prune_amplitude * float(np.max(np.abs(amp)))
    if not np.any(small) or np.all(small):
        return cert
    out = polish_pruned(arr.X_lift, y, lam, cert.theta[~small], amp[~small], cert.p, tol=tol, max_drop=0)
    if out is None:
        return cert
    th, a = merge_atoms(arr.X_lift, out[0], out[1], tol)
    cand = evaluate(arr, y, lam, th, a, out[2] if lam == 0 else None, tol=tol)
    return cand if cand.certified else cert


def _snap_ladder(tol: Tolerances) -> list[float]:
    """Snapping distances tried when identifying the support pattern: none, then
    ``tol.snap_distance`` times ``SNAP_LADDER_STEP ** -k`` (smallest first)."""
    return [0.0] + [tol.snap_distance * SNAP_LADDER_STEP ** (-k) for k in SNAP_LADDER_POWERS]


def _pattern_key(Xl, theta, amplitude, tol):
    sig = sign_vectors(Xl, theta, tol)
    return tuple(sorted((int(np.sign(a)), s.tobytes()) for a, s in zip(amplitude, sig)))


def _eta_rounding_floor(Xl: np.ndarray, y: np.ndarray, lam: float, cert: Certified) -> float:
    """A first-order estimate of the rounding error in double precision of the region
    maxima of ``eta_p`` at ``cert``: ``p = (y - K mu)/lam`` carries ``eps (|y| + |K||mu|)/lam``
    per entry, and ``v_A = sum p_i x~_i`` adds ``eps |p_i| ||x~_i||`` per term."""
    eps = np.finfo(float).eps
    nrm = np.linalg.norm(Xl, axis=1)
    absK = np.maximum(0.0, Xl @ cert.theta.T) @ np.abs(cert.amplitude) if cert.theta.shape[0] else 0.0
    err_p = eps * (np.abs(y) + absK) / lam if lam > 0 else eps * np.abs(cert.p)
    return float(np.sum((err_p + eps * np.abs(cert.p)) * nrm))


def _diagnose(Xl, y, lam, best: Certified, history: list, tol: Tolerances, qp_error: str | None,
              stopped: str) -> str:
    """What kept the run from a certified optimum, with the numbers: the finite QP, the
    precision floor of double precision, or the support (violators still found, polishing
    not succeeding)."""
    rel = best.rel_gap()
    last = history[-1] if history else {}
    tried = sum(len(h.get("polish", [])) for h in history)
    polishing = (f"{tried} polishing attempts failed" if tried else
                 f"polishing not tried (max|eta| - 1 stayed above tol.polish_violation = "
                 f"{tol.polish_violation:g})")
    if qp_error is not None:
        return f"QP inaccurate: {qp_error}"
    floor = _eta_rounding_floor(Xl, y, lam, best)
    # the gap moves by about (max|eta| - 1) lam ||mu||_TV for a max|eta| error
    gap_floor = floor * (lam * best.tv_norm if lam > 0 else best.tv_norm) / max(1.0, abs(best.objective))
    qp_floor = dual_rounding_floor(Xl, y, lam)
    if qp_floor >= tol.polish_violation:  # eta_p cannot even be resolved to the polishing level
        spread = float(np.max(np.linalg.norm(Xl[:, :-1], axis=1), initial=0.0) / np.max(np.abs(Xl[:, -1])))
        return (f"precision floor: Phi^T p carries rounding errors up to {qp_floor:.1e} in double precision "
                f"(3 eps |y| |X~|_F / lam; max |x_i| / bias = {spread:.1e}): lam is too small for the units of "
                f"X and y, or the bias coordinate 1 of the lift is negligible next to |x_i| (rescale X)")
    if rel <= _NEAR_MISS * tol.obj_gap and gap_floor >= tol.obj_gap / _NEAR_MISS:
        return (f"precision floor: best relative gap {rel:.3e} vs tol.obj_gap = {tol.obj_gap:g}; the region "
                f"maxima carry rounding errors of about {floor:.1e} (relative gap {gap_floor:.1e}) in double "
                f"precision; relucert.Tolerances(obj_gap=...) may be loosened")
    return (f"support not found ({stopped}): best relative gap {rel:.3e} (max|eta| = "
            f"{best.max_abs_certificate:.12g}); last round: {last.get('violators', 0)} violators, "
            f"{last.get('n_atoms', 0)} atoms; {polishing}")


def _continuation_start(arr, y, lam, tol, max_iter, add_limit, ops):
    """Atoms to start (P_lam) from, by continuation: (P_{lam F^j}) for j = J, ..., 1 (``F =
    _CONTINUATION_FACTOR``, the largest level below ``max ||v_A(y)||``, an upper bound of the
    smallest lam with the zero solution), each solved to ``tol.continuation_gap`` and
    started from the previous level's atoms. Returns ``(theta, sign, rounds)`` or None.

    Only the starting set changes: whatever it is, the run at lam certifies on its own gap.
    Started cold at small lam, the dual ``y / lam`` is far from feasible and the first rounds'
    thousands of violators are mostly unused (n = 1000, lam = 0.01: 29 rounds before the
    first complete scan)."""
    lam_max = float(np.max(np.linalg.norm(chamber_vectors(arr, y), axis=1), initial=0.0))
    levels = []
    level = lam * _CONTINUATION_FACTOR
    while level < lam_max:
        levels.append(level)
        level *= _CONTINUATION_FACTOR
    if not levels:
        return None
    loose = tol.with_(obj_gap=max(tol.obj_gap, tol.continuation_gap))
    init, rounds = None, 0
    for level in reversed(levels):
        res = solve_exchange(arr, y, level, tol=loose, max_iter=max_iter, add_limit=add_limit, progress=False,
                             ops=ops, init_atoms=init, continuation=False)
        rounds += res.n_iter
        b = res.best
        if b.theta.shape[0]:
            init = (b.theta, np.sign(b.amplitude), np.abs(b.amplitude))
    return None if init is None else (init, rounds)


def solve_exchange(arr: Arrangement, y: np.ndarray, lam: float, *, tol: Tolerances | None = None,
                   max_iter: int = DEFAULT_MAX_ITER, add_limit: int | None = None,
                   progress: bool | None = None, ops=None, init_atoms: tuple | None = None,
                   continuation: bool = False) -> ExchangeResult:
    """Run the exchange method on the chambers ``arr`` of the data (see the module doc).

    ``init_atoms``: ``(theta, sign)`` or ``(theta, sign, weights)``, unit atoms and signs to
    start from (lam > 0), with optional weights ``>= 0`` warm-starting the first QP.
    ``continuation``: start from the atoms of a sequence of larger lam
    (:func:`_continuation_start`). Off by default: measured on the issue-16 instance
    (n = 1000, d = 2, lam = 0.01) it cut the rounds at lam from 38 to 21 but cost 59 rounds
    of its own (323 s against 174 s); at n = 300 it saved 17% (benchmarks/RESULTS.md).

    Returns an :class:`ExchangeResult`: OPTIMAL with a certified candidate, or LIMIT /
    INACCURATE with the best certified gap reached and a diagnosis.

    Raises
    ------
    SolverError
        A finite program failed before any candidate existed ((P_0): no interpolating
        network was found).
    """
    from tqdm import tqdm

    tol = resolve(tol)
    Xl = arr.X_lift
    n, D = Xl.shape
    y = np.asarray(y, float)
    # the finite QP's optimality cannot be asked below the rounding floor of Phi^T p (tiny
    # lam relative to |y| |X~|, e.g. X in large units); the acceptance is on the gap and
    # does not use dual_feas (proofs/natural_units.md)
    xl_norm = float(np.linalg.norm(Xl))
    xl_max = float(np.max(np.linalg.norm(Xl, axis=1), initial=0.0))
    floor = dual_rounding_floor(Xl, y, lam)
    tol_qp = tol.with_(dual_feas=floor) if floor > tol.dual_feas else tol
    limit = add_limit if add_limit is not None else max(2 * n, 16)
    timings = {"programs": 0.0, "oracle": 0.0, "polish": 0.0}
    pre_rounds = 0
    if continuation and lam > 0 and init_atoms is None:
        t0 = time.perf_counter()
        start = _continuation_start(arr, y, lam, tol, max_iter, add_limit, ops)
        timings["continuation"] = time.perf_counter() - t0
        if start is not None:
            init_atoms, pre_rounds = start
    c_prev = None  # the last lasso weights, aligned with theta_set (new atoms get 0)
    if lam > 0 and init_atoms is not None:
        theta_set = np.asarray(init_atoms[0], float).reshape(-1, D)
        sign_set = np.asarray(init_atoms[1], float).reshape(-1)
        if len(init_atoms) > 2:  # weights: a warm start of the first QP
            c_prev = np.asarray(init_atoms[2], float).reshape(-1)
    elif lam > 0:
        theta_set = np.zeros((0, D))
        sign_set = np.zeros(0)
    else:
        T = interpolating_atoms(arr.X)
        theta_set = np.vstack([T, T])
        sign_set = np.concatenate([np.ones(T.shape[0]), -np.ones(T.shape[0])])
    history = []
    prior = None   # the last scan's dual vector and per-region upper bounds
    best: Certified | None = None
    last = None    # the last iterate (theta, amplitude, p) when its scan was incomplete
    failed_patterns = set()
    last_try_violation = np.inf
    prev_violation = np.inf
    qp_error = None
    stopped = f"iteration limit of {max_iter} rounds"
    bar = tqdm(total=max_iter, desc="exchange", disable=progress is False or None, file=sys.stderr, leave=False) \
        if progress is not False else None
    try:
        for it in range(1, max_iter + 1):
            t0 = t_round = time.perf_counter()
            Phi = np.maximum(0.0, Xl @ theta_set.T) * sign_set[None, :]
            try:
                if lam > 0:
                    warm = None if c_prev is None else np.concatenate([c_prev, np.zeros(Phi.shape[1] - c_prev.size)])
                    sol = lasso_qp(Phi, y, lam, tol=tol_qp, warm_start=warm)
                    c_prev = sol.c
                else:
                    sol = basis_pursuit_lp(Phi, y, tol=tol)
            except SolverError as exc:
                if lam == 0 and best is None and last is None:
                    raise
                qp_error = f"round {it}: {exc}"
                stopped = "finite QP failed"
                break
            finally:
                timings["programs"] += time.perf_counter() - t0
            theta_m, amp_m = merge_atoms(Xl, theta_set, sign_set * sol.c, tol)
            p = sol.p if lam == 0 else None
            t0 = time.perf_counter()
            pred = np.maximum(0.0, Xl @ theta_m.T) @ amp_m if theta_m.shape[0] else np.zeros(n)
            if lam > 0 and theta_m.shape[0]:
                # merging is exact only for atoms in one closed region; two atoms within
                # tol.sign_zero of a hyperplane on opposite sides merge with an error that 1/lam
                # amplifies in p: keep the QP's own atoms when the merge moves eta by more
                # than dual_feas (||dp|| ||X~||_F bounds the change of every region maximum)
                pred_qp = Phi @ sol.c
                if float(np.linalg.norm(pred - pred_qp)) * xl_norm > lam * tol_qp.dual_feas:
                    used = sol.c > 0
                    theta_m, amp_m, pred = theta_set[used], sign_set[used] * sol.c[used], pred_qp
                    entry_merge = "merge skipped (inexact)"
                else:
                    entry_merge = None
            else:
                entry_merge = None
            p_cur = (y - pred) / lam if lam > 0 else p
            V = chamber_vectors(arr, p_cur)
            scan = region_maxima(arr, p_cur, 1.0 + tol.dual_feas, limit=limit, V=V, tol=tol, prior=prior,
                                 ops=ops)
            prior = (scan.p, scan.bounds, V)  # the next scans skip regions that cannot reach 1
            timings["oracle"] += time.perf_counter() - t0
            entry = {"iter": it, "n_atoms_set": int(theta_set.shape[0]), "n_atoms": int(theta_m.shape[0]),
                     "objective": float(sol.objective), "violators": scan.n_found,
                     "max_found": scan.max_value, "complete": scan.complete,
                     "qp": sol.program.backend_status}
            if entry_merge:
                entry["merge"] = entry_merge
            cands = []
            if scan.complete:
                cert = evaluate(arr, y, lam, theta_m, amp_m, p_cur, tol=tol, scan=scan)
                entry["gap"] = cert.duality_gap
                entry["rel_gap"] = cert.rel_gap()
                cands.append(cert)
                last = None
            else:
                last = (theta_m, amp_m, p_cur)
            # polishing is tried once the violation is small (the support pattern has
            # then usually settled), and again only after the certified gap has dropped by
            # _POLISH_RETRY since the last failed try, or when the gap stalls (no halving in a
            # round). Failed tries are the cost at large n (n = 1000: 430 atoms, two Newton
            # solves per snapping distance); the exchange itself shrinks the gap linearly.
            violation = cands[0].rel_gap() if cands else np.inf
            stalled = violation >= 0.5 * prev_violation
            prev_violation = violation
            if (scan.complete and theta_m.shape[0] and scan.max_value <= 1.0 + tol.polish_violation
                    and (violation <= _POLISH_RETRY * last_try_violation or stalled
                         or cands[0].certified)):  # a certified answer is polished once more
                last_try_violation = violation
                t0 = time.perf_counter()
                outcomes = entry.setdefault("polish", [])
                for distance in _snap_ladder(tol):
                    if distance > 0:
                        th_s, a_s = merge_atoms(Xl, snap_to_faces(Xl, theta_m, distance, tol), amp_m, tol)
                    else:
                        th_s, a_s = theta_m, amp_m
                    key = _pattern_key(Xl, th_s, a_s, tol)
                    if key in failed_patterns:
                        continue
                    why: list = []
                    out = polish_pruned(Xl, y, lam, th_s, a_s, p_cur, tol=tol, why=why)
                    if out is None:
                        failed_patterns.add(key)
                        outcomes.append(f"snap {distance:g}: " + "; ".join(why))
                        continue
                    th2, a2 = merge_atoms(Xl, out[0], out[1], tol)
                    pol = evaluate(arr, y, lam, th2, a2, out[2] if lam == 0 else None, tol=tol, prior=prior,
                                   ops=ops)
                    entry.setdefault("polished_gap", []).append(pol.duality_gap)
                    outcomes.append(f"snap {distance:g}: {'certified' if pol.certified else 'rejected'}, "
                                    f"{th2.shape[0]} atoms, max|eta| >= {pol.max_abs_certificate:.12g}"
                                    + (f", gap {pol.rel_gap():.2e}" if pol.scan.complete else ""))
                    if pol.certified:
                        cands.append(pol)
                        break
                    failed_patterns.add(key)
                timings["polish"] += time.perf_counter() - t0
            entry["seconds"] = time.perf_counter() - t_round
            if it == 1 and pre_rounds:
                entry["continuation_rounds"] = pre_rounds
            history.append(entry)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(atoms=entry["n_atoms"], viol=scan.n_found, maxeta=f"{scan.max_value:.3g}")
            certified = [c for c in cands if c.certified]
            for c in cands:
                if c.feasible and c.scan.complete and (best is None or c.rel_gap() < best.rel_gap()):
                    best = c
            if certified:
                best = min(certified, key=lambda c: (c.duality_gap, c.max_abs_certificate))
                best = _drop_negligible(arr, y, lam, best, tol)
                return ExchangeResult(best=best, n_iter=it, polished=best is not cands[0],
                                      history=history, timings=timings)
            # next atom set: the current set (so the next objective cannot increase) plus
            # the merged atoms and the violators, largest first. Zero-weight atoms are
            # dropped only when the set outgrows a cap (the positive ones and the merged
            # ones keep the current solution representable).
            order = np.argsort(-scan.value)[:limit]
            if theta_set.shape[0] > max(_CAP_ATOMS, 4 * limit):
                used = sol.c > 0
                theta_set, sign_set = theta_set[used], sign_set[used]
                c_prev = None if c_prev is None else c_prev[used]
            theta_set, sign_set = _dedupe_add(theta_set, sign_set, theta_m, np.sign(amp_m), tol)
            size_before = theta_set.shape[0]
            # two atoms count as one only when eta_p cannot tell them apart at the violation
            # threshold: |eta(a) - eta(b)| <= ||p||_1 max||x~_i|| ||a - b|| (large p, i.e. lam
            # tiny against |y| |X~|, makes atoms 1e-9 apart differ by far more than dual_feas)
            radius = min(tol.merge_angle, tol.dual_feas / max(float(np.sum(np.abs(p_cur))) * xl_max, tol.dual_feas))
            theta_set, sign_set = _dedupe_add(theta_set, sign_set, scan.point[order],
                                              scan.sign[order].astype(float), tol, radius=radius)
            if theta_set.shape[0] == size_before:
                stopped = f"no new atom after round {it}"
                break  # no new atom: the finite programs cannot improve further
    finally:
        if bar is not None:
            bar.close()
    if last is not None:  # the last iterate's gap is not known yet: one complete scan
        t0 = time.perf_counter()
        cand = evaluate(arr, y, lam, *last, tol=tol, exact=True, prior=prior, ops=ops)
        timings["oracle"] += time.perf_counter() - t0
        if cand.feasible and (best is None or cand.rel_gap() < best.rel_gap()):
            best = cand
    if best is None and lam > 0:  # no round finished: the zero network is a candidate
        t0 = time.perf_counter()
        best = evaluate(arr, y, lam, np.zeros((0, D)), np.zeros(0), tol=tol, exact=True, ops=ops)
        timings["oracle"] += time.perf_counter() - t0
    if best is None:  # (P_0) with no interpolating iterate: nothing to return
        raise SolverError(f"exchange method found no interpolating network ({stopped}; "
                          f"{qp_error or 'no feasible iterate'})")
    if best.certified:  # the final complete scan certified the last iterate
        return ExchangeResult(best=best, n_iter=len(history), polished=False, history=history, timings=timings)
    status = Status.INACCURATE if qp_error is not None else Status.LIMIT
    diagnosis = _diagnose(Xl, y, lam, best, history, tol, qp_error, stopped)
    message = (f"exchange method did not certify an optimum after {len(history)} rounds (status "
               f"'{status.value}'); certified relative duality gap {best.rel_gap():.3e} > tol.obj_gap = "
               f"{tol.obj_gap:g}; {diagnosis}")
    return ExchangeResult(best=best, n_iter=len(history), polished=False, history=history, timings=timings,
                          status=status, message=message, diagnosis=diagnosis)
