"""Certificate analysis, exact rational verification and certificate files.

Float analysis (this package's numpy side): :mod:`~relucert.verify.regions` (region
maxima of eta), :mod:`~relucert.verify.extremal` (the extremal set E),
:mod:`~relucert.verify.nondegeneracy` (ND1-ND4), :mod:`~relucert.verify.uniqueness`
(measure and function), :mod:`~relucert.verify.p0` (the (P_0) certificate) and
:mod:`~relucert.verify.analysis` (the report).
"""
from relucert.verify.analysis import REPORT_FORMAT, AtomReport, CertificateReport, analyse, solution_from_measure
from relucert.verify.extremal import ExtremalPoint, ExtremalSet, extremal_set
from relucert.verify.nondegeneracy import Condition, NonDegeneracy, check_nondegeneracy
from relucert.verify.p0 import P0Certificate, p0_certificate
from relucert.verify.regions import RegionScan, scan_regions
from relucert.verify.uniqueness import Uniqueness, Witness, analyse_uniqueness

__all__ = [
    "REPORT_FORMAT", "AtomReport", "CertificateReport", "analyse", "solution_from_measure",
    "ExtremalPoint", "ExtremalSet", "extremal_set",
    "Condition", "NonDegeneracy", "check_nondegeneracy",
    "P0Certificate", "p0_certificate",
    "RegionScan", "scan_regions",
    "Uniqueness", "Witness", "analyse_uniqueness",
]
