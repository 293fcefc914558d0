"""What the exact-certificate builders return: one base for formats /1 and /2.

:class:`CertificateResult` holds what both builders prove and how they write it
(``lower_bound <= min (P) <= upper_bound``, the document, the independent checker's
report); :class:`relucert.verify.certificate_builder.ExactCertificate` (the chamber list,
/1) and :class:`relucert.verify.bab_certificate.TreeCertificate` (the tree, /2) add their
own fields. :func:`dyadic_scale` and :func:`scaled_dual` are the one rounding of the dual
vector both builders use: the float ``p`` taken exactly as rationals and divided by a
dyadic factor ``c >= 1`` (proofs/exact_gap.md, dual scaling).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from relucert.results import VerificationReport
from relucert.verify.certfile import write_certificate

__all__ = ["CertificateResult", "SCALE_BITS", "dyadic_scale", "scaled_dual"]

#: The dual scale factor is rounded up to the grid 2**-SCALE_BITS.
SCALE_BITS = 62


def dyadic_scale(c: Fraction) -> Fraction:
    """``c`` rounded up to the grid ``2**-SCALE_BITS`` (exact; never below ``c``).

    Parameters
    ----------
    c : Fraction

    Returns
    -------
    Fraction

    Examples
    --------
    >>> dyadic_scale(Fraction(1) + Fraction(1, 3 << 62)) == 1 + Fraction(1, 1 << 62)
    True
    """
    return Fraction(math.ceil(c * (1 << SCALE_BITS)), 1 << SCALE_BITS)


def scaled_dual(p_float, scale: Fraction) -> tuple:
    """The dual vector of a certificate: each float ``p_i`` as its exact rational,
    divided by ``scale``.

    Parameters
    ----------
    p_float : sequence of float
    scale : Fraction

    Returns
    -------
    tuple of Fraction
    """
    return tuple(Fraction(float(v)) / scale for v in p_float)


@dataclass(frozen=True, kw_only=True)
class CertificateResult:
    """An exact certificate and what it proves.

    Attributes
    ----------
    lower_bound, upper_bound, gap : Fraction
        ``lower <= min (P) <= upper`` proven in exact arithmetic; ``gap = upper - lower``.
    document : dict
        The JSON document (format ``relucert.exact-certificate/1`` or ``/2``).
    report : VerificationReport
        The independent checker's report on ``document`` (passed).
    dual_scale : Fraction
        The factor ``c >= 1`` the rationalised dual vector was divided by.
    timings : dict
    """

    lower_bound: Fraction
    upper_bound: Fraction
    gap: Fraction
    document: dict = field(repr=False)
    report: VerificationReport = field(repr=False)
    dual_scale: Fraction = Fraction(1)
    timings: dict = field(default_factory=dict)

    @property
    def relative_gap(self) -> Fraction:
        """``gap / max(1, |upper_bound|)``."""
        return self.gap / max(Fraction(1), abs(self.upper_bound))

    def to_dict(self) -> dict:
        """The certificate document (JSON-ready)."""
        return self.document

    def write(self, path) -> None:
        """Write the certificate file atomically (``relucert check FILE`` re-verifies it)."""
        write_certificate(path, self.document)
