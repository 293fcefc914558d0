"""An exact rational interior point of a chamber, by construction (no float involved).

For a sign pattern ``s`` of rational rows ``x~_i`` the closed cone is
``C = {theta : s_i <x~_i, theta> >= 0 for all i}``. pycddlib's exact double description
lists its extreme rays ``r_1, ..., r_m`` (and a lineality basis, empty for the cones of a
data arrangement whose lifted rows span R^(d+1)). The sum ``z = sum_j r_j / ||r_j||_inf``
is strictly inside every half-space of a full-dimensional ``C``: all rays satisfy
``s_i <x~_i, r_j> >= 0``, and if every ray were on the hyperplane of row ``i`` the whole
cone (rays plus lineality, which lies in every hyperplane) would be, contradicting full
dimension (proofs/exact_certificate.md, "Interior points of thin chambers"). So ``z`` is an
interior point however thin the chamber; it is checked exactly anyway, and an empty
interior (a pattern that is not a chamber) gives None.

Used where float interior points fail: by the enumeration's repair of chambers narrower
than float resolution and by the exact certificate's interior points
(:mod:`relucert.verify.certificate_hints`).
"""
from __future__ import annotations

import math
from fractions import Fraction

__all__ = ["exact_interior_point", "extreme_ray_sum"]


def extreme_ray_sum(rows, signs) -> tuple[Fraction, ...] | None:
    """``sum_j r_j / ||r_j||_inf`` over the extreme rays of ``{s_i <row_i, theta> >= 0}``.

    Parameters
    ----------
    rows : sequence of sequences of int or Fraction
        The hyperplane normals (exact; no float).
    signs : sequence of +1 / -1

    Returns
    -------
    tuple of Fraction, or None
        None when the cone has no extreme ray (it is a linear subspace).
    """
    import cdd

    mat = cdd.Matrix([[0] + [Fraction(v) * int(si) for v in r] for r, si in zip(rows, signs)],
                     number_type="fraction")
    mat.rep_type = cdd.RepType.INEQUALITY
    gens = cdd.Polyhedron(mat).get_generators()
    lin = set(gens.lin_set)
    total = None
    for i in range(gens.row_size):
        if i in lin or gens[i][0] != 0:
            continue
        ray = [Fraction(v) for v in gens[i][1:]]
        top = max(abs(v) for v in ray)
        ray = [v / top for v in ray]
        total = ray if total is None else [a + b for a, b in zip(total, ray)]
    return None if total is None else tuple(total)


def exact_interior_point(rows, signs) -> tuple[int, ...] | None:
    """A primitive integer point strictly inside ``{s_i <row_i, theta> > 0 for all i}``,
    or None when that open cone is empty.

    Parameters
    ----------
    rows : sequence of sequences of int or Fraction
        The hyperplane normals (exact; repeated rows are fine).
    signs : sequence of +1 / -1

    Returns
    -------
    tuple of int, or None
        Verified exactly: ``s_i <row_i, z> > 0`` for every ``i``.

    Examples
    --------
    The sliver between the lines ``t_1 = 0`` and ``t_1 = t_2 / 2**60`` of R^2:

    >>> exact_interior_point([[1, 0], [-(2 ** 60), 1]], [1, 1])
    (1, 2305843009213693952)
    """
    rows = [tuple(Fraction(v) for v in r) for r in rows]
    signs = [int(s) for s in signs]
    unique: dict = {}
    for r, s in zip(rows, signs):
        if unique.setdefault(r, s) != s:
            return None  # one hyperplane with both signs: no point is strictly on both sides
    total = extreme_ray_sum(list(unique), list(unique.values()))
    if total is None:
        return None
    den = math.lcm(*(v.denominator for v in total))
    z = [int(v * den) for v in total]
    g = math.gcd(*z)
    if g == 0:
        return None
    z = tuple(v // g for v in z)
    if all(s * sum(a * b for a, b in zip(r, z)) > 0 for r, s in zip(rows, signs)):
        return z
    return None
