"""The statements of the theorem suite (DESIGN.md sections 3, 5 and 6), each a function
``check(ctx) -> Outcome`` on one :class:`~relucert.experiments.theorems.context.Context`;
:data:`STATEMENTS` is the default list."""
from __future__ import annotations

import math

import numpy as np

from relucert._model import eta, lift
from relucert.results import AtomLocation, Verdict
from relucert.arrangement import Arrangement, general_position_count, pack_signs
from relucert.solution import Solution
from relucert.tolerances import Tolerances
from relucert.experiments.lownoise import fit_slopes, regime_points
from relucert.experiments.parameters import (
    CROSS_METHOD, FUNCTION_GAP_SAMPLES, MIN_REGIME, N_FIT, N_SAMPLES, NEAR_RADIUS, NEAR_SAMPLES, PINNED, RATE_SLOPE,
)
from relucert.experiments.theorems.context import Context, need
from relucert.experiments.theorems.outcomes import Outcome, Statement, fails, holds, violated
from relucert.verify.regions import SIGNS

__all__ = ["STATEMENTS", "check_finite_support", "sampled_extremum_check", "check_one_extremum",
           "check_uniqueness", "check_low_noise"]


def check_finite_support(ctx: Context) -> Outcome:
    """DESIGN.md section 3: every solution is a finite sum of Diracs, at most one per
    (region, sign) pair reaching |eta| = 1, so at most 2 x #chambers atoms, and #chambers
    is at most the general-position count.

    Parameters
    ----------
    ctx : Context

    Returns
    -------
    Outcome
    """
    rep, bad = need(ctx, "report")
    if bad:
        return bad
    sol = ctx.solution
    n, d = ctx.instance.X.shape
    gp = general_position_count(np.unique(lift(ctx.instance.X), axis=0).shape[0], d)
    problems = []
    if rep.n_chambers > gp:
        problems.append(f"{rep.n_chambers} chambers > general-position count {gp}")
    if rep.support_size > rep.support_bound:
        problems.append(f"support {rep.support_size} > |E| = {rep.support_bound}")
    if rep.support_bound > rep.n_extremal_pairs:
        problems.append(f"|E| = {rep.support_bound} > extremal (region, sign) pairs {rep.n_extremal_pairs}")
    if rep.n_extremal_pairs > 2 * rep.n_chambers:
        problems.append(f"extremal pairs {rep.n_extremal_pairs} > 2 x chambers {2 * rep.n_chambers}")
    if sol.n_atoms > 2 * rep.n_chambers:
        problems.append(f"the solver's measure has {sol.n_atoms} atoms > 2 x chambers")
    if rep.rank_phi_E > n:
        problems.append(f"rank(Phi_E) = {rep.rank_phi_E} > n = {n}")
    details = {"support_size": rep.support_size, "E": rep.support_bound, "pairs": rep.n_extremal_pairs,
               "chambers": rep.n_chambers, "general_position_count": gp, "rank_phi_E": rep.rank_phi_E}
    if problems:
        return violated("; ".join(problems), **details)
    return holds(f"support {rep.support_size} <= |E| {rep.support_bound} <= pairs {rep.n_extremal_pairs} <= "
                 f"2 x {rep.n_chambers} chambers (<= 2 x {gp})", **details)


def sampled_extremum_check(arrangement: Arrangement, scan, p: np.ndarray, rng: np.random.Generator,
                           tol: Tolerances) -> tuple[int, float, float]:
    """Sampling check of the one-extremum lemma, independent of the projections.

    For the maximiser ``t*`` of ``s eta`` on a region (value m > 0) every point z of the
    region satisfies ``s eta(z) <= m`` and ``||z - t*||^2 <= 2 (m - s eta(z)) / m`` (from
    ``<z, v> <= <z, P_C v> = m <z, t*>``), which forbids a second maximiser. Samples: random
    directions plus points near every maximiser.

    Parameters
    ----------
    arrangement : Arrangement
    scan : RegionExtrema
        The region maxima of ``eta_p``.
    p : array (n,)
    rng : numpy.random.Generator
    tol : Tolerances

    Returns
    -------
    n_checked : int
    worst_value_excess : float
    worst_growth_excess : float
    """
    Xl = arrangement.X_lift
    D = Xl.shape[1]
    Z = [rng.standard_normal((N_SAMPLES, D))]
    pts = scan.point.reshape(-1, D)
    pts = pts[~np.isnan(pts[:, 0])]
    if pts.shape[0]:
        near = np.repeat(pts, NEAR_SAMPLES, axis=0) + NEAR_RADIUS * rng.standard_normal((pts.shape[0] * NEAR_SAMPLES, D))
        Z.append(near)
    Z = np.vstack(Z)
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    S = Z @ Xl.T
    zero = tol.sign_zero * np.linalg.norm(Xl, axis=1)
    keep = np.all(np.abs(S) > zero[None, :], axis=1)
    Z, S = Z[keep], S[keep]
    index = {row.tobytes(): k for k, row in enumerate(arrangement.sign_patterns)}
    keys = pack_signs(S > 0)
    cham = np.array([index.get(row.tobytes(), -1) for row in keys])
    eta_z = eta(Xl, p, Z)
    worst_val = -math.inf
    worst_growth = -math.inf
    ok = cham >= 0
    for si, s in enumerate(SIGNS):
        m = scan.value[cham[ok], si]
        t = scan.point[cham[ok], si]
        val = s * eta_z[ok]
        worst_val = max(worst_val, float(np.max(val - m, initial=-math.inf)))
        pos = m > 0
        if np.any(pos):
            dist2 = np.sum((Z[ok][pos] - t[pos]) ** 2, axis=1)
            worst_growth = max(worst_growth, float(np.max(dist2 - 2.0 * (m[pos] - val[pos]) / m[pos])))
    return int(np.count_nonzero(ok)), worst_val, worst_growth


def check_one_extremum(ctx: Context) -> Outcome:
    """DESIGN.md section 3: on each dual region eta reaches +1 at most once and -1 at
    most once (the region maximiser of a linear function on a cone is unique).

    Parameters
    ----------
    ctx : Context

    Returns
    -------
    Outcome
    """
    rep, bad = need(ctx, "report")
    if bad:
        return bad
    tol = ctx.tol
    rng = np.random.default_rng([ctx.instance.seed, ctx.instance.index, 7])
    scale = max(1.0, float(np.max(rep.scan.value, initial=0.0)))
    n, worst_val, worst_growth = sampled_extremum_check(ctx.arrangement, rep.scan, rep.dual, rng, tol)
    details = {"samples": n, "worst_value_excess": worst_val, "worst_growth_excess": worst_growth,
               "regions_plus": rep.regions_plus, "regions_minus": rep.regions_minus}
    problems = []
    # Two points of E of one sign in one region contradict the lemma only if they cannot
    # both lie in the tolerance band of ONE maximiser: s eta >= m - extremal forces
    # ||z - t*||^2 <= 2 extremal / m, so two such points are within 2 sqrt(2 extremal / m).
    unresolved = []
    for k, sign, pts in rep.extremal.violations:
        m = float(rep.scan.value[k, SIGNS.index(sign)])
        radius = 2.0 * math.sqrt(2.0 * tol.extremal / m) if m > 0 else math.inf
        th = [rep.extremal.points[j].theta for j in pts]
        far = max(float(np.linalg.norm(a - b)) for a in th for b in th)
        if far > radius:
            problems.append(f"region {k} holds points of E of sign {sign:+d} at distance {far:.3g} > {radius:.3g} "
                            f"(the tolerance band of one maximiser)")
        else:
            unresolved.append((k, sign, far))
    if unresolved:
        details["within_tolerance"] = [list(u) for u in unresolved]
    if worst_val > tol.extremal * scale:
        problems.append(f"a sample exceeds its region's maximum by {worst_val:.3g}")
    if worst_growth > tol.extremal * scale:
        problems.append(f"a sample breaks the quadratic growth from the unique maximiser by {worst_growth:.3g}")
    if problems:
        return violated("; ".join(problems), **details)
    note = (f"; {len(unresolved)} region(s) with two points of E closer than the tolerance band of one "
            f"maximiser (the report's E splits one near-maximum)" if unresolved else "")
    return holds(f"one point of E per (region, sign){note}; {n} samples obey value and growth bounds", **details)


def _function_gap(sol_a: Solution, sol_b: Solution, rng: np.random.Generator) -> float:
    """Largest relative difference of the two networks on points around the data."""
    X = sol_a.X
    centre = X.mean(axis=0)
    spread = max(1.0, float(np.max(np.abs(X - centre))))
    P = np.vstack([X, centre + 2.0 * spread * rng.uniform(-1.0, 1.0, size=(FUNCTION_GAP_SAMPLES, X.shape[1]))])
    fa, fb = sol_a.predict(P), sol_b.predict(P)
    return float(np.max(np.abs(fa - fb)) / max(1.0, float(np.max(np.abs(fa)))))


def check_uniqueness(ctx: Context) -> Outcome:
    """DESIGN.md section 5: when Phi_E has full column rank (and the duality gap excludes
    mass outside E) the solution of (P_lam) is unique. Checked by the exact LP test over
    the solution polytope Q and, independently, by a second solver method (the full
    second-order cone reformulation) returning the same function.

    Parameters
    ----------
    ctx : Context

    Returns
    -------
    Outcome
    """
    rep, bad = need(ctx, "report")
    if bad:
        return bad
    u = rep.uniqueness
    if not u.sufficient:
        return fails(f"Phi_E is rank deficient (rank {rep.rank_phi_E} < |E| = {rep.support_bound})")
    if not (u.excluded_rigorously or u.mass_outside_bound <= ctx.tol.uniqueness_width):
        return fails(f"the duality gap does not exclude mass outside E (bound {u.mass_outside_bound:.3g})")
    details = {"unique": rep.unique, "unique_function": rep.unique_function, "unique_reason": rep.unique_reason}
    if rep.unique is not Verdict.UNIQUE:
        return violated(f"Phi_E has full column rank but the LP test over Q says {rep.unique.value!r}: "
                        f"{rep.unique_reason}", **details)
    if ctx.alt_solver is not None:
        alt, bad = need(ctx, "alt_solution")
        if bad:
            return holds(f"unique by the LP test; second method unavailable ({bad.reason})", **details)
        gap = _function_gap(ctx.solution, alt, np.random.default_rng([ctx.instance.seed, ctx.instance.index, 11]))
        details["second_method_function_gap"] = gap
        if gap > CROSS_METHOD:
            return violated(f"Phi_E has full column rank, yet the second method's optimal network differs "
                            f"by {gap:.3g} (relative) from the first", **details)
        return holds(f"unique by the LP test; the second method's network agrees to {gap:.2g}", **details)
    return holds("unique by the LP test over Q", **details)


def check_low_noise(ctx: Context) -> Outcome:
    """DESIGN.md section 6: if the minimal-norm certificate of (P_0) for y0 is
    non-degenerate, then for y = y0 + C lam xi with C < c_crit and lam small the solution
    of (P_lam) has as many Diracs as the (P_0) solution; if moreover the atoms' features
    and face derivatives are independent (Gamma of full row rank) its errors are O(lam)
    (log-log slope >= 1 - RATE_SLOPE).

    Parameters
    ----------
    ctx : Context

    Returns
    -------
    Outcome
    """
    mnc, bad = need(ctx, "p0")
    if bad:
        return bad
    locs = [a.location for a in mnc.atoms]
    info = {"locations": locs, "p0_nondegenerate": mnc.nondegenerate}
    if not mnc.nondegenerate:
        ref = ctx.p0_solution
        gap = ref.duality_gap / max(1.0, abs(ref.objective))
        where = f"{len(locs)} atom(s), {locs.count(AtomLocation.BOUNDARY)} on hyperplanes"
        if not mnc.p0.valid and mnc.p0.residual > ctx.tol.primal_feas * max(1.0, float(np.max(np.abs(mnc.p)))):
            return fails(f"pre-certificate equations inconsistent: residual {mnc.p0.residual:.2g} at the (P_0) "
                         f"solution ({where}; its relative duality gap {gap:.1e})", **info)
        if not mnc.p0.valid:
            return fails(f"p_0 degenerate: p_V is not a certificate, max |eta| = {mnc.p0.max_abs_certificate:.6g} "
                         f"({where})", **info)
        return fails(f"p_0 degenerate: {mnc.reason} ({where})", **info)
    res, bad = need(ctx, "lownoise")
    if bad:
        return bad
    mnc = res.certificate
    if res.exact is None or not res.exact.certified:
        return fails("the (P_0) optimum not certified exactly: "
                     + ("no exact check" if res.exact is None else res.exact.reason),
                     **info)
    info["p0_exact"] = res.exact.to_dict()
    c = res.critical.value
    if not res.noise_scale < c:
        return fails(f"noise above critical: scale {res.noise_scale:.3g} is not below c_crit = {c:.3g}", **info)
    margin = mnc.margin
    regime = regime_points(res)
    details = {**info, "n_atoms": len(res.atoms), "n_diracs": [pt.n_diracs for pt in res.sweep],
               "lams": [pt.lam for pt in res.sweep], "perturbation": [pt.perturbation for pt in res.sweep],
               "margin": margin, "c_crit": c if math.isfinite(c) else None, "noise_scale": res.noise_scale,
               "max_abs_eta_off_support": mnc.check.max_abs_eta_off_support,
               "min_boundary_multiplier": mnc.check.min_boundary_multiplier}
    if len(regime) < MIN_REGIME:
        smallest = min(res.sweep, key=lambda pt: pt.lam)
        return fails(f"regime not reached: {len(regime)} lam(s) with ||X~|| ||p_lam - q(C)|| below the margin "
                     f"{margin:.3g} (at lam = {smallest.lam:.2g} it is {smallest.perturbation:.3g}); need "
                     f"{MIN_REGIME}", **details)
    s, pinned = fit_slopes(regime, len(res.atoms))
    fit = sorted(regime, key=lambda pt: pt.lam)[:N_FIT]
    details.update({"slopes": s, "pinned": list(pinned), "regime_lams": [pt.lam for pt in fit]})
    problems = []
    counts = [pt.n_diracs for pt in fit]
    if any(k != len(res.atoms) for k in counts):
        problems.append(f"number of Diracs {counts} != {len(res.atoms)} in the regime")
    # the O(lam) rate needs (H2) too: Gamma of full row rank (the implicit-function argument)
    details["rate_asserted"] = bool(mnc.full_rank)
    details["stationarity_rank"] = [mnc.rank, mnc.n_equations]
    if mnc.full_rank:
        amp_small = all(pt.amp_err < PINNED for pt in fit)
        if not amp_small and (s["amp_err"] is None or s["amp_err"] < 1.0 - RATE_SLOPE):
            problems.append(f"amplitude-error slope {s['amp_err']} < 1 - {RATE_SLOPE:g}")
        if len(pinned) < len(res.atoms) and (s["loc_err"] is None or s["loc_err"] < 1.0 - RATE_SLOPE):
            problems.append(f"location-error slope {s['loc_err']} < 1 - {RATE_SLOPE:g}")
    if problems:
        return violated("; ".join(problems), **details)
    slope_txt = ", ".join(f"{k} {v:.3f}" for k, v in s.items() if k in ("loc_err", "amp_err") and v is not None)
    rate = ("" if mnc.full_rank else f" (rate not asserted: stationarity equations of rank {mnc.rank} < "
                                     f"{mnc.n_equations}; slopes recorded only)")
    return holds(f"{len(res.atoms)} Diracs at the {len(fit)} regime lams; slopes "
                 f"{slope_txt or 'n/a (errors below resolution)'}{rate}", **details)


STATEMENTS = (
    Statement("finite_support", "every solution is a finite sum of Diracs within the arrangement bound",
              check_finite_support),
    Statement("one_extremum", "on each dual region eta reaches +1 at most once and -1 at most once",
              check_one_extremum),
    Statement("uniqueness", "Phi_E of full column rank (no mass outside E) implies a unique solution",
              check_uniqueness),
    Statement("low_noise", "non-degenerate p_0 and C < c_crit imply a constant number of Diracs "
              "(and O(lam) errors when Gamma has full rank)",
              check_low_noise),
)
