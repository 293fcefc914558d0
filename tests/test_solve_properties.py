"""Seeded properties of relucert.solve (hypothesis, few examples to stay fast)."""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402

from relucert.solver import solve  # noqa: E402


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 7), d=st.integers(1, 2),
       lam=st.sampled_from([0.0, 0.003, 0.1, 1.0, 10.0]))
def test_solution_properties(seed, n, d, lam):
    rng = np.random.default_rng(seed)
    X = np.round(rng.standard_normal((n, d)), 1)   # coarse grid: repeated points and ties happen
    y = np.round(rng.standard_normal(n), 1)
    if lam == 0:
        # keep (P_0) feasible: equal x carry equal y
        _, inv = np.unique(X, axis=0, return_inverse=True)
        y = y[np.unique(inv.reshape(-1), return_index=True)[1]][inv.reshape(-1)]
    sol = solve(X, y, lam)
    assert sol.success
    assert sol.duality_gap <= 1e-9 * max(1.0, abs(sol.objective))
    assert sol.max_abs_certificate <= 1 + 1e-9
    assert sol.n_atoms <= 2 * sol.n_chambers
    Xl = np.hstack([X, np.ones((n, 1))])
    pred = np.maximum(0, Xl @ sol.theta.T) @ sol.amplitude
    assert np.allclose(pred, sol.predictions, atol=1e-12)
    assert np.allclose(np.linalg.norm(sol.theta, axis=1), 1.0)
    assert sol.tv_norm == pytest.approx(np.abs(sol.amplitude).sum())
    if lam > 0:
        assert np.allclose(sol.dual, (y - pred) / lam)
        assert sol.objective == pytest.approx(0.5 * np.sum((pred - y) ** 2) + lam * sol.tv_norm)
    else:
        assert np.allclose(pred, y, atol=1e-9)
