"""Independent checks for the finite-lasso tests, in exact rational arithmetic (Fractions
only; nothing from relucert.lp)."""
from __future__ import annotations

from fractions import Fraction

import numpy as np

_F = np.vectorize(Fraction, otypes=[object])


def exact_stationary(A, y, lam):
    """``z`` with ``A^T (A z - y) + lam 1 = 0`` in rationals (Gauss-Jordan on the normal equations)."""
    Af = _F(A)
    M = [list(row) for row in Af.T.dot(Af)]
    r = list(Af.T.dot(_F(y)) - Fraction(lam))
    k = len(r)
    for c in range(k):
        piv = next(i for i in range(c, k) if M[i][c] != 0)
        M[c], M[piv], r[c], r[piv] = M[piv], M[c], r[piv], r[c]
        for i in range(k):
            if i != c and M[i][c] != 0:
                f = M[i][c] / M[c][c]
                M[i] = [a - f * b for a, b in zip(M[i], M[c])]
                r[i] -= f * r[c]
    return np.array([float(r[i] / M[i][i]) for i in range(k)])


def exact_kkt(Phi, y, lam, c):
    """Dual violation ``max Phi^T p - 1`` and complementarity ``max_{c_j > 0} |phi_j^T p - 1|``
    of the float weights ``c`` (``p = (y - Phi c) / lam``), in rationals."""
    P = _F(Phi)
    g = P.T.dot(_F(y) - P.dot(_F(c))) / Fraction(lam)
    supp = np.flatnonzero(c > 0)
    return float(max(g) - 1), float(max((abs(g[j] - 1) for j in supp), default=0))
