"""Issue 16, uniform-noise (random labels), n = 1000, d = 2, lam = 0.001: at the rounding floor
of ill-conditioned weights the weights' dual lists only atoms already in the set and the
exchange stopped ("no new atom"), while the support's refined dual still had violators.

- The re-scoring's scan for arrangements too large for compensated chamber vectors
  (float vectors everywhere, compensated ones near the maximum, the float error bound on the
  rest) against the fully compensated scan.
- The exchange's rescue: when no violator is new, the refined dual's violators are added
  (proofs/exchange_method.md, "Violators of the refined dual"); checked against the verify
  package's own region scan."""
import numpy as np
import pytest

import relucert.lp.tv.candidate as candidate
import relucert.lp.tv.exchange as exchange
from relucert import solve
from relucert._model import relu_features
from relucert.arrangement import enumerate_chambers
from relucert.examples import battery
from relucert.lp.compensated import masked_sums
from relucert.lp.tv.oracle import scan_all_chambers
from relucert.results import Status
from relucert.tolerances import resolve
from relucert.verify.analysis import solution_from_measure

LAM = 0.01


@pytest.fixture(scope="module")
def reference():
    X, y = battery("teacher", 30, 2, seed=0)   # a full-rank support: the refinement applies
    sol = solve(X, y, LAM)
    check = solution_from_measure(X, y, LAM, sol.theta, sol.amplitude)
    assert check.status is Status.OPTIMAL
    return X, y, sol, check


def test_selectively_compensated_scan_bounds_the_compensated_maximum(reference, monkeypatch):
    """A dual just past feasibility (the optimum's, scaled by 1 + 1e-6): the selective scan's
    upper bound is at least the fully compensated scan's maximum, within the float error bound
    of it, and both list the same violators."""
    X, y, sol, _ = reference
    tol = resolve(None)
    arr = enumerate_chambers(X)
    Xl = arr.X_lift
    p = (y - relu_features(Xl, sol.theta) @ sol.amplitude) / LAM
    q = p * (1.0 + 1e-6)   # the optimal dual pushed just past feasibility: a few violators
    full = scan_all_chambers(arr, q, 1.0 + tol.dual_feas, V=masked_sums(arr.active(), q, Xl), tol=tol)
    sel = candidate._selectively_compensated_scan(arr, q, Xl, tol, None)
    eps_2n = 2 * arr.n * np.finfo(float).eps
    err = 2 * eps_2n / (1 - eps_2n) * float(np.abs(q) @ np.linalg.norm(Xl, axis=1))
    assert sel.complete and full.complete
    assert full.max_value <= sel.upper_bound <= full.max_value + err
    assert sel.max_value == pytest.approx(full.max_value, abs=err)
    assert sorted(zip(sel.chamber.tolist(), sel.sign.tolist())) == sorted(zip(full.chamber.tolist(),
                                                                            full.sign.tolist()))
    # nothing near the maximum: every chamber is re-summed only when the set is small enough
    monkeypatch.setattr(candidate, "DUAL_REFINE_MAX_WORK", 0)
    assert candidate._selectively_compensated_scan(arr, q, Xl, tol, None) is None


def test_refined_dual_scan_takes_the_selective_path_on_large_arrangements(reference, monkeypatch):
    """Past DUAL_REFINE_MAX_WORK the refined dual is scanned selectively (before: no re-scoring)."""
    X, y, sol, _ = reference
    arr = enumerate_chambers(X)
    calls = []
    real = candidate._selectively_compensated_scan
    monkeypatch.setattr(candidate, "_selectively_compensated_scan", lambda *a: calls.append(1) or real(*a))
    oracle = candidate.as_oracle(arr)
    monkeypatch.setattr(candidate, "DUAL_REFINE_MAX_WORK", arr.n_chambers * arr.n - 1)
    got = candidate.refined_dual_scan(oracle, y, LAM, sol.theta, sol.amplitude, resolve(None))
    assert calls and got is not None and got[1].complete


def test_exchange_adds_the_refined_duals_violators_when_none_is_new(reference, monkeypatch):
    """Rounds 2 to 4 report no new violator (as at the floor, where the weights' dual lists only
    atoms of the set): the refined dual's violators keep the run going and it certifies the
    optimum that the region scan confirms; without them it would stop at round 2."""
    X, y, _, check = reference
    real = exchange.update_atom_set
    calls = {"n": 0}

    def none_new(*args, **kwargs):
        calls["n"] += 1
        theta_set, sign_set, c_prev, added = real(*args, **kwargs)
        if 2 <= calls["n"] <= 4:  # the set as the weights' dual left it, minus its violators
            size = args[0].shape[0]
            return theta_set[:size], sign_set[:size], c_prev, False
        return theta_set, sign_set, c_prev, added

    monkeypatch.setattr(exchange, "update_atom_set", none_new)
    sol = solve(X, y, LAM)
    rescued = [h for h in sol.info["history"] if "refined_violators" in h]
    assert len(rescued) >= 1 and all(h["refined_violators"] > 0 for h in rescued)
    assert sol.status is Status.OPTIMAL
    again = solution_from_measure(X, y, LAM, sol.theta, sol.amplitude)
    assert again.status is Status.OPTIMAL
    assert abs(sol.objective - check.objective) <= sol.duality_gap + check.duality_gap + sol.tol.obj_gap * check.objective


def test_selective_scans_second_pass_projects_only_near_the_maximum(reference, monkeypatch):
    """The second scan takes the first as its prior: it projects no chamber outside the re-summed
    ones (whose bounds are the first scan's, unchanged), and its answer is the one of a second
    scan from scratch (the same maximum, upper bound and violators)."""
    import relucert.lp.tv.oracle as oracle_mod

    X, y, sol, _ = reference
    tol = resolve(None)
    arr = enumerate_chambers(X)
    Xl = arr.X_lift
    p = (y - relu_features(Xl, sol.theta) @ sol.amplitude) / LAM
    q = p * (1.0 + 1e-6)
    calls = []
    real = oracle_mod.scan_all_chambers

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append((kwargs, out))
        return out

    monkeypatch.setattr(oracle_mod, "scan_all_chambers", spy)
    sel = candidate._selectively_compensated_scan(arr, q, Xl, tol, None)
    (_, first), (kw, second) = calls
    eps_2n = 2 * arr.n * np.finfo(float).eps
    err = 2 * eps_2n / (1 - eps_2n) * float(np.abs(q) @ np.linalg.norm(Xl, axis=1))
    near = int(np.count_nonzero(first.bounds.max(axis=1) > first.max_value - err))
    assert second.n_projected <= 2 * near < first.n_projected
    # from scratch: the same vectors, no prior
    scratch = real(arr, q, 1.0 + tol.dual_feas, V=kw["V"], tol=tol)
    assert (sel.max_value, second.upper_bound) == (scratch.max_value, scratch.upper_bound)
    assert sorted(zip(second.chamber.tolist(), second.sign.tolist())) == sorted(zip(scratch.chamber.tolist(),
                                                                                scratch.sign.tolist()))
