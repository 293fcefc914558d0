"""Witnesses of non-uniqueness: two distinct optimal networks, re-checked
(DESIGN.md section 5).

A witness is two vertices of the solution polytope Q
(:mod:`relucert.verify.solution_polytope`). It counts only after its re-check: the
same predictions, the same objective as the optimum, amplitudes that differ, and mass
moved only between points of E that are extremal to ``tol.witness_deficit`` (along Q
the objective changes by exactly ``lam * sum_theta deficit(theta) |c_theta|``,
Statement 4 of proofs/mass_outside_E.md). A function witness also needs a point ``x``
where the two networks differ.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from relucert._model import lift, primal_value, relu_features
from relucert.results import jsonable

__all__ = ["WitnessKind", "Witness", "extremal_deficits", "make_witness", "separating_point"]


class WitnessKind(StrEnum):
    """What a witness shows is not unique: the optimal measure, or the learned function."""

    MEASURE = "measure"
    FUNCTION = "function"


@dataclass(frozen=True, eq=False)
class Witness:
    """Two distinct optimal networks on the atoms ``theta``: amplitudes ``c1`` and ``c2``.

    Re-checked: ``max_prediction_diff`` (same predictions), ``objective1/2`` (same
    objective as ``reference_objective``), ``max_amplitude_diff`` (different measures);
    for a function witness, ``x`` with ``f1(x) != f2(x)``.
    """

    kind: WitnessKind
    theta: np.ndarray
    c1: np.ndarray
    c2: np.ndarray
    objective1: float
    objective2: float
    reference_objective: float
    max_prediction_diff: float
    max_amplitude_diff: float
    checked: bool
    reason: str = ""
    x: np.ndarray | None = None
    f1: float | None = None
    f2: float | None = None

    def networks(self):
        """The two networks as (theta, amplitude) pairs, zero amplitudes dropped."""
        out = []
        for c in (self.c1, self.c2):
            keep = c != 0
            out.append((self.theta[keep], c[keep]))
        return out

    def to_dict(self) -> dict:
        nets = []
        for th, c in self.networks():
            nets.append([{"theta": t, "amplitude": a} for t, a in zip(th, c)])
        return jsonable({"kind": self.kind, "checked": self.checked, "reason": self.reason,
                         "network1": nets[0], "network2": nets[1],
                         "objective1": self.objective1, "objective2": self.objective2,
                         "reference_objective": self.reference_objective,
                         "max_prediction_diff": self.max_prediction_diff,
                         "max_amplitude_diff": self.max_amplitude_diff,
                         "x": self.x, "f1": self.f1, "f2": self.f2})


def extremal_deficits(Phi, y, lam, signs, c0):
    """``1 - s eta_p(theta)`` at E's points for ``p = (y - Phi c0) / lam``, and the scale
    ``max(1, sum_i |p_i phi_i(theta)|)`` of each value's rounding.

    Parameters
    ----------
    Phi : array (n, k)
    y : array (n,)
    lam : float
    signs : array of int (k,)
    c0 : array (k,)

    Returns
    -------
    deficits, scale : array (k,)
    """
    p = (y - Phi @ c0) / lam
    eta = Phi.T @ p
    return 1.0 - signs * eta, np.maximum(1.0, np.abs(Phi).T @ np.abs(p))


def make_witness(kind, theta, Phi, y, lam, c1, c2, reference, slack, width_tol, pred_tol, deficit_limit,
                 deficits) -> Witness:
    """Two points ``c1``, ``c2`` of Q as a :class:`Witness`, re-checked (module docstring).

    Parameters
    ----------
    kind : WitnessKind
    theta : array (k, d + 1)
        The points of E.
    Phi : array (n, k)
        ``Phi_E``.
    y : array (n,)
    lam : float
    c1, c2 : array (k,)
        The two amplitude vectors.
    reference : float
        The optimal objective.
    slack : float
        How far above ``reference`` an objective may be (from the duality gap).
    width_tol : float
        Amplitude differences at or below it do not count.
    pred_tol : float
        Largest admitted difference of the predictions.
    deficit_limit : array (k,)
        Largest admitted ``1 - s eta`` at a point that receives mass.
    deficits : array (k,)
        ``1 - s eta`` at E's points (:func:`extremal_deficits`).

    Returns
    -------
    Witness
        ``checked`` is False, with the reasons, when a re-check fails.
    """
    o1 = primal_value(Phi, y, lam, c1)
    o2 = primal_value(Phi, y, lam, c2)
    pred = float(np.max(np.abs(Phi @ (c1 - c2)), initial=0.0))
    amp = float(np.max(np.abs(c1 - c2), initial=0.0))
    problems = []
    moved = np.abs(c1 - c2) > width_tol
    shallow = np.flatnonzero(moved & (deficits > deficit_limit))
    if shallow.size:
        j = int(shallow[np.argmax(deficits[shallow])])
        problems.append(f"the witness moves mass onto point {j} of E, where the certificate is only "
                        f"1 - {deficits[j]:.3g} (> witness_deficit): the objective along Q changes by "
                        f"lam * deficit * |c| there, so that point may not be extremal")
    if pred > pred_tol:
        problems.append(f"predictions differ by {pred:.3g} (> {pred_tol:.3g})")
    for name, o in (("first", o1), ("second", o2)):
        if o - reference > slack:
            problems.append(f"the {name} network's objective exceeds the optimum by {o - reference:.3g} "
                            f"(> {slack:.3g}): E may hold a point where |eta| is not exactly 1")
    if amp <= width_tol:
        problems.append(f"the two measures differ by only {amp:.3g}")
    return Witness(kind=kind, theta=theta, c1=c1, c2=c2, objective1=o1, objective2=o2,
                   reference_objective=reference, max_prediction_diff=pred, max_amplitude_diff=amp,
                   checked=not problems, reason="; ".join(problems))


def separating_point(X, theta, c1, c2, width_tol):
    """A point x where the two networks differ most among deterministic candidates.

    Parameters
    ----------
    X : array (n, d)
    theta : array (k, d + 1)
    c1, c2 : array (k,)
    width_tol : float

    Returns
    -------
    x : array (d,)
    f1, f2 : float
        The two networks at ``x``.
    differs : bool
        Whether they differ by more than ``width_tol`` (relative to ``1 + ||x||``).
    """
    X = np.asarray(X, dtype=np.float64)
    d = X.shape[1]
    center = X.mean(axis=0)
    spread = max(1.0, float(np.max(np.abs(X - center))))
    rng = np.random.default_rng(0)
    cands = [center + spread * 3.0 * rng.uniform(-1.0, 1.0, size=(4000, d))]
    for t in theta:
        w, b = t[:-1], t[-1]
        nw = float(np.linalg.norm(w))
        if nw > 0:
            foot = center - (w @ center + b) / nw ** 2 * w  # the kink hyperplane's point nearest the centre
            cands.append(foot + spread * rng.uniform(-1.0, 1.0, size=(200, d)))
    P = np.vstack(cands)
    F = relu_features(lift(P), theta)
    diff = np.abs(F @ (c1 - c2)) / (1.0 + np.linalg.norm(P, axis=1))
    best = int(np.argmax(diff))
    return P[best], float(F[best] @ c1), float(F[best] @ c2), bool(diff[best] > width_tol)

