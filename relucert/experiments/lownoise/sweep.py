"""The lam -> 0 sweep of the low-noise regime (DESIGN.md section 6): solve (P_lam) on
``y = y0 + C lam xi`` for a range of lam, count the Diracs, measure the location and
amplitude errors against the (P_0) solution's atoms and fit the log-log slopes
(proofs/lownoise_rate.md).

This module never calls a solver on its own: :func:`lownoise_sweep` takes the solver as
an argument (:func:`relucert.experiments.rescaled.default_solver`, as the command line
and the tests pass it).
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field

import numpy as np

from relucert.arrangement import Arrangement, enumerate_chambers
from relucert.results import jsonable
from relucert.solution import Solution
from relucert.tolerances import Tolerances, resolve
from relucert.experiments.lownoise.critical_ratio import CriticalRatio, critical_noise_ratio
from relucert.experiments.lownoise.minimal_norm import (
    ExactP0Check, MinimalNormCertificate, exact_p0_check, minimal_norm_certificate,
)
from relucert.experiments.lownoise.measure import fit_slopes, measure_errors
from relucert.experiments.parameters import DEFAULT_LAMS, N_FIT
from relucert.experiments.rescaled import Solver

__all__ = ["LOWNOISE_FORMAT", "SweepPoint", "LowNoiseResult", "lownoise_sweep", "regime_points", "parse_lams",
           "noise_direction"]

LOWNOISE_FORMAT = "relucert.lownoise/1"


@dataclass(frozen=True, eq=False)
class SweepPoint:
    lam: float
    noise_scale: float
    n_diracs: int
    loc_err: float
    amp_err: float
    loc_errs: np.ndarray
    amp_errs: np.ndarray
    mass_bound: float
    dual_dist: float | None       # ||p_lam - q(C)|| (None when q(C) is not the limit)
    perturbation: float | None    # ||X~||_2 ||p_lam - q(C)||: bounds |eta_lam - eta_q| on the sphere
    diracs: list
    solution: Solution = field(repr=False)

    def to_dict(self) -> dict:
        return jsonable({"lam": self.lam, "noise_scale": self.noise_scale, "n_diracs": self.n_diracs,
                         "loc_err": self.loc_err, "amp_err": self.amp_err, "loc_errs": self.loc_errs,
                         "amp_errs": self.amp_errs, "mass_bound": self.mass_bound, "dual_dist": self.dual_dist,
                         "perturbation": self.perturbation,
                         "diracs": self.diracs})


@dataclass(frozen=True, eq=False)
class LowNoiseResult:
    """Everything :func:`lownoise_sweep` measured; ``to_dict`` is ``relucert.lownoise/1``."""

    X: np.ndarray
    y0: np.ndarray
    xi: np.ndarray
    noise_scale: float
    reference: Solution
    certificate: MinimalNormCertificate
    critical: CriticalRatio
    sweep: tuple
    slopes: dict
    pinned: tuple                    # indices of pinned reference atoms
    tol: Tolerances
    exact: ExactP0Check | None = None

    @property
    def atoms(self) -> tuple:
        return self.certificate.atoms

    @property
    def constant_diracs(self) -> bool:
        """Every lam of the sweep has as many Diracs as the (P_0) solution."""
        return all(pt.n_diracs == len(self.atoms) for pt in self.sweep)

    @property
    def fit_points(self) -> tuple:
        """The ``N_FIT`` smallest-lam points of the sweep (the asymptotic regime)."""
        return tuple(sorted(self.sweep, key=lambda pt: pt.lam)[:N_FIT])

    @property
    def constant_diracs_fit(self) -> bool:
        """The fit lams all have as many Diracs as the (P_0) solution."""
        return all(pt.n_diracs == len(self.atoms) for pt in self.fit_points)

    def to_dict(self) -> dict:
        chk = self.certificate.check
        c = self.critical.value
        return jsonable({
            "format": LOWNOISE_FORMAT,
            "reference_atoms": [a.to_dict() for a in self.atoms],
            "certificate_is_p0": self.certificate.is_p0,
            "certificate_nondegenerate": self.certificate.nondegenerate,
            "certificate_reason": self.certificate.reason,
            "max_abs_eta_off_support": chk.max_abs_eta_off_support,
            "min_boundary_multiplier": chk.min_boundary_multiplier,
            "p0_certificate": self.certificate.p0.to_dict(),
            "stationarity_full_rank": self.certificate.full_rank,
            "p0_exact": None if self.exact is None else self.exact.to_dict(),
            "critical_noise_ratio": c if math.isfinite(c) else None,
            "critical_noise_ratio_infinite": not math.isfinite(c),
            "critical_event": self.critical.event,
            "p0": self.certificate.p,
            "noise_direction": self.xi,
            "noise_scale": self.noise_scale,
            "sweep": [pt.to_dict() for pt in self.sweep],
            "slopes": self.slopes,
            "pinned_atoms": list(self.pinned),
            "constant_diracs": self.constant_diracs,
            "constant_diracs_small_lams": self.constant_diracs_fit,
            "reference_objective": self.reference.objective,
            "tol": self.tol.to_dict(),
        })


def parse_lams(text: str) -> tuple:
    """``"A:B:K"``: K values geometric from A down (or up) to B; A, B > 0, K >= 2.

    >>> parse_lams("0.1:0.001:3")
    (0.1, 0.01, 0.001)

    Parameters
    ----------
    text : str

    Returns
    -------
    tuple of float

    Raises
    ------
    ValueError
        Naming ``--lams`` and the expected form.
    """
    parts = str(text).split(":")
    if len(parts) != 3:
        raise ValueError(f"--lams must be A:B:K (K lam values geometric from A to B); got {text!r}")
    try:
        a, b, k = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise ValueError(f"--lams must be A:B:K with floats A, B > 0 and an integer K >= 2; got {text!r}") from None
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)) or k < 2:
        raise ValueError(f"--lams must be A:B:K with finite A, B > 0 and K >= 2; got {text!r}")
    return tuple(float(v) for v in np.geomspace(a, b, k))


def noise_direction(n: int, seed: int, xi=None) -> np.ndarray:
    """The unit noise direction: ``xi`` normalised, else a standard normal draw.

    Parameters
    ----------
    n : int
        Number of samples.
    seed : int
        Seed of the draw when ``xi`` is None.
    xi : array (n,), optional

    Returns
    -------
    array (n,)
        Unit norm.

    Raises
    ------
    ValueError
        ``xi`` of the wrong length, zero or not finite.
    """
    if xi is None:
        xi = np.random.default_rng(seed).standard_normal(n)
    xi = np.asarray(xi, dtype=np.float64).reshape(-1)
    if xi.shape[0] != n:
        raise ValueError(f"xi must have one entry per sample ({n}); got shape {xi.shape}")
    norm = float(np.linalg.norm(xi))
    if not math.isfinite(norm) or norm == 0.0:
        raise ValueError("xi must be a finite non-zero vector")
    return xi / norm


def lownoise_sweep(X, y0, *, solver: Solver, lams=DEFAULT_LAMS, xi=None, noise_scale: float | None = None,
                   noise_seed: int = 0, reference: Solution | None = None,
                   arrangement: Arrangement | None = None, tol: Tolerances | None = None,
                   progress: bool | None = None, exact: bool = True) -> LowNoiseResult:
    """Solve (P_0) on ``y0``, compute p_0, its margins and c_crit, then solve (P_lam) on
    ``y = y0 + C lam xi`` for every lam and measure the errors.

    Parameters
    ----------
    X, y0 : data and noiseless labels (validated by the caller).
    solver : ``solver(X, y, lam) -> Solution`` (``lam = 0`` for (P_0)).
    lams : the lam values (any order; slopes use the ``N_FIT`` smallest).
    xi : noise direction (normalised here); default a normal draw from ``noise_seed``.
    noise_scale : C; default ``min(1, c_crit / 2)`` (0 when p_0 is degenerate).
    reference : an already computed (P_0) solution.
    exact : also verify the (P_0) certificate in exact rational arithmetic
        (:func:`exact_p0_check`; only when p_V is a valid certificate).

    Returns
    -------
    LowNoiseResult
    """
    from tqdm import tqdm

    tol = resolve(tol)
    X = np.asarray(X, dtype=np.float64)
    y0 = np.asarray(y0, dtype=np.float64)
    arr = arrangement if arrangement is not None else enumerate_chambers(X, tol=tol)
    xi = noise_direction(X.shape[0], noise_seed, xi)
    ref = reference if reference is not None else solver(X, y0, 0.0)
    mnc = minimal_norm_certificate(arr, y0, ref.theta, ref.amplitude, tol=tol)
    crit = critical_noise_ratio(arr, mnc, xi, tol=tol)
    if noise_scale is None:
        noise_scale = min(1.0, 0.5 * crit.value) if mnc.nondegenerate else 0.0
    C = float(noise_scale)
    limit = crit.limit_dual(mnc.p, C) if (mnc.nondegenerate and C < crit.value) else None
    op_norm = float(np.linalg.norm(arr.X_lift, 2))
    points = []
    for lam in tqdm(sorted(float(v) for v in lams)[::-1], desc="lam sweep", disable=None if progress is not False
                    else True, file=sys.stderr, leave=False):
        y = y0 + C * lam * xi
        sol = solver(X, y, lam)
        m = measure_errors(sol, mnc.atoms, tol)
        dist = None if limit is None else float(np.linalg.norm(np.asarray(sol.dual) - limit))
        points.append(SweepPoint(lam=lam, noise_scale=C, n_diracs=m["n_diracs"], loc_err=m["loc_err"],
                                 amp_err=m["amp_err"], loc_errs=m["loc_errs"], amp_errs=m["amp_errs"],
                                 mass_bound=m["mass_bound"], dual_dist=dist,
                                 perturbation=None if dist is None else op_norm * dist, diracs=m["diracs"],
                                 solution=sol))
    slopes, pinned = fit_slopes(points, len(mnc.atoms))
    ex = exact_p0_check(arr, y0, mnc, tol=tol) if (exact and mnc.is_p0) else None
    return LowNoiseResult(X=X, y0=y0, xi=xi, noise_scale=C, reference=ref, certificate=mnc, critical=crit,
                          sweep=tuple(points), slopes=slopes, pinned=pinned, tol=tol, exact=ex)


def regime_points(result: LowNoiseResult) -> tuple:
    """The sweep points in the perturbative regime: ``||X~||_2 ||p_lam - q(C)|| <
    margin`` (:attr:`MinimalNormCertificate.margin`). ``|eta_p - eta_q| <= ||X~||_2 ||p - q||``
    on the sphere, so there the certificate moves by less than its margin; the theorem is
    asymptotic and the suite tests its conclusions on these lams only
    (proofs/lownoise_rate.md).

    Parameters
    ----------
    result : LowNoiseResult

    Returns
    -------
    tuple of SweepPoint
    """
    m = result.certificate.margin
    return tuple(pt for pt in result.sweep if pt.perturbation is not None and pt.perturbation < m)
