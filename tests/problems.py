"""A shared library of problems with a KNOWN optimum (CVXPY's StandardTestLPs style).

``by_construction`` builds (X, y, lam) from a chosen dual vector p and atoms that
satisfy the optimality conditions of DESIGN.md section 1 exactly (up to the float
evaluation of region maxima): scale p so that max |eta_p| = 1, put mass on the
maximisers with the matching sign, and set ``y = K mu* + lam p``. The optimal value
is then ``0.5 lam^2 ||p||^2 + lam ||mu*||_TV``, independent of any solver.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from relucert.arrangement import enumerate_chambers, lift, region_max
from relucert.solution import relu_features


@dataclass(frozen=True)
class KnownProblem:
    X: np.ndarray
    y: np.ndarray
    lam: float
    p: np.ndarray          # the (unique) dual solution
    theta: np.ndarray      # atoms of one optimal measure
    amplitude: np.ndarray
    objective: float       # the optimal value of (P_lam)


def certificate_extrema(X: np.ndarray, p: np.ndarray):
    """All region maxima of eta_p and -eta_p: list of (value, point, sign)."""
    arr = enumerate_chambers(X)
    Xl = arr.X_lift
    act = arr.active()
    out = []
    for k in range(arr.n_chambers):
        v = Xl[act[k]].T @ p[act[k]]
        G = arr.inward_normals(k)
        for sign in (1.0, -1.0):
            r = region_max(sign * v, G)
            if r.point is not None:
                out.append((r.value, r.point, sign))
    return out


def by_construction(n: int, d: int, lam: float, seed: int, *, amplitude_scale: float = 1.0) -> KnownProblem:
    """A random instance whose optimum is known (see the module docstring)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    p = rng.standard_normal(n)
    ext = certificate_extrema(X, p)
    top = max(e[0] for e in ext)
    p = p / top
    # The global maximiser(s) of |eta| are now extremal; keep the strict top one(s).
    best = [e for e in ext if e[0] >= top * (1 - 1e-12)]
    theta = np.array([e[1] for e in best])
    amplitude = np.array([e[2] for e in best]) * amplitude_scale * (1.0 + rng.uniform(size=len(best)))
    Xl = lift(X)
    y = relu_features(Xl, theta) @ amplitude + lam * p
    objective = 0.5 * lam ** 2 * float(p @ p) + lam * float(np.sum(np.abs(amplitude)))
    return KnownProblem(X=X, y=y, lam=lam, p=p, theta=theta, amplitude=amplitude, objective=objective)
