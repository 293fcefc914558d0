"""The extremal set E = {theta : |eta(theta)| = 1} from a region scan, and the check
"at most one extremum of each sign per region" (DESIGN.md sections 3 and 5).

A (region, sign) pair is extremal when its region maximum is at least
``1 - tol.extremal``. Its maximiser is a point of E. A boundary point lies in the
closure of several chambers and is found from each of them: maximisers of the same
sign closer than ``tol.point_merge`` are merged into ONE point of E.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from relucert.arrangement import Arrangement
from relucert.results import AtomLocation, jsonable
from relucert.tolerances import Tolerances, resolve
from relucert.verify.regions import SIGNS, RegionExtrema, certificate_values, on_hyperplanes

__all__ = ["ExtremalPoint", "ExtremalSet", "extremal_set", "closure_chambers"]


@dataclass(frozen=True, eq=False)
class ExtremalPoint:
    """One point of E.

    theta : unit vector; sign : +1 (eta = 1) or -1 (eta = -1); value : ``sign * eta``
    at theta; found_in : chambers whose (sign) maximiser is this point; closure :
    every chamber whose closure contains it; hyperplanes : the data hyperplanes it lies
    on (empty: interior to a chamber).
    """

    theta: np.ndarray
    sign: int
    value: float
    found_in: tuple
    closure: tuple
    hyperplanes: tuple

    @property
    def location(self) -> AtomLocation:
        return AtomLocation.BOUNDARY if self.hyperplanes else AtomLocation.INTERIOR

    def to_dict(self) -> dict:
        return jsonable({"theta": self.theta, "sign": self.sign, "value": self.value,
                         "location": self.location, "hyperplanes": list(self.hyperplanes),
                         "found_in": list(self.found_in), "closure": list(self.closure)})


@dataclass(frozen=True, eq=False)
class ExtremalSet:
    """E with the per-region bookkeeping.

    points : the merged points of E; pair_point : (m, 2) index into ``points`` of the
    maximiser of each (region, sign) pair, -1 when the pair is not extremal;
    one_extremum_per_region : whether every closed region holds at most one point of E
    of each sign; violations : (chamber, sign, point indices) where it fails;
    regions_plus/minus/both : how many regions reach +1, reach -1, reach both;
    max_outside : largest region maximum of a non-extremal pair (0 if none).
    """

    points: tuple
    pair_point: np.ndarray
    dim: int
    one_extremum_per_region: bool
    violations: tuple
    regions_plus: int
    regions_minus: int
    regions_both: int
    max_outside: float

    def __len__(self) -> int:
        return len(self.points)

    @property
    def n_pairs(self) -> int:
        """Number of (region, sign) pairs that can carry mass."""
        return int(np.count_nonzero(self.pair_point >= 0))

    def thetas(self) -> np.ndarray:
        if not self.points:
            return np.zeros((0, self.dim))
        return np.array([q.theta for q in self.points])

    def signs(self) -> np.ndarray:
        return np.array([q.sign for q in self.points], dtype=np.int64)


def closure_chambers(arrangement: Arrangement, theta: np.ndarray, hyperplanes, act=None) -> np.ndarray:
    """Chambers whose closure contains the unit vector ``theta`` that lies exactly on
    ``hyperplanes``: their sign patterns agree with theta's signs off those hyperplanes.

    Parameters
    ----------
    arrangement : Arrangement
    theta : array (n_features + 1,)
    hyperplanes : sequence of int
        The data hyperplanes ``theta`` lies on.
    act : ignored
        Accepted for the callers' convenience.

    Returns
    -------
    array of int
        Chamber indices.
    """
    from relucert.arrangement.chambers import pack_signs

    signs = arrangement.X_lift @ theta > 0
    off = np.ones(arrangement.n, dtype=bool)
    off[list(hyperplanes)] = False
    # compared on the packed patterns, a byte per eight hyperplanes (``act`` is accepted
    # for the callers' convenience but not needed)
    bits, mask = pack_signs(signs & off), pack_signs(off)
    return np.flatnonzero(np.all((arrangement.sign_patterns & mask) == bits, axis=1))


def extremal_set(arrangement: Arrangement, scan: RegionExtrema, *, tol: Tolerances | None = None) -> ExtremalSet:
    """Build E from ``scan`` (see the module docstring).

    Parameters
    ----------
    arrangement : Arrangement
    scan : RegionExtrema
        The region maxima of ``eta_p`` (:func:`relucert.verify.regions.scan_regions`).
    tol : Tolerances, optional
        ``extremal`` admits a region maximum to E, ``point_merge`` merges maximisers.

    Returns
    -------
    ExtremalSet
    """
    tol = resolve(tol)
    m = scan.n_chambers
    Xl = arrangement.X_lift
    act = arrangement.active()
    threshold = 1.0 - tol.extremal
    extremal = scan.value >= threshold
    pair_point = np.full((m, 2), -1, dtype=np.int64)
    reps: list[list] = []  # [sign_index, theta, members]
    for k, si in zip(*np.nonzero(extremal)):
        th = scan.point[k, si]
        for idx, rep in enumerate(reps):
            if rep[0] == si and np.linalg.norm(rep[1] - th) <= tol.point_merge:
                rep[2].append(int(k))
                pair_point[k, si] = idx
                break
        else:
            reps.append([si, th, [int(k)]])
            pair_point[k, si] = len(reps) - 1
    points = []
    for si, th, members in reps:
        # the representative: the maximiser of the member with the largest value
        best = max(members, key=lambda k: scan.value[k, si])
        theta = scan.point[best, si]
        planes = tuple(int(i) for i in on_hyperplanes(Xl, theta, tol))
        closure = tuple(sorted(set(int(k) for k in closure_chambers(arrangement, theta, planes, act))
                               | set(members)))
        sign = SIGNS[si]
        value = float(sign * certificate_values(Xl, scan.p, theta)[0])
        points.append(ExtremalPoint(theta=theta, sign=sign, value=value, found_in=tuple(members),
                                    closure=closure, hyperplanes=planes))
    # At most one point of E of each sign in every closed region.
    per_region: dict = {}
    for idx, q in enumerate(points):
        si = SIGNS.index(q.sign)
        for k in q.closure:
            per_region.setdefault((k, si), set()).add(idx)
    violations = tuple((k, SIGNS[si], tuple(sorted(s))) for (k, si), s in sorted(per_region.items()) if len(s) > 1)
    plus = extremal[:, 0]
    minus = extremal[:, 1]
    outside = scan.value[~extremal]
    return ExtremalSet(points=tuple(points), pair_point=pair_point, dim=int(Xl.shape[1]),
                       one_extremum_per_region=not violations,
                       violations=violations, regions_plus=int(np.count_nonzero(plus)),
                       regions_minus=int(np.count_nonzero(minus)),
                       regions_both=int(np.count_nonzero(plus & minus)),
                       max_outside=float(np.max(outside, initial=0.0)))
