"""The one owner of every numerical tolerance in relucert.

Every function that compares floating-point numbers takes ``tol: Tolerances | None``
and reads its thresholds here; no other module holds a bare tolerance literal
(``tests/test_tolerances.py`` greps for stray ones). Exact (rational) checks have
no tolerance at all.

Float comparisons use ``atol + rtol * scale`` through :meth:`Tolerances.close`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

__all__ = ["Tolerances", "DEFAULT", "resolve"]


@dataclass(frozen=True)
class Tolerances:
    """Named tolerances.

    Parameters
    ----------
    primal_feas : float
        Residual allowed in primal constraints (interpolation ``K mu = y``,
        LP row activities) after our own re-check of a solver's answer.
    dual_feas : float
        How far ``max |eta|`` may exceed 1 for a float dual certificate to count
        as feasible.
    obj_gap : float
        Relative duality gap at which the solvers stop:
        ``gap <= obj_gap * max(1, |objective|)``.
    rtol : float
        Relative part of float comparisons (``atol + rtol * scale``).
    sign_zero : float
        A point counts as on hyperplane ``H_i`` when ``|<theta, x~_i>|`` is at most
        ``sign_zero * ||x~_i||`` (``theta`` a unit vector).
    extremal : float
        A region maximum ``m`` of ``|eta|`` counts as an extremum (a point of E)
        when ``m >= 1 - extremal``.
    rank : float
        Relative singular-value threshold for numerical rank.
    amplitude_zero : float
        Amplitudes with ``|a| <= amplitude_zero * max(1, max|a|)`` are dropped.
    merge_angle : float
        Atoms of one sign closer than this angle (radians) are one atom.
    gpu_margin : float
        float32 scans send regions whose batched maximum lies within this margin
        of 1 to the exact CPU path, and prunes (skips the projection of) regions
        with ``||v_A|| <= 1 - gpu_margin``. The certificate scan
        (``verify.regions.scan_regions``) re-projects one by one, with multipliers,
        the regions whose vectorised maximum reaches ``1 - extremal - gpu_margin``.
    gpu_gap : float
        A batched cone projection counts as converged when its certified bracket
        ``upper - lower`` on the region maximum (``upper = ||v + G^T lam||`` for
        ``lam >= 0``, ``lower`` the value at a feasible point) is at most
        ``gpu_gap * max(1, upper)``; unconverged regions go to the exact CPU path.
        Batched and exact per-region maxima agree to this accuracy
        (proofs/batched_region_maxima.md).
    highs_feas : float
        Primal/dual feasibility tolerance handed to HiGHS.
    highs_qp_regularization : float
        Proximal regularisation of HiGHS's QP solver. HiGHS's default (1e-7) caps the
        lasso QP's accuracy (and its optimality on the finite set) near that level.
    highs_qp_regularization_fallback : float
        Used when a solve with ``highs_qp_regularization`` hits its time limit (the
        active-set QP can stall on nearly parallel columns with tiny regularisation);
        ``lp.programs`` then restores accuracy by solving the KKT system on the support.
    snap : float
        Largest distance ``|<theta, x~_i>| / ||x~_i||`` at which the exchange method,
        when guessing the support pattern for polishing, puts an atom ON hyperplane
        ``H_i`` (smaller distances are tried first; every guess is re-verified).
    conic : float
        Gap and feasibility tolerances handed to the conic solver (clarabel) of the
        ``method="socp"`` cross-check; interior-point accuracy is limited, so the
        socp answer is accepted when its relative duality gap (computed by our exact
        oracle) is at most ``max(obj_gap, conic_accept)``.
    conic_accept : float
        Relative duality gap accepted for the interior-point (socp) answer: its
        atoms carry errors of order ``conic``, amplified by ``1/lam`` in the dual
        ``p = (y - K mu)/lam`` (its objective itself is typically accurate to ~``conic``).
    point_merge : float
        Certificate analysis: two region maximisers of the same sign closer than this
        (Euclidean distance of unit vectors) are one point of the extremal set E (a
        boundary point found from several chambers).
    uniqueness_width : float
        Certificate analysis: the solution polytope Q counts as one point when every
        amplitude's range over Q is at most ``uniqueness_width * max(1, max|c|)``; a
        larger range needs a re-checked witness to count as "not unique".
    witness_deficit : float
        Certificate analysis: a witness of non-uniqueness may move mass only between
        points of E whose certificate deficit ``1 - s eta(theta)`` is at most this
        (relative to ``max(1, sum_i |p_i phi_i(theta)|)``). Along Q the objective
        changes by exactly ``lam * sum deficit * |c|`` (proofs/mass_outside_E.md), so a
        point admitted to E by ``extremal`` but not extremal to this precision gives
        "undetermined", never "not unique".
    certify_gap : float
        Certificate analysis refuses a solution whose recomputed relative duality gap
        (gap / max(1, |objective|)) exceeds this, or whose dual vector differs from
        ``(y - K mu) / lam`` by more than this (relative).
    pinned : float
        Low-noise sweep: a reference atom whose location error (radians) stays below
        this at every lam is "pinned" (e.g. a kink held on a data hyperplane) and is
        left out of the location slope.
    rate_slope : float
        Low-noise statement: a log-log error slope counts as "rate lam" when it is at
        least ``1 - rate_slope`` (errors O(lam)); the hand-built tests also ask
        ``|slope - 1| <= rate_slope``.
    critical_ratio : float
        Relative bracket width ``(hi - lo) / hi`` at which the bisection for the
        critical noise ratio c_crit stops.
    continuation_gap : float
        Relative duality gap to which the exchange method solves each larger lam of its
        continuation (``lam F^j``) before it starts the requested lam from its atoms; only
        the starting atoms depend on it, never the certificate.
    cross_method : float
        Theorem suite: two solver methods (exchange and socp) agree on the learned
        function when their largest difference around the data, relative to
        ``max(1, max |f|)``, is at most this (the socp answer is only accepted at a
        relative gap of ``conic_accept``).
    bab_rel_gap : float
        Branch-and-bound oracle (``lp.bab.maximise``): nodes whose upper bound is at
        most ``best * (1 + bab_rel_gap)`` are closed, so the returned ``max |eta_p|``
        (a value attained at a point) is within this relative gap of the true maximum
        (its ``upper_bound`` says by how much at most). Leaves are exact, so the
        answer is typically exact to rounding; the gap only stops the search from
        refining nodes that cannot change the answer by more.
    """

    primal_feas: float = 1e-9
    dual_feas: float = 1e-9
    obj_gap: float = 1e-9
    rtol: float = 1e-9
    sign_zero: float = 1e-12
    extremal: float = 1e-7
    rank: float = 1e-9
    amplitude_zero: float = 1e-12
    merge_angle: float = 1e-9
    gpu_margin: float = 1e-4
    gpu_gap: float = 1e-11
    highs_feas: float = 1e-10
    highs_qp_regularization: float = 1e-12
    highs_qp_regularization_fallback: float = 1e-7
    snap: float = 1e-2
    conic: float = 1e-10
    conic_accept: float = 1e-6
    point_merge: float = 1e-6
    uniqueness_width: float = 1e-6
    witness_deficit: float = 1e-9
    certify_gap: float = 1e-6
    pinned: float = 1e-9
    rate_slope: float = 0.1
    critical_ratio: float = 1e-6
    cross_method: float = 1e-3
    bab_rel_gap: float = 1e-13
    continuation_gap: float = 1e-3

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise TypeError(f"Tolerances.{f.name} must be a float; got {value!r}")
            if not (value >= 0.0) or value != value or value == float("inf"):
                raise ValueError(f"Tolerances.{f.name} must be a finite float >= 0; got {value!r}")

    def close(self, a: float, b: float, *, atol: float | None = None) -> bool:
        """``|a - b| <= atol + rtol * max(|a|, |b|)`` (``atol`` defaults to ``primal_feas``)."""
        atol = self.primal_feas if atol is None else atol
        return abs(a - b) <= atol + self.rtol * max(abs(a), abs(b))

    def with_(self, **changes: float) -> "Tolerances":
        """A copy with some fields changed; unknown names raise ``TypeError``."""
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Tolerances":
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown tolerance field(s): {sorted(unknown)}")
        return cls(**{k: float(v) for k, v in data.items()})


DEFAULT = Tolerances()


def resolve(tol: Tolerances | None) -> Tolerances:
    """``tol`` itself, or the defaults when it is None."""
    if tol is None:
        return DEFAULT
    if not isinstance(tol, Tolerances):
        raise TypeError(f"tol must be a relucert.Tolerances or None; got {type(tol).__name__}")
    return tol


# --- regularisation path and cross-validation (relucert/path.py, relucert/estimator_cv.py) ---
#: Default ratio lam_min / lam_max of a path's geometric grid (scikit-learn's ``eps`` of
#: lasso_path and LassoCV): the grid runs from lam_max, where the zero network becomes
#: optimal (proofs/regularisation_path.md), down to this fraction of it.
PATH_LAM_RATIO = 1e-3
