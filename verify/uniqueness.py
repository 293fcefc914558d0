"""Uniqueness of the optimal measure and of the learned function (DESIGN.md section 5).

With E the extremal set, signs ``s`` and ``r = K mu`` the (common) predictions of all
optimal measures, the optimal measures supported on E are exactly the polytope

    Q = {c in R^E : Phi_E c = r, s_theta c_theta >= 0}

(proofs/solution_polytope.md). The measure is unique iff Q is one point: the exact test
solves, on HiGHS, the LPs min and max of every ``c_theta`` over Q. The function
``f_c(x) = sum c_theta relu(<theta, (x, 1)>)`` is unique iff the linear map ``M c`` of
:func:`function_coordinates` (kink coefficients per hyperplane class ``{theta, -theta}``
and the affine part) is constant on Q (proofs/measure_vs_function.md): the same LPs
on the rows of ``M c``.

Measures with mass outside E: from the duality gap G of the pair (mu, p_hat), every
optimal measure puts at most ``B = G / (lam (1 - m_out))`` mass on the (region, sign)
pairs outside E whose largest maximum is ``m_out`` (proofs/mass_outside_E.md); and if
``m_out + sqrt(2 G) / lam * ||X~||_2 < 1`` none at all. When it cannot be excluded, the
measure is "unique" only if Phi_E has full column rank and the amplitudes it forces,
``||X~||_2 (B + sqrt(2 T G / (lam m_min))) / sigma_min(Phi_E)`` (Statement 3), stay
within the uniqueness width.

A "not unique" witness moves mass only between points of E that are extremal to
``tol.witness_deficit``: along Q the objective changes by exactly
``lam * sum_theta deficit(theta) |c_theta|`` (Statement 4), so a point admitted to E by
``tol.extremal`` but not truly extremal would otherwise pass the objective re-check.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from relucert.errors import SolverError
from relucert.lp.highs import FiniteProgram, solve_objectives, solve_program
from relucert.results import Status, jsonable
from relucert.solution import relu_features
from relucert.tolerances import Tolerances, resolve

__all__ = ["Verdict", "Witness", "Uniqueness", "analyse_uniqueness", "function_coordinates",
           "amplitude_ranges", "mass_outside_bound", "amplitude_shift_bound", "antipodal_pairs"]


class Verdict:
    UNIQUE = "unique"
    NOT_UNIQUE = "not unique"
    UNDETERMINED = "undetermined"


@dataclass(frozen=True, eq=False)
class Witness:
    """Two distinct optimal networks on the atoms ``theta``: amplitudes ``c1`` and ``c2``.

    Re-checked: ``max_prediction_diff`` (same predictions), ``objective1/2`` (same
    objective as ``reference_objective``), ``max_amplitude_diff`` (different measures);
    for a function witness, ``x`` with ``f1(x) != f2(x)``.
    """

    kind: str
    theta: np.ndarray
    c1: np.ndarray
    c2: np.ndarray
    objective1: float
    objective2: float
    reference_objective: float
    max_prediction_diff: float
    max_amplitude_diff: float
    checked: bool
    reason: str = ""
    x: np.ndarray | None = None
    f1: float | None = None
    f2: float | None = None

    def networks(self):
        """The two networks as (theta, amplitude) pairs, zero amplitudes dropped."""
        out = []
        for c in (self.c1, self.c2):
            keep = c != 0
            out.append((self.theta[keep], c[keep]))
        return out

    def to_dict(self) -> dict:
        nets = []
        for th, c in self.networks():
            nets.append([{"theta": t, "amplitude": a} for t, a in zip(th, c)])
        return jsonable({"kind": self.kind, "checked": self.checked, "reason": self.reason,
                         "network1": nets[0], "network2": nets[1],
                         "objective1": self.objective1, "objective2": self.objective2,
                         "reference_objective": self.reference_objective,
                         "max_prediction_diff": self.max_prediction_diff,
                         "max_amplitude_diff": self.max_amplitude_diff,
                         "x": self.x, "f1": self.f1, "f2": self.f2})


@dataclass(frozen=True, eq=False)
class Uniqueness:
    measure: str
    measure_reason: str
    function: str
    function_reason: str
    sufficient: bool                 # Phi_E has full column rank
    ranges: np.ndarray               # (|E|, 2) min and max of each amplitude over Q
    carries_mass: np.ndarray         # (|E|,) some optimal measure puts mass there
    mass_outside_bound: float
    excluded_rigorously: bool
    antipodal_pairs: tuple
    witnesses: tuple = field(default_factory=tuple)
    amplitude_shift_bound: float = 0.0   # Statement 3: max ||c' - c0|| over optimal measures

    def to_dict(self) -> dict:
        return jsonable({"unique": self.measure, "unique_reason": self.measure_reason,
                         "unique_function": self.function, "unique_function_reason": self.function_reason,
                         "sufficient_full_rank": self.sufficient, "amplitude_ranges": self.ranges,
                         "carries_mass": self.carries_mass, "mass_outside_E_bound": self.mass_outside_bound,
                         "outside_E_excluded_rigorously": self.excluded_rigorously,
                         "amplitude_shift_bound": self.amplitude_shift_bound,
                         "antipodal_pairs": [list(p) for p in self.antipodal_pairs]})


def antipodal_pairs(theta: np.ndarray, signs: np.ndarray, tol: Tolerances) -> tuple:
    """Pairs (i, j), i < j, of points of E with ``theta_j = -theta_i`` and the same sign."""
    out = []
    for i in range(len(theta)):
        for j in range(i + 1, len(theta)):
            if signs[i] == signs[j] and np.linalg.norm(theta[i] + theta[j]) <= tol.point_merge:
                out.append((i, j))
    return tuple(out)


def function_coordinates(theta: np.ndarray, tol: Tolerances | None = None) -> tuple[np.ndarray, list]:
    """A matrix M with ``f_c == f_c'`` on all of R^d iff ``M c == M c'``.

    ``relu(z) = (|z| + z) / 2``: rows, one per class ``{theta, -theta}`` with a non-zero
    weight part, hold the coefficient ``(c_theta + c_{-theta}) / 2`` of the kink
    ``|<theta, x~>|``; the last d + 1 rows hold the affine part
    ``sum c_theta theta / 2`` (plus ``relu(theta_b)`` in the constant row for the
    vertical directions ``theta = (0, ..., 0, +-1)``). Kinks on distinct hyperplanes and
    affine functions are linearly independent.
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


#: Band widenings tried for a rank-deficient Phi_E (factor 10 each, from primal_feas).
_BAND_STEPS = 4


def _bands(r, tol):
    """The band widths tried for ``Phi_E c = r``: exact, then ``primal_feas * max(1, |r|)``
    widened tenfold up to ``_BAND_STEPS`` times. Q holds the given amplitudes, so a
    failure at band 0 is rounding in rank-deficient rows of Phi_E (HiGHS's presolve says
    infeasible, or gives up with status "Unknown": measured on a 400 x 368 Phi_E of rank
    194, and at n = 250 on 716 of 744 range LPs). A wider band only widens the computed
    ranges, so a "unique" verdict stays sound, and "not unique" still needs a re-checked
    witness."""
    base = tol.primal_feas * max(1.0, float(np.max(np.abs(r), initial=0.0)))
    return [0.0] + [base * 10.0 ** k for k in range(_BAND_STEPS)]


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

    Returns ``(ranges (R, 2), argmin (R, k), argmax (R, k))``.
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


def mass_outside_bound(gap: float, lam: float, max_outside_hat: float, op_norm: float) -> tuple[float, bool]:
    """``(G / (lam (1 - m_out)), m_out + sqrt(2G)/lam * ||X~||_2 < 1)`` (module docstring)."""
    gap = max(gap, 0.0)
    excluded = max_outside_hat + np.sqrt(2.0 * gap) / lam * op_norm < 1.0
    if excluded:
        return 0.0, True
    if max_outside_hat >= 1.0:
        return float("inf"), False
    return float(gap / (lam * (1.0 - max_outside_hat))), False


def amplitude_shift_bound(bound: float, gap: float, lam: float, total_mass: float, min_peak: float,
                          op_norm: float, sigma_min: float) -> float:
    """Statement 3 of proofs/mass_outside_E.md: every measure nu with ``P(nu) <= P(mu)``,
    merged per (region, sign) pair of E into amplitudes ``c'`` on E's points, has
    ``||c' - c0||_2 <= ||X~||_2 (B + sqrt(2 T G / (lam m_min))) / sigma_min(Phi_E)``,
    with B the mass bound outside E, T the total mass bound and m_min the smallest
    peak of E. Infinite when Phi_E is rank deficient (sigma_min = 0)."""
    if not sigma_min > 0.0 or not min_peak > 0.0:
        return float("inf")
    spread = np.sqrt(2.0 * max(total_mass, 0.0) * max(gap, 0.0) / (lam * min_peak))
    return float(op_norm * (bound + spread) / sigma_min)


def _deficits(Phi, y, lam, signs, c0):
    """``1 - s eta_p(theta)`` at E's points for ``p = (y - Phi c0) / lam``, and the scale
    ``max(1, sum_i |p_i phi_i(theta)|)`` of each value's rounding."""
    p = (y - Phi @ c0) / lam
    eta = Phi.T @ p
    return 1.0 - signs * eta, np.maximum(1.0, np.abs(Phi).T @ np.abs(p))


def _objective(Phi, y, lam, c):
    return float(0.5 * np.sum((Phi @ c - y) ** 2) + lam * np.sum(np.abs(c)))


def _make_witness(kind, theta, Phi, y, lam, c1, c2, reference, slack, width_tol, pred_tol, deficit_limit,
                  deficits):
    o1 = _objective(Phi, y, lam, c1)
    o2 = _objective(Phi, y, lam, c2)
    pred = float(np.max(np.abs(Phi @ (c1 - c2)), initial=0.0))
    amp = float(np.max(np.abs(c1 - c2), initial=0.0))
    problems = []
    moved = np.abs(c1 - c2) > width_tol
    shallow = np.flatnonzero(moved & (deficits > deficit_limit))
    if shallow.size:
        j = int(shallow[np.argmax(deficits[shallow])])
        problems.append(f"the witness moves mass onto point {j} of E, where the certificate is only "
                        f"1 - {deficits[j]:.3g} (> witness_deficit): the objective along Q changes by "
                        f"lam * deficit * |c| there, so that point may not be extremal")
    if pred > pred_tol:
        problems.append(f"predictions differ by {pred:.3g} (> {pred_tol:.3g})")
    for name, o in (("first", o1), ("second", o2)):
        if o - reference > slack:
            problems.append(f"the {name} network's objective exceeds the optimum by {o - reference:.3g} "
                            f"(> {slack:.3g}): E may hold a point where |eta| is not exactly 1")
    if amp <= width_tol:
        problems.append(f"the two measures differ by only {amp:.3g}")
    return Witness(kind=kind, theta=theta, c1=c1, c2=c2, objective1=o1, objective2=o2,
                   reference_objective=reference, max_prediction_diff=pred, max_amplitude_diff=amp,
                   checked=not problems, reason="; ".join(problems))


def _function_point(X, theta, c1, c2, width_tol):
    """A point x where the two networks differ most among deterministic candidates."""
    X = np.asarray(X, dtype=np.float64)
    d = X.shape[1]
    center = X.mean(axis=0)
    spread = max(1.0, float(np.max(np.abs(X - center))))
    rng = np.random.default_rng(0)
    cands = [center + spread * 3.0 * rng.uniform(-1.0, 1.0, size=(4000, d))]
    for t in theta:
        w, b = t[:-1], t[-1]
        nw = float(np.linalg.norm(w))
        if nw > 0:
            foot = center - (w @ center + b) / nw ** 2 * w  # the kink hyperplane's point nearest the centre
            cands.append(foot + spread * rng.uniform(-1.0, 1.0, size=(200, d)))
    P = np.vstack(cands)
    Pl = np.hstack([P, np.ones((P.shape[0], 1))])
    F = relu_features(Pl, theta)
    diff = np.abs(F @ (c1 - c2)) / (1.0 + np.linalg.norm(P, axis=1))
    best = int(np.argmax(diff))
    return P[best], float(F[best] @ c1), float(F[best] @ c2), bool(diff[best] > width_tol)


def analyse_uniqueness(X_lift, y, lam, theta, signs, c0, *, reference_objective: float, gap: float,
                       max_outside_hat: float, tol: Tolerances | None = None) -> Uniqueness:
    """The measure and function verdicts (module docstring).

    ``theta`` (|E|, d + 1) and ``signs`` describe E, ``c0`` the given optimal amplitudes on
    E; ``reference_objective`` their objective; ``gap`` the duality gap of the pair;
    ``max_outside_hat`` the largest (region, sign) maximum of the scaled-feasible
    certificate outside E.
    """
    tol = resolve(tol)
    X_lift = np.asarray(X_lift, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64).reshape(-1, X_lift.shape[1])
    signs = np.asarray(signs)
    c0 = np.asarray(c0, dtype=np.float64)
    k = theta.shape[0]
    Phi = relu_features(X_lift, theta)
    r = Phi @ c0
    scale = max(1.0, float(np.max(np.abs(c0), initial=0.0)))
    width_tol = tol.uniqueness_width * scale
    pred_tol = tol.primal_feas * max(1.0, float(np.max(np.abs(r), initial=0.0))) * max(1, k)
    slack = max(2.0 * max(gap, 0.0), tol.obj_gap * max(1.0, abs(reference_objective)))
    op_norm = float(np.linalg.norm(X_lift, 2))
    bound, excluded = mass_outside_bound(gap, lam, max_outside_hat, op_norm)
    pairs = antipodal_pairs(theta, signs, tol)
    if k == 0:
        return Uniqueness(Verdict.UNIQUE, "E is empty: the zero measure is the only solution",
                          Verdict.UNIQUE, "the zero function", True, np.zeros((0, 2)), np.zeros(0, bool),
                          bound, excluded, pairs)
    sv = np.linalg.svd(Phi, compute_uv=False)
    sufficient = k <= Phi.shape[0] and int(np.sum(sv > tol.rank * max(1.0, float(sv[0])))) == k
    deficits, dscale = _deficits(Phi, y, lam, signs, c0)
    deficit_limit = tol.witness_deficit * dscale
    shift = 0.0 if excluded else amplitude_shift_bound(
        bound, gap, lam, abs(reference_objective) / lam, float(np.min(1.0 - deficits)), op_norm,
        float(sv[-1]) if sufficient else 0.0)
    ranges, lo_pts, hi_pts = amplitude_ranges(Phi, r, signs, np.eye(k), tol=tol)
    widths = ranges[:, 1] - ranges[:, 0]
    carries = np.max(np.abs(ranges), axis=1) > width_tol
    mass_ok = excluded or shift <= width_tol
    mass_text = ("no optimal measure has mass outside E (proved from the gap)" if excluded else
                 f"every optimal measure has at most {bound:.3g} mass outside E and amplitudes on E "
                 f"within {shift:.3g} of these")
    witnesses = []
    j = int(np.argmax(widths))
    if widths[j] > width_tol:
        w = _make_witness("measure", theta, Phi, y, lam, lo_pts[j], hi_pts[j], reference_objective, slack,
                          width_tol, pred_tol, deficit_limit, deficits)
        witnesses.append(w)
        if w.checked:
            measure = Verdict.NOT_UNIQUE
            why = (f"the solution polytope Q has dimension >= 1: the amplitude of atom {j} ranges over "
                   f"[{ranges[j, 0]:.6g}, {ranges[j, 1]:.6g}]; two optimal networks with the same "
                   f"predictions and objective differ by {w.max_amplitude_diff:.3g}")
        else:
            measure = Verdict.UNDETERMINED
            why = f"Q seems not to be a point (atom {j} ranges over width {widths[j]:.3g}) but the witness fails its re-check: {w.reason}"
    elif mass_ok:
        measure = Verdict.UNIQUE
        why = (("Phi_E has full column rank (sufficient condition)" if sufficient else
                "Phi_E is rank deficient but the sign constraints pin Q to one point (exact LP test)")
               + f"; every amplitude's range over Q is at most {float(np.max(widths)):.3g}; " + mass_text)
    else:
        measure = Verdict.UNDETERMINED
        why = (f"Q is one point, but the duality gap {gap:.3g} allows up to {bound:.3g} mass outside E "
               f"(largest region maximum outside E: {max_outside_hat:.9g}), which can move the amplitudes "
               f"on E by up to {shift:.3g}" + ("" if sufficient else " (Phi_E is rank deficient: no bound)"))
    # the function
    if measure == Verdict.UNIQUE:
        function, fwhy = Verdict.UNIQUE, "the measure is unique"
    elif measure == Verdict.UNDETERMINED and widths[j] <= width_tol:
        function, fwhy = Verdict.UNDETERMINED, why
    else:
        M, labels = function_coordinates(theta, tol)
        franges, flo, fhi = amplitude_ranges(Phi, r, signs, M, tol=tol)
        fw = franges[:, 1] - franges[:, 0]
        i = int(np.argmax(fw))
        if fw[i] > width_tol:
            X = X_lift[:, :-1]
            w = _make_witness("function", theta, Phi, y, lam, flo[i], fhi[i], reference_objective, slack,
                              width_tol, pred_tol, deficit_limit, deficits)
            x, f1, f2, differs = _function_point(X, theta, w.c1, w.c2, width_tol)
            problems = [w.reason] if w.reason else []
            if not differs:
                problems.append("no sampled point separates the two functions")
            w = Witness(**{**w.__dict__, "x": x, "f1": f1, "f2": f2, "checked": not problems,
                           "reason": "; ".join(problems)})
            witnesses.append(w)
            if w.checked:
                function = Verdict.NOT_UNIQUE
                fwhy = (f"two optimal networks with the same predictions and objective differ at x = "
                        f"{np.array2string(x, precision=4)}: {f1:.6g} vs {f2:.6g}")
            else:
                function = Verdict.UNDETERMINED
                fwhy = f"the function seems not unique, but the witness fails its re-check: {w.reason}"
        elif measure == Verdict.NOT_UNIQUE and mass_ok:
            function = Verdict.UNIQUE
            fwhy = (f"the optimal measures differ only by networks that vanish on R^d (antipodal pairs of "
                    f"E with the same sign: {list(pairs)}); the kink and affine coefficients are constant "
                    f"on Q; " + mass_text)
        else:
            function = Verdict.UNDETERMINED
            fwhy = (f"the function is constant on Q, but the duality gap allows up to {bound:.3g} mass "
                    f"outside E" if not mass_ok else why)
    return Uniqueness(measure=measure, measure_reason=why, function=function, function_reason=fwhy,
                      sufficient=bool(sufficient), ranges=ranges, carries_mass=carries,
                      mass_outside_bound=bound, excluded_rigorously=bool(excluded), antipodal_pairs=pairs,
                      witnesses=tuple(witnesses), amplitude_shift_bound=shift)
