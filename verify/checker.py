"""The independent checker of exact certificates (``relucert.exact-certificate/1``).

It re-derives every claim of a certificate file from the numbers in the file, in exact
rational arithmetic (Python integers and :class:`fractions.Fraction`), with its own
small code path: it imports neither the solver, nor the chamber enumerator, nor the LP
layer (``tests/test_checker_independence.py`` checks this). Nothing it reads is trusted:

1. ``chambers.interior_points``: each listed sign pattern is realised by its rational
   interior point with strict signs (so every listed chamber is non-empty).
2. ``chambers.distinct``: no pattern is listed twice.
3. ``chambers.complete``: the number of chambers of the arrangement, computed here from
   the data by Zaslavsky's theorem (the Moebius function of the intersection lattice,
   built in exact arithmetic), equals the number listed. With 1 and 2 the list is every
   chamber (proofs/chamber_completeness.md).
4. ``dual.feasible``: on every chamber and for both signs, ``max <theta, +-v_A>`` over the
   closed region is at most 1: ``||v_A||^2 <= 1`` or, with the file's multipliers
   ``lambda_j >= 0``, ``||+-v_A + sum_j lambda_j s_j x~_j||^2 <= 1``
   (proofs/polar_cone_bound.md). Hence ``|eta_p| <= 1`` on the whole sphere.
5. ``primal.norm_bounds``: every atom's ``norm_upper`` bounds ``||u_k||`` from above.
   For (P_0) also ``primal.interpolation``: the atoms reproduce y exactly.
6. ``bounds.lower`` / ``bounds.upper`` / ``bounds.gap``: the file's bounds equal the dual
   value of p and the primal value of the atoms, recomputed here; the gap is their
   difference and is >= 0 (proofs/exact_gap.md).
7. ``uniqueness``: a claimed "unique" verdict is re-derived (proofs/certified_uniqueness.md).

Checks run in this order and stop at the first failure, which the report names.
Malformed input raises :class:`~relucert.errors.CertificateError`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from relucert.errors import CertificateError
from relucert.results import CheckResult, VerificationReport
from relucert.verify.certfile import (
    CERTIFICATE_FORMAT, TOP_LEVEL_KEYS, VERDICT_NOT_CERTIFIED, VERDICT_UNIQUE, decode_rational,
    read_certificate,
)

__all__ = ["check_certificate", "check_certificate_file", "sqrt_upper", "sqrt_lower", "zaslavsky_count",
           "ParsedCertificate", "parse_certificate"]

#: Relative precision (bits) of the rational square-root bounds.
SQRT_BITS = 64
_HEX = re.compile(r"0|[1-9a-f][0-9a-f]*")
_INDEX = re.compile(r"0|[1-9][0-9]*")
_CHUNK = 2048


# --------------------------------------------------------------------------- exact helpers

def sqrt_upper(q: Fraction, bits: int = SQRT_BITS) -> Fraction:
    """A rational ``s >= sqrt(q)`` (``q >= 0``), exact when q is a square of a dyadic.

    Examples
    --------
    >>> sqrt_upper(Fraction(9, 4))
    Fraction(3, 2)
    >>> s = sqrt_upper(Fraction(2)); s * s >= 2 and float(s) == 2 ** 0.5
    True
    """
    q = Fraction(q)
    if q < 0:
        raise ValueError(f"sqrt_upper needs q >= 0; got {q}")
    a, b = q.numerator, q.denominator
    big = a * b << (2 * bits)
    s = math.isqrt(big)
    if s * s != big:
        s += 1
    return Fraction(s, b << bits)


def sqrt_lower(q: Fraction, bits: int = SQRT_BITS) -> Fraction:
    """A rational ``s <= sqrt(q)`` (``q >= 0``)."""
    q = Fraction(q)
    if q < 0:
        raise ValueError(f"sqrt_lower needs q >= 0; got {q}")
    a, b = q.numerator, q.denominator
    return Fraction(math.isqrt(a * b << (2 * bits)), b << bits)


def _common_denominator(values) -> int:
    den = 1
    for v in values:
        den = math.lcm(den, v.denominator)
    return den


def _as_ints(values, den: int) -> tuple:
    return tuple(v.numerator * (den // v.denominator) for v in values)


def _rref(rows: list) -> tuple:
    """Reduced row echelon form of rational rows (canonical key of their span)."""
    m = [list(map(Fraction, r)) for r in rows]
    ncol = len(m[0]) if m else 0
    out, r = [], 0
    for c in range(ncol):
        piv = next((i for i in range(r, len(m)) if m[i][c] != 0), None)
        if piv is None:
            continue
        m[r], m[piv] = m[piv], m[r]
        inv = 1 / m[r][c]
        m[r] = [x * inv for x in m[r]]
        for i in range(len(m)):
            if i != r and m[i][c] != 0:
                f = m[i][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[r])]
        r += 1
        if r == len(m):
            break
    for i in range(r):
        out.append(tuple(m[i]))
    return tuple(out)


def zaslavsky_count(normals: list) -> int:
    """Number of chambers of the central arrangement with these distinct hyperplane normals.

    Zaslavsky: ``r(A) = sum over flats F of |mu(0, F)|``; the flats are built rank by
    rank in exact arithmetic (a rank-2 flat is keyed by the normalised integer Pluecker
    coordinates of the span of two normals, a higher one by the reduced row echelon form
    of the span of its normals). The top flat (the intersection of all hyperplanes) gets
    ``mu = -sum of the others``.

    Examples
    --------
    Three points on a line (d = 1) give 2 * 3 = 6 chambers; three general points in the
    plane (d = 2) give 2 * (1 + 2 + 1) = 8:

    >>> zaslavsky_count([(0, 1), (1, 1), (2, 1)])
    6
    >>> zaslavsky_count([(0, 0, 1), (1, 0, 1), (0, 1, 1)])
    8
    """
    m = len(normals)
    if m == 0:
        return 1
    rank = len(_rref(normals))
    if rank == 1:
        return 2  # one hyperplane (only possible when m == 1 since normals are distinct lines)
    total = 1 + m  # rank 0 (mu = 1) and the m rank-1 flats (mu = -1)
    mu_sum = 1 - m
    # rank-2 flats from pairs, keyed by the normalised Pluecker coordinates of the span
    ints = [_as_ints(tuple(map(Fraction, row)), _common_denominator(map(Fraction, row))) for row in normals]
    D = len(ints[0])
    minors = [(i, j) for i in range(D) for j in range(i + 1, D)]
    prev: dict = {}
    for g in range(m):
        a = ints[g]
        for h in range(g + 1, m):
            b = ints[h]
            pl = [a[i] * b[j] - a[j] * b[i] for i, j in minors]
            div = math.gcd(*pl)
            lead = next(x for x in pl if x)  # a, b independent: some minor is non-zero
            if lead < 0:
                div = -div
            key = tuple(x // div for x in pl)
            entry = prev.get(key)
            if entry is None:
                prev[key] = [{g, h}, (normals[g], normals[h])]
            else:
                entry[0].update((g, h))
    if rank == 2:
        return total + abs(-mu_sum)  # the rank-2 flat is the top
    # mu for rank 2: t - 1; subflats: rank-0, its members (rank-1)
    flats = {}  # id -> (rank, members, mu, subflat ids of rank >= 2)
    level = []
    for members, basis in prev.values():
        fid = len(flats)
        mu = len(members) - 1
        flats[fid] = (2, frozenset(members), mu, frozenset())
        level.append((fid, basis))
        total += abs(mu)
        mu_sum += mu
    for k in range(3, rank):
        nxt: dict = {}
        for fid, key in level:
            members = flats[fid][1]
            for g in range(m):
                if g in members:
                    continue
                nkey = _rref(list(key) + [normals[g]])
                entry = nxt.get(nkey)
                if entry is None:
                    entry = nxt[nkey] = [set(), set()]
                entry[0].update(members)
                entry[0].add(g)
                entry[1].add(fid)
        level = []
        for nkey, (members, gens) in nxt.items():
            sub = set(gens)
            for gid in gens:
                sub |= flats[gid][3]
            # subflats of rank 0, 1: 1 - |members|; of rank >= 2: those in sub
            mu = -(1 - len(members) + sum(flats[s][2] for s in sub))
            fid = len(flats)
            flats[fid] = (k, frozenset(members), mu, frozenset(sub))
            level.append((fid, nkey))
            total += abs(mu)
            mu_sum += mu
    return total + abs(-mu_sum)


def _ldl_positive(A: list) -> tuple[bool, int]:
    """Whether the symmetric rational matrix A is positive definite (all pivots > 0);
    returns (ok, index of the first non-positive pivot or -1)."""
    A = [row[:] for row in A]
    k = len(A)
    for i in range(k):
        piv = A[i][i]
        if piv <= 0:
            return False, i
        for r in range(i + 1, k):
            f = A[r][i] / piv
            if f:
                for c in range(i + 1, k):
                    A[r][c] -= f * A[i][c]
    return True, -1


# --------------------------------------------------------------------------- parsing

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
    verdict: str
    reason: str


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


def _rational_list(value, length: int, where: str) -> tuple:
    if not isinstance(value, list):
        raise CertificateError(f"{where}: expected a list of {length} rationals; got {type(value).__name__}")
    if len(value) != length:
        raise CertificateError(f"{where}: expected {length} entries; got {len(value)}")
    return tuple(decode_rational(v, f"{where}[{i}]") for i, v in enumerate(value))


def _exact_keys(obj: dict, keys: set, where: str, optional: set = frozenset()) -> None:
    unknown = set(obj) - keys - set(optional)
    missing = keys - set(obj)
    if unknown:
        raise CertificateError(f"{where}: unknown key(s) {sorted(unknown)}")
    if missing:
        raise CertificateError(f"{where}: missing key(s) {sorted(missing)}")


def _multipliers(value, n: int, where: str) -> dict:
    if not isinstance(value, dict):
        raise CertificateError(f"{where}: expected an object {{index: rational}}; got {type(value).__name__}")
    out = {}
    for key, val in value.items():
        if _INDEX.fullmatch(key) is None or int(key) >= n:
            raise CertificateError(f"{where}: {key[:20]!r} is not a hyperplane index in [0, {n})")
        out[int(key)] = decode_rational(val, f"{where}[{key}]")
    return out


def parse_certificate(document) -> ParsedCertificate:
    """Strictly parse a certificate document (raises CertificateError)."""
    if not isinstance(document, dict):
        raise CertificateError(f"certificate must be a JSON object; got {type(document).__name__}")
    if document.get("format") != CERTIFICATE_FORMAT:
        raise CertificateError(f"not a {CERTIFICATE_FORMAT} document (format={document.get('format')!r})")
    _exact_keys(document, set(TOP_LEVEL_KEYS) - {"provenance"}, "certificate", optional={"provenance"})
    n = _need(document, "n", int, "certificate")
    d = _need(document, "d", int, "certificate")
    if n < 1 or d < 1:
        raise CertificateError(f"certificate: n and d must be >= 1; got n={n}, d={d}")
    Xraw = _need(document, "X", list, "certificate")
    if len(Xraw) != n:
        raise CertificateError(f"certificate.X: expected {n} rows; got {len(Xraw)}")
    X = tuple(_rational_list(row, d, f"X[{i}]") for i, row in enumerate(Xraw))
    y = _rational_list(document["y"], n, "y")
    lam = decode_rational(document["lam"], "lam")
    if lam < 0:
        raise CertificateError(f"lam must be >= 0; got {lam}")
    problem = document["problem"]
    if problem not in ("P_lam", "P_0") or (problem == "P_0") != (lam == 0):
        raise CertificateError(f"problem must be 'P_0' exactly when lam == 0; got {problem!r} with lam={lam}")
    dual = _rational_list(document["dual"], n, "dual")
    atoms_raw = _need(document, "atoms", list, "certificate")
    atoms = []
    for k, a in enumerate(atoms_raw):
        where = f"atoms[{k}]"
        if not isinstance(a, dict):
            raise CertificateError(f"{where}: expected an object")
        _exact_keys(a, {"u", "sign", "norm_upper"}, where)
        sign = _need(a, "sign", int, where)
        if sign not in (1, -1):
            raise CertificateError(f"{where}.sign must be 1 or -1; got {sign}")
        atoms.append((_rational_list(a["u"], d + 1, f"{where}.u"), sign,
                      decode_rational(a["norm_upper"], f"{where}.norm_upper")))
    ch_raw = _need(document, "chambers", list, "certificate")
    if not ch_raw:
        raise CertificateError("certificate.chambers: the chamber list is empty")
    masks, interiors, parents, mult = [], [], [], []
    for c, ch in enumerate(ch_raw):
        where = f"chambers[{c}]"
        if not isinstance(ch, dict):
            raise CertificateError(f"{where}: expected an object")
        _exact_keys(ch, {"signs", "interior", "parent", "mult_plus", "mult_minus"}, where)
        s = _need(ch, "signs", str, where)
        if _HEX.fullmatch(s) is None:
            raise CertificateError(f"{where}.signs: {s[:40]!r} is not a canonical lowercase hex integer")
        mask = int(s, 16)
        if mask >> n:
            raise CertificateError(f"{where}.signs: pattern has bits beyond the {n} samples")
        parent = _need(ch, "parent", int, where)
        if not -1 <= parent < c:
            raise CertificateError(f"{where}.parent must be -1 or an earlier chamber index; got {parent}")
        masks.append(mask)
        interiors.append(_rational_list(ch["interior"], d + 1, f"{where}.interior"))
        parents.append(parent)
        mult.append((_multipliers(ch["mult_plus"], n, f"{where}.mult_plus"),
                     _multipliers(ch["mult_minus"], n, f"{where}.mult_minus")))
    comp = _need(document, "completeness", dict, "certificate")
    _exact_keys(comp, {"method", "n_chambers"}, "completeness")
    if comp["method"] != "zaslavsky":
        raise CertificateError(f"completeness.method must be 'zaslavsky'; got {comp['method']!r}")
    n_claim = _need(comp, "n_chambers", int, "completeness")
    uniq = _need(document, "uniqueness", dict, "certificate")
    _exact_keys(uniq, {"verdict", "reason"}, "uniqueness")
    if uniq["verdict"] not in (VERDICT_UNIQUE, VERDICT_NOT_CERTIFIED):
        raise CertificateError(f"uniqueness.verdict must be {VERDICT_UNIQUE!r} or {VERDICT_NOT_CERTIFIED!r}; "
                               f"got {uniq['verdict']!r}")
    if not isinstance(uniq["reason"], str):
        raise CertificateError("uniqueness.reason must be a string")
    if "provenance" in document and not isinstance(document["provenance"], dict):
        raise CertificateError("certificate.provenance must be an object")
    return ParsedCertificate(
        n=n, d=d, X=X, y=y, lam=lam, dual=dual, atoms=tuple(atoms), masks=tuple(masks),
        interiors=tuple(interiors), parents=tuple(parents), mult=tuple(mult), n_chambers_claimed=n_claim,
        lower=decode_rational(document["lower_bound"], "lower_bound"),
        upper=decode_rational(document["upper_bound"], "upper_bound"),
        gap=decode_rational(document["gap"], "gap"), verdict=uniq["verdict"], reason=uniq["reason"])


# --------------------------------------------------------------------------- derived quantities

class _Exact:
    """Exact quantities derived from a parsed certificate (shared by the checks)."""

    def __init__(self, cert: ParsedCertificate):
        self.cert = cert
        n = cert.n
        self.Xl = tuple(row + (Fraction(1),) for row in cert.X)
        self.DX = _common_denominator(v for row in cert.X for v in row)
        self.Xi = tuple(_as_ints(row, self.DX) for row in self.Xl)          # x~_i * DX
        self.DP = _common_denominator(cert.dual)
        self.Pi = _as_ints(cert.dual, self.DP)                               # p_i * DP
        self.W = tuple(tuple(self.Pi[i] * x for x in self.Xi[i]) for i in range(n))  # p_i x~_i * S
        self.S = self.DX * self.DP
        self.fro = tuple(sum(x * x for x in self.Xi[i]) for i in range(n))  # ||x~_i||^2 * DX^2
        self._V = None

    def chamber_vectors(self):
        """Per chamber: ``v_A * S`` (int tuple) and ``sum_{i in A} ||x~_i||^2 * DX^2``."""
        if self._V is not None:
            return self._V
        cert, D = self.cert, self.cert.d + 1
        V, F = [], []
        for c, mask in enumerate(cert.masks):
            par = cert.parents[c]
            if par < 0:
                v, f, diff, base = [0] * D, 0, mask, 0
            else:
                v, f, base = list(V[par]), F[par], cert.masks[par]
                diff = mask ^ base
            while diff:
                low = diff & -diff
                i = low.bit_length() - 1
                diff ^= low
                w = self.W[i]
                if mask & low:
                    v = [a + b for a, b in zip(v, w)]
                    f += self.fro[i]
                else:
                    v = [a - b for a, b in zip(v, w)]
                    f -= self.fro[i]
            V.append(tuple(v))
            F.append(f)
        self._V = (V, F)
        return self._V

    def z_vector(self, c: int, sign: int, mult: dict) -> tuple:
        """``sign * v_A + sum_j lambda_j s_j x~_j`` as Fractions."""
        V, _ = self.chamber_vectors()
        mask = self.cert.masks[c]
        z = [Fraction(sign * a, self.S) for a in V[c]]
        for j, lam_j in mult.items():
            if lam_j:
                s = 1 if (mask >> j) & 1 else -1
                z = [a + s * lam_j * x for a, x in zip(z, self.Xl[j])]
        return tuple(z)

    def pair_bounds(self):
        """Per (chamber, sign): an exact upper bound ``q`` on ``(max over the region of
        sign * eta)^2`` and whether it came from the multipliers (True) or is ``||v_A||^2``
        (False); also the first negative multiplier found (or None).

        Integer arithmetic: with ``Dl`` the common denominator of a pair's multipliers,
        ``z * S * Dl = sign V Dl + sum_j (lambda_j Dl) s_j (x~_j DX) DP``."""
        V, _ = self.chamber_vectors()
        S, S2, DP = self.S, self.S * self.S, self.DP
        out, neg = [], None
        for c in range(len(self.cert.masks)):
            vnum = sum(a * a for a in V[c])
            vv = Fraction(vnum, S2)
            mask = self.cert.masks[c]
            row = []
            for sign, mult in ((1, self.cert.mult[c][0]), (-1, self.cert.mult[c][1])):
                if not mult:
                    row.append((vv, False))
                    continue
                bad = [(j, l) for j, l in mult.items() if l < 0]
                if bad:
                    neg = neg or (c, sign, bad[0][0], bad[0][1])
                    row.append((vv, False))
                    continue
                Dl = _common_denominator(mult.values())
                z = [sign * a * Dl for a in V[c]]
                for j, lam_j in mult.items():
                    if lam_j:
                        coef = lam_j.numerator * (Dl // lam_j.denominator) * DP
                        if not (mask >> j) & 1:
                            coef = -coef
                        z = [a + coef * x for a, x in zip(z, self.Xi[j])]
                qnum, Z = sum(a * a for a in z), S * Dl
                # q < vv  <=>  qnum < vnum * Dl^2
                row.append((Fraction(qnum, Z * Z), True) if qnum < vnum * Dl * Dl else (vv, False))
            out.append(row)
        return out, neg

    def predictions(self) -> tuple:
        n = self.cert.n
        f = [Fraction(0)] * n
        for u, sign, _ in self.cert.atoms:
            for i in range(n):
                t = sum(a * b for a, b in zip(u, self.Xl[i]))
                if t > 0:
                    f[i] += sign * t
        return tuple(f)

    def dual_value(self) -> Fraction:
        cert = self.cert
        py = sum(a * b for a, b in zip(cert.dual, cert.y))
        if cert.lam == 0:
            return py
        pp = sum(a * a for a in cert.dual)
        return cert.lam * py - cert.lam * cert.lam / 2 * pp

    def primal_value(self) -> Fraction:
        cert = self.cert
        tv = sum(a[2] for a in cert.atoms)
        if cert.lam == 0:
            return tv
        f = self.predictions()
        res = sum((a - b) ** 2 for a, b in zip(f, cert.y))
        return res / 2 + cert.lam * tv


def _unpack(masks, n: int) -> np.ndarray:
    nb = (n + 7) // 8
    raw = b"".join(m.to_bytes(nb, "little") for m in masks)
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8).reshape(len(masks), nb), axis=1, bitorder="little")
    return bits[:, :n].astype(bool)


def _hyperplane_groups(ex: _Exact):
    """Distinct lifted points (identical points share one hyperplane): their integer
    normals and, per group, the sample indices."""
    groups: dict = {}
    for i, row in enumerate(ex.Xi):
        groups.setdefault(row, []).append(i)
    return list(groups.keys()), list(groups.values())


# --------------------------------------------------------------------------- the checks

def _check_interiors(ex: _Exact) -> CheckResult:
    cert = ex.cert
    Xobj = np.array(ex.Xi, dtype=object)
    for a in range(0, len(cert.masks), _CHUNK):
        b = min(a + _CHUNK, len(cert.masks))
        T = np.array([_as_ints(t, _common_denominator(t)) for t in cert.interiors[a:b]], dtype=object)
        G = T @ Xobj.T
        zero = G == 0
        pos = G > 0
        want = _unpack(cert.masks[a:b], cert.n)
        bad = np.flatnonzero(zero.any(axis=1) | (pos != want).any(axis=1))
        if bad.size:
            c = a + int(bad[0])
            i = int(np.flatnonzero(zero[bad[0]] | (pos[bad[0]] != want[bad[0]]))[0])
            kind = "lies on" if zero[bad[0], i] else "is on the wrong side of"
            return CheckResult("chambers.interior_points", False, detail=(
                f"chamber {c}: its interior point {kind} hyperplane {i}; the listed pattern is not "
                f"proven non-empty"))
    return CheckResult("chambers.interior_points", True,
                       detail=f"{len(cert.masks)} chambers, each realised by a rational point with strict signs")


def _check_distinct(ex: _Exact) -> CheckResult:
    seen = {}
    for c, mask in enumerate(ex.cert.masks):
        if mask in seen:
            return CheckResult("chambers.distinct", False,
                               detail=f"chambers {seen[mask]} and {c} list the same sign pattern")
        seen[mask] = c
    return CheckResult("chambers.distinct", True, detail=f"{len(seen)} distinct patterns")


def _check_complete(ex: _Exact) -> CheckResult:
    normals, _ = _hyperplane_groups(ex)
    count = zaslavsky_count([tuple(Fraction(x) for x in row) for row in normals])
    listed = len(ex.cert.masks)
    ok = count == listed == ex.cert.n_chambers_claimed
    return CheckResult("chambers.complete", ok, max_violation=float(count - listed), bound=0.0, detail=(
        f"Zaslavsky count of the arrangement of {len(normals)} distinct hyperplanes: {count}; listed "
        f"{listed}; claimed {ex.cert.n_chambers_claimed}"))


def _check_feasible(ex: _Exact, bounds, neg) -> CheckResult:
    if neg is not None:
        c, sign, j, val = neg
        return CheckResult("dual.feasible", False, detail=(
            f"chamber {c}, sign {'+' if sign > 0 else '-'}: multiplier of hyperplane {j} is negative ({val})"))
    worst, where = Fraction(-1), None
    for c, row in enumerate(bounds):
        for k, (q, _) in enumerate(row):
            if q > worst:
                worst, where = q, (c, 1 - 2 * k)
    ok = worst <= 1
    c, sign = where
    return CheckResult("dual.feasible", ok, max_violation=float(worst - 1), bound=0.0, detail=(
        f"largest bound on (max sign*eta)^2 over a region: {float(worst):.17g} (chamber {c}, sign "
        f"{'+' if sign > 0 else '-'})" + ("" if ok else "; exceeds 1: the dual vector is not proven feasible")))


def _check_norms(ex: _Exact) -> CheckResult:
    for k, (u, _, nu) in enumerate(ex.cert.atoms):
        if nu < 0 or nu * nu < sum(a * a for a in u):
            return CheckResult("primal.norm_bounds", False,
                               detail=f"atom {k}: norm_upper {float(nu):.17g} is below ||u||")
    return CheckResult("primal.norm_bounds", True, detail=f"{len(ex.cert.atoms)} atoms")


def _check_interpolation(ex: _Exact) -> CheckResult:
    f = ex.predictions()
    bad = [i for i in range(ex.cert.n) if f[i] != ex.cert.y[i]]
    if bad:
        i = bad[0]
        return CheckResult("primal.interpolation", False, max_violation=float(abs(f[i] - ex.cert.y[i])), bound=0.0,
                           detail=f"(P_0): the atoms give f(x_{i}) = {float(f[i]):.17g} != y_{i}; "
                                  f"{len(bad)} samples not interpolated exactly")
    return CheckResult("primal.interpolation", True, max_violation=0.0, bound=0.0,
                       detail="the atoms interpolate y exactly")


def derive_uniqueness(ex: _Exact, bounds, lower: Fraction, upper: Fraction, *, max_pairs: int | None = None):
    """Re-derive the certified-uniqueness argument (proofs/certified_uniqueness.md).

    Returns ``(unique: bool, reason: str, info: dict)``.
    """
    cert = ex.cert
    n = cert.n
    if cert.lam == 0:
        return False, "lam = 0: the dual of (P_0) is not strongly concave, so the certified gap gives no ball around p", {}
    G = upper - lower
    if G < 0:
        return False, "negative gap", {}
    rho2 = 2 * G / (cert.lam * cert.lam)
    _, F = ex.chamber_vectors()
    DX2 = ex.DX * ex.DX
    max_pairs = 8 * n if max_pairs is None else max_pairs
    # fast exact pre-test: beta^2 <= B for every chamber, so q < (1 - sqrt_upper(B))^2 excludes
    B = Fraction(sum(ex.fro), DX2) * rho2
    q0 = Fraction(0)
    if B < 1 and sqrt_upper(B) < 1:
        q0 = (1 - sqrt_upper(B)) ** 2
        q0 = Fraction(math.floor(q0 * (1 << SQRT_BITS)), 1 << SQRT_BITS)
    adm = []
    for c, row in enumerate(bounds):
        if row[0][0] < q0 and row[1][0] < q0:
            continue
        b = Fraction(F[c], DX2) * rho2  # beta^2 >= ||v*_A - v_A||^2
        for k, (q, from_mult) in enumerate(row):
            if q < q0:
                continue  # sqrt(q) + beta < (1 - sqrt(B)) + sqrt(B) = 1
            t = 1 + b - q
            if b < 1 and t > 0 and t * t > 4 * b:
                continue  # sqrt(q) + beta < 1: no mass of this sign here
            sign = 1 - 2 * k
            z = ex.z_vector(c, sign, cert.mult[c][k] if from_mult else {})
            adm.append((c, sign, z, q, b))
            if len(adm) > max_pairs:
                return False, (f"more than {max_pairs} (region, sign) pairs may carry mass within the certified "
                               f"gap {float(G):.3g}: the gap is too large to localise the support"), {}
    info = {"admissible_pairs": len(adm), "rho_squared": rho2}
    if not adm:
        return True, "no (region, sign) pair can carry mass: the zero measure is the unique solution", info
    caps = []  # (c, sign, w, R)
    for c, sign, z, q, b in adm:
        beta_up = sqrt_upper(b)
        if beta_up >= 1 or q == 0:
            return False, f"chamber {c}: the dual ball is too large to localise the extremal point", info
        s_up, s_lo = sqrt_upper(q), sqrt_lower(q)
        r2 = 2 - 2 * (1 - beta_up) / s_up
        t = 1 / s_up
        w = tuple(t * a for a in z)
        R = sqrt_upper(max(r2, Fraction(0))) + (1 - t * s_lo)
        caps.append((c, sign, w, R))
    # clusters: same sign, caps possibly overlapping
    K = len(caps)
    parent = list(range(K))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i in range(K):
        for j in range(i + 1, K):
            if caps[i][1] != caps[j][1]:
                continue
            d2 = sum((a - b) ** 2 for a, b in zip(caps[i][2], caps[j][2]))
            if d2 <= (caps[i][3] + caps[j][3]) ** 2:
                parent[find(i)] = find(j)
    clusters: dict = {}
    for i in range(K):
        clusters.setdefault(find(i), []).append(i)
    reps = []
    for members in clusters.values():
        rep = caps[members[0]]
        sign = rep[1]
        if len(members) > 1:
            disagree = 0
            for i in members:
                disagree |= cert.masks[caps[i][0]] ^ cert.masks[rep[0]]
            j = 0
            while disagree:
                if disagree & 1:
                    pj = sign * cert.dual[j]
                    if not (pj <= 0 and cert.dual[j] ** 2 >= rho2):
                        return False, (
                            f"regions {sorted({caps[i][0] for i in members})} (sign {'+' if sign > 0 else '-'}) "
                            f"may each hold an extremal point near one another, and sign*p_{j} is not certified "
                            f"<= 0 (no concavity across hyperplane {j}): two distinct atoms cannot be excluded"), info
                disagree >>= 1
                j += 1
        Rc = max(caps[i][3] + sqrt_upper(sum((a - b) ** 2 for a, b in zip(caps[i][2], rep[2]))) for i in members)
        reps.append((rep[2], Rc, sign))
    if len(reps) > n:
        return False, f"{len(reps)} possible extremal points but only {n} samples: features cannot be independent", info
    # columns phi(w) and the perturbation bound
    cols = []
    for w, _, _ in reps:
        cols.append([max(Fraction(0), sum(a * b for a, b in zip(w, ex.Xl[i]))) for i in range(n)])
    L2 = Fraction(sum(ex.fro), DX2)
    eps2 = L2 * sum(R * R for _, R, _ in reps)
    k = len(cols)
    gram = [[sum(a * b for a, b in zip(cols[i], cols[j])) - (eps2 if i == j else 0) for j in range(k)]
            for i in range(k)]
    ok, at = _ldl_positive(gram)
    info.update({"possible_extremal_points": k, "perturbation_squared": eps2})
    if not ok:
        antipodal = sum(1 for i in range(k) for j in range(i + 1, k) if reps[i][2] == reps[j][2] and
                        sum((a + b) ** 2 for a, b in zip(reps[i][0], reps[j][0])) <= (reps[i][1] + reps[j][1]) ** 2)
        note = (f"; {antipodal} possibly antipodal same-sign pair(s) of points: mass can move inside such pairs "
                f"at no cost, so the measure may be non-unique while the learned function is unique "
                f"(DESIGN.md section 5)") if antipodal else ""
        return False, (f"the features at the {k} possible extremal points are not provably linearly independent "
                       f"(smallest singular value not above the localisation error; pivot {at}){note}"), info
    return True, (f"every optimal measure is supported on at most {k} points (one per cluster of the {len(adm)} "
                  f"(region, sign) pairs that can carry mass), whose features are linearly independent"), info


def _run_checks(ex: _Exact):
    cert = ex.cert
    checks = []

    def add(result):
        checks.append(result)
        return result.passed

    if not add(_check_interiors(ex)):
        return checks
    if not add(_check_distinct(ex)):
        return checks
    if not add(_check_complete(ex)):
        return checks
    bounds, neg = ex.pair_bounds()
    if not add(_check_feasible(ex, bounds, neg)):
        return checks
    if not add(_check_norms(ex)):
        return checks
    if cert.lam == 0 and not add(_check_interpolation(ex)):
        return checks
    lower = ex.dual_value()
    if not add(CheckResult("bounds.lower", lower == cert.lower, max_violation=float(abs(lower - cert.lower)),
                           bound=0.0, detail=f"dual value of the feasible p: {float(lower):.17g}; file says "
                                             f"{float(cert.lower):.17g}")):
        return checks
    upper = ex.primal_value()
    if not add(CheckResult("bounds.upper", upper == cert.upper, max_violation=float(abs(upper - cert.upper)),
                           bound=0.0, detail=f"primal value of the atoms (upper bound): {float(upper):.17g}; file "
                                             f"says {float(cert.upper):.17g}")):
        return checks
    gap = upper - lower
    if not add(CheckResult("bounds.gap", gap == cert.gap and gap >= 0, max_violation=float(gap), bound=0.0,
                           detail=f"certified gap upper - lower = {float(gap):.6g}; file says {float(cert.gap):.6g}")):
        return checks
    if cert.verdict == VERDICT_UNIQUE:
        unique, reason, _ = derive_uniqueness(ex, bounds, lower, upper)
        add(CheckResult("uniqueness", unique, detail=reason if unique else
                        f"the file claims 'unique' but the argument does not verify: {reason}"))
    else:
        add(CheckResult("uniqueness", True, detail=f"no uniqueness claimed ({cert.reason})"))
    return checks


def check_certificate(document: dict) -> VerificationReport:
    """Re-verify a certificate document in exact arithmetic.

    Returns a :class:`~relucert.results.VerificationReport` (``exact=True``) whose checks
    are named; ``report.first_failure()`` is the first claim that did not verify.
    Raises :class:`~relucert.errors.CertificateError` for a malformed document.
    """
    cert = parse_certificate(document)
    return VerificationReport.from_checks(_run_checks(_Exact(cert)), exact=True)


def check_certificate_file(path) -> VerificationReport:
    """Read a certificate file strictly and re-verify it (see :func:`check_certificate`)."""
    return check_certificate(read_certificate(path))


def certified_gap(document: dict) -> tuple[Fraction, Fraction, Fraction]:
    """(lower, upper, gap) as written in a parsed document (trusted only after checking)."""
    cert = parse_certificate(document)
    return cert.lower, cert.upper, cert.gap
