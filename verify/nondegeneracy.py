"""Non-degeneracy ND1-ND4 of a dual certificate (DESIGN.md section 6), each with a margin.

The definitions are kept here, in one place (proofs/nondegeneracy.md):

- ND1: ``|eta| < 1`` on every dual region except at points of E, and every point of E
  carries mass in some optimal measure (no saturation without mass). Margin:
  ``1 - max{region maximum of |eta| outside E}`` (0 when a point of E is massless).
- ND2: an extremal point inside a chamber is a strict non-degenerate maximum: on the
  sphere the Hessian of ``<theta, v>`` at ``v/||v||`` is ``-||v||`` times the identity.
  It always holds; margin: the smallest distance ``|<theta, x~_i>| / ||x~_i||`` of an
  interior point of E to a hyperplane (how far it is from becoming a boundary point).
- ND3: an extremal point on hyperplanes ``H_i, i in I`` is non-degenerate when, in every
  chamber whose closure contains it, it is that region's maximiser and the projection
  ``P_C(v_C)`` has strictly positive multipliers on the chamber's facets through the
  point (strict complementarity). Multipliers are taken for unit facet normals, summed
  over repeated data points; when the active normals are linearly dependent the
  multipliers are not unique and an LP (HiGHS) finds the largest smallest one.
  A multiplier counts as zero at or below ``tol.extremal``. Margin: the smallest
  multiplier.
- ND4: ``Phi_E`` is injective. Margin: ``sigma_min / sigma_max``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from relucert._model import relu_features
from relucert.arrangement import Arrangement
from relucert.errors import SolverError
from relucert.lp.highs import FiniteProgram, solve_program
from relucert.results import AtomLocation, CheckResult, Status, jsonable
from relucert.tolerances import Tolerances, resolve
from relucert.verify.extremal import ExtremalSet
from relucert.verify.regions import SIGNS, RegionExtrema

__all__ = ["condition_to_dict", "FacetMultipliers", "NonDegeneracy", "check_nondegeneracy", "phi_rank"]


def condition_to_dict(condition: CheckResult) -> dict:
    """A condition ND1-ND4 as the certificate report writes it
    (``relucert.certificate-report/1``: keys ``name``, ``holds``, ``margin``, ``detail``).

    Parameters
    ----------
    condition : CheckResult
        One of :attr:`NonDegeneracy.conditions`.

    Returns
    -------
    dict
    """
    return jsonable({"name": condition.name, "holds": condition.passed, "margin": condition.margin,
                     "detail": condition.detail})


@dataclass(frozen=True)
class FacetMultipliers:
    """Strict-complementarity data of boundary point ``point`` (index into E) in one
    chamber whose closure contains it."""

    point: int
    chamber: int
    hyperplanes: tuple          # one representative data index per distinct active facet
    multipliers: tuple          # unit-normal multipliers, same order
    is_maximiser: bool
    unique: bool                # False: dependent normals, LP max-min multipliers

    @property
    def min_multiplier(self) -> float:
        return float(min(self.multipliers)) if self.multipliers else float("inf")

    def to_dict(self) -> dict:
        return jsonable({"point": self.point, "chamber": self.chamber, "hyperplanes": list(self.hyperplanes),
                         "multipliers": list(self.multipliers), "is_maximiser": self.is_maximiser,
                         "unique": self.unique})


@dataclass(frozen=True)
class NonDegeneracy:
    conditions: tuple            # ND1..ND4
    facet_multipliers: tuple     # FacetMultipliers for every boundary point and closure chamber
    point_margin: tuple          # per point of E: ND2 distance (interior) or ND3 min multiplier (boundary)

    @property
    def holds(self) -> bool:
        return all(c.passed for c in self.conditions)

    def condition(self, name: str) -> CheckResult:
        return next(c for c in self.conditions if c.name == name)

    def to_dict(self) -> dict:
        return {"nondegenerate": self.holds, "conditions": [condition_to_dict(c) for c in self.conditions],
                "facet_multipliers": [f.to_dict() for f in self.facet_multipliers],
                "point_margin": jsonable(list(self.point_margin))}


def phi_rank(Phi: np.ndarray, tol: Tolerances) -> tuple[int, np.ndarray]:
    """Numerical rank (relative threshold ``tol.rank``) and the singular values.

    Parameters
    ----------
    Phi : array (n, k)
    tol : Tolerances

    Returns
    -------
    rank : int
    singular_values : array
    """
    if Phi.size == 0:
        return 0, np.zeros(0)
    sv = np.linalg.svd(Phi, compute_uv=False)
    return int(np.count_nonzero(sv > tol.rank * max(sv[0], 1.0))), sv


def _max_min_multipliers(U: np.ndarray, rhs: np.ndarray, tol: Tolerances) -> np.ndarray:
    """Multipliers ``mu >= 0`` with ``U^T mu = rhs`` maximising ``min mu`` (HiGHS)."""
    g, D = U.shape
    A = np.zeros((D + g, g + 1))
    A[:D, :g] = U.T
    A[D:, :g] = np.eye(g)
    A[D:, g] = -1.0
    slack = tol.primal_feas * max(1.0, float(np.linalg.norm(rhs)))
    c = np.zeros(g + 1)
    c[g] = 1.0
    prog = FiniteProgram(c=c, A=sp.csc_matrix(A), row_lower=np.r_[rhs - slack, np.zeros(g)],
                         row_upper=np.r_[rhs + slack, np.full(g, np.inf)],
                         col_lower=np.r_[np.zeros(g), -np.inf], col_upper=np.full(g + 1, np.inf),
                         maximize=True)
    res = solve_program(prog, tol=tol)
    if res.status is Status.INFEASIBLE:
        return np.zeros(g)
    if res.status is not Status.OPTIMAL:
        raise SolverError(f"strict-complementarity LP ended with status {res.status.value}: {res.message}")
    return np.maximum(res.x[:g], 0.0)


def _facet_multipliers(arrangement: Arrangement, scan: RegionExtrema, E: ExtremalSet, idx: int, k: int,
                       tol: Tolerances) -> FacetMultipliers:
    q = E.points[idx]
    si = SIGNS.index(q.sign)
    Xl = arrangement.X_lift
    facets = arrangement.facets(k)
    on = set(q.hyperplanes)
    pos = [t for t, j in enumerate(facets) if int(j) in on]
    is_max = bool(E.pair_point[k, si] == idx)
    if not pos:
        return FacetMultipliers(idx, int(k), (), (), is_max, True)
    mult = scan.multipliers[k][si]
    G = arrangement.inward_normals(k)
    # group repeated data points (identical lifted rows: one hyperplane)
    groups: dict = {}
    for t in pos:
        key = Xl[facets[t]].tobytes()
        groups.setdefault(key, []).append(t)
    reps = [int(facets[ts[0]]) for ts in groups.values()]
    U = np.array([G[ts[0]] / np.linalg.norm(G[ts[0]]) for ts in groups.values()])
    mu = np.array([sum(mult[t] * np.linalg.norm(G[t]) for t in ts) for ts in groups.values()])
    unique = int(np.linalg.matrix_rank(U)) == U.shape[0]
    if not unique:
        # v + U^T mu (+ other facets, whose multipliers vanish at this point) = value * theta
        rhs = scan.value[k, si] * q.theta - q.sign * scan.v[k]
        mu = _max_min_multipliers(U, rhs, tol)
    return FacetMultipliers(idx, int(k), tuple(reps), tuple(float(x) for x in mu), is_max, unique)


def check_nondegeneracy(arrangement: Arrangement, scan: RegionExtrema, E: ExtremalSet, carries_mass,
                        *, tol: Tolerances | None = None) -> NonDegeneracy:
    """ND1-ND4 (module docstring). ``carries_mass[j]``: whether point j of E carries mass
    in some optimal measure (from the uniqueness LPs).

    Parameters
    ----------
    arrangement : Arrangement
    scan : RegionExtrema
        Region maxima of the certificate.
    E : ExtremalSet
    carries_mass : array of bool (len(E),)
    tol : Tolerances, optional

    Returns
    -------
    NonDegeneracy
        ``conditions``: ND1-ND4 as :class:`~relucert.results.CheckResult` s with margins.
    """
    tol = resolve(tol)
    Xl = arrangement.X_lift
    carries_mass = np.asarray(carries_mass, dtype=bool)
    # ND1
    massless = [j for j in range(len(E)) if not carries_mass[j]]
    nd1_margin = 1.0 - E.max_outside
    if massless:
        nd1 = CheckResult("ND1", False, margin=0.0,
                          detail=f"|eta| = 1 at {len(massless)} point(s) of E that carry no mass in any optimal "
                          f"measure: {massless}")
    else:
        nd1 = CheckResult("ND1", True, margin=nd1_margin,
                          detail=f"largest region maximum of |eta| outside E: {E.max_outside:.6g}")
    # ND2 and ND3
    norms = np.linalg.norm(Xl, axis=1)
    point_margin = []
    nd2_margin = None
    records = []
    nd3_margin = None
    nd3_fail = []
    for idx, q in enumerate(E.points):
        if q.location is AtomLocation.INTERIOR:
            dist = float(np.min(np.abs(Xl @ q.theta) / norms))
            point_margin.append(dist)
            nd2_margin = dist if nd2_margin is None else min(nd2_margin, dist)
            continue
        worst = float("inf")
        for k in q.closure:
            rec = _facet_multipliers(arrangement, scan, E, idx, k, tol)
            records.append(rec)
            if not rec.is_maximiser:
                nd3_fail.append(f"point {idx} is not the maximiser of chamber {k}")
                worst = min(worst, 0.0)
            elif rec.multipliers:
                worst = min(worst, rec.min_multiplier)
                if rec.min_multiplier <= tol.extremal:
                    nd3_fail.append(f"point {idx}: multiplier {rec.min_multiplier:.3g} on a facet of "
                                    f"chamber {k} (no strict complementarity)")
        worst = 0.0 if worst == float("inf") else worst
        point_margin.append(worst)
        nd3_margin = worst if nd3_margin is None else min(nd3_margin, worst)
    n_int = sum(1 for q in E.points if q.location is AtomLocation.INTERIOR)
    nd2 = CheckResult("ND2", True, margin=nd2_margin,
                      detail=f"{n_int} interior point(s); Hessian -||v|| I with ||v|| = 1 at each; margin = distance "
                      f"to the nearest hyperplane" if n_int else "no interior point in E")
    n_bd = len(E) - n_int
    if nd3_fail:
        nd3 = CheckResult("ND3", False, margin=nd3_margin, detail="; ".join(nd3_fail[:5]))
    else:
        nd3 = CheckResult("ND3", True, margin=nd3_margin,
                          detail=f"{n_bd} boundary point(s); strictly positive facet multipliers in every chamber "
                          f"whose closure contains them" if n_bd else "no boundary point in E")
    # ND4
    Phi = relu_features(Xl, E.thetas())
    rank, sv = phi_rank(Phi, tol)
    if len(E) == 0:
        nd4 = CheckResult("ND4", True, detail="E is empty")
    else:
        ratio = float(sv[-1] / sv[0]) if len(E) <= Phi.shape[0] and sv[0] > 0 else 0.0
        holds = rank == len(E)
        nd4 = CheckResult("ND4", holds, margin=ratio, detail=f"rank(Phi_E) = {rank} of {len(E)} columns; "
                                                                  f"sigma_min / sigma_max = {ratio:.3g}")
    return NonDegeneracy(conditions=(nd1, nd2, nd3, nd4), facet_multipliers=tuple(records),
                         point_margin=tuple(point_margin))
