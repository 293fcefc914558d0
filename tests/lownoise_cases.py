"""Hand-built low-noise instances (d = 1) whose every quantity is known in closed form.

``two_interior_kinks``: x = (-3, -2, 2, 3), y0 = -relu(-x - 1/2) - relu(x - 1/2)
= (-5/2, -3/2, -3/2, -5/2). Unit atoms theta_1 = (-2, -1)/sqrt5, theta_2 = (2, -1)/sqrt5
(kinks at -1/2 and 1/2, strictly between the data points -2 and 2), amplitudes
-sqrt5/2 each. The four stationarity equations v_{A_j}(p) = -theta_j in four unknowns
give p_0 = (-4/sqrt5, sqrt5, sqrt5, -4/sqrt5): e.g. atom 2 (active x = 2, 3):
sqrt5 (2, 1) - 4/sqrt5 (3, 1) = (-2, 1)/sqrt5 = -theta_2. On the all-active chamber
v = sum p_i x~_i = (0, 2/sqrt5), so the largest local maximum of |eta| off the support
is 2/sqrt5. Gamma is invertible: ker Gamma = {0}, c_crit = infinity for every xi.

``kink_at_data_point``: x = (-3, -2, 1, 2, 3), y0 = -relu(x) - relu(x - 2)
= (0, 0, -1, -2, -4). theta_a = (1, 0) (interior: kink at 0 between -2 and 1), amplitude
-1; theta_b = (1, -2)/sqrt5 on the hyperplane of x = 2 (a kink AT a data point),
amplitude -sqrt5. The three equations (two for theta_a, one for theta_b along its
face) involve p_3, p_4, p_5 only: p_0 = (0, 0, 1 - sqrt5, 2 sqrt5 - 1, -sqrt5);
off-support maximum 1 - 1/sqrt5; facet multipliers of theta_b: 3 - sqrt5 (chamber with
x = 2 active: v + theta_b = (3 - sqrt5)/sqrt5 (2, 1)) and 7 (the other side).
ker Gamma = span(e_1, e_2), so c_crit(xi) is finite for a generic xi.
"""
from __future__ import annotations

import numpy as np

from relucert.arrangement import lift
from relucert.solution import relu_features

S5 = np.sqrt(5.0)


def two_interior_kinks():
    X = np.array([[-3.0], [-2.0], [2.0], [3.0]])
    theta = np.array([[-2.0, -1.0], [2.0, -1.0]]) / S5
    amp = np.array([-S5 / 2, -S5 / 2])
    y0 = relu_features(lift(X), theta) @ amp
    p0 = np.array([-4 / S5, S5, S5, -4 / S5])
    return X, y0, theta, amp, p0


def kink_at_data_point():
    X = np.array([[-3.0], [-2.0], [1.0], [2.0], [3.0]])
    theta = np.array([[1.0, 0.0], [1.0 / S5, -2.0 / S5]])
    amp = np.array([-1.0, -S5])
    y0 = relu_features(lift(X), theta) @ amp
    p0 = np.array([0.0, 0.0, 1 - S5, 2 * S5 - 1, -S5])
    return X, y0, theta, amp, p0


def circle_eta(X: np.ndarray, p: np.ndarray, n_grid: int = 200001):
    """``eta_p`` on a uniform grid of the circle (an evaluation independent of the
    region projections): returns (angles, points, values)."""
    t = np.linspace(-np.pi, np.pi, n_grid)
    T = np.stack([np.cos(t), np.sin(t)], axis=1)
    return t, T, np.maximum(0.0, T @ lift(X).T) @ p


def grid_local_maxima(T: np.ndarray, values: np.ndarray, exclude: np.ndarray, radius: float) -> float:
    """The largest local maximum of ``|values|`` along the (periodic) grid whose point
    is farther than ``radius`` from every row of ``exclude``."""
    a = np.abs(values)
    peak = (a >= np.roll(a, 1)) & (a >= np.roll(a, -1))
    far = np.min(np.linalg.norm(T[:, None, :] - exclude[None], axis=2), axis=1) > radius
    return float(np.max(a[peak & far], initial=0.0))
