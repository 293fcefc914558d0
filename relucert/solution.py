"""The solution of (P_lam) or (P_0): a finite network with its dual certificate."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from relucert._model import relu_features  # noqa: F401  (re-exported)
from relucert.results import Status, jsonable
from relucert.tolerances import Tolerances

__all__ = ["Solution", "relu_features", "SOLUTION_FORMAT", "user_rel_gap"]

SOLUTION_FORMAT = "relucert.solution/1"


def _float_or_nan(value) -> float:
    """A JSON number (or None, ``"inf"``-style strings as ``jsonable`` writes them) as a float."""
    return float("nan") if value is None else float(value)


def user_rel_gap(objective: float, lower: float) -> float:
    """``(objective - lower) / |objective|``, rounded up: "certified within X %" with
    ``X = 100 * user_rel_gap(objective, lower)``, never below the true relative distance
    ``(objective - optimum) / |objective|`` when ``lower <= optimum <= objective``.

    Parameters
    ----------
    objective : float
        The network's primal value (user's units; the ratio is the same in any units).
    lower : float
        A certified lower bound on the optimum.

    Returns
    -------
    float
        0.0 when ``lower >= objective`` (the objective is certified optimal, including
        ``objective == lower == 0``); ``inf`` when ``lower = -inf`` or ``objective == 0 > lower``
        (no finite fraction of a zero objective bounds the gap); NaN when either is NaN or
        ``objective`` is infinite.

    Examples
    --------
    >>> user_rel_gap(2.0, 1.5), user_rel_gap(0.0, 0.0), user_rel_gap(1.0, float("-inf"))
    (0.2500000000000001, 0.0, inf)
    """
    objective, lower = float(objective), float(lower)
    if np.isnan(objective) or np.isnan(lower) or np.isinf(objective):
        return float("nan")
    if lower >= objective:
        return 0.0
    if np.isinf(lower) or objective == 0.0:
        return float("inf")
    # each float operation errs by at most half an ulp: one step up after each keeps the
    # result at or above the exact quotient
    gap = float(np.nextafter(objective - lower, np.inf))
    return float(np.nextafter(gap / abs(objective), np.inf))


@dataclass(frozen=True, eq=False)
class Solution:
    """A global solution of (P_lam) (``lam > 0``) or of (P_0) (``lam == 0``).

    The network is ``f(x) = sum_k amplitude[k] * relu(<theta[k], (x, 1)>)`` with unit
    rows ``theta`` in R^{d+1}; its TV norm is ``sum_k |amplitude[k]|``.

    Attributes
    ----------
    X, y, lam : the problem.
    theta : (k, d + 1) unit atoms; amplitude : (k,) signed amplitudes.
    objective : primal value (``0.5||K mu - y||^2 + lam ||mu||_TV``, or ``||mu||_TV``
        for lam = 0).
    tv_norm : ``||mu||_TV``.
    dual : (n,) the dual vector p (``(y - K mu) / lam`` for lam > 0).
    predictions : (n,) ``K mu``.
    max_abs_certificate : ``max |eta_p|`` over the sphere (exact region maxima).
    duality_gap : primal minus the dual value of the scaled-feasible dual.
    n_chambers : number of dual regions of the data.
    status : :class:`~relucert.results.Status`.
    method : "exchange" or "socp".
    timings : seconds spent per phase.
    tol : the tolerances used.
    certified_lower_bound : ``D(p / max(1, U))`` with ``U >= max |eta_p|`` certified (a
        complete scan, or a branch and bound stopped early), or for a stopped run the best
        ``D(t p)``, ``0 <= t <= 1/U``, over every dual it scanned (``relucert.lp.tv.anytime``):
        a lower bound on the optimum for every status (``-inf`` for a (P_0) network that
        does not interpolate).
    certified_rel_gap : "certified within ``100 * certified_rel_gap`` %": the gap relative to
        the objective in the user's units, ``(objective - certified_lower_bound) / |objective|``
        (:func:`user_rel_gap`), derived from those two fields so it cannot disagree with them.
        The solver's internal measure (relative to ``max(1, |objective|)`` in its rescaled
        units, the exchange's stopping test on ``tol.obj_gap``) is ``info["relative_gap"]``.
    """

    X: np.ndarray
    y: np.ndarray
    lam: float
    theta: np.ndarray
    amplitude: np.ndarray
    objective: float
    tv_norm: float
    dual: np.ndarray
    predictions: np.ndarray
    max_abs_certificate: float
    duality_gap: float
    n_chambers: int
    status: Status
    method: str
    timings: dict = field(default_factory=dict)
    tol: Tolerances = field(default_factory=Tolerances)
    info: dict = field(default_factory=dict)
    certified_lower_bound: float = float("nan")

    @property
    def certified_rel_gap(self) -> float:
        return user_rel_gap(self.objective, self.certified_lower_bound)

    @property
    def n_atoms(self) -> int:
        return int(self.theta.shape[0])

    @property
    def weights(self) -> np.ndarray:
        """(k, d) inner weights ``w_k`` of the network in the unit-atom form."""
        return self.theta[:, :-1]

    @property
    def biases(self) -> np.ndarray:
        return self.theta[:, -1]

    @property
    def outer_weights(self) -> np.ndarray:
        return self.amplitude

    @property
    def success(self) -> bool:
        return self.status is Status.OPTIMAL

    def predict(self, X_new) -> np.ndarray:
        """Network output at the rows of ``X_new`` (n_new, d)."""
        from relucert._validation import check_X

        X_new = check_X(X_new, "X_new")
        if X_new.shape[1] != self.X.shape[1]:
            raise ValueError(f"X_new must have {self.X.shape[1]} features; got {X_new.shape[1]}")
        Xl = np.hstack([X_new, np.ones((X_new.shape[0], 1))])
        return relu_features(Xl, self.theta) @ self.amplitude

    def to_dict(self) -> dict:
        return jsonable({
            "format": SOLUTION_FORMAT,
            "status": self.status,
            "lam": self.lam,
            "objective": self.objective,
            "tv_norm": self.tv_norm,
            "atoms": [{"theta": t, "amplitude": a} for t, a in zip(self.theta, self.amplitude)],
            "dual": self.dual,
            "predictions": self.predictions,
            "max_abs_certificate": self.max_abs_certificate,
            "duality_gap": self.duality_gap,
            "certified_lower_bound": self.certified_lower_bound,
            "certified_rel_gap": self.certified_rel_gap,
            "n_chambers": self.n_chambers,
            "method": self.method,
            "timings": self.timings,
            "tol": self.tol.to_dict(),
            "X": self.X,
            "y": self.y,
            "info": self.info,
        })

    @classmethod
    def from_dict(cls, doc: dict) -> "Solution":
        if not isinstance(doc, dict) or doc.get("format") != SOLUTION_FORMAT:
            raise ValueError(f"not a {SOLUTION_FORMAT} document (format={doc.get('format') if isinstance(doc, dict) else None!r})")
        try:
            X = np.asarray(doc["X"], dtype=float)
            atoms = doc["atoms"]
            d1 = X.shape[1] + 1
            theta = np.asarray([a["theta"] for a in atoms], dtype=float).reshape(-1, d1)
            amp = np.asarray([a["amplitude"] for a in atoms], dtype=float).reshape(-1)
            return cls(X=X, y=np.asarray(doc["y"], float), lam=float(doc["lam"]), theta=theta,
                       amplitude=amp, objective=float(doc["objective"]), tv_norm=float(doc["tv_norm"]),
                       dual=np.asarray(doc["dual"], float), predictions=np.asarray(doc["predictions"], float),
                       max_abs_certificate=float(doc["max_abs_certificate"]),
                       duality_gap=float(doc["duality_gap"]), n_chambers=int(doc["n_chambers"]),
                       status=Status(doc["status"]), method=str(doc["method"]),
                       timings=dict(doc.get("timings", {})),
                       tol=Tolerances.from_dict(doc.get("tol", {})), info=dict(doc.get("info", {})),
                       certified_lower_bound=_float_or_nan(doc.get("certified_lower_bound")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed {SOLUTION_FORMAT} document: {exc}") from exc
