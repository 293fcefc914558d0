"""Chamber discovery by sampling (relucert.gpu.scan) against the exact enumeration,
device choice and lazy torch import: issue 6. The tests that need torch are marked; the
others run without it."""
import subprocess
import sys

import numpy as np
import pytest

from _gpu_marks import requires_cuda, requires_torch, without_cuda
from relucert.arrangement import enumerate_chambers
from relucert.gpu.device import resolve_device
from relucert.gpu.scan import chao1, sample_chambers


def test_relucert_imports_without_torch():
    code = ("import sys, relucert, relucert.arrangement, relucert.lp, relucert.verify, relucert.gpu, "
            "relucert.cli\nassert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


@requires_torch
@pytest.mark.parametrize("d,n,seed", [(1, 10, 0), (2, 7, 2), (3, 5, 3)])
def test_sampled_patterns_are_exactly_the_enumeration_on_small_cases(d, n, seed):
    X = np.random.default_rng(seed).uniform(-1, 1, (n, d))
    arr = enumerate_chambers(X)
    exact = {row.tobytes() for row in arr.sign_patterns}
    s = sample_chambers(X, n_samples=300_000, batch=50_000, device="cpu", seed=seed)
    assert s.pattern_set() == exact
    assert s.counts.sum() == s.n_samples - s.n_discarded
    # each representative point lies strictly inside its chamber
    bits = np.unpackbits(s.sign_patterns, axis=1, count=n, bitorder="little").astype(bool)
    assert np.all((s.points @ arr.X_lift.T > 0) == bits)
    assert np.all(s.margin > 0) and np.allclose(np.linalg.norm(s.points, axis=1), 1.0)
    assert s.estimate >= s.n_found


@requires_torch
def test_few_samples_give_a_subset_and_an_estimate():
    X = np.random.default_rng(5).standard_normal((8, 2))
    exact = {row.tobytes() for row in enumerate_chambers(X).sign_patterns}
    s = sample_chambers(X, n_samples=200, batch=64, device="cpu", seed=1)
    assert s.pattern_set() < exact
    assert s.n_found <= s.estimate
    assert [c[0] for c in s.curve] == [64, 128, 192, 200]
    assert all(a[1] <= b[1] for a, b in zip(s.curve, s.curve[1:]))
    again = sample_chambers(X, n_samples=200, batch=64, device="cpu", seed=1)
    assert np.array_equal(again.sign_patterns, s.sign_patterns) and np.array_equal(again.points, s.points)


@requires_torch
def test_repeated_points_and_wide_patterns():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((70, 1))  # 70 samples: two int64 words per pattern
    X[5] = X[4]
    # d = 1 by hand: theta = (w, b) activates {x > t} (w > 0) or {x < t} (w < 0), t = -b/w
    xs = np.unique(X[:, 0])
    cuts = np.r_[xs[0] - 1, (xs[1:] + xs[:-1]) / 2, xs[-1] + 1]
    pats = [X[:, 0] > t for t in cuts] + [X[:, 0] < t for t in cuts]
    exact = {np.packbits(q, bitorder="little").tobytes() for q in pats}
    assert len(exact) == 2 * len(xs)
    s = sample_chambers(X, n_samples=20_000, device="cpu", seed=0)
    assert s.pattern_set() <= exact and s.sign_patterns.shape[1] == 9
    doc = s.to_dict()
    assert doc["n_found"] == s.n_found and len(doc["chambers"][0]["signs"]) == 70


def test_chao1():
    assert chao1(np.array([5, 5, 5])) == 3.0
    assert chao1(np.array([1, 1, 2, 7])) == 4 + 4 / 2


@requires_torch
def test_device_choice_and_errors():
    import torch

    assert str(resolve_device("cpu")) == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device must be one of"):
        resolve_device("gpu")
    X = np.zeros((3, 1))
    with pytest.raises(ValueError, match="n_samples"):
        sample_chambers(X, n_samples=0)
    with pytest.raises(ValueError, match="device"):
        sample_chambers(X, device="metal")
    with pytest.raises(TypeError, match="seed"):
        sample_chambers(X, seed="1")


@requires_torch
@without_cuda
def test_cuda_request_without_a_device_is_a_clear_error():
    with pytest.raises(ValueError, match="no CUDA device"):
        resolve_device("cuda")


@requires_cuda
def test_cuda_scan_is_a_subset_and_complete():
    X = np.random.default_rng(1).uniform(-1, 1, (7, 2))
    exact = {row.tobytes() for row in enumerate_chambers(X).sign_patterns}
    s = sample_chambers(X, n_samples=300_000, device="cuda", seed=1)
    assert s.pattern_set() == exact and s.device.startswith("cuda")


def test_numpy_and_exact_paths_work_without_torch():
    code = """
import sys
sys.modules['torch'] = None  # torch cannot be imported
import numpy as np
from relucert.arrangement import BATCH_MIN_CHAMBERS, enumerate_chambers, region_maxima
from relucert.gpu import TORCH_CPU_MIN_CHAMBERS, batched_ops, torch_ops
arr = enumerate_chambers(np.array([[0.0], [1.0], [3.0]]))
p = np.array([1.0, -2.0, 1.5])
a = region_maxima(arr, p, backend='batched', prune=False)
b = region_maxima(arr, p, prune=False)
assert a.backend == 'numpy' and b.backend == 'exact'
assert np.allclose(a.max_pos, b.max_pos) and np.allclose(a.max_neg, b.max_neg)
assert batched_ops('auto', BATCH_MIN_CHAMBERS).name == 'numpy'
assert batched_ops('auto', TORCH_CPU_MIN_CHAMBERS).name == 'numpy'
try:
    torch_ops('cpu')
except ModuleNotFoundError as exc:
    assert 'relucert[gpu]' in str(exc)
else:
    raise AssertionError('no error without torch')
"""
    subprocess.run([sys.executable, "-c", code], check=True)
