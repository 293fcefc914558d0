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
from fractions import Fraction

from relucert._atomic import write_text
from relucert.errors import CertificateError

__all__ = [
    "CERTIFICATE_FORMAT", "VERDICT_UNIQUE", "VERDICT_NOT_CERTIFIED",
    "encode_rational", "decode_rational", "read_certificate", "write_certificate", "loads_certificate",
    "TOP_LEVEL_KEYS",
]

CERTIFICATE_FORMAT = "relucert.exact-certificate/1"
VERDICT_UNIQUE = "unique"
VERDICT_NOT_CERTIFIED = "uniqueness not certified"

TOP_LEVEL_KEYS = frozenset({
    "format", "problem", "n", "d", "X", "y", "lam", "dual", "atoms", "chambers", "completeness",
    "lower_bound", "upper_bound", "gap", "uniqueness", "provenance",
})

_RATIONAL = re.compile(r"-?(0|[1-9][0-9]*)(/[1-9][0-9]*)?")


def encode_rational(value) -> str:
    """``"a"`` or ``"a/b"`` for an exact rational (int or Fraction; floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
        raise TypeError(f"a certificate rational must be an int or Fraction; got {type(value).__name__}")
    return str(Fraction(value))


def decode_rational(text, where: str) -> Fraction:
    """Strictly parse one canonical rational string; ``where`` names the field."""
    if not isinstance(text, str):
        raise CertificateError(f"{where}: expected a rational string 'a/b'; got {type(text).__name__}")
    if _RATIONAL.fullmatch(text) is None:
        raise CertificateError(f"{where}: {text[:40]!r} is not a rational 'a' or 'a/b'")
    num, _, den = text.partition("/")
    if num == "-0":
        raise CertificateError(f"{where}: '-0' is not canonical (expected 0)")
    try:
        a = int(num)
        b = int(den) if den else 1
    except ValueError as exc:  # e.g. beyond Python's integer string-conversion limit
        raise CertificateError(f"{where}: cannot read the rational: {exc}") from exc
    if not den:
        return Fraction(a)
    if b == 1 or math.gcd(a, b) != 1:
        raise CertificateError(f"{where}: {text[:40]!r} is not in lowest terms (expected {Fraction(a, b)})")
    return Fraction(a, b)


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
    """Parse certificate JSON text strictly (no NaN/Infinity, no duplicate keys)."""
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except CertificateError:
        raise
    except (ValueError, RecursionError) as exc:
        raise CertificateError(f"certificate is not valid JSON (corrupted or truncated): {exc}") from exc
    if not isinstance(doc, dict):
        raise CertificateError(f"certificate must be a JSON object; got {type(doc).__name__}")
    if doc.get("format") != CERTIFICATE_FORMAT:
        raise CertificateError(f"not a {CERTIFICATE_FORMAT} document (format={doc.get('format')!r})")
    return doc


def read_certificate(path) -> dict:
    """Read and strictly parse a certificate file."""
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
    """Write a certificate document as compact JSON (creating the folder), atomically."""
    if document.get("format") != CERTIFICATE_FORMAT:
        raise ValueError(f"document format must be {CERTIFICATE_FORMAT!r}; got {document.get('format')!r}")
    text = json.dumps(document, separators=(",", ":"), allow_nan=False)
    write_text(path, text + "\n")  # atomic: an earlier file at ``path`` survives a failed write
