"""The theorem suite: every statement of the theory run on seeded random instances.

Each statement is a small function ``check(ctx) -> Outcome`` whose verdict is one of

- ``"hypothesis fails"``: the statement does not apply to the instance (with the reason);
- ``"holds"``: its hypotheses hold and so does its conclusion;
- ``"VIOLATED"``: its hypotheses hold and its conclusion does not.

A failed hypothesis is never counted as a confirmation nor as a violation. The
statements are DATA (:data:`STATEMENTS`, a tuple of :class:`Statement`): the suite runs
whatever list it is given, so a test can inject a false "theorem" and see the
bookkeeping report it VIOLATED with a saved counterexample.

A violation is re-verified before it is reported: the instance is written to disk,
read back, and the statement checked again from scratch (new arrangement, new solves).
Only a violation that reproduces is saved as a counterexample (data, solutions,
report); one that does not is reported as "hypothesis fails" with the reason
"numerically unresolved" (see proofs/theorem_suite.md).

The solvers are passed in (``solver(X, y, lam) -> Solution``; optionally a second,
independent method ``alt_solver``): this module never imports a solver itself.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from relucert._atomic import atomic_open, write_text
from relucert.arrangement import Arrangement, enumerate_chambers, general_position_count, lift, pack_signs
from relucert.errors import CertificateError, RelucertError
from relucert.results import jsonable
from relucert.solution import Solution, relu_features
from relucert.tolerances import Tolerances, resolve
from relucert.experiments.lownoise import (
    N_FIT, LowNoiseResult, MinimalNormCertificate, fit_slopes, lownoise_sweep, minimal_norm_certificate,
    regime_points,
)
from relucert.verify.regions import SIGNS

__all__ = [
    "HOLDS", "HYPOTHESIS_FAILS", "VIOLATED", "VERDICTS", "Outcome", "Statement", "Family", "Instance",
    "Context", "STATEMENTS", "DEFAULT_FAMILIES", "SUITE_LAMS", "make_instance", "run_suite", "SuiteResult",
    "load_instance", "sampled_extremum_check", "check_finite_support", "check_one_extremum",
    "check_uniqueness", "check_low_noise", "holds", "fails", "violated",
]

HOLDS = "holds"
HYPOTHESIS_FAILS = "hypothesis fails"
VIOLATED = "VIOLATED"
VERDICTS = (HOLDS, HYPOTHESIS_FAILS, VIOLATED)

#: lam values of the low-noise statement; its conclusions are tested on those in the
#: perturbative regime (:func:`relucert.experiments.lownoise.regime_points`), at least
#: ``_MIN_REGIME`` of them.
SUITE_LAMS = tuple(float(v) for v in np.geomspace(10.0 ** -2, 10.0 ** -5, 7))
_MIN_REGIME = 3

#: random directions sampled per instance by the one-extremum check, and the radius
#: (on the sphere) of the extra samples drawn around each region maximiser.
_N_SAMPLES = 20000
_NEAR_RADIUS = 1.0 / 64.0
_NEAR_SAMPLES = 64

Solver = Callable[[np.ndarray, np.ndarray, float], Solution]


@dataclass(frozen=True)
class Outcome:
    verdict: str
    reason: str
    details: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}; got {self.verdict!r}")

    def to_dict(self) -> dict:
        return jsonable({"verdict": self.verdict, "reason": self.reason, "details": self.details})


def holds(reason: str, **details) -> Outcome:
    return Outcome(HOLDS, reason, details)


def fails(reason: str, **details) -> Outcome:
    return Outcome(HYPOTHESIS_FAILS, reason, details)


def violated(reason: str, **details) -> Outcome:
    return Outcome(VIOLATED, reason, details)


@dataclass(frozen=True)
class Statement:
    """``name``; ``claim``: the statement in words; ``check(ctx) -> Outcome``."""

    name: str
    claim: str
    check: Callable


# ----------------------------------------------------------------------------------------
# instances
# ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    """Random instances: ``n`` points in ``d`` dimensions (standard normal), a planted
    measure of ``n_atoms`` atoms with kinks through the data's convex hull, labels
    ``y0 = K mu0`` and ``y = y0 + noise * N(0, I)`` (the noise level cycles through
    ``noise`` over the instances), regularisation ``lam``."""

    name: str
    d: int
    n: int
    n_atoms: int = 2
    noise: tuple = (0.0, 0.1)
    lam: float = 0.05

    def to_dict(self) -> dict:
        return jsonable(self.__dict__)


DEFAULT_FAMILIES = (
    Family("d1-n5", 1, 5),
    Family("d1-n8", 1, 8),
    Family("d2-n5", 2, 5),
    Family("d2-n7", 2, 7),
    Family("d3-n5", 3, 5),
    Family("d3-n6", 3, 6),
)


@dataclass(frozen=True, eq=False)
class Instance:
    family: Family
    index: int
    seed: int
    X: np.ndarray
    y0: np.ndarray
    y: np.ndarray
    lam: float
    noise: float
    theta0: np.ndarray
    amplitude0: np.ndarray
    xi: np.ndarray

    @property
    def label(self) -> str:
        return f"{self.family.name}#{self.index}"

    def save(self, path: str) -> None:
        with atomic_open(path, "wb") as fh:
            np.savez(fh, X=self.X, y=self.y, y0=self.y0, lam=np.float64(self.lam), noise=np.float64(self.noise),
                     theta0=self.theta0, amplitude0=self.amplitude0, xi=self.xi, seed=np.int64(self.seed),
                     index=np.int64(self.index), family=json.dumps(self.family.to_dict()))


def load_instance(path: str) -> Instance:
    """Read an instance written by :meth:`Instance.save`."""
    with np.load(path, allow_pickle=False) as z:
        fam = json.loads(str(z["family"]))
        fam["noise"] = tuple(fam["noise"])
        return Instance(family=Family(**fam), index=int(z["index"]), seed=int(z["seed"]), X=z["X"], y0=z["y0"],
                        y=z["y"], lam=float(z["lam"]), noise=float(z["noise"]), theta0=z["theta0"],
                        amplitude0=z["amplitude0"], xi=z["xi"])


def make_instance(family: Family, index: int, seed: int) -> Instance:
    """The ``index``-th instance of ``family`` for the suite seed ``seed`` (deterministic)."""
    rng = np.random.default_rng([int(seed), zlib.crc32(family.name.encode()), int(index)])
    n, d = family.n, family.d
    X = rng.standard_normal((n, d))
    thetas, amps = [], []
    for _ in range(family.n_atoms):
        w = rng.standard_normal(d)
        w /= np.linalg.norm(w)
        centre = rng.dirichlet(np.ones(n)) @ X          # a kink through the convex hull
        t = np.r_[w, -float(w @ centre)]
        thetas.append(t / np.linalg.norm(t))
        amps.append(float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5)))
    theta0 = np.array(thetas)
    amp0 = np.array(amps)
    y0 = relu_features(lift(X), theta0) @ amp0
    noise = float(family.noise[index % len(family.noise)])
    y = y0 + noise * rng.standard_normal(n)
    xi = rng.standard_normal(n)
    return Instance(family=family, index=int(index), seed=int(seed), X=X, y0=y0, y=y, lam=float(family.lam),
                    noise=noise, theta0=theta0, amplitude0=amp0, xi=xi / np.linalg.norm(xi))


# ----------------------------------------------------------------------------------------
# the lazily computed objects a statement may need
# ----------------------------------------------------------------------------------------

class Context:
    """One instance with everything computed on demand and cached: the arrangement, the
    (P_lam) solution on ``y`` and its certificate report, the low-noise sweep on ``y0``.
    A failed computation is cached as its exception and re-raised on each access."""

    def __init__(self, instance: Instance, solver: Solver, *, alt_solver: Solver | None = None,
                 tol: Tolerances | None = None, lams=SUITE_LAMS):
        self.instance = instance
        self.solver = solver
        self.alt_solver = alt_solver
        self.tol = resolve(tol)
        self.lams = tuple(lams)
        self._cache: dict = {}

    def _get(self, key, make):
        if key not in self._cache:
            try:
                self._cache[key] = (True, make())
            except (RelucertError, ValueError, ArithmeticError) as exc:
                self._cache[key] = (False, exc)
        ok, value = self._cache[key]
        if not ok:
            raise value
        return value

    @property
    def arrangement(self) -> Arrangement:
        return self._get("arrangement", lambda: enumerate_chambers(self.instance.X, tol=self.tol))

    @property
    def solution(self) -> Solution:
        inst = self.instance
        return self._get("solution", lambda: self.solver(inst.X, inst.y, inst.lam))

    @property
    def alt_solution(self) -> Solution:
        inst = self.instance
        return self._get("alt_solution", lambda: self.alt_solver(inst.X, inst.y, inst.lam))

    @property
    def report(self):
        from relucert.verify.analysis import analyse

        return self._get("report", lambda: analyse(self.solution, arrangement=self.arrangement, tol=self.tol))

    @property
    def p0_solution(self) -> Solution:
        """The (P_0) solution on the noiseless labels ``y0``."""
        inst = self.instance
        return self._get("p0_solution", lambda: self.solver(inst.X, inst.y0, 0.0))

    @property
    def p0(self) -> MinimalNormCertificate:
        """The minimal-norm certificate of (P_0) with its margins."""
        ref = self.p0_solution
        return self._get("p0", lambda: minimal_norm_certificate(self.arrangement, self.instance.y0, ref.theta,
                                                                 ref.amplitude, tol=self.tol))

    @property
    def lownoise(self) -> LowNoiseResult:
        """The sweep on ``y0 + C lam xi`` (C = min(1, c_crit / 2)) over ``self.lams``."""
        inst = self.instance
        ref = self.p0_solution
        return self._get("lownoise", lambda: lownoise_sweep(
            inst.X, inst.y0, solver=self.solver, lams=self.lams, xi=inst.xi, reference=ref,
            arrangement=self.arrangement, tol=self.tol, progress=False))

    def computed(self) -> dict:
        """The objects computed so far (for a counterexample's files)."""
        return {k: v for k, (ok, v) in self._cache.items() if ok}


def _need(ctx: Context, what: str):
    """``(value, None)`` or ``(None, Outcome 'hypothesis fails')`` when it cannot be computed."""
    try:
        return getattr(ctx, what), None
    except CertificateError as exc:
        return None, fails(f"no certified optimum to analyse: {exc}")
    except (RelucertError, ValueError, ArithmeticError) as exc:
        return None, fails(f"numerically unresolved: {what} failed: {type(exc).__name__}: {exc}")


# ----------------------------------------------------------------------------------------
# the statements
# ----------------------------------------------------------------------------------------

def check_finite_support(ctx: Context) -> Outcome:
    """DESIGN.md section 3: every solution is a finite sum of Diracs, at most one per
    (region, sign) pair reaching |eta| = 1, so at most 2 x #chambers atoms, and #chambers
    is at most the general-position count."""
    rep, bad = _need(ctx, "report")
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
    directions plus points near every maximiser. Returns ``(n_checked, worst excess of
    the value, worst excess of the growth bound)``.
    """
    Xl = arrangement.X_lift
    D = Xl.shape[1]
    Z = [rng.standard_normal((_N_SAMPLES, D))]
    pts = scan.point.reshape(-1, D)
    pts = pts[~np.isnan(pts[:, 0])]
    if pts.shape[0]:
        near = np.repeat(pts, _NEAR_SAMPLES, axis=0) + _NEAR_RADIUS * rng.standard_normal((pts.shape[0] * _NEAR_SAMPLES, D))
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
    eta = np.maximum(S, 0.0) @ p
    worst_val = -math.inf
    worst_growth = -math.inf
    ok = cham >= 0
    for si, s in enumerate(SIGNS):
        m = scan.value[cham[ok], si]
        t = scan.point[cham[ok], si]
        val = s * eta[ok]
        worst_val = max(worst_val, float(np.max(val - m, initial=-math.inf)))
        pos = m > 0
        if np.any(pos):
            dist2 = np.sum((Z[ok][pos] - t[pos]) ** 2, axis=1)
            worst_growth = max(worst_growth, float(np.max(dist2 - 2.0 * (m[pos] - val[pos]) / m[pos])))
    return int(np.count_nonzero(ok)), worst_val, worst_growth


def check_one_extremum(ctx: Context) -> Outcome:
    """DESIGN.md section 3: on each dual region eta reaches +1 at most once and -1 at
    most once (the region maximiser of a linear function on a cone is unique)."""
    rep, bad = _need(ctx, "report")
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
    P = np.vstack([X, centre + 2.0 * spread * rng.uniform(-1.0, 1.0, size=(2000, X.shape[1]))])
    fa, fb = sol_a.predict(P), sol_b.predict(P)
    return float(np.max(np.abs(fa - fb)) / max(1.0, float(np.max(np.abs(fa)))))


def check_uniqueness(ctx: Context) -> Outcome:
    """DESIGN.md section 5: when Phi_E has full column rank (and the duality gap excludes
    mass outside E) the solution of (P_lam) is unique. Checked by the exact LP test over
    the solution polytope Q and, independently, by a second solver method (the full
    second-order cone reformulation) returning the same function."""
    rep, bad = _need(ctx, "report")
    if bad:
        return bad
    u = rep.uniqueness
    if not u.sufficient:
        return fails(f"Phi_E is rank deficient (rank {rep.rank_phi_E} < |E| = {rep.support_bound})")
    if not (u.excluded_rigorously or u.mass_outside_bound <= ctx.tol.uniqueness_width):
        return fails(f"the duality gap does not exclude mass outside E (bound {u.mass_outside_bound:.3g})")
    details = {"unique": rep.unique, "unique_function": rep.unique_function, "unique_reason": rep.unique_reason}
    if rep.unique != "unique":
        return violated(f"Phi_E has full column rank but the LP test over Q says {rep.unique!r}: "
                        f"{rep.unique_reason}", **details)
    if ctx.alt_solver is not None:
        alt, bad = _need(ctx, "alt_solution")
        if bad:
            return holds(f"unique by the LP test; second method unavailable ({bad.reason})", **details)
        gap = _function_gap(ctx.solution, alt, np.random.default_rng([ctx.instance.seed, ctx.instance.index, 11]))
        details["second_method_function_gap"] = gap
        if gap > ctx.tol.cross_method:
            return violated(f"Phi_E has full column rank, yet the second method's optimal network differs "
                            f"by {gap:.3g} (relative) from the first", **details)
        return holds(f"unique by the LP test; the second method's network agrees to {gap:.2g}", **details)
    return holds("unique by the LP test over Q", **details)


def check_low_noise(ctx: Context) -> Outcome:
    """DESIGN.md section 6: if the minimal-norm certificate of (P_0) for y0 is
    non-degenerate, then for y = y0 + C lam xi with C < c_crit and lam small the solution
    of (P_lam) has as many Diracs as the (P_0) solution; if moreover the atoms' features
    and face derivatives are independent (Gamma of full row rank) its errors are O(lam)
    (log-log slope >= 1 - tol.rate_slope)."""
    mnc, bad = _need(ctx, "p0")
    if bad:
        return bad
    locs = [a.location for a in mnc.atoms]
    info = {"locations": locs, "p0_nondegenerate": mnc.nondegenerate}
    if not mnc.nondegenerate:
        ref = ctx.p0_solution
        gap = ref.duality_gap / max(1.0, abs(ref.objective))
        where = f"{len(locs)} atom(s), {locs.count('boundary')} on hyperplanes"
        if not mnc.p0.valid and mnc.p0.residual > ctx.tol.primal_feas * max(1.0, float(np.max(np.abs(mnc.p)))):
            return fails(f"pre-certificate equations inconsistent: residual {mnc.p0.residual:.2g} at the (P_0) "
                         f"solution ({where}; its relative duality gap {gap:.1e})", **info)
        if not mnc.p0.valid:
            return fails(f"p_0 degenerate: p_V is not a certificate, max |eta| = {mnc.p0.max_abs_certificate:.6g} "
                         f"({where})", **info)
        return fails(f"p_0 degenerate: {mnc.reason} ({where})", **info)
    res, bad = _need(ctx, "lownoise")
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
    tol = ctx.tol
    margin = mnc.margin
    regime = regime_points(res)
    details = {**info, "n_atoms": len(res.atoms), "n_diracs": [pt.n_diracs for pt in res.sweep],
               "lams": [pt.lam for pt in res.sweep], "perturbation": [pt.perturbation for pt in res.sweep],
               "margin": margin, "c_crit": c if math.isfinite(c) else None, "noise_scale": res.noise_scale,
               "max_abs_eta_off_support": mnc.check.max_abs_eta_off_support,
               "min_boundary_multiplier": mnc.check.min_boundary_multiplier}
    if len(regime) < _MIN_REGIME:
        smallest = min(res.sweep, key=lambda pt: pt.lam)
        return fails(f"regime not reached: {len(regime)} lam(s) with ||X~|| ||p_lam - q(C)|| below the margin "
                     f"{margin:.3g} (at lam = {smallest.lam:.2g} it is {smallest.perturbation:.3g}); need "
                     f"{_MIN_REGIME}", **details)
    s, pinned = fit_slopes(regime, len(res.atoms), tol)
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
        amp_small = all(pt.amp_err < tol.pinned for pt in fit)
        if not amp_small and (s["amp_err"] is None or s["amp_err"] < 1.0 - tol.rate_slope):
            problems.append(f"amplitude-error slope {s['amp_err']} < 1 - {tol.rate_slope:g}")
        if len(pinned) < len(res.atoms) and (s["loc_err"] is None or s["loc_err"] < 1.0 - tol.rate_slope):
            problems.append(f"location-error slope {s['loc_err']} < 1 - {tol.rate_slope:g}")
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


# ----------------------------------------------------------------------------------------
# running the suite
# ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Record:
    statement: str
    family: str
    index: int
    verdict: str
    reason: str
    details: dict
    counterexample: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return jsonable(self.__dict__)


@dataclass(frozen=True, eq=False)
class SuiteResult:
    records: tuple
    statements: tuple
    families: tuple
    n_instances: int
    seed: int
    seconds: float
    sweeps: tuple = ()           # (label, LowNoiseResult) where the low-noise hypothesis held
    out_dir: str | None = None

    def counts(self) -> dict:
        out = {s.name: {v: 0 for v in VERDICTS} for s in self.statements}
        for r in self.records:
            out[r.statement][r.verdict] += 1
        return out

    @property
    def n_violated(self) -> int:
        return sum(1 for r in self.records if r.verdict == VIOLATED)

    def failure_reasons(self) -> dict:
        """Per statement: how often each kind of failed hypothesis occurred."""
        out: dict = {}
        for r in self.records:
            if r.verdict == HYPOTHESIS_FAILS:
                kind = r.reason.split(":")[0].split("(")[0].strip()
                out.setdefault(r.statement, {}).setdefault(kind, 0)
                out[r.statement][kind] += 1
        return out

    def p0_summary(self) -> dict:
        """Low-noise statement: how often p_0 is non-degenerate, split by whether the (P_0)
        solution has an atom on a hyperplane."""
        out = {"with boundary atom": [0, 0], "interior atoms only": [0, 0]}
        for r in self.records:
            locs = r.details.get("locations") if r.statement == "low_noise" else None
            if locs is None:
                continue
            key = "with boundary atom" if "boundary" in locs else "interior atoms only"
            out[key][0] += 1
            out[key][1] += int(bool(r.details.get("p0_nondegenerate")))
        return out

    def _p0_table(self) -> list:
        summary = self.p0_summary()
        if not any(v[0] for v in summary.values()):
            return []
        lines = ["", "Minimal-norm certificate of (P_0) (low-noise hypothesis):", "",
                 "| (P_0) solution | instances | p_0 non-degenerate |", "|---|---:|---:|"]
        for key, (total, nd) in summary.items():
            lines.append(f"| {key} | {total} | {nd} |")
        return lines

    def table(self) -> str:
        counts = self.counts()
        w = max([len(s) for s in counts] + [9])
        lines = [f"{'statement':<{w}}  {'holds':>6}  {'hyp. fails':>10}  {'VIOLATED':>8}  {'applies':>8}"]
        for name, c in counts.items():
            total = sum(c.values())
            app = c[HOLDS] + c[VIOLATED]
            lines.append(f"{name:<{w}}  {c[HOLDS]:>6}  {c[HYPOTHESIS_FAILS]:>10}  {c[VIOLATED]:>8}  "
                         f"{app:>3}/{total:<4}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"format": "relucert.theorems/1", "seed": self.seed, "n_instances": self.n_instances,
                         "families": [f.to_dict() for f in self.families],
                         "statements": [{"name": s.name, "claim": s.claim} for s in self.statements],
                         "counts": self.counts(), "failure_reasons": self.failure_reasons(),
                         "p0_summary": self.p0_summary(),
                         "records": [r.to_dict() for r in self.records], "seconds": self.seconds})

    def markdown(self, figures: dict | None = None) -> str:
        """The markdown report (``figures``: caption -> relative path)."""
        counts = self.counts()
        lines = ["# relucert theorem suite", "",
                 f"Seed {self.seed}; {self.n_instances} instance(s) per family; {len(self.records)} checks in "
                 f"{self.seconds:.1f} s.", "",
                 "Verdicts: **holds** (hypotheses and conclusion hold), **hypothesis fails** (the statement "
                 "does not apply; never counted as a confirmation), **VIOLATED** (hypotheses hold, conclusion "
                 "fails; re-verified from the saved data).", "",
                 "| statement | claim | holds | hypothesis fails | VIOLATED | applies |",
                 "|---|---|---:|---:|---:|---:|"]
        for s in self.statements:
            c = counts[s.name]
            total = sum(c.values())
            app = c[HOLDS] + c[VIOLATED]
            lines.append(f"| {s.name} | {s.claim} | {c[HOLDS]} | {c[HYPOTHESIS_FAILS]} | {c[VIOLATED]} | "
                         f"{app}/{total} ({100.0 * app / total if total else 0:.0f}%) |")
        lines += ["", "## Families", "", "| family | d | n | planted atoms | noise levels | lam |",
                  "|---|---:|---:|---:|---|---:|"]
        for f in self.families:
            lines.append(f"| {f.name} | {f.d} | {f.n} | {f.n_atoms} | {', '.join(str(v) for v in f.noise)} | {f.lam:g} |")
        lines += ["", "## How often the hypotheses fail, and why", ""]
        reasons = self.failure_reasons()
        if not reasons:
            lines.append("No hypothesis failed.")
        for name, kinds in reasons.items():
            lines.append(f"- **{name}**: " + "; ".join(f"{k} ({v})" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])))
        lines += self._p0_table()
        lines += ["", "## Violations", ""]
        viol = [r for r in self.records if r.verdict == VIOLATED]
        if not viol:
            lines.append("None.")
        for r in viol:
            where = r.counterexample
            if where and self.out_dir:
                where = os.path.relpath(where, self.out_dir)
            lines.append(f"- `{r.statement}` on {r.family}#{r.index}: {r.reason} (counterexample: `{where}`)")
        if self.sweeps:
            lines += ["", "## Low-noise instances where the hypotheses hold", "",
                      "| instance | atoms (location) | c_crit | C | Diracs per lam | loc slope | amp slope | rate asserted (H2) |",
                      "|---|---|---:|---:|---|---:|---:|---|"]
            for label, res in self.sweeps:
                s = res.slopes
                c = res.critical.value
                lines.append(f"| {label} | {', '.join(a.location for a in res.atoms)} | "
                             f"{c:.3g} | {res.noise_scale:.3g} | {[pt.n_diracs for pt in res.sweep]} | "
                             f"{'pinned' if s['loc_err'] is None else format(s['loc_err'], '.3f')} | "
                             f"{'n/a' if s['amp_err'] is None else format(s['amp_err'], '.3f')} | "
                             f"{'yes' if res.certificate.full_rank else 'no'} |")
        if figures:
            lines += ["", "## Figures", ""]
            for caption, rel in figures.items():
                lines.append(f"![{caption}]({rel})")
                lines.append("")
        lines += ["", "## All checks", "", "| statement | instance | verdict | reason |", "|---|---|---|---|"]
        for r in self.records:
            reason = r.reason.replace("|", "/").replace("\n", " ")
            lines.append(f"| {r.statement} | {r.family}#{r.index} | {r.verdict} | {reason} |")
        return "\n".join(lines) + "\n"


def _save_counterexample(out_dir: str, statement: Statement, inst: Instance, ctx: Context, outcome: Outcome,
                         first: Outcome) -> str:
    """Write data, solutions and report of a confirmed violation; returns the folder."""
    folder = os.path.join(out_dir, "counterexamples", f"{statement.name}-{inst.family.name}-{inst.index}")
    os.makedirs(folder, exist_ok=True)
    inst.save(os.path.join(folder, "data.npz"))
    done = ctx.computed()
    if "solution" in done:
        _write_json(os.path.join(folder, "solution.json"), done["solution"].to_dict())
    if "alt_solution" in done:
        _write_json(os.path.join(folder, "solution_second_method.json"), done["alt_solution"].to_dict())
    if "report" in done:
        _write_json(os.path.join(folder, "certificate_report.json"), done["report"].to_dict())
    if "p0_solution" in done:
        _write_json(os.path.join(folder, "p0_solution.json"), done["p0_solution"].to_dict())
    if "p0" in done:
        _write_json(os.path.join(folder, "p0_certificate.json"), done["p0"].p0.to_dict())
    if "lownoise" in done:
        _write_json(os.path.join(folder, "lownoise.json"), done["lownoise"].to_dict())
    report = {"statement": statement.name, "claim": statement.claim, "instance": inst.label,
              "first_check": first.to_dict(), "re_verification": outcome.to_dict()}
    _write_json(os.path.join(folder, "report.json"), report)
    write_text(os.path.join(folder, "README.md"),
               f"# Counterexample: {statement.name} on {inst.label}\n\n"
               f"Claim: {statement.claim}.\n\nFirst check: {first.reason}\n\n"
               f"Re-verified from data.npz (new arrangement, new solves): {outcome.reason}\n")
    return folder


def _write_json(path: str, doc: dict) -> None:
    write_text(path, json.dumps(jsonable(doc), indent=1, allow_nan=True) + "\n")


def _run_one(statement: Statement, ctx: Context) -> Outcome:
    try:
        out = statement.check(ctx)
    except (RelucertError, ValueError, ArithmeticError) as exc:
        return fails(f"numerically unresolved: {type(exc).__name__}: {exc}")
    if not isinstance(out, Outcome):
        raise TypeError(f"statement {statement.name!r} returned {type(out).__name__}, not an Outcome")
    return out


def run_suite(*, solver: Solver, alt_solver: Solver | None = None, families=DEFAULT_FAMILIES,
              n_instances: int = 3, seed: int = 0, statements=STATEMENTS, out_dir: str | None = None,
              tol: Tolerances | None = None, lams=SUITE_LAMS, progress: bool | None = None) -> SuiteResult:
    """Run every statement on ``n_instances`` instances of every family.

    Violations are re-verified (the instance is saved and re-loaded, and the statement
    checked again with a fresh :class:`Context`); confirmed ones are saved under
    ``out_dir/counterexamples`` (a temporary folder is used when ``out_dir`` is None).
    """
    import tempfile

    from tqdm import tqdm

    tol = resolve(tol)
    start = time.perf_counter()
    scratch = out_dir if out_dir is not None else tempfile.mkdtemp(prefix="relucert-theorems-")
    records = []
    sweeps = []
    jobs = [(f, i) for f in families for i in range(n_instances)]
    bar = tqdm(jobs, desc="theorems", disable=None if progress is not False else True, file=sys.stderr)
    for family, index in bar:
        inst = make_instance(family, index, seed)
        bar.set_postfix(instance=inst.label)
        ctx = Context(inst, solver, alt_solver=alt_solver, tol=tol, lams=lams)
        for st in statements:
            t0 = time.perf_counter()
            out = _run_one(st, ctx)
            path = None
            if out.verdict == VIOLATED:
                out, path = _reverify(st, inst, out, solver, alt_solver, tol, lams, scratch)
            records.append(Record(statement=st.name, family=family.name, index=index, verdict=out.verdict,
                                  reason=out.reason, details=out.details, counterexample=path,
                                  seconds=time.perf_counter() - t0))
            if st.name == "low_noise" and out.verdict != HYPOTHESIS_FAILS and "lownoise" in ctx.computed():
                sweeps.append((inst.label, ctx.computed()["lownoise"]))
    return SuiteResult(records=tuple(records), statements=tuple(statements), families=tuple(families),
                       n_instances=n_instances, seed=seed, seconds=time.perf_counter() - start,
                       sweeps=tuple(sweeps), out_dir=out_dir)


def _reverify(st: Statement, inst: Instance, first: Outcome, solver, alt_solver, tol, lams, out_dir):
    """Save the instance, reload it and check again from scratch."""
    folder = os.path.join(out_dir, "counterexamples")
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{st.name}-{inst.family.name}-{inst.index}.npz")
    inst.save(tmp)
    again = load_instance(tmp)
    os.remove(tmp)
    ctx = Context(again, solver, alt_solver=alt_solver, tol=tol, lams=lams)
    second = _run_one(st, ctx)
    if second.verdict != VIOLATED:
        return fails(f"numerically unresolved: the first check said VIOLATED ({first.reason}) but the "
                     f"re-verification from the saved data says {second.verdict!r} ({second.reason})",
                     **first.details), None
    return second, _save_counterexample(out_dir, st, again, ctx, second, first)
