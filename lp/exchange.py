"""The exchange (column-generation) method: the exact global optimum of (P_lam) and (P_0).

DESIGN.md section 4 and proofs/exchange_method.md. Keep a finite set of signed atoms;
solve the lasso QP (lam > 0) or the basis-pursuit LP (lam = 0) over it on HiGHS; merge
atoms per (region, sign); compute the EXACT maximum of ``|eta_p|`` on every dual region
(:mod:`relucert.lp.oracle`); add the region maximisers that violate ``|eta| <= 1``;
repeat. Whenever the scan is complete the duality gap

    G = primal(mu) - D(p / max(1, max |eta_p|))

is computed honestly; the method stops when ``max |eta_p| <= 1 + tol.dual_feas`` and
``G <= tol.obj_gap * max(1, |primal|)``. Once the support pattern is found, Newton's
method on that pattern (:mod:`relucert.lp.polish`) brings the solution to full double
precision; a polished candidate is accepted only after the same exact checks.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np

from relucert.arrangement.chambers import Arrangement
from relucert.errors import SolverError
from relucert.lp.merge import merge_atoms, sign_vectors
from relucert.lp.oracle import RegionScan, chamber_vectors, region_maxima
from relucert.lp.polish import polish_pruned, snap_to_faces
from relucert.lp.programs import basis_pursuit_lp, lasso_qp
from relucert.tolerances import Tolerances, resolve

__all__ = ["Certified", "ExchangeResult", "evaluate", "solve_exchange", "dual_value",
           "interpolating_atoms", "DEFAULT_MAX_ITER"]

DEFAULT_MAX_ITER = 200
#: Zero-weight atoms are dropped when the set exceeds max(_CAP_ATOMS, 4 x the per-round
#: addition limit). Measured (n = 60, d = 3, lam = 0.01, limit 120): dropping past 480
#: took 62 rounds, past 2,400 took 38 (the warm-started active-set QP barely notices
#: unused columns; its pricing costs O(n K) and Phi takes 8 n K bytes).
_CAP_ATOMS = 2500
#: A failed run whose best relative gap is within this factor of tol.obj_gap is reported
#: as a precision limit, with the tolerances to loosen.
_NEAR_MISS = 1000.0


def dual_value(y: np.ndarray, lam: float, p: np.ndarray, max_eta: float) -> float:
    """``D(q)`` at the scaled-feasible ``q = p / max(1, max|eta_p|)``:
    ``lam <q, y> - lam^2/2 ||q||^2`` for lam > 0, ``<q, y>`` for (P_0)."""
    q = p / max(1.0, max_eta)
    if lam > 0:
        return lam * float(q @ y) - 0.5 * lam * lam * float(q @ q)
    return float(q @ y)


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
        return self.duality_gap / max(1.0, abs(self.objective))


def evaluate(arr: Arrangement, y: np.ndarray, lam: float, theta: np.ndarray, amplitude: np.ndarray,
             p: np.ndarray | None = None, *, tol: Tolerances | None = None, exact: bool = False,
             scan: RegionScan | None = None, prior: tuple | None = None, device: str = "auto") -> Certified:
    """Primal value, dual vector (``(y - K mu)/lam`` for lam > 0, the given ``p`` for
    lam = 0), ``max |eta_p|``, duality gap and the verdict.

    The scan stops at the first region violating ``|eta| <= 1 + tol.dual_feas``
    (the candidate is then rejected and ``max_abs_certificate`` is only a lower
    bound) unless ``exact``; a certified answer always comes from a complete scan,
    so its ``max_abs_certificate`` is the exact maximum. ``scan`` may pass a complete
    scan of the same ``p`` at threshold ``1 + tol.dual_feas`` already made; ``prior`` an
    earlier scan's ``(p, bounds)`` (see :func:`relucert.lp.oracle.region_maxima`)."""
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
    if scan is None:
        scan = region_maxima(arr, p, 1.0 + tol.dual_feas, limit=None if exact else 1, tol=tol, prior=prior,
                             device=device)
    dval = dual_value(y, lam, p, scan.max_value)
    gap = objective - dval
    cert = Certified(theta=theta, amplitude=amplitude, p=p, predictions=pred, objective=objective,
                     tv_norm=tv, dual_value=dval, duality_gap=gap, max_abs_certificate=scan.max_value,
                     scan=scan, feasible=feasible, certified=False)
    ok = (feasible and scan.complete and scan.max_value <= 1.0 + tol.dual_feas
          and gap <= tol.obj_gap * max(1.0, abs(objective)))
    return Certified(**{**cert.__dict__, "certified": bool(ok)})


@dataclass(frozen=True)
class ExchangeResult:
    best: Certified
    n_iter: int
    polished: bool
    history: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)


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


def _dedupe_add(theta_set, sign_set, new_theta, new_sign, tol):
    """Append atoms, skipping those within ``merge_angle`` (Euclidean distance of unit
    vectors) of one of the same sign already in the set or earlier among the new ones.
    Neighbours come from k-d trees (O(K log K), not a K x new distance matrix)."""
    from scipy.spatial import cKDTree

    if new_theta.shape[0] == 0:
        return theta_set, sign_set
    r = tol.merge_angle
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
    ``tol.snap`` times the largest), re-polished on the smaller pattern and re-verified;
    keep whichever is certified with the smaller support."""
    amp = cert.amplitude
    if amp.size < 2:
        return cert
    small = np.abs(amp) <= tol.snap * float(np.max(np.abs(amp)))
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
    ``tol.snap`` scaled down by powers of 100 (smallest first)."""
    return [0.0] + [tol.snap * 100.0 ** (-k) for k in (3, 2, 1, 0)]


def _pattern_key(Xl, theta, amplitude, tol):
    sig = sign_vectors(Xl, theta, tol)
    return tuple(sorted((int(np.sign(a)), s.tobytes()) for a, s in zip(amplitude, sig)))


def solve_exchange(arr: Arrangement, y: np.ndarray, lam: float, *, tol: Tolerances | None = None,
                   max_iter: int = DEFAULT_MAX_ITER, add_limit: int | None = None,
                   progress: bool | None = None, device: str = "auto") -> ExchangeResult:
    """Run the exchange method on the chambers ``arr`` of the data (see the module doc).

    Raises
    ------
    SolverError
        A finite program failed, or no certified optimum after ``max_iter`` rounds.
    """
    from tqdm import tqdm

    tol = resolve(tol)
    Xl = arr.X_lift
    n, D = Xl.shape
    y = np.asarray(y, float)
    limit = add_limit if add_limit is not None else max(2 * n, 16)
    timings = {"programs": 0.0, "oracle": 0.0, "polish": 0.0}
    if lam > 0:
        theta_set = np.zeros((0, D))
        sign_set = np.zeros(0)
    else:
        T = interpolating_atoms(arr.X)
        theta_set = np.vstack([T, T])
        sign_set = np.concatenate([np.ones(T.shape[0]), -np.ones(T.shape[0])])
    history = []
    c_prev = None  # the last lasso weights, aligned with theta_set (new atoms get 0)
    prior = None   # the last scan's dual vector and per-region upper bounds
    best: Certified | None = None
    failed_patterns = set()
    last_try_violation = np.inf
    prev_violation = np.inf
    bar = tqdm(total=max_iter, desc="exchange", disable=progress is False or None, file=sys.stderr, leave=False) \
        if progress is not False else None
    try:
        for it in range(1, max_iter + 1):
            t0 = time.perf_counter()
            Phi = np.maximum(0.0, Xl @ theta_set.T) * sign_set[None, :]
            if lam > 0:
                warm = None if c_prev is None else np.concatenate([c_prev, np.zeros(Phi.shape[1] - c_prev.size)])
                sol = lasso_qp(Phi, y, lam, tol=tol, warm_start=warm)
                c_prev = sol.c
            else:
                sol = basis_pursuit_lp(Phi, y, tol=tol)
            timings["programs"] += time.perf_counter() - t0
            theta_m, amp_m = merge_atoms(Xl, theta_set, sign_set * sol.c, tol)
            p = sol.p if lam == 0 else None
            t0 = time.perf_counter()
            pred = np.maximum(0.0, Xl @ theta_m.T) @ amp_m if theta_m.shape[0] else np.zeros(n)
            p_cur = (y - pred) / lam if lam > 0 else p
            V = chamber_vectors(arr, p_cur)
            scan = region_maxima(arr, p_cur, 1.0 + tol.dual_feas, limit=limit, V=V, tol=tol, prior=prior,
                                 device=device)
            prior = (scan.p, scan.bounds, V)  # the next scans skip regions that cannot reach 1
            timings["oracle"] += time.perf_counter() - t0
            entry = {"iter": it, "n_atoms_set": int(theta_set.shape[0]), "n_atoms": int(theta_m.shape[0]),
                     "objective": float(sol.objective), "violators": scan.n_found,
                     "max_found": scan.max_value, "complete": scan.complete}
            cands = []
            if scan.complete:
                cert = evaluate(arr, y, lam, theta_m, amp_m, p_cur, tol=tol, scan=scan)
                entry["gap"] = cert.duality_gap
                cands.append(cert)
            # polishing is tried once the violation is small (the support pattern has
            # then usually settled)
            # ... and again only after the violation has halved since the last failed try,
            # or when the exchange stalls (keeps the polishing cost to O(log) rounds while
            # the pattern is still moving)
            violation = scan.max_value - 1.0
            stalled = violation >= 0.5 * prev_violation
            prev_violation = violation
            if (scan.complete and theta_m.shape[0] and scan.max_value <= 1.0 + tol.snap
                    and (violation <= 0.5 * last_try_violation or stalled)):
                last_try_violation = violation
                t0 = time.perf_counter()
                for distance in _snap_ladder(tol):
                    if distance > 0:
                        th_s, a_s = merge_atoms(Xl, snap_to_faces(Xl, theta_m, distance, tol), amp_m, tol)
                    else:
                        th_s, a_s = theta_m, amp_m
                    key = _pattern_key(Xl, th_s, a_s, tol)
                    if key in failed_patterns:
                        continue
                    out = polish_pruned(Xl, y, lam, th_s, a_s, p_cur, tol=tol)
                    if out is None:
                        failed_patterns.add(key)
                        continue
                    th2, a2 = merge_atoms(Xl, out[0], out[1], tol)
                    pol = evaluate(arr, y, lam, th2, a2, out[2] if lam == 0 else None, tol=tol, prior=prior,
                                   device=device)
                    entry.setdefault("polished_gap", []).append(pol.duality_gap)
                    if pol.certified:
                        cands.append(pol)
                        break
                    failed_patterns.add(key)
                timings["polish"] += time.perf_counter() - t0
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
            theta_set, sign_set = _dedupe_add(theta_set, sign_set, scan.point[order],
                                              scan.sign[order].astype(float), tol)
            if theta_set.shape[0] == size_before:
                break  # no new atom: the finite programs cannot improve further
    finally:
        if bar is not None:
            bar.close()
    gap = "n/a" if best is None else f"{best.rel_gap():.3e} (max|eta| = {best.max_abs_certificate:.12g})"
    hint = ""
    if best is not None and best.rel_gap() <= _NEAR_MISS * tol.obj_gap:
        hint = (f"; the best answer misses the tolerances by a small factor, as happens when double "
                f"precision cannot form p = (y - K mu)/lam (lam = {lam:g}) to {tol.dual_feas:g}: "
                f"pass tol=relucert.Tolerances(obj_gap=..., dual_feas=...) with looser values")
    err = SolverError(f"exchange method did not certify an optimum after {len(history)} rounds; "
                      f"status 'limit'; best relative duality gap {gap}{hint}")
    err.history = history  # per-round diagnostics
    raise err
