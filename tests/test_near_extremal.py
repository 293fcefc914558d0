"""The certificate report from the near-extremal chambers only (issue 13, item 3;
proofs/near_extremal_chambers.md) against the report from full enumeration: the same E,
the same verdicts, the same ND1-ND4 outcomes; every chamber above the level listed."""
from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pytest

from analysis_cases import symmetric_continuum
from problems import certificate_extrema
from relucert.arrangement import enumerate_chambers, lift, pack_signs
from relucert.certifier import near_extremal_report
from relucert.errors import CertificateError
from relucert.results import Verdict
from relucert.lp.tv.bab import maximise
from relucert.solution import relu_features
from relucert.tolerances import NEAR_EXTREMAL_BAND, NEAR_EXTREMAL_WIDEN
from relucert.verify.analysis import analyse, certificate_dual, solution_from_measure
from relucert.verify.near_extremal import adaptive_band, near_extremal_arrangement
from relucert.verify.regions import scan_regions


def _constructed(n, d, seed, *, zero=0, repeat=0, lam=0.05):
    """An optimal measure by construction (tests/problems.py's recipe): a random dual
    vector scaled to max |eta| = 1, mass on its maximisers; ``zero`` samples with weight 0
    (their hyperplanes split regions) and ``repeat`` repeated samples."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if repeat:
        X[-repeat:] = X[:repeat]
    p = rng.standard_normal(n)
    p[n - repeat - zero:n - repeat] = 0.0
    ext = certificate_extrema(X, p)
    top = max(e[0] for e in ext)
    p = p / top
    best = [e for e in ext if e[0] >= top * (1 - 1e-12)]
    theta = np.array([e[1] for e in best])
    amp = np.array([e[2] for e in best]) * (1.0 + rng.uniform(size=len(best)))
    y = relu_features(lift(X), theta) @ amp + lam * p
    return X, y, lam, theta, amp


def _both(X, y, lam, theta, amp, band=None):
    arr = enumerate_chambers(X)
    sol = solution_from_measure(X, y, lam, theta, amp, arrangement=arr)
    full = analyse(sol, arrangement=arr)
    part = near_extremal_report(sol, progress=False, band=band)
    return arr, sol, full, part


def _same_report(full, part):
    E1 = sorted((q.sign, tuple(np.round(q.theta, 9))) for q in full.extremal.points)
    E2 = sorted((q.sign, tuple(np.round(q.theta, 9))) for q in part.extremal.points)
    assert E1 == E2
    assert (part.unique, part.unique_function) == (full.unique, full.unique_function)
    assert [c.passed for c in part.conditions] == [c.passed for c in full.conditions]
    assert part.one_extremum_per_region == full.one_extremum_per_region
    assert part.n_extremal_pairs == full.n_extremal_pairs
    assert (part.regions_plus, part.regions_minus, part.regions_both) == (
        full.regions_plus, full.regions_minus, full.regions_both)
    assert part.support_size == full.support_size and part.rank_phi_E == full.rank_phi_E
    assert part.outside_excluded_rigorously == full.outside_excluded_rigorously
    t = part.unlisted_max
    assert NEAR_EXTREMAL_BAND >= 1.0 - t > 0 and full.unlisted_max is None
    assert part.band_decides is False and full.band_decides is None
    # the largest maximum outside E: the enumeration's own when it is above t, else t
    assert part.extremal.max_outside == pytest.approx(max(full.extremal.max_outside, t), abs=1e-12)
    assert part.to_dict()["chambers_listed"] == "near-extremal"
    assert part.to_dict()["unlisted_bound_decides"] is False


def _listed_every_chamber_above(arr, full, part):
    t = part.unlisted_max
    above = np.flatnonzero(np.max(full.scan.value, axis=1) > t)
    listed = {row.tobytes() for row in part.arrangement.sign_patterns}
    assert {arr.sign_patterns[k].tobytes() for k in above} <= listed
    assert part.n_chambers < arr.n_chambers            # output-sensitive: not the whole arrangement
    # the listed chambers are chambers (interior point strictly inside, facets as enumerated)
    Pt = part.arrangement
    assert np.all(Pt.margin > 0)
    index = {arr.sign_patterns[k].tobytes(): k for k in range(arr.n_chambers)}
    for j in range(Pt.n_chambers):
        k = index[Pt.sign_patterns[j].tobytes()]
        assert sorted(Pt.facets(j).tolist()) == sorted(arr.facets(k).tolist())


@pytest.mark.parametrize("band", [None, NEAR_EXTREMAL_BAND])
@pytest.mark.parametrize("n, d, seed, zero, repeat", [(14, 2, 0, 0, 0), (16, 2, 1, 3, 2), (12, 3, 2, 0, 0),
                                                      (14, 3, 3, 2, 1), (9, 4, 4, 1, 0), (12, 4, 5, 0, 0)])
def test_near_extremal_report_equals_full_enumeration(n, d, seed, zero, repeat, band):
    # band None: the band follows the instance (a power of two above twice the gap's reach)
    arr, sol, full, part = _both(*_constructed(n, d, seed, zero=zero, repeat=repeat), band=band)
    _same_report(full, part)
    _listed_every_chamber_above(arr, full, part)
    if band is None:
        assert part.unlisted_max == 1.0 - adaptive_band(sol.X, sol.lam, sol.duality_gap)


def test_the_adaptive_band():
    X, y, lam, theta, amp = _constructed(9, 4, 4, zero=1)
    sol = solution_from_measure(X, y, lam, theta, amp)
    reach = np.sqrt(2 * sol.duality_gap) / lam * np.linalg.norm(lift(X), 2)
    b = adaptive_band(X, lam, sol.duality_gap)
    assert np.log2(b) == int(np.log2(b)) and 2 * reach <= b < 4 * reach and b < NEAR_EXTREMAL_BAND
    assert adaptive_band(X, lam, 0.0) == 2.0 ** -20             # 8 tol.extremal = 8e-7 < 2^-20
    assert adaptive_band(X, lam, -1.0) == 2.0 ** -20
    assert adaptive_band(X, lam, 1.0) == NEAR_EXTREMAL_BAND      # a large gap: the widest band
    for bad in (0.0, 1e-8, 1.0, 2.0, float("nan"), True, "0.1"):
        with pytest.raises(ValueError, match="band must be"):
            near_extremal_report(sol, band=bad, progress=False)


def test_a_band_that_decides_is_widened_and_a_given_one_is_reported():
    # at the level 1 - 2^-20 the unlisted bound is within the gap's reach of 1: the mass
    # outside E is no longer excluded (valid, coarser) and the report says its level decided
    X, y, lam, theta, amp = _constructed(12, 3, 2)
    arr, sol, full, narrow = _both(X, y, lam, theta, amp, band=2.0 ** -20)
    assert full.outside_excluded_rigorously and not narrow.outside_excluded_rigorously
    assert narrow.band_decides is True and narrow.unlisted_max == 1.0 - 2.0 ** -20
    assert narrow.unique is full.unique and narrow.n_chambers <= 8
    assert narrow.to_dict()["unlisted_bound_decides"] is True
    # the adaptive rule starting there widens (x NEAR_EXTREMAL_WIDEN) until the level decides nothing
    with patch("relucert.verify.near_extremal.adaptive_band", return_value=2.0 ** -20):
        part = near_extremal_report(sol, progress=False)
    widened = 1.0 - part.unlisted_max
    assert widened in {min(2.0 ** -20 * NEAR_EXTREMAL_WIDEN ** k, NEAR_EXTREMAL_BAND) for k in range(1, 12)}
    _same_report(full, part)
    _listed_every_chamber_above(arr, full, part)


def test_near_extremal_report_of_a_continuum_of_optimal_measures():
    # d = 1, six points of E, a one-parameter family of optimal measures (not unique, the
    # function unique): the verdicts and their reasons name the same points
    X, y, lam, theta, amp, p, objective, null = symmetric_continuum()
    arr, sol, full, part = _both(X, y, lam, theta, amp + 0.25 * null)
    _same_report(full, part)
    assert part.unique is Verdict.NOT_UNIQUE and part.unique_function is Verdict.UNIQUE
    _listed_every_chamber_above(arr, full, part)


def test_zero_weight_regions_split_into_their_chambers():
    # three zero-weight samples: a region of the support rows holds several chambers,
    # all listed (the breadth-first search over the zero-weight flips)
    X, y, lam, theta, amp = _constructed(16, 2, 5, zero=3)
    sol = solution_from_measure(X, y, lam, theta, amp)
    scan = maximise(X, certificate_dual(sol), 1.0 - NEAR_EXTREMAL_BAND, progress=False)
    near = near_extremal_arrangement(X, scan)
    assert near.n_chambers > near.n_regions
    arr = enumerate_chambers(X)
    full = scan_regions(arr, certificate_dual(sol))
    above = np.flatnonzero(np.max(full.value, axis=1) > near.threshold)
    listed = {row.tobytes() for row in near.arrangement.sign_patterns}
    assert {arr.sign_patterns[k].tobytes() for k in above} <= listed
    # every listed chamber lies in a listed region (restricted to the support rows)
    act = near.arrangement.active()
    keys = {np.packbits(a).tobytes() for a in scan.active}
    for row in act:
        sub = np.zeros(scan.support.size, dtype=bool)
        sub[scan.groups[scan.groups >= 0]] = row[scan.groups >= 0]
        assert np.packbits(sub).tobytes() in keys


def test_a_stopped_search_is_refused():
    X, y, lam, theta, amp = _constructed(14, 2, 0)
    sol = solution_from_measure(X, y, lam, theta, amp)
    scan = maximise(X, certificate_dual(sol), 1.0 - NEAR_EXTREMAL_BAND, max_nodes=1, progress=False)
    assert not scan.complete
    with pytest.raises(CertificateError, match="stopped before closing every node"):
        near_extremal_arrangement(X, scan)


def test_p0_needs_every_chamber():
    from relucert.certifier import _with_p0
    from relucert.tolerances import resolve

    X, y, lam, theta, amp = _constructed(14, 2, 0)
    part = near_extremal_report(solution_from_measure(X, y, lam, theta, amp), progress=False)
    with pytest.raises(ValueError, match="needs every chamber"):
        _with_p0(part, True, "exchange", resolve(None))
