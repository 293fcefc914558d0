"""The regularisation path: certified optima of (P_lam) on a decreasing grid of lam.

:func:`lam_max` is the lam above which the zero network is optimal (computed by the
solver's complete scan of every dual region); :func:`solve_path` solves (P_lam) at every
lam of a grid, largest first, and reports every point's status and certificate (duality
gap, max |eta|). proofs/regularisation_path.md has the lemmas (lam_max, monotonicity of
the TV norm and of the training error in lam) and the tests that check them.

Warm starts: the chambers depend only on X, so the path enumerates them once (lam_max and
every point scan that one arrangement), and each point starts its exchange from the
previous point's atoms (``relucert.solve(..., warm_start=previous)``). A warm start only
changes the starting columns: every point is certified by its own complete scan, so it
equals an independent cold solve at its lam (proofs/regularisation_path.md, Lemma 3).
"""
from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from relucert._model import lift
from relucert._validation import check_lam, check_positive_int, check_Xy
from relucert.errors import ConvergenceWarning, InaccurateSolutionWarning, SolverError
from relucert.results import Status, jsonable
from relucert.tolerances import PATH_LAM_RATIO, Tolerances, resolve

__all__ = ["PATH_FORMAT", "PathPoint", "PathResult", "lam_max", "lam_grid", "solve_path", "DEFAULT_N_LAMS"]

#: The format tag of a path's JSON document.
PATH_FORMAT = "relucert.path/1"
#: Points of the default grid.
DEFAULT_N_LAMS = 20


@dataclass(frozen=True)
class PathPoint:
    """One lam of a path: the solver's answer there and its certificate."""

    lam: float
    status: Status
    objective: float
    duality_gap: float
    relative_gap: float
    max_abs_certificate: float
    tv_norm: float
    n_neurons: int
    train_mse: float
    theta: np.ndarray
    amplitude: np.ndarray
    wall_time_s: float
    message: str = ""

    @property
    def success(self) -> bool:
        return self.status is Status.OPTIMAL

    def to_dict(self) -> dict:
        return jsonable({
            "lam": self.lam, "status": self.status, "objective": self.objective,
            "duality_gap": self.duality_gap, "relative_gap": self.relative_gap,
            "max_abs_certificate": self.max_abs_certificate, "tv_norm": self.tv_norm,
            "n_neurons": self.n_neurons, "train_mse": self.train_mse, "wall_time_s": self.wall_time_s,
            "message": self.message,
            "atoms": [{"theta": t, "amplitude": a} for t, a in zip(self.theta, self.amplitude)],
        })


@dataclass(frozen=True)
class PathResult:
    """A regularisation path: ``points`` in decreasing lam, and ``lam_max``."""

    X: np.ndarray
    y: np.ndarray
    lam_max: float
    points: tuple[PathPoint, ...]
    tol: Tolerances
    warm_start: bool = False
    solutions: tuple = field(default=(), repr=False, compare=False)

    @property
    def lams(self) -> np.ndarray:
        return np.array([pt.lam for pt in self.points])

    @property
    def success(self) -> bool:
        """Every point optimal (certified gap within ``tol.obj_gap``)."""
        return all(pt.success for pt in self.points)

    def column(self, name: str) -> np.ndarray:
        """One field of every point, as an array in path order (``"objective"``, ...)."""
        return np.array([getattr(pt, name) for pt in self.points])

    def to_dict(self) -> dict:
        return jsonable({
            "format": PATH_FORMAT, "lam_max": self.lam_max, "n_points": len(self.points),
            "all_optimal": self.success, "warm_start": self.warm_start,
            "points": [pt.to_dict() for pt in self.points], "tol": self.tol.to_dict(),
            "X": self.X, "y": self.y,
        })


def lam_max(X, y, *, tol: Tolerances | None = None, max_chambers: int | None = None, device: str = "auto",
            progress: bool | None = False, arrangement=None) -> float:
    """``max_theta |eta_y(theta)|``: the zero network is optimal for (P_lam) iff ``lam >= lam_max``.

    Computed by ``relucert.solve`` at ``lam_hi = sum_i |y_i| ||(x_i, 1)||`` (an upper bound
    of lam_max), where the solver returns the zero network with ``p = y / lam_hi`` and its
    complete region scan gives ``max |eta_p| = lam_max / lam_hi`` (proofs/regularisation_path.md,
    Lemma 1). Fails closed: ``SolverError`` when that solve is not the optimal zero network.
    ``arrangement``: the chambers of X when the caller has them (enumerated otherwise).

    Examples
    --------
    Two points, ``y = (0, 1)`` at ``x = (0, 1)``: ``eta_y(theta) = relu(theta_1 + theta_2)``,
    maximal at ``theta = (1, 1)/sqrt(2)``, so ``lam_max = sqrt(2)``.

    >>> round(lam_max([[0.0], [1.0]], [0.0, 1.0]) ** 2, 12)
    2.0
    """
    from relucert import solve

    X, y = check_Xy(X, y)
    lam_hi = float(np.abs(y) @ np.linalg.norm(lift(X), axis=1))
    if lam_hi == 0.0:
        return 0.0
    # any lam >= lam_max has the zero network optimal (Lemma 1); at twice the bound the
    # solver's scan finds max |eta_p| <= 1/2, far from the threshold 1 (an exact scaling)
    lam_hi *= 2.0
    # the scan of every chamber (oracle='enumerate') gives max |eta_y| exactly; data beyond
    # the enumeration limit are refused (TooManyChambersError) instead of searched
    sol = solve(X, y, lam_hi, tol=tol, max_chambers=max_chambers, device=device, progress=progress,
                oracle="enumerate", arrangement=arrangement)
    if sol.status is not Status.OPTIMAL or sol.n_atoms != 0:
        raise SolverError(f"lam_max: the solve at lam = {lam_hi:.6g} (>= lam_max by Cauchy-Schwarz) did not "
                          f"return the optimal zero network (status {sol.status.value!r}, {sol.n_atoms} neurons)")
    return float(sol.max_abs_certificate) * lam_hi


def lam_grid(lam_hi: float, n_lams: int = DEFAULT_N_LAMS, ratio: float = PATH_LAM_RATIO) -> np.ndarray:
    """``n_lams`` geometrically spaced lams from ``lam_hi`` down to ``ratio * lam_hi``."""
    lam_hi = check_lam(lam_hi, name="lam_max")
    n_lams = check_positive_int(n_lams, "n_lams")
    if not (isinstance(ratio, (int, float)) and 0 < ratio <= 1):
        raise ValueError(f"ratio must be a float in (0, 1]; got {ratio!r}")
    if n_lams == 1:
        return np.array([lam_hi])
    return lam_hi * np.geomspace(1.0, float(ratio), n_lams)


def _check_lams(lams) -> np.ndarray:
    try:
        arr = np.asarray(lams, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"lams must be a 1-D sequence of floats > 0; got {type(lams).__name__}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"lams must be a non-empty 1-D sequence of floats > 0; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        bad = arr[~(np.isfinite(arr) & (arr > 0))][0]
        raise ValueError(f"lams must be finite floats > 0 (lam = 0 is interpolation: use relucert.solve); "
                         f"got {bad!r}")
    out = np.unique(arr)[::-1]  # decreasing, duplicates removed
    return out


def solve_path(X, y, lams=None, *, n_lams: int = DEFAULT_N_LAMS, ratio: float = PATH_LAM_RATIO,
               tol: Tolerances | None = None, max_chambers: int | None = None, max_iter: int | None = None,
               device: str = "auto", progress: bool | None = None, strict: bool = False,
               warm_start: bool = True, qp_backend: str = "active-set") -> PathResult:
    """Certified optima of (P_lam) for every lam of a decreasing grid.

    Parameters
    ----------
    X : array (n_samples, n_features)
    y : array (n_samples,)
    lams : sequence of floats > 0, optional
        Solved in decreasing order (duplicates dropped). Default: ``n_lams`` geometric
        steps from :func:`lam_max` (where the zero network becomes optimal) down to
        ``ratio * lam_max``.
    n_lams, ratio : the default grid (ignored when ``lams`` is given).
    tol, max_chambers, max_iter, device : passed to :func:`relucert.solve` at every point.
    progress : a progress bar over the points on stderr (None: only on a terminal).
    strict : raise ``SolverError`` at the first non-optimal point.
    warm_start : bool, default True
        Start each point from the previous point's atoms (False: every point cold, from no
        atoms; the benchmark's baseline). The chambers are enumerated once either way.
    qp_backend : {"active-set", "daqp"}, default "active-set"
        The solver of the finite lasso programs at every point (as in :func:`relucert.solve`).

    Returns
    -------
    PathResult
        One :class:`PathPoint` per lam with its status, objective, certified duality gap,
        max |eta| (exact scan), TV norm, number of neurons, training mean squared error and
        atoms. A point that is not optimal keeps its status (``limit``/``inaccurate``) and
        certified gap; ``solve_path`` then warns with ``ConvergenceWarning`` naming the
        points, and ``PathResult.success`` is False.

    Notes
    -----
    Every point is certified by its own complete scan of every chamber, whatever atoms it
    started from, so it equals ``relucert.solve(X, y, lam)`` (to the solver's certified
    gap; proofs/regularisation_path.md, Lemma 3). Along an exact path the TV norm is
    non-increasing and the training error non-decreasing in lam
    (proofs/regularisation_path.md, Lemma 2).

    Examples
    --------
    >>> path = solve_path([[0.0], [1.0], [2.0]], [0.0, 1.0, 0.0], n_lams=3, progress=False)
    >>> path.success, [pt.n_neurons for pt in path.points][0]
    (True, 0)
    """
    from tqdm import tqdm

    from relucert import solve

    X, y = check_Xy(X, y)
    tol = resolve(tol)
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be a bool; got {type(strict).__name__}")
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be a bool or None; got {type(progress).__name__}")
    if not isinstance(warm_start, bool):
        raise TypeError(f"warm_start must be a bool; got {type(warm_start).__name__}")
    from relucert.solver import check_qp_backend

    qp_backend = check_qp_backend(qp_backend)
    from relucert.arrangement import DEFAULT_MAX_CHAMBERS, enumerate_chambers

    # the chambers depend on X only: one enumeration serves lam_max and every point
    arr = enumerate_chambers(X, max_chambers=DEFAULT_MAX_CHAMBERS if max_chambers is None else
                             check_positive_int(max_chambers, "max_chambers"), progress=False, tol=tol)
    top = lam_max(X, y, tol=tol, max_chambers=max_chambers, device=device, arrangement=arr)
    if lams is None:
        if top == 0.0:
            raise ValueError("y: every label is 0, so the zero network is optimal for every lam and the "
                             "default grid (from lam_max = 0) is empty; pass lams explicitly")
        grid = lam_grid(top, n_lams, ratio)
    else:
        grid = _check_lams(lams)
    points, sols = [], []
    bar = tqdm(grid, desc="path", unit="lam", disable=None if progress is None else not progress,
               file=sys.stderr)
    previous = None
    for lam in bar:
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sol = solve(X, y, float(lam), tol=tol, max_chambers=max_chambers, max_iter=max_iter, device=device,
                        progress=False, strict=strict, oracle="enumerate", arrangement=arr,
                        warm_start=previous if warm_start else None, qp_backend=qp_backend)
        wall = time.perf_counter() - t0
        resid = sol.predictions - y
        points.append(PathPoint(
            lam=float(lam), status=sol.status, objective=float(sol.objective),
            duality_gap=float(sol.duality_gap),
            relative_gap=float(sol.info.get("relative_gap", sol.duality_gap / max(1.0, abs(sol.objective)))),
            max_abs_certificate=float(sol.max_abs_certificate), tv_norm=float(sol.tv_norm),
            n_neurons=int(sol.n_atoms), train_mse=float(resid @ resid) / len(y),
            theta=sol.theta.copy(), amplitude=sol.amplitude.copy(), wall_time_s=wall,
            message=str(sol.info.get("message", "")) if not sol.success else ""))
        sols.append(sol)
        previous = sol if sol.n_atoms else None
        for w in caught:  # pass on what the solver said, except its status warning (one for the path below)
            if not (not sol.success and issubclass(w.category, (ConvergenceWarning, InaccurateSolutionWarning))):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    result = PathResult(X=X, y=y, lam_max=top, points=tuple(points), tol=tol, warm_start=warm_start,
                        solutions=tuple(sols))
    bad = [pt for pt in points if not pt.success]
    if bad:
        listed = ", ".join(f"lam = {pt.lam:.6g}: {pt.status.value} (relative gap {pt.relative_gap:.2e})"
                           for pt in bad)
        category = (InaccurateSolutionWarning if any(pt.status is Status.INACCURATE for pt in bad)
                    else ConvergenceWarning)
        warnings.warn(f"{len(bad)} of {len(points)} path points are not optimal: {listed}", category, stacklevel=2)
    return result
