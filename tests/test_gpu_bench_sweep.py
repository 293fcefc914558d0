"""The benchmark's own chamber sweep (benchmarks/gpu_scan.py) equals the BFS
enumeration: patterns and facets (issue 6; the benchmark's numbers rest on it)."""
import importlib.util
import pathlib

import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers

pytest.importorskip("torch")
_PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_scan.py"


def _sweep():
    spec = importlib.util.spec_from_file_location("gpu_scan_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.sweep_arrangement


@pytest.mark.parametrize("d,n", [(2, 7), (3, 6)])
def test_sweep_equals_bfs(d, n):
    X = np.random.default_rng(0).standard_normal((n, d))
    a, b = _sweep()(X), enumerate_chambers(X)
    fa = {a.signs[k].tobytes(): tuple(sorted(a.facets(k))) for k in range(a.n_chambers)}
    fb = {b.signs[k].tobytes(): tuple(sorted(b.facets(k))) for k in range(b.n_chambers)}
    assert fa == fb
    assert np.all((a.interior @ a.X_lift.T > 0) == a.active())
