"""Issue 16, session 8: the active set's factorisation work in the exchange
(proofs/exchange_method.md, "The finite QP"). Checked against one-by-one insertions (an
independent path), a cold start, and exact rational KKT conditions."""

import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers
from relucert.lp.active_set import _ThinQR, nonneg_lasso_active_set
from relucert.lp.qr_factors import KeptFactors, ThinQR
from relucert.lp.tv.exchange import solve_exchange
from relucert.lp.tv.socp import solve_socp
from relucert.tolerances import DEFAULT
from lasso_helpers import exact_kkt


def test_independent_block_insertion_accepts_what_one_by_one_insertion_accepts():
    """Dependent columns anywhere in the batch are skipped; the others enter by one block
    update, exactly the columns one-by-one insertions accept, with a valid factorisation."""
    rng = np.random.default_rng(1)
    Phi = rng.standard_normal((30, 14))
    Phi[:, 7] = Phi[:, 1] - 2.0 * Phi[:, 4]          # in the span of earlier batch columns
    Phi[:, 11] = 3.0 * Phi[:, 0] + Phi[:, 9]         # in the span of Q and a later batch column
    Phi[:, 13] = Phi[:, 3]                           # a copy of a passive column
    batch = [5, 1, 4, 7, 9, 13, 11, 2, 6]
    one = _ThinQR(Phi, DEFAULT)
    blk = _ThinQR(Phi, DEFAULT)
    for fac in (one, blk):
        fac.insert_block([0, 3])
    expected = [t for t in batch if one.insert(t)]
    got = blk.insert_independent(batch)
    assert got == expected == [5, 1, 4, 9, 2, 6]
    assert blk.cols == one.cols
    assert np.allclose(blk.Q @ blk.R, Phi[:, blk.cols], atol=1e-12)
    assert np.allclose(blk.Q.T @ blk.Q, np.eye(len(blk.cols)), atol=1e-12)
    assert np.allclose(np.tril(blk.R, -1), 0.0)
    # a full block stops at n columns, as one-by-one insertion does
    tall = _ThinQR(rng.standard_normal((4, 9)), DEFAULT)
    assert tall.insert_independent(range(9)) == [0, 1, 2, 3]


def _relu_columns(rng, X, k):
    theta = rng.standard_normal((k, X.shape[1]))
    return np.maximum(0.0, X @ theta.T) * rng.choice([-1.0, 1.0], size=k)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kept_factors_on_added_and_dropped_columns_give_the_cold_optimum(seed, monkeypatch):
    """Round 1 keeps its factors; round 2 drops unused columns, appends new ones and starts
    from the kept factors (they are adopted): its answer is the cold start's, and exact
    rational KKT holds for its weights."""
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((40, 2)), np.ones((40, 1))])
    y = np.sin(2 * X[:, 0]) + 0.1 * rng.standard_normal(40)
    lam = 1e-2
    Phi1 = _relu_columns(rng, X, 60)
    kept = KeptFactors()
    first = nonneg_lasso_active_set(Phi1, y, lam, tol=DEFAULT, kept=kept)
    assert first.converged and sorted(kept.cols) == list(np.flatnonzero(first.c > 0))
    keep = (first.c > 0) | (rng.random(60) < 0.5)        # drop about half the unused columns
    kept.renumber(keep)
    Phi2 = np.hstack([Phi1[:, keep], _relu_columns(rng, X, 30)])
    warm = np.concatenate([first.c[keep], np.zeros(30)])
    assert sorted(kept.cols) == list(np.flatnonzero(warm > 0))
    adopted = []
    real = ThinQR.adopt
    monkeypatch.setattr(ThinQR, "adopt", lambda self, *a: adopted.append(real(self, *a)) or adopted[-1])
    hot = nonneg_lasso_active_set(Phi2, y, lam, warm, tol=DEFAULT, kept=kept)
    assert adopted == [True]
    cold = nonneg_lasso_active_set(Phi2, y, lam, tol=DEFAULT)
    assert hot.converged and cold.converged
    assert abs(hot.objective - cold.objective) <= 1e-12 * max(1.0, cold.objective)
    assert np.array_equal(hot.c > 0, cold.c > 0)
    viol, comp = exact_kkt(Phi2, y, lam, hot.c)
    assert viol <= DEFAULT.dual_feas and comp <= DEFAULT.dual_feas


def test_factors_that_fail_the_probes_are_refused_and_the_answer_is_unchanged():
    """Kept factors of other columns (or not orthogonal) are not adopted: the solve factorises
    afresh and reaches the cold optimum."""
    rng = np.random.default_rng(4)
    X = np.hstack([rng.standard_normal((30, 2)), np.ones((30, 1))])
    y = rng.standard_normal(30)
    Phi = _relu_columns(rng, X, 40)
    kept = KeptFactors()
    sol = nonneg_lasso_active_set(Phi, y, 1e-2, tol=DEFAULT, kept=kept)
    wrong = Phi.copy()
    wrong[:, kept.cols[0]] *= 1.0 + 1e-6                 # the factored column changed
    fac = ThinQR(wrong, DEFAULT)
    assert not fac.adopt(kept, sol.c > 0) and fac.cols == []
    skew = KeptFactors()
    skew.cols, skew.Q, skew.R = kept.cols, kept.Q * 2.0, kept.R / 2.0   # Q R right, Q not orthonormal
    assert not ThinQR(Phi, DEFAULT).adopt(skew, sol.c > 0)
    again = nonneg_lasso_active_set(wrong, y, 1e-2, sol.c, tol=DEFAULT, kept=kept)
    cold = nonneg_lasso_active_set(wrong, y, 1e-2, tol=DEFAULT)
    assert again.converged and abs(again.objective - cold.objective) <= 1e-12 * max(1.0, cold.objective)


def test_exchange_adopts_kept_factors_and_reaches_the_socp_optimum(monkeypatch):
    """In the exchange the rounds after the first start from the kept factors; the answer is
    the optimum of the SOCP reformulation over all chambers (clarabel)."""
    rng = np.random.default_rng(6)
    X = rng.standard_normal((30, 2))
    y = np.abs(X[:, 0]) - np.maximum(X[:, 1] - 0.3, 0.0) + 0.1 * rng.standard_normal(30)
    arr = enumerate_chambers(X)
    adopted = []
    real = ThinQR.adopt
    monkeypatch.setattr(ThinQR, "adopt", lambda self, *a: adopted.append(real(self, *a)) or adopted[-1])
    res = solve_exchange(arr, y, 0.01, add_limit=4, progress=False)
    assert res.status.value == "optimal"
    assert sum(adopted) >= res.n_iter // 2
    socp = solve_socp(arr, y, 0.01)
    scale = max(1.0, abs(socp.objective))
    assert res.best.objective - socp.objective <= 1e-6 * scale
    assert socp.objective - res.best.lower_bound <= 1e-6 * scale
