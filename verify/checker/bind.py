"""Binding a certificate to the user's data: exact comparison and a canonical digest.

A certificate proves statements about the data written in it. These helpers compare that
data with the user's, exactly (a float is the rational it encodes: ``Fraction(x)``), and
compute a SHA-256 digest of the exact data and lam that the user can recompute from
their own arrays.

Canonical encoding (``relucert.exact-data/1``; proofs/exact_certificate.md): the ASCII
text made of these lines, each ended by ``"\\n"``::

    relucert.exact-data/1
    n d
    X[0][0] X[0][1] ... X[0][d-1]        (one line per sample, n lines)
    y[0] y[1] ... y[n-1]
    lam

with single spaces between entries and every number written as its exact rational in
lowest terms, ``"a"`` or ``"a/b"`` (``b > 1``, sign on the numerator, ``0`` never
``-0``): what ``str(fractions.Fraction(v))`` writes, and how certificate files write them.
The digest is ``hashlib.sha256(text.encode("ascii")).hexdigest()``.
"""
from __future__ import annotations

import hashlib
import math
import numbers
from fractions import Fraction

from relucert.results import CheckResult
from relucert.verify.checker.rational import fmt, rational_text

__all__ = ["DIGEST_FORMAT", "exact_value", "canonical_data_text", "data_digest", "compare_data"]

DIGEST_FORMAT = "relucert.exact-data/1"


def exact_value(value, where: str) -> Fraction:
    """The exact rational of a user value: an int or Fraction as is, a finite float as the
    rational it encodes. Raises TypeError/ValueError naming ``where``.

    >>> exact_value(0.1, "lam")
    Fraction(3602879701896397, 36028797018963968)

    Parameters
    ----------
    value : int, Fraction or float
    where : str
        The field, for the error message.

    Returns
    -------
    Fraction
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Rational, numbers.Real)):
        raise TypeError(f"{where} must be a real number; got {type(value).__name__}")
    if isinstance(value, numbers.Rational):
        return Fraction(int(value.numerator), int(value.denominator))
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{where} must be finite; got {value!r}")
    return Fraction(value)


def canonical_data_text(X, y, lam) -> str:
    """The canonical ``relucert.exact-data/1`` text of exact data (see the module notes).

    >>> print(canonical_data_text([[Fraction(1, 2)]], [Fraction(-3)], Fraction(1, 10)), end="")
    relucert.exact-data/1
    1 1
    1/2
    -3
    1/10

    Parameters
    ----------
    X : sequence of sequences of exact values
    y : sequence of exact values
    lam : exact value

    Returns
    -------
    str
    """
    n, d = len(X), len(X[0]) if len(X) else 0
    lines = [DIGEST_FORMAT, f"{n} {d}"]
    lines.extend(" ".join(rational_text(v) for v in row) for row in X)
    lines.append(" ".join(rational_text(v) for v in y))
    lines.append(rational_text(lam))
    return "\n".join(lines) + "\n"


def data_digest(X, y, lam) -> str:
    """SHA-256 (hex) of :func:`canonical_data_text`. Floats are taken exactly.

    >>> data_digest([[0.5]], [-3.0], 0.1) == data_digest([[Fraction(1, 2)]], [-3], Fraction(0.1))
    True

    Parameters
    ----------
    X, y, lam : exact values or floats

    Returns
    -------
    str
        64 hex digits.
    """
    X = [[exact_value(v, "X") for v in row] for row in X]
    y = [exact_value(v, "y") for v in y]
    return hashlib.sha256(canonical_data_text(X, y, exact_value(lam, "lam")).encode("ascii")).hexdigest()


def _first_difference(file_rows, user_rows):
    for i, (a_row, b_row) in enumerate(zip(file_rows, user_rows)):
        for j, (a, b) in enumerate(zip(a_row, b_row)):
            if a != b:
                return i, j, a, b
    return None


def compare_data(cert, X=None, y=None, lam=None) -> CheckResult:
    """Exact comparison of a parsed certificate's X, y (and lam when given) with the
    user's; ``X``/``y`` are sequences of exact values (see :func:`exact_value`).

    Parameters
    ----------
    cert : ParsedCertificate
    X, y : sequences of exact values, optional
    lam : exact value, optional

    Returns
    -------
    CheckResult
        The claim ``data.match``.
    """
    parts = []
    if X is not None:
        n, d = len(X), (len(X[0]) if len(X) else 0)
        if (n, d) != (cert.n, cert.d) or len(y) != cert.n:
            return CheckResult("data.match", False, detail=(
                f"the certificate is for n = {cert.n} samples, d = {cert.d} features; your data has n = {n}, "
                f"d = {d}" + ("" if len(y) == n else f", {len(y)} labels")))
        diff = _first_difference(cert.X, X)
        if diff is not None:
            i, j, a, b = diff
            return CheckResult("data.match", False, detail=(
                f"X[{i}][{j}] differs: the certificate has {fmt(a)}, your data {fmt(b)}: a certificate of other data"))
        diff = _first_difference([cert.y], [y])
        if diff is not None:
            _, i, a, b = diff
            return CheckResult("data.match", False, detail=(
                f"y[{i}] differs: the certificate has {fmt(a)}, your data {fmt(b)}: a certificate of other data"))
        parts.append(f"X ({cert.n} x {cert.d}) and y equal your data exactly")
    if lam is not None:
        if lam != cert.lam:
            return CheckResult("data.match", False, detail=(
                f"lam differs: the certificate has {fmt(cert.lam)}, you gave {fmt(lam)}"))
        parts.append(f"lam = {fmt(lam)} equals yours exactly")
    return CheckResult("data.match", True, detail="; ".join(parts))
