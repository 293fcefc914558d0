"""Re-derivation of a certificate's "unique" verdict for the independent checker
(proofs/certified_uniqueness.md, proofs/dual_strong_concavity.md)."""
from __future__ import annotations

import math
from fractions import Fraction

from relucert.verify.checker.claims import _Exact
from relucert.verify.checker.rational import SQRT_BITS, fmt, ldl_positive, sqrt_lower, sqrt_upper

__all__ = ["derive_uniqueness"]


def derive_uniqueness(ex: _Exact, bounds, lower: Fraction, upper: Fraction, *, max_pairs: int | None = None):
    """Re-derive the certified-uniqueness argument (proofs/certified_uniqueness.md).

    Parameters
    ----------
    ex : _Exact
    bounds : sequence
        The per-(chamber, sign) bounds of :meth:`_Exact.pair_bounds`.
    lower, upper : Fraction
        The certified bounds.
    max_pairs : int, optional

    Returns
    -------
    unique : bool
    reason : str
    info : dict
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
                               f"gap {fmt(G, '.3g')}, the most the argument analyses: the gap is too large to "
                               f"localise the support"), {}
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
    ok, at = ldl_positive(gram)
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
