"""Hand-built certificate-analysis cases with known answers (shared by the tests)."""
from __future__ import annotations

import numpy as np

from relucert.arrangement import lift
from relucert.solution import relu_features

R2 = np.sqrt(2.0)


def _theta(c):
    return np.array([1.0, -c]) / np.hypot(1.0, c)


def symmetric_continuum(lam: float = 0.1):
    """d = 1, x = (-2, -1, -1/2, 0, 1/2, 1, 2) and the even dual vector
    p = (r2, 1.8 - 3 r2, 2 r2 - 1.6, -0.4, 2 r2 - 1.6, 1.8 - 3 r2, r2) (r2 = sqrt 2):
    X~^T p = 0, eta = 1 exactly at the six kinks +-theta_c, theta_c = (1, -c)/|(1, -c)|,
    c in {-1, 0, 1}, and |eta| < 1 elsewhere (eta >= 0). Every positive measure on these
    six points with the same predictions is optimal; relu(z) - relu(-z) = z and
    (x + 1) - 2x + (x - 1) = 0 give the continuum
    mu_t = mu + t [(d_{th-1} - d_{-th-1}) r_{-1} - 2 (d_{th0} - d_{-th0}) + (d_{th1} - d_{-th1}) r_1],
    r_c = |(1, -c)|: the same FUNCTION for every t.
    """
    X = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])[:, None]
    p = np.array([R2, 1.8 - 3 * R2, 2 * R2 - 1.6, -0.4, 2 * R2 - 1.6, 1.8 - 3 * R2, R2])
    T = np.array([_theta(-1.0), _theta(0.0), _theta(1.0)])
    theta = np.vstack([T, -T])
    amp = np.array([1.0, 0.5, 1.0, 1.0, 0.5, 1.0])
    y = relu_features(lift(X), theta) @ amp + lam * p
    objective = 0.5 * lam ** 2 * float(p @ p) + lam * float(np.sum(amp))
    null = np.array([R2, -2.0, R2, -R2, 2.0, -R2])  # a direction of the continuum (amplitudes)
    return X, y, lam, theta, amp, p, objective, null
