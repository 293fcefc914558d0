"""Certificate analysis, exact rational verification and certificate files.

The checker (:mod:`relucert.verify.checker`: :func:`check` for a file and the user's data,
:func:`check_certificate` for a document) and the file format are imported eagerly;
the certificate builder (:mod:`relucert.verify.certificate_builder`, which uses the enumerator) is
loaded on first use, so that checking a file never loads solver or enumeration code.

The float certificate analysis is loaded on first use too:
:mod:`~relucert.verify.regions` (region maxima of eta), :mod:`~relucert.verify.extremal`
(the extremal set E), :mod:`~relucert.verify.nondegeneracy` (ND1-ND4),
:mod:`~relucert.verify.uniqueness` (measure and function, over the solution polytope of
:mod:`~relucert.verify.solution_polytope`, with the re-checked witnesses of
:mod:`~relucert.verify.witness`), :mod:`~relucert.verify.p0` (the (P_0) certificate) and
:mod:`~relucert.verify.analysis` (the report). The exact builder's float hints are in
:mod:`~relucert.verify.certificate_hints`.

Layer: verify. It may import core, arrangement and lp, never the TV solver
(relucert.lp.tv): its float path has its own region scan. The checker
(relucert.verify.checker, relucert.verify.certfile) imports core only.
"""
from relucert.verify.certfile import CERTIFICATE_FORMAT, read_certificate, write_certificate
from relucert.verify.checker import (
    CheckOutcome, CheckStatus, Limits, check, check_certificate, check_certificate_file,
)

_LAZY = {
    "ExactCertificate": "certificate_builder", "make_exact_certificate": "certificate_builder",
    "REPORT_FORMAT": "analysis", "AtomReport": "analysis", "CertificateReport": "analysis",
    "analyse": "analysis", "solution_from_measure": "analysis",
    "ExtremalPoint": "extremal", "ExtremalSet": "extremal", "extremal_set": "extremal",
    "condition_to_dict": "nondegeneracy", "NonDegeneracy": "nondegeneracy", "check_nondegeneracy": "nondegeneracy",
    "P0Certificate": "p0", "p0_certificate": "p0",
    "RegionExtrema": "regions", "scan_regions": "regions",
    "Uniqueness": "uniqueness", "Witness": "witness", "WitnessKind": "witness", "analyse_uniqueness": "uniqueness",
}

__all__ = [
    "CERTIFICATE_FORMAT", "read_certificate", "write_certificate",
    "check", "CheckOutcome", "CheckStatus", "Limits", "check_certificate", "check_certificate_file",
    *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"relucert.verify.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'relucert.verify' has no attribute {name!r}")
