"""The one owner of every numerical tolerance in relucert.

Every function that compares floating-point numbers takes ``tol: Tolerances | None``
and reads its thresholds here; no other module holds a bare tolerance literal
(``tests/test_tolerances.py`` greps for stray ones). Exact (rational) checks have
no tolerance at all.

Float comparisons use ``atol + rtol * scale`` through :meth:`Tolerances.close`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

__all__ = ["Tolerances", "DEFAULT", "GROUPS", "resolve"]


@dataclass(frozen=True)
class Tolerances:
    """Named tolerances, in groups (:data:`GROUPS`; attribute access stays flat:
    ``tol.obj_gap``).

    - solver: the finite programs and the TV solver (``lp``, ``lp.tv``): stopping gaps,
      feasibility, backend settings, the exchange method's pruning, snapping and
      polishing.
    - geometry: the arrangement (which side of a hyperplane a point is on, rank).
    - analysis: the float certificate analysis (``verify``): the extremal set,
      uniqueness, witnesses.
    - batched: the batched region scans (``gpu``, ``verify.regions``).

    Each field has one meaning. The command line sets any field with
    ``--tol NAME=VALUE``.

    Parameters
    ----------
    obj_gap : float
        Relative duality gap at which the solvers stop:
        ``gap <= obj_gap * max(1, |objective|)``.
    primal_feas : float
        Residual allowed in primal constraints (interpolation ``K mu = y``,
        LP row activities) after our own re-check of a solver's answer.
    dual_feas : float
        How far ``max |eta|`` may exceed 1 for a float dual certificate to count
        as feasible.
    rtol : float
        Relative part of float comparisons (``atol + rtol * scale``).
    highs_feas : float
        Primal/dual feasibility tolerance handed to HiGHS.
    highs_qp_regularization : float
        Proximal regularisation of HiGHS's QP solver. HiGHS's default (1e-7) caps the
        lasso QP's accuracy (and its optimality on the finite set) near that level.
    highs_qp_regularization_fallback : float
        Used when a solve with ``highs_qp_regularization`` hits its time limit (the
        active-set QP can stall on nearly parallel columns with tiny regularisation);
        ``lp.programs`` then restores accuracy by solving the KKT system on the support.
    conic : float
        Gap and feasibility tolerances handed to the conic solver (clarabel) of the
        ``method="socp"`` cross-check; interior-point accuracy is limited, so the
        socp answer is accepted when its relative duality gap (computed by our exact
        oracle) is at most ``max(obj_gap, conic_accept)``.
    conic_accept : float
        Relative duality gap accepted for the interior-point (socp) answer: its
        atoms carry errors of order ``conic``, amplified by ``1/lam`` in the dual
        ``p = (y - K mu)/lam`` (its objective itself is typically accurate to ~``conic``).
    continuation_gap : float
        Relative duality gap to which the exchange method solves each larger lam of its
        continuation (``lam F^j``) before it starts the requested lam from its atoms; only
        the starting atoms depend on it, never the certificate.
    amplitude_zero : float
        Amplitudes with ``|a| <= amplitude_zero * max(1, max|a|)`` are dropped.
    merge_angle : float
        Atoms of one sign closer than this angle (radians) are one atom.
    prune_amplitude : float
        The exchange method tries its certified answer without the atoms whose
        amplitude is at most ``prune_amplitude`` times the largest (re-polished on the
        smaller pattern and re-verified; the smaller certified support is kept).
    snap_distance : float
        Largest distance ``|<theta, x~_i>| / ||x~_i||`` at which the exchange method,
        when guessing the support pattern for polishing, puts an atom ON hyperplane
        ``H_i``; the ladder of distances tried is ``0`` and this value times each factor
        of ``EXCHANGE_SNAP_LADDER`` (smallest first; every guess is re-verified).
    polish_violation : float
        The exchange method tries polishing once the exact scan is complete and
        ``max |eta_p| <= 1 + polish_violation`` (the support pattern has then usually
        settled); a ``p`` whose rounding floor reaches this level is diagnosed as a
        precision floor.
    bab_rel_gap : float
        Branch-and-bound oracle (``lp.bab.maximise``): nodes whose upper bound is at
        most ``best * (1 + bab_rel_gap)`` are closed, so the returned ``max |eta_p|``
        (a value attained at a point) is within this relative gap of the true maximum
        (its ``upper_bound`` says by how much at most). Leaves are exact, so the
        answer is typically exact to rounding; the gap only stops the search from
        refining nodes that cannot change the answer by more.
    sign_zero : float
        A point counts as on hyperplane ``H_i`` when ``|<theta, x~_i>|`` is at most
        ``sign_zero * ||x~_i||`` (``theta`` a unit vector).
    rank : float
        Relative singular-value threshold for numerical rank.
    extremal : float
        A region maximum ``m`` of ``|eta|`` counts as an extremum (a point of E)
        when ``m >= 1 - extremal``.
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
    """

    # solver (lp, lp.tv)
    obj_gap: float = 1e-9
    primal_feas: float = 1e-9
    dual_feas: float = 1e-9
    rtol: float = 1e-9
    highs_feas: float = 1e-10
    highs_qp_regularization: float = 1e-12
    highs_qp_regularization_fallback: float = 1e-7
    conic: float = 1e-10
    conic_accept: float = 1e-6
    continuation_gap: float = 1e-3
    amplitude_zero: float = 1e-12
    merge_angle: float = 1e-9
    prune_amplitude: float = 1e-2
    snap_distance: float = 1e-2
    polish_violation: float = 1e-2
    bab_rel_gap: float = 1e-13

    # geometry (arrangement)
    sign_zero: float = 1e-12
    rank: float = 1e-9

    # analysis (verify)
    extremal: float = 1e-7
    point_merge: float = 1e-6
    uniqueness_width: float = 1e-6
    witness_deficit: float = 1e-9
    certify_gap: float = 1e-6

    # batched (gpu, verify.regions)
    gpu_margin: float = 1e-4
    gpu_gap: float = 1e-11

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise TypeError(f"Tolerances.{f.name} must be a float; got {value!r}")
            if not (value >= 0.0) or value != value or value == float("inf"):
                raise ValueError(f"Tolerances.{f.name} must be a finite float >= 0; got {value!r}")

    def close(self, a: float, b: float, *, atol: float | None = None) -> bool:
        """Whether ``|a - b| <= atol + rtol * max(|a|, |b|)``.

        Parameters
        ----------
        a, b : float
        atol : float, optional
            Absolute part (default ``primal_feas``).

        Returns
        -------
        bool
        """
        atol = self.primal_feas if atol is None else atol
        return abs(a - b) <= atol + self.rtol * max(abs(a), abs(b))

    def with_(self, **changes: float) -> "Tolerances":
        """A copy with some fields changed.

        Parameters
        ----------
        **changes : float
            Field names and their new values; an unknown name raises ``TypeError``.

        Returns
        -------
        Tolerances
        """
        return replace(self, **changes)

    def group(self, name: str) -> dict:
        """The fields of one group and their values.

        Parameters
        ----------
        name : str
            A key of :data:`GROUPS` ("solver", "geometry", "analysis", "batched").

        Returns
        -------
        dict
            Field name -> value, in the group's order.

        Examples
        --------
        >>> Tolerances().group("batched") == {"gpu_margin": DEFAULT.gpu_margin, "gpu_gap": DEFAULT.gpu_gap}
        True
        """
        if name not in GROUPS:
            raise ValueError(f"unknown tolerance group {name!r}; choose from {sorted(GROUPS)}")
        return {f: getattr(self, f) for f in GROUPS[name][1]}

    def to_dict(self) -> dict:
        """Every field and its value (``Tolerances.from_dict`` inverts it).

        Returns
        -------
        dict
        """
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Tolerances":
        """The tolerances of a :meth:`to_dict` document.

        Parameters
        ----------
        data : dict
            Field names and values; missing fields take their defaults.

        Returns
        -------
        Tolerances

        Raises
        ------
        ValueError
            An unknown field name, or a bad value (naming the field).
        """
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown tolerance field(s): {sorted(unknown)}")
        return cls(**{k: float(v) for k, v in data.items()})


#: The groups of :class:`Tolerances` fields: group name -> (what it governs, field names).
#: Every field is in exactly one group (``tests/test_tolerances.py``).
GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "solver": ("the finite programs and the TV solver (lp, lp.tv)",
               ("obj_gap", "primal_feas", "dual_feas", "rtol", "highs_feas", "highs_qp_regularization",
                "highs_qp_regularization_fallback", "conic", "conic_accept", "continuation_gap",
                "amplitude_zero", "merge_angle", "prune_amplitude", "snap_distance", "polish_violation",
                "bab_rel_gap")),
    "geometry": ("the arrangement: hyperplane sides, numerical rank", ("sign_zero", "rank")),
    "analysis": ("the float certificate analysis (verify)",
                 ("extremal", "point_merge", "uniqueness_width", "witness_deficit", "certify_gap")),
    "batched": ("the batched region scans (gpu, verify.regions)", ("gpu_margin", "gpu_gap")),
}

DEFAULT = Tolerances()


def resolve(tol: Tolerances | None) -> Tolerances:
    """``tol`` itself, or the defaults when it is None.

    Parameters
    ----------
    tol : Tolerances or None

    Returns
    -------
    Tolerances

    Raises
    ------
    TypeError
        Anything else.
    """
    if tol is None:
        return DEFAULT
    if not isinstance(tol, Tolerances):
        raise TypeError(f"tol must be a relucert.Tolerances or None; got {type(tol).__name__}")
    return tol


# ----------------------------------------------------------------------------------------
# verify (certificate analysis)
# ----------------------------------------------------------------------------------------

#: Uniqueness LPs over the solution polytope Q (relucert.verify.solution_polytope): when
#: ``Phi_E c = r`` fails at band 0 (rounding in rank-deficient rows of Phi_E), the band
#: ``primal_feas * max(1, |r|)`` is tried and widened by this factor, at most this many
#: times. A wider band only widens the computed ranges, so a "unique" verdict stays sound.
UNIQUENESS_BAND_FACTOR = 10.0
UNIQUENESS_BAND_STEPS = 4


# ----------------------------------------------------------------------------------------
# arrangement / batched
# Constants of the batched region maxima (relucert.arrangement.region_maxima and its
# projections, proofs/batched_region_maxima.md). None changes a certified value: they
# decide how much work is done before a region goes to the exact per-region path.

#: Safety factor on the forward-error estimate ``eps * cond(Q_SS) * ||lam||`` of a
#: Cholesky solve in the batched active-set polish (the classical bound carries a modest
#: dimension factor; D <= 4 typically, and 64 covers it with room).
BATCHED_POLAR_SAFETY = 64.0

#: When fewer unconverged regions than this remain in a batch after a polish, they go
#: to the exact path instead of more FISTA rounds: a round on a handful of rows costs the
#: same per-operation overhead as on thousands (about 10 us per operation in torch on the
#: CPU, more on a GPU launch), while region_max costs about 60 us per region.
BATCHED_TAIL_TO_EXACT = 256

#: Default cap on FISTA iterations per region before it goes to the exact path.
BATCHED_MAX_ITER = 1000

#: FISTA rounds double from this many iterations (8, 16, 32, ...) up to the cap.
BATCHED_FIRST_ROUND = 8

#: Lawson-Hanson passes of the polish per padded facet: ``3 F + 2`` passes for F facets
#: (each facet is added about once, and each addition may cost a step back).
BATCHED_POLISH_PASSES_PER_FACET = 3
BATCHED_POLISH_EXTRA_PASSES = 2


# ----------------------------------------------------------------------------------------
# TV solver (lp/ and lp/tv/): budgets, ladders, retry bands and safety factors.
# Module-level constants, not fields: they shape the algorithm's path, not the accuracy
# a user asks for. Every budget counts iterations or sizes, never wall-clock time, so
# that a result does not depend on the speed of the machine.

#: HiGHS QP iterations allowed per variable (plus ``QP_ITERATIONS_FLOOR``) before a lasso
#: QP counts as stalled and is retried with ``highs_qp_regularization_fallback``: HiGHS's
#: active-set QP can cycle (150,000 iterations on a 142-variable lasso at lam = 1e-3),
#: while healthy solves here take a few per variable.
QP_ITERATIONS_PER_VARIABLE = 20
#: The constant part of the HiGHS QP iteration budget.
QP_ITERATIONS_FLOOR = 1000
#: Zero-weight atoms are dropped from the exchange's atom set when it exceeds
#: max(EXCHANGE_ATOM_CAP, 4 x the per-round addition limit).
EXCHANGE_ATOM_CAP = 2500
#: A failed run whose best relative gap is within this factor of tol.obj_gap, and whose
#: estimated rounding floor of the gap is within it too, is diagnosed as a precision floor.
EXCHANGE_NEAR_MISS_FACTOR = 1000.0
#: Continuation levels lam F^j of the exchange's optional warm start.
EXCHANGE_CONTINUATION_FACTOR = 10.0
#: A failed polishing is retried once the certified gap has dropped by this factor.
EXCHANGE_POLISH_RETRY = 0.01
#: The gap counts as stalled when one round does not shrink it by this factor.
EXCHANGE_STALL_FACTOR = 0.5
#: Snapping distances tried by the polishing: tol.snap_distance times these (smallest first),
#: after the unsnapped pattern.
EXCHANGE_SNAP_LADDER = (1e-6, 1e-4, 1e-2, 1.0)
#: Safety factor of the threshold at which an early-stopping candidate scan ends: a region
#: above accept_limit x (1 + this x eps) settles the rejection.
EXCHANGE_ACCEPT_SLACK_EPS = 8.0
#: The rounding floor of Phi^T p in the finite lasso is this factor times
#: eps ||y|| ||X~||_F / lam (lp/tv/polish.py, dual_rounding_floor).
POLISH_FLOOR_FACTOR = 3.0
#: Branch and bound: a split whose integer rays exceed this length (2^52, the last
#: exactly represented float integers) forces the undecided leaf to sub-enumeration.
BAB_RAY_LIMIT = float(2 ** 52)
#: The active-set lasso's final SVD equilibrates its columns (exact powers of two) when
#: their norms spread by more than this factor: the spread alone then makes cond(A) at
#: least this large, and z's error ~ eps cond(A), divided by lam in p = (y - A z)/lam,
#: reaches the dual tolerance (X in large units: proofs/natural_units.md).
ACTIVE_SET_EQUILIBRATION_SPREAD = float(2 ** 20)
# --- oracle choice and time-limited runs (lp/tv/oracle_api.py, relucert/solver.py) ---
#: The node budget of the branch and bound's bounding scan (``BranchAndBoundOracle.bound_scan``):
#: the certified upper bound ``U >= max |eta_p|`` of a run stopped by its time limit comes
#: from at most this many nodes after the 2^(d+2) root cones (a node budget, not a time, so
#: the bound is reproducible). At d = 10, n = 200 the roots and 256 nodes took 15-20 s at load 4
#: on this 2-core machine (bound about 2.7x the best value found: a weak but honest bound).
BAB_BOUND_NODES = 256
#: ``oracle="auto"`` enumerates the chambers when ``estimate_chambers(X)`` (an upper bound of
#: their count) is at most this, and uses the branch and bound above it. Measured at
#: d = 2, 3 (and 4) end to end (benchmarks/bench_oracle.py, RESULTS.md "Oracle crossover"):
#: the branch and bound is 5-18x slower at every size where both run, so no crossover was
#: reached below the enumeration's own default limit (arrangement.DEFAULT_MAX_CHAMBERS);
#: the branch and bound takes over where enumeration is refused.
AUTO_ENUMERATION_MAX_CHAMBERS = 5_000_000
#: ``TVReLURegressor(time_limit=...)``'s default, in seconds: a stop rule, after which the
#: best network is kept with its certified gap (status "limit", ConvergenceWarning).
ESTIMATOR_TIME_LIMIT = 10.0
