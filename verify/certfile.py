"""The exact certificate file format ``relucert.exact-certificate/1``: strict read/write.

A certificate is one JSON object. Every number that a proof uses is an exact rational
written as a string ``"a"`` or ``"a/b"`` in lowest terms (``b > 1``), exactly as
``str(fractions.Fraction)`` writes it; JSON numbers are accepted only for small
integer fields (sizes, indices, signs). Parsing is strict: unknown keys, missing keys,
floats where a rational belongs, non-canonical rationals, duplicate keys, NaN and
truncated files raise :class:`~relucert.errors.CertificateError`.

Layout (see ``proofs/exact_certificate.md``)::

    {"format": "relucert.exact-certificate/1",
     "problem": "P_lam" | "P_0",
     "n": int, "d": int,
     "X": [["a/b", ...] x d] x n,      # the data, exact rationals of the input floats
     "y": ["a/b", ...],                # likewise
     "lam": "a/b",
     "dual": ["a/b", ...],             # the feasible rational dual vector p'
     "atoms": [{"u": ["a/b", ...], "sign": 1 | -1, "norm_upper": "a/b"}, ...],
     "chambers": [{"signs": "hex", "interior": ["a/b", ...], "parent": int,
                   "mult_plus": {"j": "a/b"}, "mult_minus": {"j": "a/b"}}, ...],
     "completeness": {"method": "zaslavsky", "n_chambers": int},
     "lower_bound": "a/b", "upper_bound": "a/b", "gap": "a/b",
     "uniqueness": {"verdict": "unique" | "uniqueness not certified", "reason": str},
     "provenance": {...}}              # free-form information, never trusted

``signs`` is the activation pattern as a lowercase hexadecimal integer (bit ``i`` set
iff ``<theta, x~_i> > 0`` on the chamber). ``parent`` is the index of an earlier
chamber (or -1): the checker computes ``v_A`` from the parent's by the changed bits.
"""
from __future__ import annotations

import json
import math
import re
from enum import StrEnum
from fractions import Fraction

from relucert._atomic import write_text
from relucert.errors import CertificateError, CertificateLimitError

__all__ = [
    "CERTIFICATE_FORMAT", "CERTIFICATE_FORMAT_TREE", "CERTIFICATE_FORMATS", "CertifiedVerdict", "VERDICT_UNIQUE",
    "VERDICT_NOT_CERTIFIED",
    "encode_rational", "decode_rational", "read_certificate", "write_certificate", "loads_certificate",
    "TOP_LEVEL_KEYS", "TOP_LEVEL_KEYS_TREE",
]

CERTIFICATE_FORMAT = "relucert.exact-certificate/1"
#: The branch-and-bound format (no chamber list; proofs/exact_certificate.md, "Format /2").
CERTIFICATE_FORMAT_TREE = "relucert.exact-certificate/2"
CERTIFICATE_FORMATS = (CERTIFICATE_FORMAT, CERTIFICATE_FORMAT_TREE)


class CertifiedVerdict(StrEnum):
    """The uniqueness claim of a certificate file, ``uniqueness.verdict``. Its values are
    the file format's strings: ``"unique"`` (a claim the checker re-derives,
    proofs/certified_uniqueness.md) or ``"uniqueness not certified"`` (no claim; the
    float analysis' :class:`~relucert.results.Verdict` may still say more)."""

    UNIQUE = "unique"
    NOT_CERTIFIED = "uniqueness not certified"


#: The file format's strings, as written (the values of :class:`CertifiedVerdict`).
VERDICT_UNIQUE = CertifiedVerdict.UNIQUE.value
VERDICT_NOT_CERTIFIED = CertifiedVerdict.NOT_CERTIFIED.value

TOP_LEVEL_KEYS = frozenset({
    "format", "problem", "n", "d", "X", "y", "lam", "dual", "atoms", "chambers", "completeness",
    "lower_bound", "upper_bound", "gap", "uniqueness", "provenance",
})
TOP_LEVEL_KEYS_TREE = frozenset({
    "format", "problem", "n", "d", "X", "y", "lam", "dual", "atoms", "tree", "leaves",
    "lower_bound", "upper_bound", "gap", "provenance",
})

_RATIONAL = re.compile(r"-?(0|[1-9][0-9]*)(/[1-9][0-9]*)?")
_DIGITS_AT_ONCE = 4000


def encode_rational(value) -> str:
    """``"a"`` or ``"a/b"`` for an exact rational (int or Fraction; floats are refused).

    Parameters
    ----------
    value : int or Fraction

    Returns
    -------
    str

    Raises
    ------
    TypeError
        For a float or any other type.
    """
    if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
        raise TypeError(f"a certificate rational must be an int or Fraction; got {type(value).__name__}")
    return str(Fraction(value))


def _int_of_digits(digits: str) -> int:
    """``int(digits)`` for a decimal string of any length (Python refuses more than
    ``sys.get_int_max_str_digits()`` digits at once; the caller has bounded the length)."""
    if len(digits) <= _DIGITS_AT_ONCE:
        return int(digits)
    half = len(digits) // 2
    return _int_of_digits(digits[:-half]) * 10 ** half + _int_of_digits(digits[-half:])


def decode_rational(text, where: str, max_bits: int | None = None) -> Fraction:
    """Strictly parse one canonical rational string; ``where`` names the field.

    With ``max_bits``, a numerator or denominator of more than ``max_bits`` bits raises
    :class:`~relucert.errors.CertificateLimitError`; an over-long digit string is refused
    from its length alone, before any conversion.

    Parameters
    ----------
    text : str
    where : str
        The field, for the error message.
    max_bits : int, optional

    Returns
    -------
    Fraction

    Raises
    ------
    CertificateError
        Not a canonical rational string.
    CertificateLimitError
        More than ``max_bits`` bits.
    """
    if not isinstance(text, str):
        raise CertificateError(f"{where}: expected a rational string 'a/b'; got {type(text).__name__}")
    if max_bits is not None and len(text) > 2 * (max_bits // 3 + 2) + 2:
        _too_many_bits(where, max_bits)
    if _RATIONAL.fullmatch(text) is None:
        raise CertificateError(f"{where}: {text[:40]!r} is not a rational 'a' or 'a/b'")
    num, _, den = text.partition("/")
    if num == "-0":
        raise CertificateError(f"{where}: '-0' is not canonical (expected 0)")
    if max_bits is not None:
        # a k-digit integer has more than 3 (k - 1) bits: longer strings exceed max_bits
        if len(num.lstrip("-")) - 1 > max_bits // 3 or len(den) - 1 > max_bits // 3:
            _too_many_bits(where, max_bits)
    a = _int_of_digits(num.lstrip("-")) * (-1 if num.startswith("-") else 1)
    b = _int_of_digits(den) if den else 1
    if max_bits is not None and max(a.bit_length(), b.bit_length()) > max_bits:
        _too_many_bits(where, max_bits)
    if not den:
        return Fraction(a)
    if b == 1 or math.gcd(a, b) != 1:
        raise CertificateError(f"{where}: {text[:40]!r} is not in lowest terms (expected {Fraction(a, b)})")
    return Fraction(a, b)


def _too_many_bits(where: str, max_bits: int):
    raise CertificateLimitError(f"limit exceeded: {where} has a numerator or denominator of more than "
                                f"max_bits = {max_bits} bits (raise it with --max-bits / max_bits=)")


def _reject_constant(name):
    raise CertificateError(f"certificate JSON contains the non-finite constant {name}")


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise CertificateError(f"certificate JSON has the key {key!r} twice in one object")
        out[key] = value
    return out


def loads_certificate(text: str) -> dict:
    """Parse certificate JSON text strictly (no NaN/Infinity, no duplicate keys).

    Parameters
    ----------
    text : str

    Returns
    -------
    dict

    Raises
    ------
    CertificateError
    """
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except CertificateError:
        raise
    except RecursionError as exc:
        raise CertificateError("certificate JSON is nested too deeply to be a certificate") from exc
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            raise CertificateError(f"certificate JSON has an integer literal too long to be a size or an "
                                   f"index ({exc})") from exc
        raise CertificateError(f"certificate is not valid JSON (corrupted or truncated): {exc}") from exc
    if not isinstance(doc, dict):
        raise CertificateError(f"certificate must be a JSON object; got {type(doc).__name__}")
    if doc.get("format") not in CERTIFICATE_FORMATS:
        raise CertificateError(f"not a {' or '.join(CERTIFICATE_FORMATS)} document "
                               f"(format={str(doc.get('format'))[:60]!r})")
    return doc


def read_certificate(path) -> dict:
    """Read and strictly parse a certificate file.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    dict

    Raises
    ------
    CertificateError
    """
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise CertificateError(f"cannot read certificate file {path}: {exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CertificateError(f"certificate file {path} is not UTF-8: {exc}") from exc
    return loads_certificate(text)


def write_certificate(path, document: dict) -> None:
    """Write a certificate document as compact JSON (creating the folder), atomically.

    Parameters
    ----------
    path : str or path-like
    document : dict
        A ``relucert.exact-certificate/1`` or ``/2`` document (plain JSON values).
    """
    if document.get("format") not in CERTIFICATE_FORMATS:
        raise ValueError(f"document format must be one of {CERTIFICATE_FORMATS}; got {document.get('format')!r}")
    text = json.dumps(document, separators=(",", ":"), allow_nan=False)
    write_text(path, text + "\n")  # atomic: an earlier file at ``path`` survives a failed write
