"""The merge lemma (proofs/merge_lemma.md).

Atoms of one sign lying in one closed dual region merge into a single atom at their
normalised weighted sum: the features are linear on a closed region, so the
predictions do not change, and ``||sum_j c_j theta_j|| <= sum_j c_j`` (the TV norm does
not grow).

Two points lie in a common closed region exactly when their sign vectors (with
zeros on the hyperplanes) never disagree strictly: then the open segment between
them lies in one face whose closure contains both, and every chamber around that face
contains both. The merged point (a positive combination) has the sign vector
``sigma(a) v sigma(b)`` (the nonzero one wherever one is zero).
"""
from __future__ import annotations

import numpy as np

from relucert.tolerances import Tolerances, resolve

__all__ = ["sign_vectors", "merge_atoms"]


def sign_vectors(X_lift: np.ndarray, theta: np.ndarray, tol: Tolerances | None = None) -> np.ndarray:
    """(k, n) int8 signs of ``<theta_k, x~_i>``, 0 within ``sign_zero * ||x~_i||``.

    Parameters
    ----------
    X_lift : np.ndarray, shape (n, D)
        Lifted data points ``x~_i`` (rows).
    theta : array_like, shape (k, D)
        Atom directions (rows).
    tol : Tolerances, optional
        ``tol.sign_zero`` is the relative width of the zero band; defaults when ``None``.

    Returns
    -------
    np.ndarray of int8, shape (k, n)
        Sign of ``<theta_k, x~_i>``: 0 within ``sign_zero * ||x~_i|| * ||theta_k||``.

    Examples
    --------
    >>> sign_vectors(np.array([[1.0, 1.0], [-1.0, 1.0]]), np.array([[1.0, 0.0]])).tolist()
    [[1, -1]]
    """
    tol = resolve(tol)
    S = np.asarray(theta, float) @ X_lift.T
    zero = tol.sign_zero * np.linalg.norm(X_lift, axis=1) * np.linalg.norm(theta, axis=1)[:, None]
    out = np.sign(S).astype(np.int8)
    out[np.abs(S) <= zero] = 0
    return out


def merge_atoms(X_lift: np.ndarray, theta: np.ndarray, amplitude: np.ndarray,
                tol: Tolerances | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Merge atoms of equal sign that share a closed dual region; drop zero amplitudes.

    The network's predictions at the data are unchanged and its TV norm does not
    increase.

    Parameters
    ----------
    X_lift : np.ndarray, shape (n, D)
        Lifted data points (rows).
    theta : array_like, shape (k, D)
        Atom directions (rows).
    amplitude : array_like, shape (k,)
        Signed atom weights.
    tol : Tolerances, optional
        ``tol.sign_zero`` (sign vectors) and ``tol.amplitude_zero`` (relative to the
        largest ``|amplitude|``, which atoms are dropped); defaults when ``None``.

    Returns
    -------
    theta : np.ndarray, shape (m, D)
        Merged atoms, unit rows, ``m <= k``.
    amplitude : np.ndarray, shape (m,)
        Their signed weights.

    Examples
    --------
    Two positive atoms in the same chamber of the single point ``x = 1``:

    >>> Xl = np.array([[1.0, 1.0]])
    >>> th = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> t, a = merge_atoms(Xl, th, np.array([1.0, 1.0]))
    >>> t.round(6).tolist(), round(float(a[0]), 6)
    ([[0.707107, 0.707107]], 1.414214)
    """
    tol = resolve(tol)
    theta = np.asarray(theta, float)
    amplitude = np.asarray(amplitude, float)
    D = X_lift.shape[1]
    if amplitude.size == 0:
        return np.zeros((0, D)), np.zeros(0)
    scale = max(1.0, float(np.max(np.abs(amplitude))))
    keep = np.abs(amplitude) > tol.amplitude_zero * scale
    theta, amplitude = theta[keep], amplitude[keep]
    out_t, out_a = [], []
    for s in (1.0, -1.0):
        sel = np.sign(amplitude) == s
        if not np.any(sel):
            continue
        U = np.abs(amplitude[sel])[:, None] * theta[sel]          # u_j = c_j theta_j
        sig = sign_vectors(X_lift, theta[sel], tol).astype(np.int16)
        alive = np.ones(U.shape[0], dtype=bool)
        # Merge into atom i every later atom compatible with it; i's sign vector only
        # gains nonzeros, so an atom incompatible with i stays incompatible, and at the
        # end no compatible pair is left.
        for i in range(U.shape[0]):
            if not alive[i]:
                continue
            while True:
                later = np.flatnonzero(alive[i + 1:]) + i + 1
                if later.size == 0:
                    break
                compatible = ~np.any(sig[later] * sig[i] < 0, axis=1)
                if not np.any(compatible):
                    break
                j = later[np.argmax(compatible)]
                U[i] = U[i] + U[j]
                sig[i] = np.where(sig[i] != 0, sig[i], sig[j])
                alive[j] = False
        U = list(U[alive])
        for u in U:
            r = float(np.linalg.norm(u))
            if r > tol.amplitude_zero * scale:
                out_t.append(u / r)
                out_a.append(s * r)
    return np.asarray(out_t, float).reshape(-1, D), np.asarray(out_a, float)
