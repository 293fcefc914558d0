"""Exact quantities derived from a parsed certificate and the checks of its claims
(interior points, distinct patterns, chamber count, dual feasibility, atom norms,
interpolation), for the independent checker (:mod:`relucert.verify.checker`).

Integer arithmetic on common denominators; every common denominator formed from the
file is bounded by the certificate's ``max_bits`` limit.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from relucert.results import CheckResult
from relucert.verify.checker.count import count_range, exact_chamber_count
from relucert.verify.checker.rational import approx, as_ints, common_denominator, fmt
from relucert.verify.checker.schema import ParsedCertificate

__all__ = ["_Exact", "_unpack", "_hyperplane_groups", "check_count_range", "check_interiors", "check_distinct",
           "check_complete", "check_feasible", "check_norms", "check_interpolation"]

_CHUNK = 2048


class _Exact:
    """Exact quantities derived from a parsed certificate (shared by the checks)."""

    def __init__(self, cert: ParsedCertificate):
        self.cert = cert
        n = cert.n
        self.Xl = tuple(row + (Fraction(1),) for row in cert.X)
        bits = cert.limits.max_bits
        self.DX = common_denominator((v for row in cert.X for v in row), bits, "X")
        self.Xi = tuple(as_ints(row, self.DX) for row in self.Xl)          # x~_i * DX
        self.DP = common_denominator(cert.dual, bits, "the dual vector")
        self.Pi = as_ints(cert.dual, self.DP)                               # p_i * DP
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
        for j, mult_j in mult.items():
            if mult_j:
                s = 1 if (mask >> j) & 1 else -1
                z = [a + s * mult_j * x for a, x in zip(z, self.Xl[j])]
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
                Dl = common_denominator(mult.values(), self.cert.limits.max_bits, f"chamber {c}'s multipliers")
                z = [sign * a * Dl for a in V[c]]
                for j, mult_j in mult.items():
                    if mult_j:
                        coef = mult_j.numerator * (Dl // mult_j.denominator) * DP
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


def check_interiors(ex: _Exact) -> CheckResult:
    """Claim ``chambers.interior_points``: each listed sign pattern is realised by its
    rational interior point with strict signs (every listed chamber is non-empty).

    Parameters
    ----------
    ex : _Exact
        The parsed certificate with its exact derived quantities.

    Returns
    -------
    CheckResult
    """
    cert = ex.cert
    Xobj = np.array(ex.Xi, dtype=object)
    for a in range(0, len(cert.masks), _CHUNK):
        b = min(a + _CHUNK, len(cert.masks))
        T = np.array([as_ints(t, common_denominator(t, cert.limits.max_bits, "an interior point"))
                      for t in cert.interiors[a:b]], dtype=object)
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


def check_distinct(ex: _Exact) -> CheckResult:
    """Claim ``chambers.distinct``: no sign pattern is listed twice.

    Parameters
    ----------
    ex : _Exact
        The parsed certificate with its exact derived quantities.

    Returns
    -------
    CheckResult
    """
    seen = {}
    for c, mask in enumerate(ex.cert.masks):
        if mask in seen:
            return CheckResult("chambers.distinct", False,
                               detail=f"chambers {seen[mask]} and {c} list the same sign pattern")
        seen[mask] = c
    return CheckResult("chambers.distinct", True, detail=f"{len(seen)} distinct patterns")


def check_count_range(ex: _Exact) -> CheckResult:
    """Claim ``chambers.count_range``: the listed count equals the claimed one and lies in
    :func:`~relucert.verify.checker.count.count_range` for the distinct hyperplanes.

    Parameters
    ----------
    ex : _Exact
        The parsed certificate with its exact derived quantities.

    Returns
    -------
    CheckResult
    """
    """Cheap, before any lattice: the listed count equals the claimed one and lies in the
    range every arrangement of that many distinct hyperplanes obeys (count_range)."""
    m = len(_hyperplane_groups(ex)[0])
    listed, claimed = len(ex.cert.masks), ex.cert.n_chambers_claimed
    lo, hi = count_range(m, ex.cert.d, stop_above=listed)
    if listed != claimed:
        detail = f"{listed} chambers listed but completeness.n_chambers claims {claimed}"
    elif not lo <= listed <= hi:
        # (hi is exact here: the sum only stops early once it exceeds listed)
        bound = f"at least {lo:,}" if listed < lo else f"at most {hi:,} (general position)"
        detail = (f"{listed:,} chamber{'' if listed == 1 else 's'} listed, but an arrangement of {m} distinct hyperplanes in "
                  f"R^{ex.cert.d + 1} has {bound} chambers; the Zaslavsky count was not attempted")
    else:
        return CheckResult("chambers.count_range", True, detail=(
            f"{listed:,} listed = claimed, at least 2m = {lo:,} and at most the general-position count for "
            f"m = {m} distinct hyperplanes"))
    return CheckResult("chambers.count_range", False, detail=detail)


def check_complete(ex: _Exact) -> CheckResult:
    """Claim ``chambers.complete``: the chamber count of the arrangement, computed here by
    :func:`~relucert.verify.checker.count.exact_chamber_count`, equals the number listed.

    Parameters
    ----------
    ex : _Exact
        The parsed certificate with its exact derived quantities.

    Returns
    -------
    CheckResult
    """
    normals, _ = _hyperplane_groups(ex)
    listed = len(ex.cert.masks)
    count = exact_chamber_count([tuple(Fraction(x) for x in row) for row in normals], stop_above=listed)
    ok = count == listed == ex.cert.n_chambers_claimed
    exceeds = " (count stopped once it exceeded the listed number)" if count > listed else ""
    return CheckResult("chambers.complete", ok, max_violation=approx(count - listed), bound=0.0, detail=(
        f"Zaslavsky count of the arrangement of {len(normals)} distinct hyperplanes: {count}{exceeds}; listed "
        f"{listed}; claimed {ex.cert.n_chambers_claimed}"))


def check_feasible(ex: _Exact, bounds, neg) -> CheckResult:
    """Claim ``dual.feasible``: on every chamber and for both signs the polar-cone bound on
    ``(max sign * eta)^2`` is at most 1 (proofs/polar_cone_bound.md).

    Parameters
    ----------
    ex : _Exact
    bounds : sequence
        Per chamber, per sign, ``(q, from_multipliers)`` of :meth:`_Exact.pair_bounds`:
        ``q`` an exact upper bound on ``(max sign * eta)^2`` over the region.
    neg : tuple or None
        ``(chamber, sign, hyperplane, value)`` of the first negative multiplier (the claim
        then fails), or None.

    Returns
    -------
    CheckResult
    """
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
    return CheckResult("dual.feasible", ok, max_violation=approx(worst - 1), bound=0.0, detail=(
        f"largest bound on (max sign*eta)^2 over a region: {fmt(worst)} (chamber {c}, sign "
        f"{'+' if sign > 0 else '-'})" + ("" if ok else "; exceeds 1: the dual vector is not proven feasible")))


def check_norms(ex: _Exact) -> CheckResult:
    """Claim ``primal.norm_bounds``: every atom's ``norm_upper`` bounds ``||u_k||`` from above.

    Parameters
    ----------
    ex : _Exact
        The parsed certificate with its exact derived quantities.

    Returns
    -------
    CheckResult
    """
    for k, (u, _, nu) in enumerate(ex.cert.atoms):
        if nu < 0 or nu * nu < sum(a * a for a in u):
            return CheckResult("primal.norm_bounds", False,
                               detail=f"atom {k}: norm_upper {fmt(nu)} is below ||u||")
    return CheckResult("primal.norm_bounds", True, detail=f"{len(ex.cert.atoms)} atoms")


def check_interpolation(ex: _Exact) -> CheckResult:
    """Claim ``primal.interpolation`` (P_0 only): the atoms reproduce y exactly.

    Parameters
    ----------
    ex : _Exact
        The parsed certificate with its exact derived quantities.

    Returns
    -------
    CheckResult
    """
    f = ex.predictions()
    bad = [i for i in range(ex.cert.n) if f[i] != ex.cert.y[i]]
    if bad:
        i = bad[0]
        return CheckResult("primal.interpolation", False, max_violation=approx(abs(f[i] - ex.cert.y[i])), bound=0.0,
                           detail=f"(P_0): the atoms give f(x_{i}) = {fmt(f[i])} != y_{i}; "
                                  f"{len(bad)} samples not interpolated exactly")
    return CheckResult("primal.interpolation", True, max_violation=0.0, bound=0.0,
                       detail="the atoms interpolate y exactly")
