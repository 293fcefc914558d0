"""``TVReLURegressorCV``: lam chosen by K-fold cross-validation over the certified
regularisation path, then a certified refit (scikit-learn's LassoCV pattern)."""
from __future__ import annotations

import os
import warnings

import numpy as np

from relucert._validation import check_positive_int, check_time_limit
from relucert.estimator import check_fit_data, check_seed
from relucert.errors import ConvergenceWarning, NotFittedError
from relucert.tolerances import ESTIMATOR_MAX_NODES, ESTIMATOR_TIME_LIMIT, PATH_LAM_RATIO, Tolerances

__all__ = ["TVReLURegressorCV", "cv_folds", "fold_mse_path"]

try:  # scikit-learn is an optional extra, as for TVReLURegressor
    from sklearn.base import BaseEstimator as _Base
    from sklearn.base import RegressorMixin as _Mixin

    _BASES: tuple = (_Mixin, _Base)
except Exception:  # pragma: no cover - exercised without scikit-learn
    class _Params:
        """Minimal get_params/set_params/score without scikit-learn."""

        def get_params(self, deep: bool = True) -> dict:
            return {k: getattr(self, k) for k in self._PARAMS}

        def set_params(self, **params):
            for k, v in params.items():
                if k not in self._PARAMS:
                    raise ValueError(f"invalid parameter {k!r} for {type(self).__name__}")
                setattr(self, k, v)
            return self

        def score(self, X, y) -> float:
            y = np.asarray(y, float)
            resid = y - self.predict(X)
            return 1.0 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum())

    _BASES = (_Params,)

_DEVICES = ("cpu", "auto", "cuda")


#: Points of the default lam grid.
DEFAULT_N_LAMS_CV = 10


def cv_folds(cv, X, y) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train, test) index pairs of ``cv``: an int K (K contiguous folds, scikit-learn's
    unshuffled ``KFold``), a splitter with ``split``, or an iterable of pairs. With
    scikit-learn installed its ``check_cv`` decides (the same folds as ``LassoCV``)."""
    n = len(y)
    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool) and int(cv) > n:
        raise ValueError(f"cv = {cv} folds needs at least {cv} samples; got n_samples = {n}")
    try:
        from sklearn.model_selection import check_cv
    except Exception:  # pragma: no cover - without scikit-learn
        check_cv = None
    if check_cv is not None:
        folds = list(check_cv(cv).split(X, y))
    elif isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):  # pragma: no cover
        k = int(cv)
        if k < 2:
            raise ValueError(f"cv must be an int >= 2 (folds); got {cv!r}")
        sizes = np.full(k, n // k)
        sizes[: n % k] += 1
        stops = np.cumsum(sizes)
        idx = np.arange(n)
        folds = [(np.setdiff1d(idx, idx[s - m:s]), idx[s - m:s]) for s, m in zip(stops, sizes)]
    elif hasattr(cv, "split"):  # pragma: no cover
        folds = list(cv.split(X, y))
    else:  # pragma: no cover
        folds = list(cv)
    return [(np.asarray(tr, dtype=np.intp), np.asarray(te, dtype=np.intp)) for tr, te in folds]


def fold_mse_path(X, y, train, test, lams, tol, device, qp_backend) -> tuple[np.ndarray, list[str], list[tuple]]:
    """Solve the path on ``X[train]`` and return the test MSE at every lam, the statuses
    and the atoms ``(theta, amplitude)`` at every lam. Module-level so that a process pool
    can run it."""
    from relucert.path import solve_path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # statuses are returned and reported by fit
        path = solve_path(X[train], y[train], lams, tol=tol, device=device, progress=False, qp_backend=qp_backend)
    mse = np.empty(len(path.points))
    for k, sol in enumerate(path.solutions):
        r = sol.predict(X[test]) - y[test]
        mse[k] = float(r @ r) / len(test)
    return mse, [pt.status.value for pt in path.points], [(pt.theta, pt.amplitude) for pt in path.points]


def fold_mse_budget(X, y, train, test, lams, options) -> tuple[np.ndarray, list[str], list[tuple]]:
    """Beyond enumeration: solve every lam on ``X[train]`` (decreasing, each started from the
    previous lam's atoms, the first from the data seed) by the branch and bound under the
    work budget in ``options`` (``relucert.solve`` keywords: ``max_iter``, ``max_nodes``,
    ``warm_start`` (the seed), ``time_limit``, ``tol``, ``device``, ``qp_backend``); return the test MSE at
    every lam, the statuses and the atoms. Module-level so that a process pool can run it."""
    from relucert.solver import solve

    mse, status, atoms = np.empty(len(lams)), [], []
    options = dict(options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # statuses are returned and reported by fit
        for k, lam in enumerate(lams):
            sol = solve(X[train], y[train], float(lam), progress=False, oracle="bab", **options)
            if sol.n_atoms:
                options["warm_start"] = sol
            r = sol.predict(X[test]) - y[test]
            mse[k] = float(r @ r) / len(test)
            status.append(sol.status.value)
            atoms.append((sol.theta, sol.amplitude))
    return mse, status, atoms


class TVReLURegressorCV(*_BASES):
    """The certified TV-regularised ReLU network with lam chosen by K-fold cross-validation.

    For every fold, the regularisation path (:func:`relucert.solve_path`) is solved on the
    training part and its test mean squared error recorded at every lam; ``lam_`` minimises
    the mean over folds (the largest such lam on ties), and the estimator is refit on all
    the data at ``lam_`` (:class:`TVReLURegressor`, exactly verified by default; where the
    chambers are enumerated, on those of lam_max and starting from the folds' atoms at
    ``lam_``, :meth:`_refit`).

    Parameters
    ----------
    lams : sequence of floats > 0, optional
        The grid. Default: ``n_lams`` geometric steps from lam_max of the whole data (the
        zero network is optimal above it) down to ``ratio * lam_max``.
    n_lams : int, default 10
    ratio : float, default ``relucert.tolerances.PATH_LAM_RATIO``
    cv : int, splitter or iterable of (train, test), default 5 (scikit-learn's ``check_cv``)
    n_jobs : int, optional
        Folds solved in parallel processes (None or 1: serially; -1: all cores). Results do
        not depend on it: each fold is an independent, deterministic solve.
    tol, exact_verify, device : as for :class:`TVReLURegressor` (the refit).
    oracle, max_iter, max_nodes, time_limit, random_state, qp_backend : as for :class:`TVReLURegressor`.
        Where the chambers are enumerated (``oracle="enumerate"``, or "auto" on small data)
        every fold solves the certified path (:func:`relucert.solve_path`) and ``lam_max_``
        is exact. Beyond (the branch and bound) every fold solves its lams under the work
        budget, each started from the previous lam's atoms (:func:`fold_mse_budget`), and
        ``lam_max_`` is a certified upper bound of lam_max (the branch and bound's bound on
        ``max |eta_y|``; None when ``lams`` are given); statuses may be "limit"
        (``cv_status_``, ConvergenceWarning).

    Attributes
    ----------
    lam_ : the chosen lam.
    lam_max_ : lam_max of all the data (the zero network is optimal for lam >= lam_max_).
    lams_ : (n_lams,) the grid, decreasing.
    mse_path_ : (n_lams, n_folds) test MSE of every fold at every lam.
    cv_status_ : (n_lams, n_folds) the status of every fold's path point ("optimal", ...).
    estimator_ : the refit :class:`TVReLURegressor`.
    weights_, biases_, outer_weights_, n_neurons_, dual_gap_, status_, certified_rel_gap_,
    result_, certificate_, n_iter_, n_features_in_ : those of ``estimator_``.

    Examples
    --------
    >>> X = [[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]
    >>> est = TVReLURegressorCV(lams=[1.0, 0.1], cv=3, exact_verify=False).fit(X, [0, 1, 2, 3, 4, 5])
    >>> est.mse_path_.shape, est.lam_
    ((2, 3), 0.1)
    """

    def __init__(self, lams=None, *, n_lams=DEFAULT_N_LAMS_CV, ratio=PATH_LAM_RATIO, cv=5, n_jobs=None, tol=None,
                 exact_verify=True, device="cpu", oracle="auto", max_iter=None, max_nodes=ESTIMATOR_MAX_NODES,
                 time_limit=ESTIMATOR_TIME_LIMIT, random_state=0, qp_backend="active-set"):
        self.lams = lams
        self.n_lams = n_lams
        self.ratio = ratio
        self.cv = cv
        self.n_jobs = n_jobs
        self.tol = tol
        self.exact_verify = exact_verify
        self.device = device
        self.oracle = oracle
        self.max_iter = max_iter
        self.max_nodes = max_nodes
        self.time_limit = time_limit
        self.random_state = random_state
        self.qp_backend = qp_backend

    _PARAMS = ("lams", "n_lams", "ratio", "cv", "n_jobs", "tol", "exact_verify", "device", "oracle", "max_iter",
               "max_nodes", "time_limit", "random_state", "qp_backend")

    def _validate_params(self) -> None:
        from relucert._validation import check_choice

        check_positive_int(self.n_lams, "n_lams")
        if self.n_jobs is not None and not (isinstance(self.n_jobs, (int, np.integer)) and
                                            not isinstance(self.n_jobs, bool) and (self.n_jobs >= 1 or
                                                                                    self.n_jobs == -1)):
            raise ValueError(f"n_jobs must be None, -1 or an int >= 1; got {self.n_jobs!r}")
        if self.tol is not None and not isinstance(self.tol, Tolerances):
            raise TypeError(f"tol must be a relucert.Tolerances or None; got {type(self.tol).__name__}")
        if not isinstance(self.exact_verify, (bool, np.bool_)):
            raise TypeError(f"exact_verify must be a bool; got {type(self.exact_verify).__name__}")
        check_choice(self.device, "device", _DEVICES)
        check_choice(self.oracle, "oracle", ("auto", "enumerate", "bab"))
        check_positive_int(self.max_iter, "max_iter", allow_none=True)
        check_positive_int(self.max_nodes, "max_nodes", allow_none=True)
        check_time_limit(self.time_limit)
        check_seed(self.random_state)
        from relucert.solver import check_qp_backend

        check_qp_backend(self.qp_backend)

    def _budget_grid(self, X, y) -> np.ndarray:
        """The lam grid beyond enumeration; sets ``lam_max_`` to the branch and bound's
        certified upper bound of ``max |eta_y|`` (the zero network is optimal above it)."""
        from relucert.lp.tv.oracle_api import BranchAndBoundOracle
        from relucert.path import _check_lams, lam_grid

        top = float(BranchAndBoundOracle(X).bound_scan(y, tol=self.tol).upper_bound) if self.lams is None else None
        self.lam_max_ = top
        if self.lams is not None:
            return _check_lams(self.lams)
        if top == 0.0:
            return np.array([1.0])
        return lam_grid(top, self.n_lams, self.ratio)

    def _grid(self, X, y, arrangement) -> np.ndarray:
        """The lam grid; sets ``lam_max_``. lam_max is computed on all the data first, also
        for a given grid: data too large for the exact solver is refused before any fold
        is solved (a fold can be small enough where the refit on all the data is not).
        ``arrangement``: the chambers of ``X`` (they serve the refit too)."""
        from relucert.path import _check_lams, lam_grid, lam_max

        top = lam_max(X, y, tol=self.tol, device=self.device, arrangement=arrangement)
        self.lam_max_ = top
        if self.lams is not None:
            return _check_lams(self.lams)
        if top == 0.0:  # y = 0: every lam gives the zero network; any grid is as good
            return np.array([1.0])
        return lam_grid(top, self.n_lams, self.ratio)

    def fit(self, X, y):
        """Cross-validate lam over the path, then refit at ``lam_``; returns ``self``."""
        self._validate_params()
        X, y = check_fit_data(self, X, y)
        from relucert.estimator import budget_options
        from relucert.solver import OracleChoice, choose_oracle

        enumerate_ = choose_oracle(X, self.oracle, "exchange") == OracleChoice.ENUMERATE.value
        arr = None
        if enumerate_:
            from relucert.arrangement import enumerate_chambers

            arr = enumerate_chambers(X, progress=False, tol=self.tol)
        lams = self._grid(X, y, arr) if enumerate_ else self._budget_grid(X, y)
        folds = cv_folds(self.cv, X, y)
        if any(len(te) == 0 or len(tr) == 0 for tr, te in folds):
            raise ValueError("cv: every fold needs a non-empty training and test part")
        if enumerate_:
            work = fold_mse_path
            jobs = [(X, y, tr, te, lams, self.tol, self.device, self.qp_backend) for tr, te in folds]
        else:
            work = fold_mse_budget
            jobs = [(X, y, tr, te, lams, {**budget_options(X[tr], y[tr], self, "bab"), "time_limit": self.time_limit,
                                          "tol": self.tol, "device": self.device, "qp_backend": self.qp_backend})
                    for tr, te in folds]
        workers = 1 if self.n_jobs in (None, 1) else (os.cpu_count() or 1) if self.n_jobs == -1 else self.n_jobs
        if workers > 1 and len(jobs) > 1:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
                outs = list(pool.map(work, *zip(*jobs)))  # in fold order
        else:
            outs = [work(*job) for job in jobs]
        self.lams_ = lams
        self.mse_path_ = np.column_stack([m for m, _, _ in outs])
        self.cv_status_ = np.array([s for _, s, _ in outs], dtype=object).T
        bad = int(np.sum(self.cv_status_ != "optimal"))
        if bad:
            warnings.warn(f"{bad} of {self.cv_status_.size} cross-validation path points are not optimal "
                          f"(cv_status_); their test errors are those of the best networks found",
                          ConvergenceWarning, stacklevel=2)
        mean = self.mse_path_.mean(axis=1)
        best = int(np.argmin(mean))
        self.lam_ = float(lams[best])  # first minimiser: the largest lam on ties
        self.estimator_ = self._refit(X, y, arr, [atoms[best] for _, _, atoms in outs])
        for name in ("weights_", "biases_", "outer_weights_", "n_neurons_", "dual_gap_", "status_",
                     "certified_rel_gap_", "result_", "certificate_", "n_iter_", "n_features_in_"):
            setattr(self, name, getattr(self.estimator_, name))
        return self

    def _refit(self, X, y, arrangement, fold_atoms):
        """The certified :class:`TVReLURegressor` at ``lam_`` on all the data. Where the
        chambers are enumerated (``arrangement`` given) the solve reuses them and starts
        from the average of the folds' networks at ``lam_`` (their atoms, amplitudes
        divided by the number of folds): a warm start only changes the starting columns,
        the answer is certified by its own complete scan (proofs/regularisation_path.md,
        Lemma 3)."""
        from relucert import TVReLURegressor

        est = TVReLURegressor(lam=self.lam_, tol=self.tol, exact_verify=self.exact_verify, device=self.device,
                              oracle="bab" if arrangement is None else "enumerate", max_iter=self.max_iter,
                              max_nodes=self.max_nodes, time_limit=self.time_limit if arrangement is None else None,
                              random_state=self.random_state, qp_backend=self.qp_backend)
        if arrangement is None:
            return est.fit(X, y)
        from relucert.estimator import budget_options
        from relucert.solver import solve

        theta = np.vstack([np.reshape(t, (-1, X.shape[1] + 1)) for t, _ in fold_atoms])
        amplitude = np.concatenate([np.ravel(a) for _, a in fold_atoms]) / len(fold_atoms)
        est._validate_params()
        sol = solve(X, y, self.lam_, tol=self.tol, progress=False, device=self.device, oracle="enumerate",
                    arrangement=arrangement, warm_start=(theta, amplitude) if amplitude.size else None,
                    qp_backend=self.qp_backend,
                    **budget_options(X, y, est, "enumerate"))
        return est._fit_solution(X, sol, arrangement=arrangement)

    def predict(self, X) -> np.ndarray:
        """Output of the refit network at the rows of ``X``."""
        if not hasattr(self, "estimator_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet; call fit first.")
        return self.estimator_.predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
