"""Issue 16, session 9: the active set's inner costs (lp/qr_factors.py, lp/active_set.py;
proofs/finite_lasso_backends.md, "The active set's final factorisation"). The LAPACK
triangular solves against scipy's, the QR answer against the SVD's and exact rational
arithmetic, the QR rank bound against the singular values, the pricing block's early refusals
against one-by-one insertion, and warm against cold programs on degenerate columns against
exact rational KKT and an interior-point solve (clarabel)."""

import numpy as np
import pytest
from scipy.linalg import qr_delete, solve_triangular

import relucert.lp.active_set as active_set
from relucert.lp.active_set import _stationary_point, nonneg_lasso_active_set
from relucert.lp.conic import solve_program_conic
from relucert.lp.programs import build_lasso_qp
from relucert.lp.qr_factors import KeptFactors, ThinQR, triangular_solve
from relucert.tolerances import DEFAULT
from lasso_helpers import exact_kkt, exact_stationary


def test_triangular_solve_matches_scipy_in_every_storage_order():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((40, 25))
    Q, R = np.linalg.qr(A)
    Qd, Rd = qr_delete(np.asfortranarray(Q), np.asfortranarray(R), 7, 1, which="col", overwrite_qr=True)
    assert not (Rd.flags.c_contiguous or Rd.flags.f_contiguous)     # qr_delete's leading dimension
    big = np.zeros((30, 30))
    big[:25, :25] = R
    for M in (R, np.asfortranarray(R), Rd, big[:25, :25], R[::-1, ::-1][::-1, ::-1]):
        b = rng.standard_normal(M.shape[0])
        for transpose in (False, True):
            want = solve_triangular(np.triu(M), b, trans="T" if transpose else "N")
            got = triangular_solve(M, b, transpose)
            assert np.allclose(got, want, rtol=1e-12, atol=1e-12)
    S = np.triu(rng.standard_normal((4, 4)))
    S[2, 2] = 0.0
    with pytest.raises(np.linalg.LinAlgError):
        triangular_solve(S, np.ones(4))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_qr_answer_matches_the_svd_answer_and_exact_arithmetic(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((20, 2)), np.ones((20, 1))])
    A = np.maximum(0.0, X @ rng.standard_normal((3, 7)))
    y = rng.standard_normal(20)
    lam = 1e-3
    used = []
    real = active_set._stationary_point_qr
    monkeypatch.setattr(active_set, "_stationary_point_qr", lambda *a: used.append(real(*a)) or used[-1])
    z, p = _stationary_point(A, y, lam, DEFAULT)
    assert used and used[0] is not None                   # the QR answered
    monkeypatch.setattr(active_set, "_stationary_point_qr", lambda *a: None)
    zs, ps = _stationary_point(A, y, lam, DEFAULT)        # the SVD
    ze = exact_stationary(A, y, lam)
    norms = np.linalg.norm(A, axis=0)
    for zz in (z, zs):
        assert np.max(np.abs(zz - ze) * norms) <= 1e-9 * np.linalg.norm(y)
    pe = (y - A @ ze) / lam
    assert np.max(np.abs(p - pe)) <= 1e-6 * np.max(np.abs(pe))
    assert np.max(np.abs(p - ps)) <= 1e-6 * np.max(np.abs(pe))


def test_the_qr_rank_bound_only_passes_columns_the_svd_passes():
    """Over column sets from well conditioned to dependent (cond 1e2 .. 1e14): whenever the QR
    answers, the singular values pass the rank test; near-dependent sets go to the SVD, which
    refuses those below tol.rank."""
    rng = np.random.default_rng(3)
    answered = refused = 0
    for e in range(2, 15):
        for _ in range(3):
            B = rng.standard_normal((30, 8))
            B[:, 7] = B[:, :7] @ rng.standard_normal(7) + 10.0 ** -e * rng.standard_normal(30)
            s = np.linalg.svd(B, compute_uv=False)
            fast = active_set._stationary_point_qr(B, rng.standard_normal(30), 0.1, np.ones(8), DEFAULT)
            if fast is not None:
                answered += 1
                assert s[-1] > DEFAULT.rank * s[0]
            full = _stationary_point(B, rng.standard_normal(30), 0.1, DEFAULT)
            assert (full is None) == (not s[-1] > DEFAULT.rank * s[0])
            refused += full is None
    assert answered >= 9 and refused >= 9                 # both sides were exercised


def test_block_refusals_before_the_second_pass_match_one_by_one_insertion():
    """Columns at relative residuals 1e-6 (enter) and 1e-12 (refused after the first pass),
    interleaved with ordinary ones: the block enters exactly what one-by-one insertions enter."""
    rng = np.random.default_rng(5)
    Phi = rng.standard_normal((40, 16))
    for j, base, eps in ((8, [0, 1], 1e-6), (9, [2, 3], 1e-12), (10, [8, 4], 1e-12), (11, [5], 1e-6),
                         (12, [0, 12 - 1], 1e-12), (13, [6, 7], 1e-6)):
        Phi[:, j] = Phi[:, base].sum(axis=1) + eps * np.linalg.norm(Phi[:, base[0]]) * rng.standard_normal(40)
    one, blk = ThinQR(Phi, DEFAULT), ThinQR(Phi, DEFAULT)
    for fac in (one, blk):
        fac.insert_block([0, 1, 2, 3, 4, 5])
    batch = [8, 9, 14, 10, 11, 6, 12, 13, 7, 15]
    expected = [t for t in batch if one.insert(t)]
    assert blk.insert_independent(batch) == expected
    assert 9 not in expected and 8 in expected and 11 in expected
    assert np.allclose(blk.Q @ np.triu(blk.R), Phi[:, blk.cols], atol=1e-12)
    assert np.allclose(blk.Q.T @ blk.Q, np.eye(len(blk.cols)), atol=1e-10)


def _conic_objective(Phi, y, lam):
    prog, _ = build_lasso_qp(Phi, y, lam)
    c = np.maximum(solve_program_conic(prog).x[: Phi.shape[1]], 0.0)
    r = y - Phi @ c
    return 0.5 * float(r @ r) + lam * float(c.sum())


@pytest.mark.parametrize("seed", [0, 1])
def test_warm_and_cold_programs_agree_on_degenerate_columns(seed):
    """Round 2 drops unused columns and appends duplicates of passive columns, near-dependent
    copies (1e-9 relative) and new ReLU columns, and starts from round 1's factors: its
    objective is the cold start's and clarabel's, and exact rational KKT holds."""
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((40, 2)), np.ones((40, 1))])
    y = np.sin(2 * X[:, 0]) + 0.1 * rng.standard_normal(40)
    lam = 1e-2
    cols = lambda k: np.maximum(0.0, X @ rng.standard_normal((3, k))) * rng.choice([-1.0, 1.0], size=k)
    Phi1 = cols(50)
    kept = KeptFactors()
    first = nonneg_lasso_active_set(Phi1, y, lam, tol=DEFAULT, kept=kept)
    assert first.converged
    keep = (first.c > 0) | (rng.random(50) < 0.5)
    kept.renumber(keep)
    supp = np.flatnonzero(first.c > 0)
    near = Phi1[:, supp[:3]] * (1.0 + 1e-9 * rng.standard_normal((40, 3)))
    Phi2 = np.hstack([Phi1[:, keep], Phi1[:, supp[:3]], near, cols(20)])
    warm = np.concatenate([first.c[keep], np.zeros(Phi2.shape[1] - int(keep.sum()))])
    hot = nonneg_lasso_active_set(Phi2, y, lam, warm, tol=DEFAULT, kept=kept)
    cold = nonneg_lasso_active_set(Phi2, y, lam, tol=DEFAULT)
    assert hot.converged and cold.converged
    scale = max(1.0, cold.objective)
    assert abs(hot.objective - cold.objective) <= 1e-12 * scale
    assert abs(hot.objective - _conic_objective(Phi2, y, lam)) <= 1e-6 * scale
    for res in (hot, cold):
        viol, comp = exact_kkt(Phi2, y, lam, res.c)
        assert viol <= DEFAULT.dual_feas and comp <= DEFAULT.dual_feas
