"""Issue 16, session 9: polishing on support patterns whose Newton system is singular
(lp/tv/polish.py, proofs/exchange_method.md, "Singular Newton systems").

Near the optimum, atoms of one sign often sit in pairs on the same great circle (the
hyperplane of one data point), on antipodal arcs: their face blocks span linear functions
twice over, so the pattern's matrix ``M`` is rank deficient and the Newton matrix
``M^T M / lam + H`` singular. The least-squares step kept its rounding-noise eigenvalues and
every polishing try at n = 1000 failed; the truncated step solves these patterns. Each
polished candidate is judged by the complete scan of every chamber (the exact oracle), not
by the Newton residual."""
import numpy as np
import pytest
import sympy

import relucert
from relucert.examples import battery
from relucert.lp.tv import polish_policy
from relucert.lp.tv.candidate import evaluate_candidate
from relucert.lp.tv.merge import merge_atoms
from relucert.lp.tv.polish import _truncated_step, polish_pruned
from relucert.tolerances import DEFAULT


def _pattern_matrix(Xl, theta, amplitude):
    """``M`` of the pattern, built here from the signs and SVD null spaces (not polish's code)."""
    S = theta @ Xl.T
    zero = np.abs(S) <= DEFAULT.sign_zero * np.linalg.norm(Xl, axis=1)[None, :]
    blocks = []
    for j in range(theta.shape[0]):
        Z = Xl[zero[j]]
        if Z.shape[0]:
            _, s, Vt = np.linalg.svd(Z)
            B = Vt[int(np.sum(s > DEFAULT.rank * max(1.0, s[0]))):].T
        else:
            B = np.eye(Xl.shape[1])
        Mj = np.zeros((Xl.shape[0], B.shape[1]))
        pos = (S[j] > 0) & ~zero[j]
        Mj[pos] = np.sign(amplitude[j]) * (Xl[pos] @ B)
        blocks.append(Mj)
    return np.hstack(blocks)


def test_truncated_step_is_the_minimum_norm_solution_of_a_singular_system():
    """A = C^T C with an integer C of rank 3 (5 columns): the step solves A x = r and has no
    component in the exact null space of C (sympy, rationals)."""
    C = np.array([[1, 2, 3, 3, 0], [0, 1, 1, 1, 2], [2, 0, 2, 2, -4], [1, 1, 2, 2, -1]], float)
    C[:, 3] = C[:, 0] + C[:, 1]    # two exact dependencies: col 3 = col 0 + col 1 = col 2
    A = C.T @ C
    null = np.array(sympy.Matrix(C.astype(int)).nullspace(), dtype=float).reshape(-1, 5)
    assert np.linalg.matrix_rank(C) == 3 and null.shape[0] == 2
    r = A @ np.array([1.0, -2.0, 0.5, 3.0, 1.0])
    x = _truncated_step(A, r)
    assert np.linalg.norm(A @ x - r) <= 1e-12 * np.linalg.norm(r)
    assert np.max(np.abs(null @ x)) <= 1e-12 * np.linalg.norm(x)


def test_singular_patterns_polish_to_a_certified_optimum(monkeypatch):
    """Every polishing try of the run is replayed: those on a rank-deficient pattern must
    include one that polishes to a candidate certified by the complete scan, with a gap at
    rounding level (the exchange's own rounds stop near tol.obj_gap). Before the truncated
    step, every try of this run failed (checked by running this test on the previous code)."""
    tries = []
    original = polish_policy.PolishPolicy.run

    def spy(self, theta, amplitude, p, entry):
        tries.append((self, theta.copy(), amplitude.copy(), p.copy()))
        return original(self, theta, amplitude, p, entry)

    monkeypatch.setattr(polish_policy.PolishPolicy, "run", spy)
    X, y = battery("uniform-noise", 100, 2, 0)
    lam = 0.01
    sol = relucert.solve(X, y, lam, progress=False)
    assert sol.status.value == "optimal"
    singular = 0
    best_gap = np.inf
    for policy, theta, amplitude, p in tries:
        Xl = policy.oracle.X_lift
        M = _pattern_matrix(Xl, theta, amplitude)
        if np.linalg.matrix_rank(M) == M.shape[1]:
            continue
        singular += 1
        out = polish_pruned(Xl, policy.y, policy.lam, theta, amplitude, p)
        if out is None:
            continue
        th, a = merge_atoms(Xl, out[0], out[1])
        cand = evaluate_candidate(policy.oracle, policy.y, policy.lam, th, a, exact=True)
        assert cand.scan.complete
        if cand.certified:
            best_gap = min(best_gap, cand.rel_gap())
    assert singular >= 1
    assert best_gap <= 1e-11
    # the run's own answer agrees with the best polished one to the certified gaps
    assert sol.info["relative_gap"] <= DEFAULT.obj_gap
