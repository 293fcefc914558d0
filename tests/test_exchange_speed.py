"""Issue 16 (speed of the exchange at n = 1000, d = 2): the faster paths give the same
answers as independent computations -- the per-sign scan against a per-region NNLS
projection of every chamber, the level-swept chamber vectors against byte tables, the block
QR updates of the active set against a fresh solve of the same lasso."""
import numpy as np
import pytest

from relucert.arrangement import NumpyOps, enumerate_chambers
from relucert.arrangement import vectors as C
from relucert.arrangement.cones import region_max
from relucert.lp.active_set import _ThinQR, nonneg_lasso_active_set
from relucert.lp.tv.oracle import scan_all_chambers
from relucert.tolerances import DEFAULT


def _brute_maxima(arr, p):
    """max of +eta and -eta on every region by one NNLS projection each (no shared code
    with the scan's face kernels)."""
    V = C.all_chamber_vectors(NumpyOps(), "lut", arr.sign_patterns, arr.X_lift, p, 4096)
    out = np.zeros((arr.n_chambers, 2))
    for k in range(arr.n_chambers):
        G = arr.inward_normals(k)
        for col, sign in enumerate((1.0, -1.0)):
            out[k, col] = region_max(sign * V[k], G).value
    return out


@pytest.mark.parametrize("d,n,seed", [(1, 12, 0), (2, 12, 1), (3, 8, 2)])
def test_per_sign_skips_give_the_plain_scan(d, n, seed):
    rng = np.random.default_rng(seed)
    arr = enumerate_chambers(rng.standard_normal((n, d)))
    p = rng.standard_normal(n)
    ref = _brute_maxima(arr, p)
    top = float(ref.max())
    for t in (0.5 * top, top * (1 - 1e-3), top * (1 + 1e-3), 2 * top):
        scan = scan_all_chambers(arr, p, t)
        assert scan.complete
        assert scan.max_value == pytest.approx(top, rel=1e-10)
        want = sorted((int(k), 1 - 2 * c) for k, c in zip(*np.nonzero(ref > t * (1 + 1e-9))))
        got = sorted(zip(scan.chamber.tolist(), scan.sign.tolist()))
        assert set(want) <= set(got)
        for k, s, v in zip(scan.chamber, scan.sign, scan.value):   # listed values are the maxima
            assert v == pytest.approx(ref[k, 0 if s > 0 else 1], rel=1e-10)
            assert v > t
        assert np.all(scan.bounds >= ref - 1e-10)                   # every kept bound holds
    # stopping at a limit lists true violators only, and its bound holds
    scan = scan_all_chambers(arr, p, 0.25 * top, limit=2)
    assert scan.n_found >= 2
    for k, s, v in zip(scan.chamber, scan.sign, scan.value):
        assert v == pytest.approx(ref[k, 0 if s > 0 else 1], rel=1e-10)
    assert scan.upper_bound >= top * (1 - 1e-12)


def test_level_swept_tree_vectors_equal_byte_tables():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((160, 2))
    X[7] = X[3]                       # a repeated point: an edge crossing two hyperplanes
    arr = enumerate_chambers(X)
    assert arr.edges is not None and arr.n_chambers >= C.TREE_MIN_CHAMBERS
    p = rng.standard_normal(160) * 10
    ref = C.all_chamber_vectors(NumpyOps(), "lut", arr.sign_patterns, arr.X_lift, p, 4096)
    V = C._tree_vectors(arr, p)
    assert np.allclose(V, ref, rtol=0, atol=1e-11)
    _, _, order, pred_pos, blocks = C._tree_parts(arr)
    assert order[0] == 0 and blocks[0][0] == 1 and blocks[-1][1] == arr.n_chambers
    for s, e in blocks:                # every parent is summed before its block
        assert np.all(pred_pos[s:e] < s)


def test_block_insert_factorises_the_columns_and_stops_at_a_dependent_one():
    rng = np.random.default_rng(3)
    Phi = rng.standard_normal((12, 9))
    Phi[:, 5] = Phi[:, 1] - 2 * Phi[:, 3]          # dependent on earlier columns
    fac = _ThinQR(Phi, DEFAULT)
    assert fac.insert_block([0, 1]) == [0, 1]
    assert fac.insert_block([2, 3, 5, 6]) == [2, 3]    # stops before the dependent column
    assert not fac.insert(5)
    assert fac.insert_block([6, 7]) == [6, 7]
    A = Phi[:, fac.cols]
    assert np.allclose(fac.Q @ fac.R, A, atol=1e-12)
    assert np.allclose(fac.Q.T @ fac.Q, np.eye(len(fac.cols)), atol=1e-12)
    assert np.allclose(np.tril(fac.R, -1), 0.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_warm_started_active_set_reaches_the_cold_optimum(seed):
    """The block-updated active set, started cold and warm, satisfies the KKT conditions
    (computed here from the gradient, not from the method's own flags) and both reach the
    same objective."""
    rng = np.random.default_rng(seed)
    n, K, lam = 40, 120, 0.05
    X = np.c_[rng.standard_normal((n, 2)), np.ones(n)]
    T = rng.standard_normal((K, 3))
    Phi = np.maximum(0, X @ T.T) * np.where(np.arange(K) % 2, 1.0, -1.0)
    y = np.sin(X[:, 0]) + 0.1 * rng.standard_normal(n)
    cold = nonneg_lasso_active_set(Phi, y, lam)
    warm = nonneg_lasso_active_set(Phi, y, lam, np.r_[cold.c[:60] * 0.5, np.zeros(60)])
    assert cold.converged and warm.converged
    # optimality checked on its own terms: the KKT conditions of the non-negative lasso
    for res in (cold, warm):
        g = Phi.T @ (Phi @ res.c - y) + lam                    # gradient of the objective
        assert np.all(g >= -1e-7 * lam)                        # no descent direction into c >= 0
        assert np.all(np.abs(g[res.c > 0]) <= 1e-7 * lam)      # stationary on the support
    assert warm.objective == pytest.approx(cold.objective, rel=1e-10)
