"""The exchange's atom set: the starting atoms of (P_0), the merge of the finite
program's answer, and the update of the set between rounds (proofs/exchange_method.md).

The set only grows by the merged atoms of the current answer and the oracle's
violators, de-duplicated; zero-weight atoms are dropped only when the set outgrows
a cap (``EXCHANGE_ATOM_CAP``), so the next finite program can always represent the
current solution and its objective cannot increase.
"""
from __future__ import annotations

import numpy as np

from relucert.lp.tv.merge import merge_atoms
from relucert.lp.tv.oracle_api import OracleScan
from relucert.tolerances import EXCHANGE_ATOM_CAP, Tolerances

__all__ = ["interpolating_atoms", "dedupe_add", "merge_answer", "update_atom_set", "add_violators", "FeatureColumns"]


def interpolating_atoms(X: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Unit atoms whose ReLU features span every function on the distinct points of ``X``.

    Kinks at the data along a generic direction ``w``, a linear and a constant feature:
    the starting set of the (P_0) exchange (its LP is feasible).

    Parameters
    ----------
    X : ndarray, shape (n, d)
        Data points (rows).
    seed : int
        Seed of the direction ``w``.

    Returns
    -------
    ndarray, shape (k, d + 1)
        Unit atoms.
    """
    n, d = X.shape
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(d)
    w /= np.linalg.norm(w)
    t = np.unique(X @ w)
    rows = [np.r_[w, -tk] for tk in t[:-1]]
    rows.append(np.r_[w, 1.0 - t[0]])
    rows.append(np.r_[np.zeros(d), 1.0])
    T = np.asarray(rows, float)
    return T / np.linalg.norm(T, axis=1, keepdims=True)


def dedupe_add(theta_set, sign_set, new_theta, new_sign, tol: Tolerances, radius: float | None = None):
    """Append atoms, skipping those close to one of the same sign.

    Neighbours come from k-d trees (O(K log K), not a K x new distance matrix).

    Parameters
    ----------
    theta_set : ndarray, shape (K, D)
        The current atom set: unit directions (rows).
    sign_set : ndarray, shape (K,)
        Sign (+1 or -1) of each atom of the set.
    new_theta : ndarray, shape (k, D)
        Unit atoms to add.
    new_sign : ndarray, shape (k,)
        Their signs (+1 or -1).
    tol : Tolerances
        ``tol.merge_angle`` is the default ``radius``.
    radius : float, optional
        Euclidean distance of unit vectors within which an atom counts as a duplicate of
        one already in the set or earlier among the new ones (default ``tol.merge_angle``).

    Returns
    -------
    (ndarray, ndarray)
        The set with the new atoms that were kept appended.
    """
    from scipy.spatial import cKDTree

    if new_theta.shape[0] == 0:
        return theta_set, sign_set
    r = tol.merge_angle if radius is None else radius
    keep = np.ones(new_theta.shape[0], dtype=bool)
    for s in np.unique(new_sign):
        sel = np.flatnonzero(new_sign == s)
        old = theta_set[sign_set == s]
        if old.shape[0]:
            dist, _ = cKDTree(old).query(new_theta[sel], k=1, distance_upper_bound=np.nextafter(r, np.inf))
            keep[sel[dist <= r]] = False
        # duplicates among the new ones: greedy, the first of a close group is kept
        pairs = sorted((int(sel[j]), int(sel[i])) for i, j in cKDTree(new_theta[sel]).query_pairs(r))
        for later, earlier in pairs:  # by the later index: an earlier atom's fate is settled first
            if keep[earlier] and np.linalg.norm(new_theta[later] - new_theta[earlier]) <= r:
                keep[later] = False
    chosen = np.flatnonzero(keep)
    return (np.vstack([theta_set, new_theta[chosen]]), np.concatenate([sign_set, new_sign[chosen]]))


def merge_answer(Xl: np.ndarray, theta_set: np.ndarray, sign_set: np.ndarray, c: np.ndarray, Phi: np.ndarray,
                 lam: float, tol: Tolerances, tol_qp: Tolerances):
    """The finite program's answer as a network with one atom per (region, sign).

    Merging is exact only for atoms in one closed region; two atoms within
    ``tol.sign_zero`` of a hyperplane on opposite sides merge with an error that ``1/lam``
    amplifies in ``p``. For lam > 0 the QP's own atoms are kept when the merge moves
    ``eta`` by more than ``tol_qp.dual_feas`` (``||dp|| ||X~||_F`` bounds the change of
    every region maximum).

    Parameters
    ----------
    Xl : ndarray, shape (n, D)
        Lifted data points (rows).
    theta_set : ndarray, shape (K, D)
        The current atom set: unit directions (rows).
    sign_set : ndarray, shape (K,)
        Sign (+1 or -1) of each atom of the set.
    c : ndarray, shape (K,)
        The finite program's weights (``>= 0``).
    Phi : ndarray, shape (n, K)
        The signed columns the weights belong to.
    lam : float
        Regularisation weight.
    tol, tol_qp : Tolerances
        The run's tolerances and those the finite QP was asked for.

    Returns
    -------
    (theta, amplitude, predictions, note)
        ``note`` is "merge skipped (inexact)" when the QP's atoms were kept, else None.
    """
    theta_m, amp_m = merge_atoms(Xl, theta_set, sign_set * c, tol)
    pred = np.maximum(0.0, Xl @ theta_m.T) @ amp_m if theta_m.shape[0] else np.zeros(Xl.shape[0])
    if lam > 0 and theta_m.shape[0]:
        pred_qp = Phi @ c
        if float(np.linalg.norm(pred - pred_qp)) * float(np.linalg.norm(Xl)) > lam * tol_qp.dual_feas:
            used = c > 0
            return theta_set[used], sign_set[used] * c[used], pred_qp, "merge skipped (inexact)"
    return theta_m, amp_m, pred, None


def update_atom_set(theta_set: np.ndarray, sign_set: np.ndarray, c: np.ndarray, c_prev: np.ndarray | None,
                    theta_m: np.ndarray, amp_m: np.ndarray, scan: OracleScan, p: np.ndarray, limit: int,
                    tol: Tolerances, xl_max: float, kept=None):
    """The next round's atom set.

    The current set (so the next objective cannot increase), plus the merged atoms and
    the violators, largest first (at most ``limit``). Zero-weight atoms are dropped only
    when the set outgrows ``max(EXCHANGE_ATOM_CAP, 4 limit)``. Two violators count as one
    only when ``eta_p`` cannot tell them apart at the violation threshold:
    ``|eta(a) - eta(b)| <= ||p||_1 max||x~_i|| ||a - b||`` (a large ``p``, i.e. lam tiny
    against ``|y| |X~|``, makes atoms ``tol.merge_angle`` apart differ by far more than ``tol.dual_feas``).

    Parameters
    ----------
    theta_set : ndarray, shape (K, D)
        The current atom set: unit directions (rows).
    sign_set : ndarray, shape (K,)
        Sign (+1 or -1) of each atom of the set.
    c : ndarray, shape (K,)
        This round's weights.
    c_prev : ndarray or None
        The weights kept as the next QP's warm start (aligned with ``theta_set``).
    theta_m, amp_m : ndarray
        The merged network.
    scan : OracleScan
        This round's scan (the violators).
    p : ndarray, shape (n,)
        The dual vector scanned.
    limit : int
        Violators added per round.
    tol : Tolerances
        The run's tolerances.
    xl_max : float
        ``max_i ||x~_i||``.
    kept : KeptFactors, optional
        The finite QP's kept factors (:mod:`relucert.lp.qr_factors`), renumbered when
        zero-weight atoms are dropped (the atoms kept stay in order; new ones are appended).

    Returns
    -------
    (theta_set, sign_set, c_prev, added)
        ``added``: whether a violator was new (no new atom: the finite programs cannot
        improve further).
    """
    if theta_set.shape[0] > max(EXCHANGE_ATOM_CAP, 4 * limit):
        used = c > 0
        theta_set, sign_set = theta_set[used], sign_set[used]
        c_prev = None if c_prev is None else c_prev[used]
        if kept is not None:
            kept.renumber(used)
    theta_set, sign_set = dedupe_add(theta_set, sign_set, theta_m, np.sign(amp_m), tol)
    theta_set, sign_set, added = add_violators(theta_set, sign_set, scan, p, limit, tol, xl_max)
    return theta_set, sign_set, c_prev, added


def add_violators(theta_set: np.ndarray, sign_set: np.ndarray, scan: OracleScan, p: np.ndarray, limit: int,
                  tol: Tolerances, xl_max: float):
    """``scan``'s violators, largest first (at most ``limit``), appended to the atom set where
    new: ``(theta_set, sign_set, added)``. Two count as one only when ``eta_p`` cannot tell
    them apart at the violation threshold (:func:`update_atom_set`)."""
    order = np.argsort(-scan.value)[:limit]
    size_before = theta_set.shape[0]
    radius = min(tol.merge_angle, tol.dual_feas / max(float(np.sum(np.abs(p))) * xl_max, tol.dual_feas))
    theta_set, sign_set = dedupe_add(theta_set, sign_set, scan.point[order], scan.sign[order].astype(float), tol,
                                     radius=radius)
    return theta_set, sign_set, theta_set.shape[0] > size_before


class FeatureColumns:
    """The signed ReLU feature columns ``Phi = max(0, X~ theta^T) * sign`` of the exchange's atom
    set, round after round: when the set only grew (its first atoms and signs are those of the
    last call, bit for bit) only the new columns are computed, by the formula of a full build
    (a column's entries can differ from a full build's only in the last bit, where BLAS orders
    the ``D`` products of a dot product differently). Any other set is built in full.

    Parameters
    ----------
    Xl : ndarray, shape (n, D)
        Lifted data points (rows).
    """

    def __init__(self, Xl: np.ndarray):
        self.Xl = Xl
        self.theta, self.sign, self.Phi = None, None, None

    def __call__(self, theta_set: np.ndarray, sign_set: np.ndarray) -> np.ndarray:
        """``Phi`` of the atoms ``theta_set`` (K, D) with signs ``sign_set`` (K,): (n, K)."""
        m = 0 if self.theta is None else self.theta.shape[0]
        if (m and theta_set.shape[0] >= m and np.array_equal(theta_set[:m], self.theta)
                and np.array_equal(sign_set[:m], self.sign)):
            new = np.maximum(0.0, self.Xl @ theta_set[m:].T) * sign_set[None, m:]
            Phi = np.hstack([self.Phi, new])
        else:
            Phi = np.maximum(0.0, self.Xl @ theta_set.T) * sign_set[None, :]
        self.theta, self.sign, self.Phi = theta_set.copy(), sign_set.copy(), Phi
        return Phi
