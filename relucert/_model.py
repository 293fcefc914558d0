"""The formulas of DESIGN.md section 1, written once.

Every other module imports these instead of re-deriving them:

- :func:`lift`: the lifted data ``x~_i = (x_i, 1)``;
- :func:`relu_features`: ``Phi[i, k] = relu(<theta_k, x~_i>)``;
- :func:`eta`: the dual certificate ``eta_p(theta) = sum_i p_i relu(<x~_i, theta>)``;
- :func:`primal_value`: ``0.5 ||Phi c - y||^2 + lam ||c||_1`` (``||c||_1`` for (P_0));
- :func:`dual_value`: ``D(p) = lam <p, y> - lam^2/2 ||p||^2`` (``<p, y>`` for (P_0)), and
  :func:`scaled_dual_value`, ``D(p / max(1, max |eta_p|))``, the value of the feasible
  rescaling of ``p`` (proofs/exchange_method.md, "Acceptance on the certified gap").

>>> import numpy as np
>>> Xl = lift(np.array([[0.0], [2.0]]))
>>> Xl.tolist()
[[0.0, 1.0], [2.0, 1.0]]
>>> relu_features(Xl, np.array([[1.0, -1.0]])).ravel().tolist()
[0.0, 1.0]
>>> float(eta(Xl, np.array([1.0, 2.0]), np.array([1.0, -1.0])))
2.0
>>> primal_value(np.eye(2), np.array([1.0, 0.0]), 0.5, np.array([1.0, 0.0]))
0.5
>>> dual_value(np.array([1.0, 0.0]), np.array([1.0, 0.0]), 0.5)
0.375
"""
from __future__ import annotations

import numpy as np


def lift(X: np.ndarray) -> np.ndarray:
    """The lifted data ``x~_i = (x_i, 1)``, shape (n, d + 1), float64."""
    X = np.asarray(X, dtype=np.float64)
    return np.hstack([X, np.ones((X.shape[0], 1))])


def relu_features(X_lift: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``Phi[i, k] = max(0, <theta_k, x~_i>)``, shape (n, k) for theta of shape (k, D)."""
    return np.maximum(0.0, np.asarray(X_lift) @ np.asarray(theta).T)


def eta(X_lift: np.ndarray, p: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``eta_p(theta) = sum_i p_i relu(<x~_i, theta>)``: shape (k,) for theta (k, D), a
    0-d array for theta (D,)."""
    return relu_features(X_lift, theta).T @ np.asarray(p, dtype=np.float64)


def primal_value(Phi: np.ndarray, y: np.ndarray, lam: float, c: np.ndarray) -> float:
    """``0.5 ||Phi c - y||^2 + lam ||c||_1`` for ``lam > 0``; the TV norm ``||c||_1`` for
    (P_0) (``lam == 0``, where ``Phi c = y`` is a constraint)."""
    c = np.asarray(c, dtype=np.float64)
    if lam > 0:
        r = np.asarray(Phi) @ c - np.asarray(y)
        return float(0.5 * (r @ r) + lam * np.sum(np.abs(c)))
    return float(np.sum(np.abs(c)))


def dual_value(p: np.ndarray, y: np.ndarray, lam: float) -> float:
    """``D(p) = lam <p, y> - lam^2/2 ||p||^2`` for ``lam > 0``, ``<p, y>`` for (P_0): a lower
    bound on the optimum whenever ``max |eta_p| <= 1`` (weak duality)."""
    p = np.asarray(p, dtype=np.float64)
    if lam > 0:
        return float(lam * (p @ y) - 0.5 * lam * lam * (p @ p))
    return float(p @ y)


def scaled_dual_value(p: np.ndarray, y: np.ndarray, lam: float, max_eta: float) -> float:
    """``D(q)`` at the feasible rescaling ``q = p / max(1, max |eta_p|)``: a certified lower
    bound on the optimum for any ``p`` once ``max_eta`` bounds ``max |eta_p|`` from above."""
    return dual_value(np.asarray(p, dtype=np.float64) / max(1.0, float(max_eta)), y, lam)
