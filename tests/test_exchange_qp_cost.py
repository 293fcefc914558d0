"""Issue 16: the finite programs' cost in the exchange (proofs/exchange_method.md, "The finite
QP"). The active set's pricing inserts its batch of violators by one block update; the
weights' double-double refinement runs only near the end game. Checked against one-by-one
insertions (an independent path), against the SOCP reformulation over all chambers
(clarabel), and against exact rational KKT conditions."""
from fractions import Fraction

import numpy as np
import pytest

import relucert.lp.lasso_chain as chain_mod  # the exchange's finite lasso goes through lasso_qp_chain
from relucert.arrangement import enumerate_chambers
from relucert.lp.active_set import _ThinQR
from relucert.lp.programs import lasso_qp
from relucert.lp.tv.exchange import solve_exchange
from relucert.lp.tv.socp import solve_socp
from relucert.tolerances import DEFAULT


def test_block_insertion_accepts_what_one_by_one_insertion_accepts():
    """A batch with a dependent column in the middle: the block update takes the run before
    it, and the rest one by one gives the same passive columns and a valid factorisation."""
    rng = np.random.default_rng(0)
    Phi = rng.standard_normal((30, 12))
    Phi[:, 7] = Phi[:, 1] - 2.0 * Phi[:, 4]              # in the span of earlier columns
    batch = [5, 1, 4, 7, 9, 2]
    one = _ThinQR(Phi, DEFAULT)
    for j in [0, 3]:
        one.insert(j)
    blk = _ThinQR(Phi, DEFAULT)
    blk.insert_block([0, 3])
    expected = [t for t in batch if one.insert(t)]
    first = blk.insert_block(batch)
    got = first + [t for t in batch[len(first):] if blk.insert(t)]
    assert first == [5, 1, 4]
    assert got == expected == [5, 1, 4, 9, 2]
    assert blk.cols == one.cols
    assert np.allclose(blk.Q @ blk.R, Phi[:, blk.cols], atol=1e-12)
    assert np.allclose(blk.Q.T @ blk.Q, np.eye(len(blk.cols)), atol=1e-12)


def _exact_dual_violation(Phi, y, lam, c):
    F = np.vectorize(Fraction, otypes=[object])
    P = F(Phi)
    g = P.T.dot(F(y) - P.dot(F(c))) / Fraction(lam)
    return float(max(g) - 1)


def test_unrefined_qp_is_still_optimal_on_its_own_dual():
    """refine=False skips only the weights' refinement: the answer is the active set's, whose
    objective equals the refined one, and whose own dual is feasible to tol.dual_feas."""
    rng = np.random.default_rng(3)
    X = np.hstack([rng.standard_normal((25, 2)), np.ones((25, 1))])
    Phi = np.maximum(0.0, X @ rng.standard_normal((3, 60))) * rng.choice([-1.0, 1.0], size=60)
    y = rng.standard_normal(25)
    lam = 1e-2
    plain = lasso_qp(Phi, y, lam, refine=False)
    sharp = lasso_qp(Phi, y, lam)
    assert "refined" not in plain.program.message
    assert float(np.max(Phi.T @ plain.p)) - 1.0 <= DEFAULT.dual_feas
    assert abs(plain.objective - sharp.objective) <= 1e-9 * max(1.0, abs(sharp.objective))
    assert _exact_dual_violation(Phi, y, lam, sharp.c) <= DEFAULT.dual_feas


@pytest.mark.parametrize("lam", [0.1, 0.01])
def test_refinement_only_near_the_end_game_and_the_optimum_is_the_socps(lam, monkeypatch):
    """Each round refines exactly when the previous round's max |eta| was within
    tol.polish_violation of 1 (never in the first round); the answer is the SOCP's optimum."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((30, 2))
    y = np.abs(X[:, 0]) - np.maximum(X[:, 1] - 0.3, 0.0) + 0.1 * rng.standard_normal(30)
    arr = enumerate_chambers(X)
    flags = []
    real = chain_mod.lasso_qp

    def spy(*args, **kwargs):
        flags.append(kwargs["refine"])
        return real(*args, **kwargs)

    monkeypatch.setattr(chain_mod, "lasso_qp", spy)
    res = solve_exchange(arr, y, lam, add_limit=4, progress=False)
    assert res.status.value == "optimal"
    maxima = [e["max_found"] for e in res.history]
    assert flags == [False] + [m <= 1.0 + DEFAULT.polish_violation for m in maxima[:-1]]
    assert not all(flags) and any(flags), "the test should see both kinds of rounds"
    socp = solve_socp(arr, y, lam)
    scale = max(1.0, abs(socp.objective))
    assert res.best.objective - socp.objective <= 1e-6 * scale
    assert socp.objective - res.best.lower_bound <= 1e-6 * scale
