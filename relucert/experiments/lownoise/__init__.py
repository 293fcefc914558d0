"""The low-noise regime (DESIGN.md section 6): the minimal-norm certificate of (P_0)
with its margins, the critical noise ratio, and the lam -> 0 sweep.

Its parts, one job each:
:mod:`~relucert.experiments.lownoise.assessment` (support atoms, and the check of a
(P_0) certificate as non-degenerate with its margins),
:mod:`~relucert.experiments.lownoise.minimal_norm` (the minimal-norm certificate p_0 of
:mod:`relucert.verify.p0` with margins and kernel, and its exact rational check),
:mod:`~relucert.experiments.lownoise.critical_ratio` (c_crit by bisection),
:mod:`~relucert.experiments.lownoise.measure` (errors of one solution and their slopes)
and :mod:`~relucert.experiments.lownoise.sweep` (the lam sweep). The
experiment parameters (default lams, fit window, thresholds) are in
:mod:`relucert.experiments.parameters`.
"""
from relucert.experiments.lownoise.assessment import (
    CertificateCheck, SupportAtom, assess_certificate, support_atoms,
)
from relucert.experiments.lownoise.critical_ratio import CriticalRatio, critical_noise_ratio
from relucert.experiments.lownoise.minimal_norm import (
    ExactP0Check, MinimalNormCertificate, exact_p0_check, minimal_norm_certificate,
)
from relucert.experiments.lownoise.measure import angle, fit_slope, fit_slopes, measure_errors, resolution_bound
from relucert.experiments.lownoise.sweep import (
    LOWNOISE_FORMAT, LowNoiseResult, SweepPoint, lownoise_sweep, noise_direction, parse_lams, regime_points,
)
from relucert.experiments.parameters import DEFAULT_LAMS, N_FIT

__all__ = [
    "LOWNOISE_FORMAT", "DEFAULT_LAMS", "N_FIT", "SupportAtom", "support_atoms",
    "CertificateCheck", "assess_certificate", "MinimalNormCertificate", "minimal_norm_certificate",
    "CriticalRatio", "critical_noise_ratio", "ExactP0Check", "exact_p0_check", "SweepPoint", "LowNoiseResult",
    "lownoise_sweep", "measure_errors", "resolution_bound", "fit_slope", "fit_slopes", "regime_points", "angle",
    "parse_lams", "noise_direction",
]
