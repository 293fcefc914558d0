"""Warm starts (issues 15 and 17): ``relucert.solve(..., warm_start=...)``, the data seed of
budget-limited fits, and the warm-started regularisation path. A warm start only chooses the
starting columns, so every certified answer equals a cold solve
(proofs/exchange_method.md "Warm starts", proofs/regularisation_path.md Lemma 3)."""
import numpy as np
import pytest

import relucert
from relucert import solve
from relucert._model import lift
from relucert._warm_start import data_seed, warm_start_atoms
from relucert.path import solve_path


def _data(d, n, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.sin(2 * X[:, 0]) + X[:, -1] ** 2 / 2 + rng.standard_normal(n) / 10
    return X, y


@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("lam", [0.05, 0.0])
def test_bad_warm_start_same_optimum(d, lam):
    """Random directions, random (wrong) amplitudes and the optimum of another lam all give
    the cold solve's certified optimum (objective to 1e-9 relative, same predictions)."""
    X, y = _data(d, 14, 3)
    cold = solve(X, y, lam, progress=False)
    assert cold.success
    rng = np.random.default_rng(7)
    other = solve(X, y, 1.0, progress=False)
    bad = [rng.standard_normal((25, d + 1)),                                   # directions only
           (rng.standard_normal((25, d + 1)) * 9.0, rng.standard_normal(25) * 50.0),  # wrong amplitudes
           other,                                                              # another lam's optimum
           (cold.theta, -cold.amplitude)]                                      # the optimum, signs flipped
    for ws in bad:
        warm = solve(X, y, lam, progress=False, warm_start=ws)
        assert warm.success, warm.info.get("message")
        assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
        assert np.allclose(warm.predictions, cold.predictions, atol=1e-6 * max(1.0, np.abs(y).max()))


def test_warm_start_from_the_optimum_needs_one_round():
    """Started from its own optimum, the exchange certifies in its first round."""
    X, y = _data(2, 20, 4)
    cold = solve(X, y, 0.05, progress=False)
    warm = solve(X, y, 0.05, progress=False, warm_start=cold)
    assert warm.success and warm.info["n_iter"] == 1
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)


def test_warm_start_amplitudes_in_user_units():
    """Directions with amplitudes are the network ``sum a_k relu(<theta_k, x~>)`` in the user's
    units (whatever the solver's internal scaling): unnormalised ``(w, b)`` move their norm
    into the amplitude."""
    X = np.array([[0.0], [1.0], [2.0], [3.0]]) * 8.0
    theta = np.array([[3.0, 4.0]])
    T, sign, w = warm_start_atoms((theta, [-2.0]), X, 0.25)
    assert np.allclose(T, [[0.6, 0.8]]) and sign.tolist() == [-1.0] and np.allclose(w, [40.0])
    # the same network from the internal atoms: amplitude -w * amp_scale
    f_user = -2.0 * np.maximum(0.0, lift(X) @ theta[0])
    f_int = sign[0] * w[0] * 0.25 * np.maximum(0.0, lift(X) @ T[0])
    assert np.allclose(f_user, f_int)
    T, sign, w = warm_start_atoms((theta, [0.0]), X, 1.0)  # no sign given: both
    assert sign.tolist() == [1.0, -1.0] and w.tolist() == [0.0, 0.0]
    dead = np.array([[1.0, -100.0], [-1.0, -1.0]])  # relu(<theta, x~>) = 0 at every sample
    assert warm_start_atoms(dead, X, 1.0) is None
    T, sign, w = warm_start_atoms((np.vstack([dead, theta]), [1.0, 2.0, 3.0]), X, 1.0)
    assert np.allclose(T, [[0.6, 0.8]]) and np.allclose(w, [15.0])


@pytest.mark.parametrize("ws, kind, match", [
    (np.zeros((2, 2)), ValueError, "zero"),
    (np.ones((2, 3)), ValueError, "shape"),
    (np.array([[np.nan, 1.0]]), ValueError, "finite"),
    ((np.ones((2, 2)), [1.0]), ValueError, "amplitude"),
    ((np.ones((2, 2)), [1.0, 2.0], 3), ValueError, "tuple"),
    ("abc", TypeError, "warm_start"),
])
def test_bad_warm_start_is_a_clear_error(ws, kind, match):
    X, y = _data(1, 6, 0)
    with pytest.raises(kind, match=match):
        solve(X, y, 0.1, progress=False, warm_start=ws)


def test_warm_start_rejected_by_socp():
    X, y = _data(1, 6, 0)
    with pytest.raises(ValueError, match="warm_start"):
        solve(X, y, 0.1, method="socp", warm_start=np.ones((1, 2)))


def test_data_seed_contains_the_affine_fit_exactly():
    """The seed's first two atoms are the least-squares affine fit, exactly; the gates pass
    through data points; the same seed gives the same columns."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + 3.0 + rng.standard_normal(30) / 10
    theta, amp = data_seed(X, y, 8, 0)
    assert theta.shape == (2 + 16, 5) and np.allclose(np.linalg.norm(theta, axis=1), 1.0)
    coef = np.linalg.lstsq(lift(X), y, rcond=None)[0]
    f = np.maximum(0.0, lift(X) @ theta[:2].T) @ amp[:2]
    assert np.allclose(f, lift(X) @ coef, atol=1e-9)
    gate_at_data = np.abs(lift(X) @ theta[2:].T).min(axis=0)
    assert np.all(gate_at_data < 1e-9)  # each gate's hyperplane passes through a sample
    again, _ = data_seed(X, y, 8, 0)
    assert np.array_equal(theta, again)
    assert not np.array_equal(theta, data_seed(X, y, 8, 1)[0])


def test_path_enumerates_once_and_equals_cold_path(monkeypatch):
    """The warm path enumerates the chambers once (lam_max and every point share them) and
    its points equal the cold path's (every point solved from no atoms) to 1e-9."""
    import relucert.arrangement as arrangement

    calls = []
    real = arrangement.enumerate_chambers

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(arrangement, "enumerate_chambers", counting)
    X, y = _data(2, 12, 5)
    warm = solve_path(X, y, n_lams=6, progress=False)
    assert len(calls) == 1 and warm.warm_start and warm.success
    cold = solve_path(X, y, n_lams=6, progress=False, warm_start=False)
    assert not cold.warm_start and cold.success
    assert np.allclose(warm.lams, cold.lams, rtol=1e-15)
    for a, b in zip(warm.points, cold.points):
        assert a.objective == pytest.approx(b.objective, rel=1e-9)
    with pytest.raises(TypeError, match="warm_start"):
        solve_path(X, y, n_lams=2, progress=False, warm_start="yes")
    assert relucert.solve_path is solve_path
