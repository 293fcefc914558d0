"""Issue 16, session 11: after a null-space swap the active set swaps in its pricing's other
dependent violators without a new pricing (lp/active_set.py, ``_swap_rest``). Only the path
changes: the answer is checked against the optimality conditions in exact rationals, against
an interior-point solve (clarabel, a different algorithm) and against the one-column-at-a-time
path. (A cosine filter on the pricing's batch was tried and dropped: benchmarks/RESULTS.md.)"""
import numpy as np
import pytest

import relucert.lp.active_set as active_set
from relucert.lp.active_set import nonneg_lasso_active_set
from relucert.lp.conic import solve_program_conic
from relucert.lp.programs import build_lasso_qp
from relucert.tolerances import DEFAULT
from lasso_helpers import exact_kkt


def _chamber_columns(rng, n, m, copies):
    """ReLU features of d = 2 data (lifted) for m atoms and ``copies`` small perturbations of
    each (mostly in the same chamber: in the span of three columns of it), both signs."""
    Xl = np.hstack([rng.standard_normal((n, 2)), np.ones((n, 1))])
    T = rng.standard_normal((m, 3))
    T = np.vstack([T] + [T + 1e-3 * rng.standard_normal(T.shape) for _ in range(copies)])
    T /= np.linalg.norm(T, axis=1, keepdims=True)
    F = np.maximum(0.0, Xl @ T.T)
    return np.hstack([F, -F]), np.sin(2 * Xl[:, 0]) * np.cos(Xl[:, 1]) + 0.1 * rng.standard_normal(n)


def _conic_objective(Phi, y, lam):
    prog, _ = build_lasso_qp(Phi, y, lam)
    c = np.maximum(solve_program_conic(prog).x[: Phi.shape[1]], 0.0)
    r = y - Phi @ c
    return 0.5 * float(r @ r) + lam * float(c.sum())


@pytest.mark.parametrize("seed, n, m, copies, lam", [(0, 20, 100, 3, 1e-4), (1, 20, 100, 3, 1e-4),
                                                    (0, 30, 200, 2, 1e-5), (0, 40, 60, 3, 1e-3)])
def test_swaps_without_a_new_pricing_reach_the_optimum(seed, n, m, copies, lam, monkeypatch):
    """At small lam the support fills the span (n columns): the later violators are in it and
    enter by swaps; at lam = 1e-3 (n = 40) only by insertions."""
    rng = np.random.default_rng(seed)
    Phi, y = _chamber_columns(rng, n, m, copies)
    swaps = []
    real = active_set._swap_rest

    def counting(*args):
        done = real(*args)
        swaps.append(done)
        return done

    monkeypatch.setattr(active_set, "_swap_rest", counting)
    res = nonneg_lasso_active_set(Phi, y, lam)
    assert res.converged
    assert (sum(swaps) > 0) == (lam < 1e-3)   # the swaps without a new pricing are exercised
    viol, compl = exact_kkt(Phi, y, lam, res.c)
    assert viol <= DEFAULT.dual_feas and compl <= 1e-8
    assert res.objective <= _conic_objective(Phi, y, lam) + 1e-9 * max(1.0, abs(res.objective))
    # the one-column-at-a-time path (no batch, no further swaps) reaches the same fit
    monkeypatch.setattr(active_set, "_ADD_BATCH", 1)
    monkeypatch.setattr(active_set, "_swap_rest", lambda *args: 0)
    single = nonneg_lasso_active_set(Phi, y, lam)
    assert single.converged
    assert single.objective == pytest.approx(res.objective, rel=1e-12)
    assert np.allclose(single.p, res.p, atol=1e-7 * max(1.0, float(np.abs(res.p).max())))


def test_warm_started_swaps_reach_the_cold_optimum():
    rng = np.random.default_rng(5)
    Phi, y = _chamber_columns(rng, 20, 100, 3)
    cold = nonneg_lasso_active_set(Phi, y, 1e-4)
    # as in the exchange: the weights of a nearby program (here lam 2e-4) start the solve
    warm = nonneg_lasso_active_set(Phi, y, 1e-4, nonneg_lasso_active_set(Phi, y, 2e-4).c)
    assert cold.converged and warm.converged
    assert warm.objective == pytest.approx(cold.objective, rel=1e-12)
    viol, _ = exact_kkt(Phi, y, 1e-4, warm.c)
    assert viol <= DEFAULT.dual_feas
