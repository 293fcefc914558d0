"""The branch and bound's bounding kernels in torch (relucert.gpu.bab_kernels, issue 13
item 6) against the numpy reference (relucert.lp.tv.bab.cones), against the exact maximum
over a cone (sub-enumeration of every sign pattern, NNLS per region), and a whole
certify/maximise with them against numpy's and the enumeration of every chamber. CPU
always; the CUDA tests skip without a device (tests/_gpu_marks.py)."""
import warnings

import numpy as np
import pytest

from _gpu_marks import requires_cuda, requires_torch, without_cuda
from relucert import _devices
from relucert.arrangement import enumerate_chambers
from relucert.lp.tv.bab import BabStatus, certify, cones, leaves, maximise
from relucert.lp.tv.oracle import scan_all_chambers
from relucert.lp.tv.oracle_api import BranchAndBoundOracle
from relucert.tolerances import BAB_TORCH_KERNEL_RTOL as RTOL
from relucert.tolerances import DEFAULT
from arrangement_helpers import cone_max_by_patterns

ZERO = DEFAULT.sign_zero


def _kernels(device="cpu"):
    from relucert.gpu import bab_kernels

    return bab_kernels(device)


def _tree_cones(rng, m, D, splits):
    """Cones as the search makes them: an orthant, then ``splits`` random splits
    (``r_j`` replaced by ``r_j + r_k``): integer rays, ``|det R| = 1``."""
    R = np.zeros((m, D, D))
    for t in range(m):
        C = np.diag(rng.choice([-1.0, 1.0], size=D))
        for _ in range(rng.integers(0, splits + 1)):
            j, k = rng.choice(D, size=2, replace=False)
            C[:, j] = C[:, j] + C[:, k]
        R[t] = C
    return R


def _degenerate_data(rng, n, D, R):
    """Gaussian lifted rows, integer rows with zero coordinates (hyperplanes through the
    orthants' rays) and integer rows orthogonal to a ray of the first cone (``S_ij = 0``
    exactly: decided in rationals)."""
    A = np.hstack([rng.standard_normal((n, D - 1)), np.ones((n, 1))])
    k = max(1, n // 12)
    A[:k] = rng.integers(-1, 2, size=(k, D)).astype(float)
    r = R[0, :, 0]
    A[k] = 0.0
    A[k, :2] = (r[1], -r[0])
    A[k + 1] = A[k] * 3.0
    return A


def _batch(D, seed, m=1000, n=40):
    rng = np.random.default_rng(seed)
    R = np.concatenate([_tree_cones(rng, m - m // 4, D, 6),
                        rng.integers(-3, 4, size=(m // 4, D, D)).astype(float)])
    R = R[np.abs(np.linalg.det(R)) > 0.5]
    A = _degenerate_data(rng, n, D, R)
    Q = rng.standard_normal((R.shape[0], n)) * rng.choice([-1.0, 1.0], size=(R.shape[0], 1))
    Q[:, rng.choice(n, size=n // 5, replace=False)] = 0.0          # zero weights
    return A, R, Q


def _close(a, b, scale):
    return np.all(np.abs(a - b) <= RTOL * scale)


@requires_torch
@pytest.mark.parametrize("d", [1, 2, 3, 4, 5, 6])
def test_torch_kernels_equal_numpy_on_random_batches(d):
    """Each kernel on the same inputs: classification identical (exact on both, the
    rational tie-break included), every float output within RTOL of its scale."""
    D = d + 1
    A, R, Q = _batch(D, 100 + d)
    K = _kernels()
    A.flags.writeable = False                 # the problem's rows may be read-only: no copy warning
    act, und, Sn, Rn = cones.classify(A, R)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        act_t, und_t, Sn_t, Rn_t = K.classify(A, R)
    assert np.any(np.matmul(A, R) == 0.0)                        # rays on hyperplanes were met
    assert np.array_equal(act, act_t) and np.array_equal(und, und_t)
    assert und.any() and act.any() and (~act & ~und).any()
    assert _close(Rn, Rn_t, 1.0)
    assert _close(Sn, Sn_t, np.linalg.norm(A, axis=1)[None, :, None])
    G = cones.normals(Rn)
    G_t = K.normals(Rn)
    cond = np.linalg.cond(Rn)
    assert np.all(np.linalg.norm(G - G_t, axis=(1, 2)) <= RTOL * cond * np.linalg.norm(G, axis=(1, 2)))
    # the centre's side: equal except for a centre on a hyperplane at rounding level
    # (both slopes are valid there, Lemma 2)
    alpha, alpha_t = cones.centre_alpha(Sn), K.centre_alpha(Sn)
    tie = np.abs(Sn.sum(axis=2)) <= RTOL * np.abs(Sn).sum(axis=2)
    assert np.array_equal(alpha[~tie], alpha_t[~tie])
    scale = (np.abs(Q) @ np.linalg.norm(A, axis=1) * (1 + np.linalg.norm(G, axis=(1, 2))))[:, None]
    rng = np.random.default_rng(d)
    for a in (None, alpha, rng.uniform(size=Q.shape)):
        W = cones.linear_majorant(A, Q, act, und, Sn, G, a)
        assert _close(W, K.linear_majorant(A, Q, act, und, Sn, G, a), scale)
    W = cones.linear_majorant(A, Q, act, und, Sn, G, alpha)
    wn = np.linalg.norm(W, axis=1)
    assert _close(cones.pre_bound(W, Rn, G), K.pre_bound(W, Rn, G), wn * (1 + np.linalg.norm(G, axis=(1, 2))))
    val, P = cones.cone_max(W, Rn, G, ZERO)
    val_t, P_t = K.cone_max(W, Rn, G, ZERO)
    assert (0 < val).sum() > 10 and (val < wn).sum() > 10 and (val == wn).sum() > 10   # all three cases
    assert _close(val, val_t, wn)
    # the projection is unique; the face systems' conditioning amplifies rounding
    assert _close(P, P_t, (wn * cond ** 2)[:, None])
    # the empty batch
    e_val, e_P = K.cone_max(W[:0], Rn[:0], G[:0], ZERO)
    assert e_val.shape == (0,) and e_P.shape == (0, D)


@requires_torch
@pytest.mark.parametrize("d,seed", [(1, 10), (2, 11), (3, 12), (4, 13)])
def test_torch_bound_dominates_exact_maximum_on_random_cones(d, seed):
    """Soundness whatever torch's rounding: the torch pipeline's pre-bound >= its
    polar-cone bound >= the exact maximum over the cone (every one of the 2^n sign
    patterns, each region projected with NNLS), for any slope alpha in [0, 1]; its leaf
    sub-enumeration equals that maximum; degenerate rays and zero weights included."""
    rng = np.random.default_rng(seed)
    D, n = d + 1, 6
    K = _kernels()
    R_all = np.concatenate([_tree_cones(rng, 10, D, 4), rng.integers(-3, 4, size=(6, D, D)).astype(float)])
    for R in R_all[np.abs(np.linalg.det(R_all)) > 0.5][:, None]:
        A = _degenerate_data(rng, n, D, R)
        Q = float(rng.choice([-1.0, 1.0])) * rng.standard_normal((1, n))
        Q[0, rng.integers(n)] = 0.0
        act, und, Sn, Rn = K.classify(A, R)
        G = K.normals(Rn)
        W = K.linear_majorant(A, Q, act, und, Sn, G)
        val, _ = K.cone_max(W, Rn, G, ZERO)
        pre = K.pre_bound(W, Rn, G)
        exact = cone_max_by_patterns(A, Q[0], G[0])
        assert exact <= val[0] + 1e-12
        assert val[0] <= pre[0] + 1e-12
        for alpha in (rng.uniform(size=(1, n)), np.zeros((1, n)), np.ones((1, n))):
            Wa = K.linear_majorant(A, Q, act, und, Sn, G, alpha)
            assert exact <= K.cone_max(Wa, Rn, G, ZERO)[0][0] + 1e-12
        # the same bound as numpy's pipeline, to rounding
        _, _, Sn_n, Rn_n = cones.classify(A, R)
        G_n = cones.normals(Rn_n)
        W_n = cones.linear_majorant(A, Q, act, und, Sn_n, G_n)
        scale = np.abs(Q[0]) @ np.linalg.norm(A, axis=1) * np.linalg.cond(Rn[0]) * (1 + np.linalg.norm(G_n))
        assert abs(cones.cone_max(W_n, Rn_n, G_n, ZERO)[0][0] - val[0]) <= RTOL * scale
        pieces = leaves.leaf_maxima(A, Q, act, und, Rn, G, -np.inf, np.inf, DEFAULT, kernels=K)
        assert pieces.upper[0] == pytest.approx(exact, rel=1e-10, abs=1e-12)


def _problem(kind, n, d, seed):
    rng = np.random.default_rng(seed)
    if kind == "grid":         # hyperplanes through the root cones' rays, a zero weight
        X = rng.integers(-1, 2, size=(n, d)).astype(float)
        p = rng.standard_normal(n)
        p[0] = 0.0
        return X, p
    return rng.standard_normal((n, d)), rng.standard_normal(n)


@requires_torch
@pytest.mark.parametrize("kind,n,d,seed", [("random", 9, 1, 60), ("random", 10, 2, 61), ("grid", 9, 2, 62),
                                           ("random", 9, 3, 63), ("grid", 8, 3, 64), ("random", 7, 4, 65)])
def test_maximise_and_certify_with_torch_kernels_match_numpy_and_enumeration(kind, n, d, seed):
    X, p = _problem(kind, n, d, seed)
    arr = enumerate_chambers(X)
    p = p * (1.3 / scan_all_chambers(arr, p, 0.0).max_value)           # enumerated max 1.3
    threshold = 1.0 + DEFAULT.dual_feas
    ref = scan_all_chambers(arr, p, threshold)
    K = _kernels()
    got, base = maximise(X, p, threshold, kernels=K), maximise(X, p, threshold)
    assert got.complete
    assert abs(got.max_value - ref.max_value) <= 1e-12 * ref.max_value
    assert abs(got.max_value - base.max_value) <= 1e-12 * ref.max_value
    assert ref.max_value <= got.upper_bound * (1 + 1e-15)
    # the same violating (region, sign) pairs as the enumeration (regions that differ on
    # zero-weight samples only carry one linear piece) and as numpy's search
    have = {(np.packbits(a).tobytes(), int(s)) for a, s in zip(got.active, got.sign)}
    want = {(np.packbits(a).tobytes(), int(s)) for a, s in zip(arr.active(ref.chamber)[:, got.support], ref.sign)}
    assert have == want and len(have) > 0
    assert have == {(np.packbits(a).tobytes(), int(s)) for a, s in zip(base.active, base.sign)}
    for scale, status in ((1 + 1e-7, BabStatus.VIOLATED), (1 - 1e-7, BabStatus.CERTIFIED)):
        q = p * scale / ref.max_value
        torch_cert, numpy_cert = certify(X, q, kernels=K), certify(X, q)
        assert torch_cert.status is status and numpy_cert.status is status
    below = certify(X, p * (1 - 1e-7) / ref.max_value, kernels=K)
    assert 1 - 1e-7 - 1e-12 <= below.upper_bound <= below.threshold


class _Spy:
    """Kernels that count the calls they pass to the torch kernels."""

    def __init__(self, inner):
        self.inner, self.calls = inner, {}

    def __getattr__(self, name):
        fn = getattr(self.inner, name)

        def call(*args, **kwargs):
            self.calls[name] = self.calls.get(name, 0) + 1
            return fn(*args, **kwargs)
        return call


@requires_torch
def test_the_oracle_and_solve_route_the_kernels(monkeypatch):
    """BranchAndBoundOracle passes ``kernels`` to every scan (the leaves' cone_max
    included); relucert.solve takes them from the API layer's device choice."""
    import relucert
    from relucert import solver

    X, p = _problem("random", 12, 2, 70)
    spy = _Spy(_kernels())
    oracle = BranchAndBoundOracle(X, kernels=spy)
    s = oracle.scan(p, 0.0)
    ref = BranchAndBoundOracle(X).scan(p, 0.0)
    assert s.max_value == pytest.approx(ref.max_value, rel=1e-12)
    assert set(spy.calls) == {"classify", "normals", "centre_alpha", "linear_majorant", "pre_bound", "cone_max"}
    assert spy.calls["cone_max"] > spy.calls["classify"]           # the leaves' patterns too
    bound = oracle.bound_scan(p).upper_bound
    assert bound >= ref.max_value * (1 - 1e-12)
    spy2 = _Spy(_kernels())
    monkeypatch.setattr(solver, "bab_kernels_for_device", lambda device: spy2)
    rng = np.random.default_rng(71)
    Xs = rng.standard_normal((15, 2))
    ys = np.sin(2 * Xs[:, 0]) + Xs[:, 1]
    with_torch = relucert.solve(Xs, ys, 0.1, oracle="bab", progress=False)
    monkeypatch.undo()
    with_numpy = relucert.solve(Xs, ys, 0.1, oracle="bab", device="cpu", progress=False)
    assert spy2.calls.get("cone_max", 0) > 0
    assert with_torch.status.value == "optimal" and with_numpy.status.value == "optimal"
    assert with_torch.objective == pytest.approx(with_numpy.objective, rel=1e-9)


def test_device_words_choose_the_kernels(monkeypatch):
    """cpu: numpy's (None); auto without a visible GPU driver: numpy's, torch not asked."""
    assert _devices.bab_kernels_for_device("cpu") is None
    monkeypatch.setattr(_devices, "_gpu_driver_visible", lambda: False)
    assert _devices.bab_kernels_for_device("auto") is None
    with pytest.raises(ValueError, match="device"):
        _devices.bab_kernels_for_device("tpu")


@requires_torch
@without_cuda
def test_auto_with_a_driver_but_no_device_is_numpy_and_cuda_is_an_error(monkeypatch):
    monkeypatch.setattr(_devices, "_gpu_driver_visible", lambda: True)
    lazy = _devices.bab_kernels_for_device("auto")
    assert lazy.cone_max is cones.cone_max                           # resolved on first use
    with pytest.raises(ValueError, match="cuda"):
        _devices.bab_kernels_for_device("cuda")


@requires_cuda
@pytest.mark.parametrize("d", [2, 4, 6])
def test_cuda_kernels_equal_numpy_and_certify_agrees(d):
    D = d + 1
    A, R, Q = _batch(D, 200 + d)
    K = _kernels("cuda")
    assert _devices.bab_kernels_for_device("cuda").device.type == "cuda"
    act, und, Sn, Rn = cones.classify(A, R)
    act_t, und_t, _, _ = K.classify(A, R)
    assert np.array_equal(act, act_t) and np.array_equal(und, und_t)
    G = cones.normals(Rn)
    W = cones.linear_majorant(A, Q, act, und, Sn, G)
    wn = np.linalg.norm(W, axis=1)
    assert _close(cones.cone_max(W, Rn, G, ZERO)[0], K.cone_max(W, Rn, G, ZERO)[0], wn)
    X, p = _problem("random", 8, min(d, 3), 80 + d)
    top = maximise(X, p).max_value
    assert maximise(X, p, kernels=K).max_value == pytest.approx(top, rel=1e-12)
    assert certify(X, p * (1 - 1e-7) / top, kernels=K).status is BabStatus.CERTIFIED
