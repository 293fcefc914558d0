"""Strict parsing of a certificate document for the independent checker, with its limits.

Cheap checks come first and bound everything after them: the document's shape and
types, then the sizes ``n <= max_n`` and ``d <= max_d``, then each rational's bit length
(``<= max_bits``, refused from the digit count before any conversion). Every number is
exact afterwards (:class:`ParsedCertificate`). A malformed document raises
:class:`~relucert.errors.CertificateError`; a limit raises
:class:`~relucert.errors.CertificateLimitError`, whose message names the limit and the
option that raises it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from relucert.errors import CertificateError, CertificateLimitError
from relucert.tolerances import CHECKER_DECODE_CACHE
from relucert.verify.certfile import (
    CERTIFICATE_FORMAT, TOP_LEVEL_KEYS, VERDICT_NOT_CERTIFIED, VERDICT_UNIQUE, CertifiedVerdict, decode_rational,
)

__all__ = ["Limits", "DEFAULT_LIMITS", "ParsedCertificate", "parse_certificate"]

_HEX = re.compile(r"0|[1-9a-f][0-9a-f]*")
_INDEX = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Limits:
    """Sizes the checker accepts; raise them explicitly for a larger certificate.

    Parameters
    ----------
    max_n : int
        Most samples (``--max-n``).
    max_d : int
        Most features (``--max-d``).
    max_bits : int
        Most bits of any numerator or denominator in the file, and of the common
        denominators the checker forms from them (of X, of p, of one interior point, of
        one chamber's multipliers) (``--max-bits``). Data read from float64 values need
        at most 1,075 bits; a certificate of them at most a few thousand.
    max_nodes : int
        Most nodes of a format /2 tree (``--max-nodes``), checked before any arithmetic.
    """

    max_n: int = 10_000
    max_d: int = 64
    max_bits: int = 8192
    max_nodes: int = 10_000_000

    def __post_init__(self) -> None:
        for name in ("max_n", "max_d", "max_bits", "max_nodes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int >= 1; got {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name} must be an int >= 1; got {value}")

    @classmethod
    def of(cls, max_n: int | None = None, max_d: int | None = None, max_bits: int | None = None,
           max_nodes: int | None = None) -> "Limits":
        """The defaults, with the given (non-None) limits replaced."""
        given = {k: v for k, v in (("max_n", max_n), ("max_d", max_d), ("max_bits", max_bits),
                                   ("max_nodes", max_nodes)) if v is not None}
        return cls(**given)


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, eq=False)
class ParsedCertificate:
    """A certificate document after strict parsing (all numbers exact)."""

    n: int
    d: int
    X: tuple          # n tuples of d Fractions
    y: tuple
    lam: Fraction
    dual: tuple
    atoms: tuple      # (u tuple, sign int, norm_upper Fraction)
    masks: tuple      # ints, bit i = active
    interiors: tuple  # tuples of Fractions
    parents: tuple
    mult: tuple       # per chamber: (dict j -> Fraction for +, dict for -)
    n_chambers_claimed: int
    lower: Fraction
    upper: Fraction
    gap: Fraction
    verdict: CertifiedVerdict
    reason: str
    limits: Limits = DEFAULT_LIMITS


def _need(doc: dict, key: str, kind, where: str):
    if key not in doc:
        raise CertificateError(f"{where}: missing key {key!r}")
    value = doc[key]
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise CertificateError(f"{where}.{key}: expected an integer; got {type(value).__name__}")
    elif not isinstance(value, kind):
        raise CertificateError(f"{where}.{key}: expected {kind.__name__}; got {type(value).__name__}")
    return value


def _exact_keys(obj: dict, keys: set, where: str, optional: set = frozenset()) -> None:
    unknown = set(obj) - keys - set(optional)
    missing = keys - set(obj)
    if unknown:
        raise CertificateError(f"{where}: unknown key(s) {sorted(map(str, unknown))[:10]}")
    if missing:
        raise CertificateError(f"{where}: missing key(s) {sorted(missing)}")


def _uniqueness(parent: dict, where: str, path: str) -> tuple[CertifiedVerdict, str]:
    """The ``uniqueness`` object of ``parent`` (a /1 document, or a /2 file's ``claims``):
    exactly a known ``verdict`` and a string ``reason``; ``path`` names it in errors."""
    uniq = _need(parent, "uniqueness", dict, where)
    _exact_keys(uniq, {"verdict", "reason"}, path)
    if not isinstance(uniq["verdict"], str) or uniq["verdict"] not in (VERDICT_UNIQUE, VERDICT_NOT_CERTIFIED):
        raise CertificateError(f"{path}.verdict must be {VERDICT_UNIQUE!r} or {VERDICT_NOT_CERTIFIED!r}; "
                               f"got {str(uniq['verdict'])[:40]!r}")
    if not isinstance(uniq["reason"], str):
        raise CertificateError(f"{path}.reason must be a string")
    return CertifiedVerdict(uniq["verdict"]), uniq["reason"]


class _Reader:
    """Decodes rationals under the bit limit. A text already decoded by this reader (the same
    limit) is looked up (``known``, at most ``CHECKER_DECODE_CACHE`` texts): the same string is the same rational, and only texts that
    decoded without error are kept, so a bad one is refused wherever it occurs."""

    def __init__(self, limits: Limits):
        self.bits = limits.max_bits
        self.known: dict = {}

    def rational(self, value, where: str) -> Fraction:
        if type(value) is str:
            hit = self.known.get(value)
            if hit is None:
                hit = decode_rational(value, where, self.bits)
                if len(self.known) < CHECKER_DECODE_CACHE:
                    self.known[value] = hit
            return hit
        return decode_rational(value, where, self.bits)

    def rationals(self, value, length: int, where: str) -> tuple:
        if not isinstance(value, list):
            raise CertificateError(f"{where}: expected a list of {length} rationals; got {type(value).__name__}")
        if len(value) != length:
            raise CertificateError(f"{where}: expected {length} entries; got {len(value)}")
        return tuple(self.rational(v, f"{where}[{i}]") for i, v in enumerate(value))

    def multipliers(self, value, n: int, where: str) -> dict:
        if not isinstance(value, dict):
            raise CertificateError(f"{where}: expected an object {{index: rational}}; got {type(value).__name__}")
        if len(value) > n:
            raise CertificateError(f"{where}: {len(value)} multipliers for {n} hyperplanes")
        out = {}
        width = len(str(n))
        for key, val in value.items():
            if len(key) > width or _INDEX.fullmatch(key) is None or int(key) >= n:
                raise CertificateError(f"{where}: {key[:20]!r} is not a hyperplane index in [0, {n})")
            out[int(key)] = self.rational(val, f"{where}[{key}]")
        return out


def _sizes(document: dict, limits: Limits) -> tuple[int, int]:
    n = _need(document, "n", int, "certificate")
    d = _need(document, "d", int, "certificate")
    if n < 1 or d < 1:
        raise CertificateError(f"certificate: n and d must be >= 1; got n={n}, d={d}")
    if n > limits.max_n:
        raise CertificateLimitError(f"limit exceeded: n = {n} samples > max_n = {limits.max_n} "
                                    f"(raise it with --max-n / max_n=)")
    if d > limits.max_d:
        raise CertificateLimitError(f"limit exceeded: d = {d} features > max_d = {limits.max_d} "
                                    f"(raise it with --max-d / max_d=)")
    return n, d


def _chambers(ch_raw: list, n: int, d: int, rd: _Reader):
    masks, interiors, parents, mult = [], [], [], []
    width = (n + 3) // 4
    for c, ch in enumerate(ch_raw):
        where = f"chambers[{c}]"
        if not isinstance(ch, dict):
            raise CertificateError(f"{where}: expected an object; got {type(ch).__name__}")
        _exact_keys(ch, {"signs", "interior", "parent", "mult_plus", "mult_minus"}, where)
        s = _need(ch, "signs", str, where)
        if len(s) > width or _HEX.fullmatch(s) is None:
            raise CertificateError(f"{where}.signs: {s[:40]!r} is not a canonical lowercase hex integer of at "
                                   f"most {n} bits")
        mask = int(s, 16)
        if mask >> n:
            raise CertificateError(f"{where}.signs: pattern has bits beyond the {n} samples")
        parent = _need(ch, "parent", int, where)
        if not -1 <= parent < c:
            raise CertificateError(f"{where}.parent must be -1 or an earlier chamber index; got {parent}")
        masks.append(mask)
        interiors.append(rd.rationals(ch["interior"], d + 1, f"{where}.interior"))
        parents.append(parent)
        mult.append((rd.multipliers(ch["mult_plus"], n, f"{where}.mult_plus"),
                     rd.multipliers(ch["mult_minus"], n, f"{where}.mult_minus")))
    return tuple(masks), tuple(interiors), tuple(parents), tuple(mult)


def read_problem(document: dict, rd: "_Reader", n: int, d: int) -> tuple:
    """The parts every certificate format shares: the exact data ``X`` (n x d), ``y``,
    ``lam`` (with the problem tag it implies), the dual vector and the atoms.

    Parameters
    ----------
    document : dict
        The certificate (its sizes already checked against the limits).
    rd : _Reader
        The rational reader carrying the limits.
    n, d : int
        The data's sizes.

    Returns
    -------
    tuple
        ``(X, y, lam, dual, atoms)``; ``atoms`` a list of ``(u, sign, norm_upper)``.
    """
    Xraw = _need(document, "X", list, "certificate")
    if len(Xraw) != n:
        raise CertificateError(f"certificate.X: expected {n} rows; got {len(Xraw)}")
    X = tuple(rd.rationals(row, d, f"X[{i}]") for i, row in enumerate(Xraw))
    y = rd.rationals(document["y"], n, "y")
    lam = rd.rational(document["lam"], "lam")
    if lam < 0:
        raise CertificateError(f"lam must be >= 0; got {lam}")
    problem = document["problem"]
    if not isinstance(problem, str) or problem not in ("P_lam", "P_0") or (problem == "P_0") != (lam == 0):
        raise CertificateError(f"problem must be 'P_0' exactly when lam == 0; got {str(problem)[:40]!r} with "
                               f"lam={lam}")
    dual = rd.rationals(document["dual"], n, "dual")
    atoms = []
    for k, a in enumerate(_need(document, "atoms", list, "certificate")):
        where = f"atoms[{k}]"
        if not isinstance(a, dict):
            raise CertificateError(f"{where}: expected an object; got {type(a).__name__}")
        _exact_keys(a, {"u", "sign", "norm_upper"}, where)
        sign = _need(a, "sign", int, where)
        if sign not in (1, -1):
            raise CertificateError(f"{where}.sign must be 1 or -1; got {sign}")
        atoms.append((rd.rationals(a["u"], d + 1, f"{where}.u"), sign, rd.rational(a["norm_upper"], f"{where}.norm_upper")))
    return X, y, lam, dual, atoms


def _check_header(document, fmt: str, top_level_keys, optional=frozenset({"provenance"})) -> None:
    """The checks every format starts with: a JSON object, of format ``fmt``, with exactly
    the keys ``top_level_keys`` (those in ``optional``, by default ``provenance``, may be
    absent)."""
    if not isinstance(document, dict):
        raise CertificateError(f"certificate must be a JSON object; got {type(document).__name__}")
    if document.get("format") != fmt:
        raise CertificateError(f"not a {fmt} document (format={str(document.get('format'))[:60]!r})")
    _exact_keys(document, set(top_level_keys) - set(optional), "certificate", optional=set(optional))


def parse_certificate(document, limits: Limits | None = None) -> ParsedCertificate:
    """Strictly parse a certificate document (raises CertificateError, or
    CertificateLimitError when a size exceeds ``limits``).

    Parameters
    ----------
    document : dict
    limits : Limits, optional

    Returns
    -------
    ParsedCertificate
    """
    limits = DEFAULT_LIMITS if limits is None else limits
    _check_header(document, CERTIFICATE_FORMAT, TOP_LEVEL_KEYS)
    n, d = _sizes(document, limits)
    rd = _Reader(limits)
    X, y, lam, dual, atoms = read_problem(document, rd, n, d)
    ch_raw = _need(document, "chambers", list, "certificate")
    if not ch_raw:
        raise CertificateError("certificate.chambers: the chamber list is empty")
    comp = _need(document, "completeness", dict, "certificate")
    _exact_keys(comp, {"method", "n_chambers"}, "completeness")
    if comp["method"] != "zaslavsky":
        raise CertificateError(f"completeness.method must be 'zaslavsky'; got {str(comp['method'])[:40]!r}")
    n_claim = _need(comp, "n_chambers", int, "completeness")
    verdict, reason = _uniqueness(document, "certificate", "uniqueness")
    if "provenance" in document and not isinstance(document["provenance"], dict):
        raise CertificateError("certificate.provenance must be an object")
    lower, upper, gap = (rd.rational(document[k], k) for k in ("lower_bound", "upper_bound", "gap"))
    masks, interiors, parents, mult = _chambers(ch_raw, n, d, rd)
    return ParsedCertificate(
        n=n, d=d, X=X, y=y, lam=lam, dual=dual, atoms=tuple(atoms), masks=masks, interiors=interiors,
        parents=parents, mult=mult, n_chambers_claimed=n_claim, lower=lower, upper=upper, gap=gap,
        verdict=verdict, reason=reason, limits=limits)
