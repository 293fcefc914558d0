"""The independent checker of exact certificates (``relucert.exact-certificate/1`` and
``/2``; a /2 file, the branch-and-bound tree instead of the chamber list, is checked by
:mod:`~relucert.verify.checker.tree`, dispatched on the format tag).

It re-derives every claim of a certificate file from the numbers in the file, in exact
rational arithmetic (Python integers and :class:`fractions.Fraction`), with its own
small code path: it imports neither the solver, nor the chamber enumerator, nor the LP
layer (``tests/test_checker_independence.py`` checks this). Nothing it reads is trusted.
Its parts: :mod:`~relucert.verify.checker.schema` (strict parsing and the size limits),
:mod:`~relucert.verify.checker.rational` (exact kernels),
:mod:`~relucert.verify.checker.count` (chamber counts),
:mod:`~relucert.verify.checker.claims` (the checks below),
:mod:`~relucert.verify.checker.unique` (the uniqueness argument) and
:mod:`~relucert.verify.checker.bind` (binding to the user's data).

Cheap checks come first, so that a hostile file is refused before any costly arithmetic:

0. parsing: shape, types, ``n <= max_n``, ``d <= max_d``, every rational within
   ``max_bits`` bits (limits raise :class:`~relucert.errors.CertificateLimitError`).
1. ``data.match`` (only when the caller gives data or lam): X, y, lam equal the caller's
   exactly.
2. ``chambers.count_range``: the listed count equals the claimed one and lies between
   ``2m`` and ``2 sum_{k<=d} C(m-1, k)`` for the ``m`` distinct hyperplanes.
3. ``chambers.interior_points``: each listed sign pattern is realised by its rational
   interior point with strict signs (so every listed chamber is non-empty).
4. ``chambers.distinct``: no pattern is listed twice.
5. ``chambers.complete``: the number of chambers of the arrangement, computed here from
   the data by Zaslavsky's theorem (stopped once it exceeds the listed count), equals the
   number listed. With 3 and 4 the list is every chamber (proofs/chamber_completeness.md).
6. ``dual.feasible``: on every chamber and for both signs, ``max <theta, +-v_A>`` over the
   closed region is at most 1: ``||v_A||^2 <= 1`` or, with the file's multipliers
   ``lambda_j >= 0``, ``||+-v_A + sum_j lambda_j s_j x~_j||^2 <= 1``
   (proofs/polar_cone_bound.md). Hence ``|eta_p| <= 1`` on the whole sphere.
7. ``primal.norm_bounds``: every atom's ``norm_upper`` bounds ``||u_k||`` from above.
   For (P_0) also ``primal.interpolation``: the atoms reproduce y exactly.
8. ``bounds.lower`` / ``bounds.upper`` / ``bounds.gap``: the file's bounds equal the dual
   value of p and the primal value of the atoms, recomputed here; the gap is their
   difference and is >= 0 (proofs/exact_gap.md).
9. ``uniqueness``: a claimed "unique" verdict is re-derived (proofs/certified_uniqueness.md).

Checks run in this order and stop at the first failure, which the report names.
:func:`check` adds the verdict on optimality (relative gap at most ``max_rel_gap``) and
the SHA-256 of the exact data (:mod:`~relucert.verify.checker.bind`). Checking time is
polynomial in the file size for every input (proofs/exact_certificate.md).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from relucert.results import CheckResult, VerificationReport
from relucert.tolerances import DEFAULT
from relucert.verify.certfile import CERTIFICATE_FORMAT_TREE, CertifiedVerdict, read_certificate
from relucert.verify.checker.bind import DIGEST_FORMAT, compare_data, data_digest, exact_value
from relucert.verify.checker.claims import (
    _Exact, _unpack, check_complete, check_count_range, check_distinct, check_feasible, check_interiors,
    check_interpolation, check_norms,
)
from relucert.verify.checker.count import exact_chamber_count
from relucert.verify.checker.rational import SQRT_BITS, approx, fmt, rational_text, sqrt_lower, sqrt_upper
from relucert.verify.checker.schema import DEFAULT_LIMITS, Limits, ParsedCertificate, parse_certificate
from relucert.verify.checker.tree_claims import check_tree_claims
from relucert.verify.checker.tree_schema import parse_tree_certificate
from relucert.verify.checker.unique import derive_uniqueness

__all__ = ["check", "CHECK_FORMAT", "CheckOutcome", "CheckStatus", "Limits", "DEFAULT_LIMITS", "check_certificate",
           "check_certificate_file", "sqrt_upper", "sqrt_lower", "exact_chamber_count", "ParsedCertificate",
           "parse_certificate", "derive_uniqueness", "SQRT_BITS", "_Exact", "_unpack"]


def _run_checks(ex: _Exact, data=None):
    cert = ex.cert
    checks = []

    def add(result):
        checks.append(result)
        return result.passed

    if data is not None and not add(compare_data(cert, *data)):
        return checks
    for step in (check_count_range, check_interiors, check_distinct, check_complete):
        if not add(step(ex)):
            return checks
    bounds, neg = ex.pair_bounds()
    if not add(check_feasible(ex, bounds, neg)):
        return checks
    if not add(check_norms(ex)):
        return checks
    if cert.lam == 0 and not add(check_interpolation(ex)):
        return checks
    lower = ex.dual_value()
    if not add(CheckResult("bounds.lower", lower == cert.lower, max_violation=approx(abs(lower - cert.lower)),
                           bound=0.0, detail=f"dual value of the feasible p: {fmt(lower)}; file says "
                                             f"{fmt(cert.lower)}")):
        return checks
    upper = ex.primal_value()
    if not add(CheckResult("bounds.upper", upper == cert.upper, max_violation=approx(abs(upper - cert.upper)),
                           bound=0.0, detail=f"primal value of the atoms (upper bound): {fmt(upper)}; file "
                                             f"says {fmt(cert.upper)}")):
        return checks
    gap = upper - lower
    if not add(CheckResult("bounds.gap", gap == cert.gap and gap >= 0, max_violation=approx(gap), bound=0.0,
                           detail=f"certified gap upper - lower = {fmt(gap, '.6g')}; file says "
                                  f"{fmt(cert.gap, '.6g')}")):
        return checks
    if cert.verdict is CertifiedVerdict.UNIQUE:
        unique, reason, _ = derive_uniqueness(ex, bounds, lower, upper)
        add(CheckResult("uniqueness", unique, detail=reason if unique else
                        f"the file claims 'unique' but the argument does not verify: {reason}"))
    else:
        add(CheckResult("uniqueness", True, detail=f"no uniqueness claimed ({cert.reason})"))
    return checks


def _parse_and_check(document, limits: Limits, bind=None):
    """(parsed /1-form certificate, checks) for a /1 or /2 document (dispatch on the tag)."""
    if isinstance(document, dict) and document.get("format") == CERTIFICATE_FORMAT_TREE:
        tree = parse_tree_certificate(document, limits)
        if bind is not None:
            first = compare_data(tree.base, *bind)
            if not first.passed:
                return tree.base, [first]
            return tree.base, [first] + check_tree_claims(tree)
        return tree.base, check_tree_claims(tree)
    cert = parse_certificate(document, limits)
    return cert, _run_checks(_Exact(cert), bind)


def check_certificate(document: dict, *, max_n: int | None = None, max_d: int | None = None,
                      max_bits: int | None = None, max_nodes: int | None = None) -> VerificationReport:
    """Re-verify a certificate document in exact arithmetic.

    Returns a :class:`~relucert.results.VerificationReport` (``exact=True``) whose checks
    are named; ``report.first_failure()`` is the first claim that did not verify.
    Raises :class:`~relucert.errors.CertificateError` for a malformed document and
    :class:`~relucert.errors.CertificateLimitError` when it exceeds a limit
    (:class:`~relucert.verify.checker.schema.Limits`; ``None`` keeps the default).

    Parameters
    ----------
    document : dict
        A parsed ``relucert.exact-certificate/1`` or ``/2`` document.
    max_n, max_d, max_bits, max_nodes : int, optional
        Size limits (default :data:`DEFAULT_LIMITS`; ``max_nodes`` for /2 trees).
    """
    _, checks = _parse_and_check(document, Limits.of(max_n, max_d, max_bits, max_nodes))
    return VerificationReport.from_checks(checks, exact=True)


def check_certificate_file(path, **limits) -> VerificationReport:
    """Read a certificate file strictly and re-verify it (see :func:`check_certificate`).

    Parameters
    ----------
    path : str or path-like
    **limits
        ``max_n``, ``max_d``, ``max_bits``, ``max_nodes`` (see :func:`check_certificate`).

    Returns
    -------
    VerificationReport
    """
    return check_certificate(read_certificate(path), **limits)


def certified_gap(document: dict) -> tuple[Fraction, Fraction, Fraction]:
    """(lower, upper, gap) as written in a parsed document (trusted only after checking).

    Parameters
    ----------
    document : dict

    Returns
    -------
    lower, upper, gap : Fraction
    """
    cert = (parse_tree_certificate(document).base if document.get("format") == CERTIFICATE_FORMAT_TREE
            else parse_certificate(document))
    return cert.lower, cert.upper, cert.gap


# --------------------------------------------------------------------------- the public check

#: Format tag of ``CheckOutcome.to_dict()`` (``relucert check --json``).
CHECK_FORMAT = "relucert.check/1"

class CheckStatus(StrEnum):
    """Outcome of :func:`check`."""

    VERIFIED = "verified"                  # every claim holds and the relative gap is small enough
    NOT_OPTIMAL = "valid-not-optimal"      # every claim holds, but the relative gap exceeds max_rel_gap
    REJECTED = "rejected"                  # a claim did not verify (or the data differ)


@dataclass(frozen=True)
class CheckOutcome:
    """What :func:`check` proved about a certificate file.

    ``lower``/``upper``/``gap``/``relative_gap`` are proven only when ``status`` is not
    REJECTED (they are None then). ``data_sha256`` is the digest of the file's exact X, y,
    lam (:func:`~relucert.verify.checker.bind.data_digest`); ``data_bound``/``lam_bound``
    say whether they were compared with the caller's.
    """

    status: CheckStatus
    report: VerificationReport
    path: str | None
    n: int
    d: int
    lam: Fraction
    lower: Fraction | None
    upper: Fraction | None
    gap: Fraction | None
    relative_gap: Fraction | None
    max_rel_gap: Fraction
    uniqueness: CertifiedVerdict | None
    data_sha256: str
    data_bound: bool
    lam_bound: bool
    time_s: float

    @property
    def passed(self) -> bool:
        """True only for VERIFIED (valid and within ``max_rel_gap``)."""
        return self.status is CheckStatus.VERIFIED

    @property
    def valid(self) -> bool:
        """Every claim of the file holds (VERIFIED or NOT_OPTIMAL)."""
        return self.report.passed

    def to_dict(self) -> dict:
        def q(v):
            return None if v is None else rational_text(v)

        out = {"format": CHECK_FORMAT, **self.report.to_dict()}
        out.update({
            "status": self.status.value, "file": self.path, "n": self.n, "d": self.d, "lam": rational_text(self.lam),
            "lower_bound": q(self.lower), "upper_bound": q(self.upper), "gap": q(self.gap),
            "relative_gap": q(self.relative_gap), "relative_gap_float": None if self.relative_gap is None
            else approx(self.relative_gap), "max_rel_gap": str(self.max_rel_gap), "uniqueness": None if self.uniqueness is None else self.uniqueness.value,
            "data_sha256": self.data_sha256, "data_digest_format": DIGEST_FORMAT,
            "data_bound": self.data_bound, "lam_bound": self.lam_bound, "time_s": self.time_s,
        })
        return out


def _user_data(data):
    """(X rows, y) as exact rationals from a data file path, a dict with X and y, or a pair."""
    if isinstance(data, (str, os.PathLike)):
        from relucert.data import load_data  # the project's loader (core layer, no solver code)

        data = load_data(data)
    if isinstance(data, dict):
        if "X" not in data or "y" not in data:
            raise ValueError(f"data must hold 'X' and 'y'; got keys {sorted(data)[:10]}")
        X, y = data["X"], data["y"]
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        X, y = data
    else:
        raise TypeError(f"data must be a data file path, a dict with X and y, or a pair (X, y); "
                        f"got {type(data).__name__}")
    try:
        rows = [list(row) for row in X]
        y = list(y)
    except TypeError:
        raise TypeError("data: X must be 2-D (n_samples, n_features) and y 1-D (n_samples,)") from None
    if len({len(row) for row in rows}) > 1:
        raise ValueError("data: the rows of X have different lengths")
    X = [[exact_value(v, f"X[{i}][{j}]") for j, v in enumerate(row)] for i, row in enumerate(rows)]
    return X, [exact_value(v, f"y[{i}]") for i, v in enumerate(y)]


def check(path, *, data=None, lam=None, max_rel_gap=None, max_n: int | None = None, max_d: int | None = None,
          max_bits: int | None = None, max_nodes: int | None = None) -> CheckOutcome:
    """Re-verify a certificate file and say what it proves about whose data.

    Parameters
    ----------
    path : str or PathLike
        A ``relucert.exact-certificate/1`` or ``/2`` file (dispatched on its format tag).
    data : path, dict or (X, y), optional
        The user's data (a path is read with :func:`relucert.data.load_data`). X and y
        must equal the file's exactly (a float is the rational it encodes); otherwise
        the certificate is REJECTED (``data.match``). Without it the certificate is about
        the data written in the file, whatever they are.
    lam : float, int or Fraction, optional
        Likewise compared exactly with the file's lam.
    max_rel_gap : float, int or Fraction, optional
        Largest accepted ``gap / max(1, |upper|)``; default: the solver's own stopping
        gap ``Tolerances().obj_gap``. A valid certificate with a larger gap is
        NOT_OPTIMAL.
    max_n, max_d, max_bits, max_nodes : int, optional
        Raise the checker's size limits (:class:`~relucert.verify.checker.schema.Limits`).

    Returns
    -------
    CheckOutcome

    Raises
    ------
    CertificateError
        The file is unreadable or malformed; CertificateLimitError (a subclass) when it
        exceeds a limit, naming it.
    """
    start = time.perf_counter()
    limits = Limits.of(max_n, max_d, max_bits, max_nodes)
    gap_cap = exact_value(DEFAULT.obj_gap if max_rel_gap is None else max_rel_gap, "max_rel_gap")
    if gap_cap < 0:
        raise ValueError(f"max_rel_gap must be >= 0; got {max_rel_gap!r}")
    lam_user = None if lam is None else exact_value(lam, "lam")
    if lam_user is not None and lam_user < 0:
        raise ValueError(f"lam must be >= 0; got {lam!r}")
    X_user, y_user = _user_data(data) if data is not None else (None, None)
    bind = None if X_user is None and lam_user is None else (X_user, y_user, lam_user)
    cert, checks = _parse_and_check(read_certificate(path), limits, bind)
    report = VerificationReport.from_checks(checks, exact=True)
    if report.passed:
        rel = cert.gap / max(Fraction(1), abs(cert.upper))
        status = CheckStatus.VERIFIED if rel <= gap_cap else CheckStatus.NOT_OPTIMAL
        proven = dict(lower=cert.lower, upper=cert.upper, gap=cert.gap, relative_gap=rel, uniqueness=cert.verdict)
    else:
        status = CheckStatus.REJECTED
        proven = dict(lower=None, upper=None, gap=None, relative_gap=None, uniqueness=None)
    return CheckOutcome(
        status, report, os.fspath(path), cert.n, cert.d, cert.lam, **proven, max_rel_gap=gap_cap,
        data_sha256=data_digest(cert.X, cert.y, cert.lam), data_bound=X_user is not None,
        lam_bound=lam_user is not None, time_s=time.perf_counter() - start)

