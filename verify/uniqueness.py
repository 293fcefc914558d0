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

from relucert._model import relu_features
from relucert.results import Verdict, jsonable
from relucert.tolerances import Tolerances, resolve
from relucert.verify.solution_polytope import amplitude_ranges, function_coordinates
from relucert.verify.witness import Witness, WitnessKind, extremal_deficits, make_witness, separating_point

__all__ = ["Uniqueness", "analyse_uniqueness", "mass_outside_bound", "amplitude_shift_bound",
           "antipodal_pairs"]


@dataclass(frozen=True, eq=False)
class Uniqueness:
    """The two uniqueness verdicts (measure, function) with their reasons and the data
    behind them; ``to_dict`` is the report's ``uniqueness`` entry."""

    measure: Verdict
    measure_reason: str
    function: Verdict
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
    """Pairs (i, j), i < j, of points of E with ``theta_j = -theta_i`` and the same sign.

    Parameters
    ----------
    theta : array (k, d + 1)
    signs : array of int (k,)
    tol : Tolerances
        ``point_merge``: how close ``theta_j`` and ``-theta_i`` must be.

    Returns
    -------
    tuple of (int, int)
    """
    out = []
    for i in range(len(theta)):
        for j in range(i + 1, len(theta)):
            if signs[i] == signs[j] and np.linalg.norm(theta[i] + theta[j]) <= tol.point_merge:
                out.append((i, j))
    return tuple(out)


def mass_outside_bound(gap: float, lam: float, max_outside_hat: float, op_norm: float) -> tuple[float, bool]:
    """``(G / (lam (1 - m_out)), m_out + sqrt(2G)/lam * ||X~||_2 < 1)`` (module docstring).

    Parameters
    ----------
    gap : float
        Duality gap G of the pair (mu, p_hat).
    lam : float
    max_outside_hat : float
        m_out: the largest (region, sign) maximum of the scaled-feasible certificate
        outside E.
    op_norm : float
        ``||X~||_2``.

    Returns
    -------
    bound : float
        The mass bound B (0 when excluded, inf when ``m_out >= 1``).
    excluded : bool
        Whether no optimal measure has mass outside E.
    """
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
    peak of E. Infinite when Phi_E is rank deficient (sigma_min = 0).

    Parameters
    ----------
    bound : float
        B, from :func:`mass_outside_bound`.
    gap : float
        G.
    lam : float
    total_mass : float
        T, a bound on the total mass of an optimal measure.
    min_peak : float
        m_min.
    op_norm : float
        ``||X~||_2``.
    sigma_min : float
        Smallest singular value of Phi_E (0 when rank deficient).

    Returns
    -------
    float
    """
    if not sigma_min > 0.0 or not min_peak > 0.0:
        return float("inf")
    spread = np.sqrt(2.0 * max(total_mass, 0.0) * max(gap, 0.0) / (lam * min_peak))
    return float(op_norm * (bound + spread) / sigma_min)


def analyse_uniqueness(X_lift, y, lam, theta, signs, c0, *, reference_objective: float, gap: float,
                       max_outside_hat: float, tol: Tolerances | None = None) -> Uniqueness:
    """The measure and function verdicts (module docstring).

    Parameters
    ----------
    X_lift : array (n, d + 1)
    y : array (n,)
    lam : float
    theta : array (|E|, d + 1)
        The points of E.
    signs : array of int (|E|,)
        Their signs.
    c0 : array (|E|,)
        The given optimal amplitudes on E.
    reference_objective : float
        Their objective.
    gap : float
        The duality gap of the pair.
    max_outside_hat : float
        The largest (region, sign) maximum of the scaled-feasible certificate outside E.
    tol : Tolerances, optional

    Returns
    -------
    Uniqueness
        ``measure`` and ``function``: :class:`~relucert.results.Verdict` s with reasons.
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
    deficits, dscale = extremal_deficits(Phi, y, lam, signs, c0)
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
        w = make_witness(WitnessKind.MEASURE, theta, Phi, y, lam, lo_pts[j], hi_pts[j], reference_objective, slack,
                          width_tol, pred_tol, deficit_limit, deficits)
        witnesses.append(w)
        if w.checked:
            measure = Verdict.NOT_UNIQUE
            why = (f"the solution polytope Q has dimension >= 1: the amplitude at point {j} of E ranges over "
                   f"[{ranges[j, 0]:.6g}, {ranges[j, 1]:.6g}]; two optimal networks with the same "
                   f"predictions and objective differ by {w.max_amplitude_diff:.3g}")
        else:
            measure = Verdict.UNDETERMINED
            why = f"Q seems not to be a point (the amplitude at point {j} of E ranges over width {widths[j]:.3g}) but the witness fails its re-check: {w.reason}"
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
            w = make_witness(WitnessKind.FUNCTION, theta, Phi, y, lam, flo[i], fhi[i], reference_objective, slack,
                              width_tol, pred_tol, deficit_limit, deficits)
            x, f1, f2, differs = separating_point(X, theta, w.c1, w.c2, width_tol)
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
