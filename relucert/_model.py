"""The formulas of DESIGN.md section 1, written once.

Every other module imports these instead of re-deriving them:

- :func:`lift`: the lifted data ``x~_i = (x_i, 1)``;
- :func:`relu_features`: ``Phi[i, k] = relu(<theta_k, x~_i>)``;
- :func:`eta`: the dual certificate ``eta_p(theta) = sum_i p_i relu(<x~_i, theta>)``;
- :func:`primal_value`: ``0.5 ||Phi c - y||^2 + lam ||c||_1`` (``||c||_1`` for (P_0));
- :func:`dual_value`: ``D(p) = lam <p, y> - lam^2/2 ||p||^2`` (``<p, y>`` for (P_0)), and
  :func:`scaled_dual_value`, ``D(p / max(1, max |eta_p|))``, the value of the feasible
  rescaling of ``p`` (proofs/exchange_method.md, "Acceptance on the certified gap").
- :func:`problem_scales` and :func:`objective_unit`: the solver's internal units (powers of
  two) and the unit of objective values in which its acceptance rule is relative.

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


def power_of_two(value: float) -> float:
    """The power of two ``2**e`` with ``value / 2**e`` in [0.5, 1) (1.0 for 0)."""
    if not value > 0:
        return 1.0
    return float(np.ldexp(1.0, int(np.frexp(value)[1])))


def problem_scales(X_lift: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """``(s_x, c_y)``: powers of two near ``max_i ||x~_i||`` and ``max_i |y_i|``.

    The solver works on the lift ``x~ / s_x``, the labels ``y / c_y`` and
    ``lam / (c_y s_x)``; the map back (amplitudes ``* c_y / s_x``, dual ``/ s_x``,
    predictions ``* c_y``, objective and gap ``* c_y^2``, or ``* c_y / s_x`` for (P_0)) is
    exact, and exact in floating point too (powers of two). proofs/natural_units.md."""
    s_x = power_of_two(float(np.max(np.linalg.norm(X_lift, axis=1), initial=0.0)))
    c_y = power_of_two(float(np.max(np.abs(y), initial=0.0)))
    return s_x, c_y


def objective_unit(X_lift: np.ndarray, y: np.ndarray, lam: float) -> float:
    """The unit of objective values in the solver's internal scaling: ``c_y^2`` (``lam > 0``)
    or ``c_y / s_x`` ((P_0)), with ``(s_x, c_y)`` of :func:`problem_scales`. The acceptance
    rule ``gap <= tol.obj_gap * max(1, |P|)`` in internal units reads
    ``gap <= tol.obj_gap * max(objective_unit, |P|)`` in the user's units, so the solver and
    any re-check apply the same rule (proofs/natural_units.md).

    >>> objective_unit(np.array([[3.0, 1.0]]), np.array([0.75]), 0.1)
    1.0
    >>> objective_unit(np.array([[3.0, 1.0]]), np.array([1.5]), 0.1)
    4.0
    """
    s_x, c_y = problem_scales(X_lift, y)
    return c_y * c_y if lam > 0 else c_y / s_x
