"""``TVReLURegressor``: the exact TV-regularised infinite-width ReLU network as a
scikit-learn style estimator (scikit-learn itself is optional)."""
from __future__ import annotations

import warnings

import numpy as np

from relucert._model import lift, relu_features
from relucert._validation import check_choice, check_lam, check_positive_int, check_time_limit, check_X, check_Xy
from relucert.errors import NotFittedError
from relucert.tolerances import ESTIMATOR_MAX_NODES, ESTIMATOR_TIME_LIMIT, Tolerances

__all__ = ["TVReLURegressor"]

try:  # scikit-learn is an optional extra: use its base classes when it imports
    from sklearn.base import BaseEstimator as _Base
    from sklearn.base import RegressorMixin as _Mixin

    from sklearn.exceptions import DataConversionWarning

    _BASES: tuple = (_Mixin, _Base)
except Exception:  # pragma: no cover - exercised without scikit-learn
    class DataConversionWarning(UserWarning):
        """A column-vector ``y`` was raveled (scikit-learn's warning of that name)."""

    class _Params:
        """Minimal get_params/set_params for the estimator without scikit-learn."""

        _PARAMS = ("lam", "tol", "exact_verify", "device", "oracle", "max_iter", "max_nodes", "time_limit",
                   "random_state", "qp_backend")

        def get_params(self, deep: bool = True) -> dict:
            """The constructor parameters.

            Parameters
            ----------
            deep : bool
                Ignored (no nested estimators).

            Returns
            -------
            dict
            """
            return {k: getattr(self, k) for k in self._PARAMS}

        def set_params(self, **params):
            """Change constructor parameters.

            Parameters
            ----------
            **params
                Names of :attr:`_PARAMS` and their new values.

            Returns
            -------
            TVReLURegressor
                ``self``.
            """
            for k, v in params.items():
                if k not in self._PARAMS:
                    raise ValueError(f"invalid parameter {k!r} for {type(self).__name__}")
                setattr(self, k, v)
            return self

        def score(self, X, y) -> float:
            """The coefficient of determination R^2 of ``predict(X)`` against ``y``.

            Parameters
            ----------
            X : array-like (n_samples, n_features)
            y : array-like (n_samples,)

            Returns
            -------
            float
            """
            y = np.asarray(y, float)
            resid = y - self.predict(X)
            return 1.0 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum())

    _BASES = (_Params,)

_DEVICES = ("cpu", "auto", "cuda")
_ORACLES = ("auto", "enumerate", "bab")


def _reject_sparse(X) -> None:
    import scipy.sparse as sp

    if sp.issparse(X):
        raise TypeError("X: sparse data was passed, but dense data is required "
                        "(convert with X.toarray())")


def check_fit_data(estimator, X, y) -> tuple[np.ndarray, np.ndarray]:
    """The training data of ``estimator.fit`` checked as scikit-learn's estimators do: y
    given, X dense, a column-vector y raveled with a DataConversionWarning, then
    :func:`relucert._validation.check_Xy` (shapes, finiteness, exact range).

    Parameters
    ----------
    estimator : object
        The estimator being fitted (its class name goes into the message).
    X : array-like, shape (n, d)
    y : array-like, shape (n,) or (n, 1)

    Returns
    -------
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,)
    """
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target y is None")
    _reject_sparse(X)
    try:  # np.asarray, not np.ndim: an array-like may refuse numpy's other functions
        shape = np.asarray(y).shape
    except Exception:  # a malformed y is reported by check_Xy below
        shape = ()
    if len(shape) == 2 and shape[1] == 1:
        warnings.warn("A column-vector y was passed when a 1d array was expected; it is "
                      "raveled to shape (n_samples,)", DataConversionWarning, stacklevel=3)
    return check_Xy(X, y)


def check_seed(value) -> None:
    """``random_state``: None, an int >= 0 or a numpy Generator (TypeError/ValueError otherwise)."""
    if value is None or isinstance(value, np.random.Generator):
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"random_state must be None, an int >= 0 or a numpy Generator; got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"random_state must be an int >= 0; got {value!r}")


def budget_options(X: np.ndarray, y: np.ndarray, est, oracle: str | None = None) -> dict:
    """``relucert.solve``'s work budget and starting columns for an estimator's fit: with the
    branch and bound (``est.oracle`` resolved on ``X``), ``max_iter`` (default
    ``ESTIMATOR_BAB_MAX_ITER``), ``max_nodes`` and the data seed as ``warm_start``; with the
    enumeration, ``max_iter`` only (default: the exchange's own).

    Parameters
    ----------
    X : ndarray (n, d); y : ndarray (n,)
    est : TVReLURegressor (or an object with ``oracle``, ``max_iter``, ``max_nodes``,
        ``random_state``)
    oracle : str, optional
        The oracle already chosen ("enumerate" or "bab"; default: ``est.oracle`` on ``X``).

    Returns
    -------
    dict
        Keyword arguments of ``relucert.solve``.
    """
    from relucert._warm_start import data_seed
    from relucert.lp.tv.exchange import DEFAULT_MAX_ITER
    from relucert.solver import OracleChoice, choose_oracle
    from relucert.tolerances import ESTIMATOR_BAB_MAX_ITER, ESTIMATOR_SEED_GATES

    if (oracle or choose_oracle(X, est.oracle, "exchange")) == OracleChoice.ENUMERATE.value:
        return {"max_iter": DEFAULT_MAX_ITER if est.max_iter is None else est.max_iter}
    return {"max_iter": ESTIMATOR_BAB_MAX_ITER if est.max_iter is None else est.max_iter,
            "max_nodes": est.max_nodes, "warm_start": data_seed(X, y, ESTIMATOR_SEED_GATES, est.random_state)}


class TVReLURegressor(*_BASES):
    """The global minimiser of ``0.5 ||f(X) - y||^2 + lam ||mu||_TV`` over infinite-width
    shallow ReLU networks ``f(x) = int relu(<w, x> + b) dmu(w, b)`` -- a finite network.

    Parameters
    ----------
    lam : float, default 1.0
        Regularisation weight (``lam = 0``: minimal-TV interpolation, (P_0)).
    tol : Tolerances, optional
    exact_verify : bool, default True
        Prove the fit optimal in exact rational arithmetic
        (:func:`relucert.verify.make_exact_certificate`, re-checked by the independent
        checker) and store the proof in ``certificate_``; ``fit`` raises
        :class:`~relucert.errors.CertificateError` when the proof does not verify.
        With False, only the float certificate (exact region maxima, duality gap) is
        computed and ``certificate_`` is None. The exact proof (of the optimum, or of the
        certified gap of a "limit" fit) needs the chamber list: with the branch-and-bound
        oracle ``certificate_`` is None and ``certificate_note_`` says why.
    device : {"cpu", "auto", "cuda"}, default "cpu"
        Where the solver's batched region scans run (d >= 4; ``relucert.solve``).
    oracle : {"auto", "enumerate", "bab"}, default "auto"
        What answers ``max |eta_p|`` (``relucert.solve``): "auto" enumerates the chambers
        of small problems and uses the branch and bound over cones otherwise.
    max_iter : int or None, default None
        The deterministic work budget (scikit-learn's ``max_iter``): exchange rounds allowed.
        None: ``relucert.lp.tv.exchange.DEFAULT_MAX_ITER`` when the chambers are enumerated,
        ``relucert.tolerances.ESTIMATOR_BAB_MAX_ITER`` with the branch and bound (each of its
        rounds scans the whole sphere). When the optimum is not certified within the budget,
        the best network is kept with its certified gap (``status_ = "limit"``,
        ``certified_rel_gap_``) and a ``ConvergenceWarning`` says "certified within X %".
        Counted in work, not time: the same data give the same fit on any machine.
    max_nodes : int or None, default ``relucert.tolerances.ESTIMATOR_MAX_NODES``
        The node budget of each branch-and-bound scan of the rounds (None: none); with
        ``max_iter`` it bounds a fit beyond enumeration without a clock.
    time_limit : float or None, default ``relucert.tolerances.ESTIMATOR_TIME_LIMIT``
        Seconds: an outer safety bound (None: none), far above what the default work budget
        needs on ordinary data. It ends the fit as ``max_iter`` does, but where it stops
        depends on the machine's speed (a fit it stops is not reproducible).
    random_state : int, numpy Generator or None, default 0
        Seed of the sampled gates of the branch-and-bound fits' starting columns (below).
    qp_backend : {"active-set", "daqp"}, default "active-set"
        Who solves the finite lasso programs first (``relucert.solve``; "daqp" needs the
        optional extra ``relucert[qp]``). Only the path to the answer changes: the fit is
        certified by the same gap.

    Notes
    -----
    Beyond enumeration (``oracle="bab"``, or "auto" on large data) the exchange starts from
    columns that already fit well (``relucert._warm_start.data_seed``): the least-squares
    affine fit, exactly the two neurons ``relu(<w, x> + b) - relu(-<w, x> - b)``, and
    ``ESTIMATOR_SEED_GATES`` gates through random samples. A fit stopped by its budget then
    keeps a network at least as good as the lam-penalised affine fit on those columns, with
    its certified gap. The starting columns never enter the certificate.

    Attributes
    ----------
    weights_ : (n_neurons, n_features) inner weights ``w_k`` (unit ``(w_k, b_k)``).
    biases_ : (n_neurons,) biases ``b_k``.
    outer_weights_ : (n_neurons,) output weights ``a_k``.
    n_neurons_ : number of neurons.
    n_iter_ : exchange rounds run (at most ``max_iter``).
    dual_gap_ : duality gap of the certificate.
    status_ : ``"optimal"``, or ``"limit"`` / ``"inaccurate"`` when the solver stopped short
        (it warns with ``ConvergenceWarning`` / ``InaccurateSolutionWarning`` then, and the
        network kept is the best one found, with its certified gap).
    certified_rel_gap_ : ``(objective - certified lower bound) / |objective|`` in the user's
        units (``Solution.certified_rel_gap``): the fitted network's objective is certified
        within ``100 * certified_rel_gap_`` % of the global optimum, as the warning says.
    certificate_note_ : why ``certificate_`` is None ("" when it is set or not asked for).
    result_ : the :class:`~relucert.solution.Solution`.
    certificate_ : the :class:`~relucert.verify.certificate_builder.ExactCertificate` (or None).
    n_features_in_ : number of features seen in ``fit``.

    Examples
    --------
    >>> est = TVReLURegressor(lam=0.0).fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 0.0])
    >>> est.n_neurons_, est.predict([[1.0], [0.5]]).round(9).tolist()
    (3, [1.0, 0.5])
    """

    def __init__(self, lam=1.0, *, tol=None, exact_verify=True, device="cpu", oracle="auto", max_iter=None,
                 max_nodes=ESTIMATOR_MAX_NODES, time_limit=ESTIMATOR_TIME_LIMIT, random_state=0,
                 qp_backend="active-set"):
        self.lam = lam
        self.tol = tol
        self.exact_verify = exact_verify
        self.device = device
        self.oracle = oracle
        self.max_iter = max_iter
        self.max_nodes = max_nodes
        self.time_limit = time_limit
        self.random_state = random_state
        self.qp_backend = qp_backend

    def _validate_params(self) -> None:
        from relucert.solver import check_qp_backend

        check_lam(self.lam, allow_zero=True)
        if self.tol is not None and not isinstance(self.tol, Tolerances):
            raise TypeError(f"tol must be a relucert.Tolerances or None; got {type(self.tol).__name__}")
        if not isinstance(self.exact_verify, (bool, np.bool_)):
            raise TypeError(f"exact_verify must be a bool; got {type(self.exact_verify).__name__}")
        check_choice(self.device, "device", _DEVICES)
        check_choice(self.oracle, "oracle", _ORACLES)
        check_time_limit(self.time_limit)
        check_positive_int(self.max_iter, "max_iter", allow_none=True)
        check_positive_int(self.max_nodes, "max_nodes", allow_none=True)
        check_seed(self.random_state)
        check_qp_backend(self.qp_backend)

    def fit(self, X, y):
        """Solve (P_lam) exactly on ``(X, y)``.

        Parameters
        ----------
        X : array-like (n_samples, n_features)
        y : array-like (n_samples,)

        Returns
        -------
        TVReLURegressor
            ``self``, fitted: ``result_`` (the Solution), ``weights_``, ``biases_``,
            ``outer_weights_``, ``status_`` (a non-optimal run keeps its network with
            status "limit" or "inaccurate" and its ``certified_rel_gap_``), and
            ``certificate_`` (the exact certificate when ``exact_verify``).
        """
        from relucert.solver import solve

        self._validate_params()
        X, y = check_fit_data(self, X, y)
        sol = solve(X, y, float(self.lam), tol=self.tol, progress=False, device=self.device, oracle=self.oracle,
                    time_limit=self.time_limit, qp_backend=self.qp_backend, **budget_options(X, y, self))
        return self._fit_solution(X, sol)

    def _fit_solution(self, X, sol, arrangement=None):
        """Set the fitted attributes from ``sol``, a solve of validated ``X`` at ``self.lam``
        (and its exact certificate when ``exact_verify``, on ``arrangement``, the chambers of
        ``X``, when given); returns ``self``. Shared with :class:`TVReLURegressorCV`, whose
        refit starts from the folds' atoms."""
        self.certificate_, self.certificate_note_ = None, ""
        if self.exact_verify and sol.info.get("oracle") != "enumerate":
            self.certificate_note_ = ("no exact proof: the branch-and-bound oracle lists no chambers, and the "
                                      "exact certificate (relucert.exact-certificate/1) needs them")
        elif self.exact_verify:
            from relucert.verify import make_exact_certificate

            self.certificate_ = make_exact_certificate(sol, arrangement=arrangement, tol=self.tol, progress=False)
        self.result_ = sol
        self.weights_ = sol.weights.copy()
        self.biases_ = sol.biases.copy()
        self.outer_weights_ = sol.outer_weights.copy()
        self.n_neurons_ = sol.n_atoms
        self.dual_gap_ = float(sol.duality_gap)
        self.status_ = sol.status.value
        self.certified_rel_gap_ = float(sol.certified_rel_gap)
        self.n_iter_ = int(sol.info.get("n_iter", 1))
        self.n_features_in_ = int(X.shape[1])
        return self

    def predict(self, X) -> np.ndarray:
        """Network output at the rows of ``X``.

        Parameters
        ----------
        X : array-like (n_samples, n_features)

        Returns
        -------
        ndarray (n_samples,)
            ``sum_k a_k relu(<w_k, x> + b_k)``.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        """
        if not hasattr(self, "result_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet; call fit first.")
        _reject_sparse(X)
        X = check_X(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input")
        theta = np.hstack([self.weights_, self.biases_[:, None]])
        return relu_features(lift(X), theta) @ self.outer_weights_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


