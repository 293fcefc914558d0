"""Searches for small data sets where a hypothesis of the theory fails.

- ``nonunique``: the optimal measure is not unique (two re-checked optimal networks).
  Random search over small data sets, with local moves (label noise, lam).
- ``degenerate``: the dual certificate is degenerate (ND1 fails: |eta| = 1 at a point that
  carries no mass) and a tiny perturbation of the labels changes the number of Diracs.
  Random search over data and dual vectors p; a local Newton move on p makes two region
  maxima tie at exactly 1, then the labels are built as ``y = K mu + lam p`` with mass at
  one of the two points only (so p is the optimal dual, DESIGN.md section 1). Pushing
  the labels by ``eps * s phi(theta_2)`` adds the second Dirac.
- ``boundary``: the optimal atoms sit on region boundaries (hyperplanes through data
  points). Random search with label moves.

Every counterexample is re-verified before it is returned: the problem is solved by
:func:`relucert.solve`, its certificate report is recomputed by
:func:`relucert.certify` (which refuses non-optimal solutions), and the claimed property
is read off the report.
"""
from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from relucert._validation import check_choice, check_positive_int
from relucert.arrangement import enumerate_chambers, region_max
from relucert.errors import RelucertError, SolverError
from relucert._model import lift, relu_features
from relucert.results import AtomLocation, Verdict
from relucert.tolerances import Tolerances, resolve
from relucert.experiments.parameters import (
    BOUNDARY_LABEL_NOISE, BOUNDARY_LAM, DEGENERATE_LAM, LABEL_STEP, MARGIN, NEWTON_STEPS, NEWTON_STOP,
    NONUNIQUE_LABEL_NOISE, NONUNIQUE_LAMS, SEARCH_MAX_ITER, SEPARATION,
)

__all__ = ["Kind", "Counterexample", "find_counterexample"]


class Kind(StrEnum):
    """The hypothesis of the theory a search tries to break (module docstring)."""

    NONUNIQUE = "nonunique"
    DEGENERATE = "degenerate"
    BOUNDARY = "boundary"


@dataclass(frozen=True, eq=False)
class Counterexample:
    """A re-verified counterexample: the data, the solution and its certificate report,
    the explanation in words, how many tries the search took, and for ``degenerate``
    the perturbed problem (``extra["perturbed"] = (X, y, lam, solution, report)``)."""

    kind: Kind
    X: np.ndarray
    y: np.ndarray
    lam: float
    solution: object
    report: object
    explanation: str
    tries: int
    extra: dict = field(default_factory=dict)   # name -> (X, y, lam, solution, report)


class _Timeout(Exception):
    pass


@contextmanager
def _time_limit(seconds: float | None):
    """Bound one solve (SIGALRM; a no-op off the main thread or without SIGALRM)."""
    usable = seconds is not None and hasattr(signal, "SIGALRM")
    if usable:
        try:
            old = signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(_Timeout()))
        except ValueError:  # not the main thread
            usable = False
    if usable:
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if usable:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)


def _solve_and_certify(X, y, lam, tol, time_limit):
    from relucert.certifier import certify
    from relucert.solver import solve

    try:
        with _time_limit(time_limit):
            sol = solve(X, y, lam, tol=tol, max_iter=SEARCH_MAX_ITER, strict=True)
            rep = certify(sol, y, lam, X=X, tol=tol)
    except (_Timeout, SolverError, RelucertError, ValueError):
        return None, None
    return sol, rep


def _data(rng, n, d):
    return rng.standard_normal((n, d)), rng.standard_normal(n)


def _progress(it, total, show):
    from tqdm import tqdm

    return tqdm(it, total=total, disable=None if show else True, file=sys.stderr, desc="search")


def _nonunique(d, rng, tol, max_tries, time_limit, show):
    tries = 0
    for _ in _progress(range(max_tries), max_tries, show):
        n = int(rng.integers(6, 11))
        X, y0 = _data(rng, n, d)
        for lam in NONUNIQUE_LAMS:          # local moves: lam, then label noise
            for move in range(2):
                tries += 1
                y = y0 + (NONUNIQUE_LABEL_NOISE * rng.standard_normal(n) if move else 0.0)
                sol, rep = _solve_and_certify(X, y, lam, tol, time_limit)
                if rep is None or rep.unique is not Verdict.NOT_UNIQUE:
                    continue
                w = rep.witnesses[0]
                if not w.checked:
                    continue
                pairs = rep.uniqueness.antipodal_pairs
                text = (f"Non-unique optimal measure: n = {n} points in d = {d}, lam = {lam:g}. The certificate "
                        f"reaches |eta| = 1 at {rep.support_bound} points but rank(Phi_E) = {rep.rank_phi_E}, so the "
                        f"solution polytope Q is not a point: two optimal networks (in the report's witnesses) have "
                        f"the same predictions and the same objective {w.objective1:.12g} but amplitudes differing "
                        f"by {w.max_amplitude_diff:.3g}. The learned function is {rep.unique_function} "
                        + (f"({len(pairs)} antipodal pairs (theta, -theta) of E with the same sign: relu(z) - "
                           f"relu(-z) = z lets mass move inside them at no cost)." if pairs else ".")
                        + " Both networks were re-checked (predictions, objective) and the solution was certified "
                        "by the recomputed duality gap.")
                return Counterexample(Kind.NONUNIQUE, X, y, lam, sol, rep, text, tries)
    raise RuntimeError(f"no non-unique instance found in {tries} tries; raise --max-tries or change --seed")


def _region_maxima(arr, p, tol):
    from relucert.verify.regions import scan_regions

    return scan_regions(arr, p, tol=tol)


def _tie_two_maxima(arr, p, tol, rng):
    """Newton on p: make the two largest region maxima (at distinct points) both 1."""
    from relucert.verify.regions import SIGNS

    Xl = arr.X_lift
    scan = _region_maxima(arr, p, tol)
    p = p / scan.max_abs
    scan = _region_maxima(arr, p, tol)
    flat = np.argsort(scan.value.ravel())[::-1]
    first = np.unravel_index(flat[0], scan.value.shape)
    th1 = scan.point[first]
    second = None
    for f in flat[1:]:
        k, si = np.unravel_index(f, scan.value.shape)
        if np.linalg.norm(scan.point[k, si] - th1) > SEPARATION and np.linalg.norm(scan.point[k, si] + th1) > SEPARATION:
            second = (k, si)
            break
    if second is None:
        return None
    pairs = [first, second]
    for _ in range(NEWTON_STEPS):
        vals = []
        J = []
        for k, si in pairs:
            s = SIGNS[si]
            r = region_max(s * scan.v[k], arr.inward_normals(k), tol=tol)
            if r.point is None:
                return None
            vals.append(r.value - 1.0)
            J.append(s * relu_features(Xl, r.point[None, :])[:, 0])
        F = np.array(vals)
        if np.max(np.abs(F)) < NEWTON_STOP:
            break
        delta = np.linalg.lstsq(np.array(J), -F, rcond=None)[0]
        p = p + delta
        scan = _region_maxima(arr, p, tol)
    else:
        return None
    scan = _region_maxima(arr, p, tol)
    out = []
    for k, si in pairs:
        out.append((scan.point[k, si].copy(), SIGNS[si]))
    # the tie must be the global maximum with a clear margin elsewhere
    mask = np.ones(scan.value.shape, dtype=bool)
    for k, si in pairs:
        mask[k, si] = False
    for k, si in zip(*np.nonzero(mask)):
        pt = scan.point[k, si]
        if np.isnan(pt[0]):
            continue
        near = any(np.linalg.norm(pt - th) < tol.point_merge and SIGNS[si] == s for th, s in out)
        if not near and scan.value[k, si] > 1.0 - MARGIN:
            return None
    if scan.max_abs > 1.0 + tol.dual_feas:
        return None
    return p, out


def _degenerate(d, rng, tol, max_tries, time_limit, show):
    tries = 0
    for _ in _progress(range(max_tries), max_tries, show):
        tries += 1
        n = int(rng.integers(5, 9))
        X = rng.standard_normal((n, d))
        arr = enumerate_chambers(X, tol=tol)
        tie = _tie_two_maxima(arr, rng.standard_normal(n), tol, rng)
        if tie is None:
            continue
        p, ((th1, s1), (th2, s2)) = tie
        lam = DEGENERATE_LAM
        Xl = lift(X)
        a1 = s1 * (1.0 + rng.uniform())
        y = relu_features(Xl, th1[None, :])[:, 0] * a1 + lam * p
        sol, rep = _solve_and_certify(X, y, lam, tol, time_limit)
        if rep is None or rep.nondegeneracy.condition("ND1").passed or rep.support_size != 1:
            continue
        eps = LABEL_STEP
        y2 = y + eps * s2 * relu_features(Xl, th2[None, :])[:, 0]
        sol2, rep2 = _solve_and_certify(X, y2, lam, tol, time_limit)
        if rep2 is None or rep2.support_size != 2:
            continue
        text = (f"Degenerate certificate: n = {n} points in d = {d}, lam = {lam:g}. The optimal dual certificate "
                f"reaches |eta| = 1 at two points, but only one carries mass: ND1 fails (|eta| = 1 off the "
                f"support), so the certificate is degenerate. Moving the labels by {eps:g} * "
                f"{'+' if s2 > 0 else '-'}phi(theta_2) (a relative change of "
                f"{np.linalg.norm(y2 - y) / np.linalg.norm(y):.2g}) changes the number of Diracs of the solution "
                f"from {rep.support_size} to {rep2.support_size}: the low-noise stability theorem needs "
                f"non-degeneracy. Both problems were solved and certified (recomputed duality gaps "
                f"{rep.duality_gap:.2g} and {rep2.duality_gap:.2g}).")
        return Counterexample(Kind.DEGENERATE, X, y, lam, sol, rep, text, tries,
                              extra={"perturbed": (X, y2, lam, sol2, rep2)})
    raise RuntimeError(f"no degenerate instance found in {tries} tries; raise --max-tries or change --seed")


def _boundary(d, rng, tol, max_tries, time_limit, show):
    tries = 0
    for _ in _progress(range(max_tries), max_tries, show):
        n = int(rng.integers(5, 9))
        X, y0 = _data(rng, n, d)
        for move in range(3):                  # local moves on the labels
            tries += 1
            y = y0 + (BOUNDARY_LABEL_NOISE * rng.standard_normal(n) if move else 0.0)
            sol, rep = _solve_and_certify(X, y, BOUNDARY_LAM, tol, time_limit)
            if rep is None:
                continue
            bd = [a for a in rep.atoms if a.location is AtomLocation.BOUNDARY]
            if not bd:
                continue
            planes = sorted({h for a in bd for h in a.hyperplanes})
            nd3 = rep.nondegeneracy.condition("ND3")
            text = (f"Atoms on region boundaries: n = {n} points in d = {d}, lam = {BOUNDARY_LAM:g}. {len(bd)} of the "
                    f"{rep.support_size} optimal atoms lie on hyperplanes H_i through data points "
                    f"(i in {planes}): the kink of relu(<w, x> + b) passes exactly through a data point. Such a "
                    f"point is shared by several dual regions (merged into one point of E); it is a "
                    f"non-degenerate maximum only through strict complementarity (ND3 "
                    f"{'holds' if nd3.passed else 'FAILS'}, smallest facet multiplier {nd3.margin:.3g}), not "
                    f"through curvature. The solution was certified by the recomputed duality gap "
                    f"{rep.duality_gap:.2g}.")
            return Counterexample(Kind.BOUNDARY, X, y, BOUNDARY_LAM, sol, rep, text, tries)
    raise RuntimeError(f"no boundary instance found in {tries} tries; raise --max-tries or change --seed")


def find_counterexample(kind: str | Kind, *, d: int = 1, seed: int = 0, max_tries: int = 50,
                        time_limit: float | None = 20.0, progress: bool | None = None,
                        tol: Tolerances | None = None) -> Counterexample:
    """Search for a counterexample of ``kind`` (module docstring).

    Parameters
    ----------
    kind : Kind or str
    d : int
        Input dimension.
    seed : int
    max_tries : int
        Random starts.
    time_limit : float or None
        Seconds allowed for one solve.
    progress : bool or None
    tol : Tolerances, optional

    Returns
    -------
    Counterexample

    Raises
    ------
    RuntimeError
        ``max_tries`` random starts found none.
    """
    kind = check_choice(kind, "kind", Kind)
    d = check_positive_int(d, "d")
    max_tries = check_positive_int(max_tries, "max_tries")
    tol = resolve(tol)
    rng = np.random.default_rng(seed)
    show = progress is not False
    search = {Kind.NONUNIQUE: _nonunique, Kind.DEGENERATE: _degenerate, Kind.BOUNDARY: _boundary}[Kind(kind)]
    return search(d, rng, tol, max_tries, time_limit, show)
