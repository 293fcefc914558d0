"""Batched certificate evaluation (relucert.arrangement.region_maxima on numpy, and on
torch through relucert.gpu) against the exact per-region projections
(relucert.arrangement.region_max, scipy NNLS): issue 6. The numpy-path tests run
without torch."""
from functools import lru_cache

import numpy as np
import pytest

from _gpu_marks import requires_cuda, requires_torch, without_cuda
from relucert.arrangement import chamber_vectors, enumerate_chambers, region_max, region_maxima

from relucert.tolerances import DEFAULT, Tolerances

TOL = DEFAULT
BACKENDS = ["numpy", pytest.param("torch", marks=requires_torch)]


def ops_of(backend: str, device: str = "cpu"):
    """The ops object of a batched backend: None (numpy) or torch ops on ``device``."""
    if backend == "numpy":
        return None
    from relucert.gpu import torch_ops

    return torch_ops(device)


@lru_cache(maxsize=None)
def instance(d: int, kind: str = "random"):
    rng = np.random.default_rng(100 + d)
    n = {1: 9, 2: 8, 3: 7}[d]
    X = rng.standard_normal((n, d))
    if kind == "degenerate":  # repeated points, and (d = 2) three collinear points
        X[1] = X[0]
        if d == 2:
            X[2] = 0.5 * (X[3] + X[4])
    return enumerate_chambers(X)


def exact_maxima(arr, p):
    """Reference: region_max on every region, v computed directly from the patterns."""
    act = arr.active()
    out = np.zeros((arr.n_chambers, 2))
    for k in range(arr.n_chambers):
        v = arr.X_lift[act[k]].T @ p[act[k]]
        G = arr.inward_normals(k)
        out[k] = region_max(v, G).value, region_max(-v, G).value
    return out


def scaled_p(arr, seed, top=1.0):
    """A random p scaled so that the exact max |eta| is ``top``."""
    p = np.random.default_rng(seed).standard_normal(arr.n)
    return p * (top / exact_maxima(arr, p).max())


def close(a, b):
    return np.abs(a - b) <= 2 * TOL.gpu_gap * np.maximum(1.0, np.abs(b))


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("kind", ["random", "degenerate"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_batched_maxima_equal_exact_projections(d, kind, backend):
    arr = instance(d, kind)
    for seed, top in [(1, 1.0), (2, 3.0), (3, 0.7)]:
        p = scaled_p(arr, seed, top)
        ref = exact_maxima(arr, p)
        r = region_maxima(arr, p, backend="batched", ops=ops_of(backend), prune=False)
        assert not r.pruned.any() and r.backend == backend
        assert r.exact.sum() <= arr.n_chambers // 4  # the batched path did the work
        assert close(r.max_pos, ref[:, 0]).all() and close(r.max_neg, ref[:, 1]).all()
        # the maximisers are feasible points of their region that attain the maximum
        act = arr.active()
        for k in range(arr.n_chambers):
            v = arr.X_lift[act[k]].T @ p[act[k]]
            G = arr.inward_normals(k)
            for val, pt, sign in ((r.max_pos[k], r.point_pos[k], 1.0), (r.max_neg[k], r.point_neg[k], -1.0)):
                if val > 100 * TOL.gpu_gap:
                    assert np.isfinite(pt).all()
                    assert abs(np.linalg.norm(pt) - 1.0) <= TOL.gpu_gap
                    assert np.all(G @ pt >= -TOL.gpu_gap)
                    assert sign * (pt @ v) >= val - 2 * TOL.gpu_gap * max(1.0, val)
        # borderline regions went to the exact path and carry its values bit for bit
        near = (np.abs(ref - 1.0) <= TOL.gpu_margin / 2).any(axis=1)
        assert r.exact[near].all()
        if top == 1.0:
            assert near.any()
            assert np.nanmax(np.r_[r.max_pos, r.max_neg]) == ref.max()


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("backend", BACKENDS)
def test_pruning_never_drops_a_region_that_reaches_the_margin(d, backend):
    arr = instance(d)
    for seed, top in [(4, 1.0), (5, 1.2), (6, 2.0)]:
        p = scaled_p(arr, seed, top)
        ref = exact_maxima(arr, p)
        r = region_maxima(arr, p, backend="batched", ops=ops_of(backend))
        assert r.pruned.any() or top == 2.0
        assert np.all(ref[r.pruned] <= 1.0 - TOL.gpu_margin)
        assert np.all(r.norm_v[r.pruned] <= 1.0 - TOL.gpu_margin)
        assert np.all(np.isnan(r.max_pos[r.pruned]))
        kept = ~r.pruned
        assert close(r.max_pos[kept], ref[kept, 0]).all() and close(r.max_neg[kept], ref[kept, 1]).all()
        assert np.isclose(r.max_abs, ref.max(), rtol=0, atol=2 * TOL.gpu_gap * max(1.0, ref.max()))


def test_margin_and_gap_are_read_from_tolerances():
    arr = instance(2)
    p = scaled_p(arr, 7, 1.0)
    wide = region_maxima(arr, p, backend="batched", tol=Tolerances(gpu_margin=0.5))
    narrow = region_maxima(arr, p, backend="batched", tol=Tolerances(gpu_margin=1e-12))
    assert wide.pruned.sum() < narrow.pruned.sum()
    assert wide.exact.sum() > narrow.exact.sum()
    assert wide.tol.gpu_margin == 0.5


@requires_torch
@pytest.mark.parametrize("d", [1, 2, 3])
def test_torch_cpu_equals_numpy_and_exact_backend(d):
    arr = instance(d, "degenerate")
    p = scaled_p(arr, 8, 1.5)
    a = region_maxima(arr, p, backend="batched", prune=False)
    b = region_maxima(arr, p, backend="batched", ops=ops_of("torch"), prune=False)
    c = region_maxima(arr, p, backend="exact", prune=False)
    assert c.exact.all() and b.backend == "torch" and a.backend == "numpy"
    for x in (a, b):
        assert close(x.max_pos, c.max_pos).all() and close(x.max_neg, c.max_neg).all()
    assert close(a.max_pos, b.max_pos).all() and close(a.max_neg, b.max_neg).all()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method", ["lut", "unpack"])
def test_chamber_vectors_equal_direct_sums(backend, method):
    rng = np.random.default_rng(9)
    arr = instance(2)
    p = rng.standard_normal(arr.n)
    V = chamber_vectors(arr, p, ops=ops_of(backend), method=method, chunk=7)
    act = arr.active()
    direct = np.array([arr.X_lift[a].T @ p[a] for a in act])
    assert np.allclose(V, direct, rtol=0, atol=TOL.gpu_gap)


@pytest.mark.parametrize("backend", BACKENDS)
def test_tiny_chunks_and_iteration_caps_give_the_same_answer(backend):
    arr = instance(3)
    p = scaled_p(arr, 10, 1.3)
    ref = exact_maxima(arr, p)
    r = region_maxima(arr, p, backend="batched", ops=ops_of(backend), chunk=3, max_iter=1, prune=False)
    assert close(r.max_pos, ref[:, 0]).all() and close(r.max_neg, ref[:, 1]).all()


def test_auto_backend_and_to_dict():
    arr = instance(1)
    p = scaled_p(arr, 11, 1.0)
    r = region_maxima(arr, p)  # fewer regions than BATCH_MIN_CHAMBERS: the exact loop
    assert r.backend == "exact"
    doc = r.to_dict()
    assert doc["n_regions"] == arr.n_chambers and len(doc["max_pos"]) == arr.n_chambers
    assert "max_pos" not in r.to_dict(limit=1)


def test_auto_backend_is_batched_from_the_threshold_on(monkeypatch):
    """"auto": the exact loop below BATCH_MIN_CHAMBERS regions, the batched path on the
    given ops from there on."""
    from relucert.arrangement import maxima

    arr = instance(1)
    p = scaled_p(arr, 11, 1.0)
    monkeypatch.setattr(maxima, "BATCH_MIN_CHAMBERS", arr.n_chambers + 1)
    assert region_maxima(arr, p).backend == "exact"
    monkeypatch.setattr(maxima, "BATCH_MIN_CHAMBERS", arr.n_chambers)
    assert region_maxima(arr, p).backend == "numpy"


@requires_torch
def test_batched_ops_choice():
    """relucert.gpu.batched_ops: torch on CUDA when there is one, torch on the CPU from
    TORCH_CPU_MIN_CHAMBERS regions, numpy below (measured, see the constants)."""
    import torch

    from relucert.arrangement import BATCH_MIN_CHAMBERS
    from relucert.gpu import TORCH_CPU_MIN_CHAMBERS, batched_ops

    big = BATCH_MIN_CHAMBERS
    assert batched_ops("cpu", big).name == "numpy" and batched_ops("cpu", None).name == "numpy"
    assert batched_ops("auto", big).name == ("torch" if torch.cuda.is_available() else "numpy")
    assert batched_ops("cpu", TORCH_CPU_MIN_CHAMBERS).name == "torch"
    with pytest.raises(ValueError, match="device"):
        batched_ops("tpu")


def test_bad_input_is_a_clear_error():
    arr = instance(1)
    with pytest.raises(ValueError, match="p must be 1-D of length n_samples=9"):
        region_maxima(arr, np.ones(4))
    bad = np.ones(arr.n)
    bad[2] = np.nan
    with pytest.raises(ValueError, match="p must be finite"):
        region_maxima(arr, bad)
    with pytest.raises(TypeError, match="p must be"):
        region_maxima(arr, "abc")
    with pytest.raises(ValueError, match="backend"):
        region_maxima(arr, np.ones(arr.n), backend="jax")
    with pytest.raises(ValueError, match="backend"):  # numpy/torch are ops, not backends
        region_maxima(arr, np.ones(arr.n), backend="numpy")
    with pytest.raises(ValueError, match="method"):
        region_maxima(arr, np.ones(arr.n), method="fast")
    with pytest.raises(ValueError, match="max_iter"):
        region_maxima(arr, np.ones(arr.n), max_iter=0)
    with pytest.raises(TypeError, match="arrangement"):
        region_maxima(np.zeros((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match="chunk"):
        region_maxima(arr, np.ones(arr.n), chunk=0)


@requires_torch
@without_cuda
def test_cuda_without_a_device_is_a_clear_error():
    with pytest.raises(ValueError, match="no CUDA device"):
        ops_of("torch", "cuda")


@requires_cuda
def test_cuda_equals_cpu():
    arr = instance(3, "degenerate")
    p = scaled_p(arr, 12, 1.2)
    a = region_maxima(arr, p, backend="batched", ops=ops_of("torch", "cuda"), prune=False)
    b = region_maxima(arr, p, backend="exact", prune=False)
    assert a.device.startswith("cuda")
    assert close(a.max_pos, b.max_pos).all() and close(a.max_neg, b.max_neg).all()


def test_tree_vectors_equal_lookup_tables():
    """v_A along the adjacency graph's spanning tree (large arrangements) equals the
    byte-table sums, with repeated points (edges crossing two hyperplanes at once)."""
    from relucert.arrangement import NumpyOps, enumerate_chambers
    from relucert.arrangement import vectors as C

    rng = np.random.default_rng(8)
    X = rng.standard_normal((40, 2))
    X[5] = X[3]
    X[9] = X[3]
    X[11] = -X[2]
    arr = enumerate_chambers(X)
    assert arr.edges is not None
    p = rng.standard_normal(40)
    ref = C.all_chamber_vectors(NumpyOps(), "lut", arr.sign_patterns, arr.X_lift, p, 4096)
    assert np.allclose(C._tree_vectors(arr, p), ref, rtol=0, atol=1e-12)
    # the dispatch: the tree only for the whole arrangement past both thresholds
    old = (C.TREE_MIN_POINTS, C.TREE_MIN_CHAMBERS)
    try:
        C.TREE_MIN_POINTS, C.TREE_MIN_CHAMBERS = 1, 1
        assert np.allclose(C.chamber_vectors(arr, p), ref, rtol=0, atol=1e-12)
    finally:
        C.TREE_MIN_POINTS, C.TREE_MIN_CHAMBERS = old


def test_tree_vector_rounding_is_within_its_absolute_bound():
    """proofs/exchange_method.md: the spanning-tree v_A errs by at most
    gamma_{depth terms} * sum_i |p_i| |x~_i| componentwise (absolute, not relative to
    ||v_A||), checked against exact Fraction sums on a sample of chambers, with p at the
    scale (y - K mu) / lam of a small lam."""
    from fractions import Fraction

    from relucert.arrangement import enumerate_chambers
    from relucert.arrangement import vectors as C
    from relucert.arrangement.chambers import unpack_signs
    from relucert.tolerances import DEFAULT

    rng = np.random.default_rng(11)
    n = 300
    X = rng.standard_normal((n, 2))
    arr = enumerate_chambers(X)
    p = rng.standard_normal(n) * 100.0
    V = C._tree_vectors(arr, p)
    Xl = arr.X_lift
    pred, _ = C._tree(arr)
    depth = 1
    a = pred.copy()
    while np.any(a != 0):
        a = a[a]
        depth += 1
    u = np.finfo(float).eps / 2
    terms = n + depth + 2
    bound = terms * u / (1 - terms * u) * (np.abs(p) @ np.abs(Xl))          # componentwise
    worst = 0.0
    for k in rng.choice(arr.n_chambers, 60, replace=False):
        act = np.flatnonzero(unpack_signs(arr.sign_patterns[k:k + 1], n)[0])
        for c in range(3):
            exact = sum((Fraction(float(p[i])) * Fraction(float(Xl[i, c])) for i in act), Fraction(0))
            err = abs(Fraction(float(V[k, c])) - exact)
            assert err <= Fraction(float(bound[c]))
            worst = max(worst, float(err))
    # the measured error is far inside the margin the oracle decides with (about 1e-12 here,
    # while the rigorous bound itself is of the order of dual_feas: proofs/exchange_method.md)
    assert worst < 1e-2 * DEFAULT.dual_feas
