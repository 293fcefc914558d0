"""Named constants of the algorithms, one block per area: budgets (iterations, nodes),
ladders, retry bands and safety factors.

They shape the path an algorithm takes, not the accuracy a user asks for, so they are
module constants rather than :class:`~relucert.tolerances.Tolerances` fields; they live
here, next to the tolerances, so that no other module holds a bare numerical literal
(tests/test_architecture.py). Every budget counts iterations, nodes or sizes, never
wall-clock time. Import them from :mod:`relucert.tolerances`.
"""
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


# ----------------------------------------------------------------------------------------
# --- regularisation path and cross-validation (relucert/path.py, relucert/estimator_cv.py) ---
#: Default ratio lam_min / lam_max of a path's geometric grid (scikit-learn's ``eps`` of
#: lasso_path and LassoCV): the grid runs from lam_max, where the zero network becomes
#: optimal (proofs/regularisation_path.md), down to this fraction of it.
PATH_LAM_RATIO = 1e-3


# ----------------------------------------------------------------------------------------
# ----------------------------------------------------------------------------------------
# exact tree certificates (relucert.exact-certificate/2, relucert.verify.bab_certificate)
# ----------------------------------------------------------------------------------------

#: Frank-Wolfe steps on the relaxation slopes when the builder chooses a bound leaf's
#: hints (proofs/branch_and_bound.md, Lemma 2: every iterate is valid; only work changes).
BAB_CERT_ALPHA_STEPS = 4
#: A node with at most this many weighted undecided samples may become an exact leaf
#: (2^k sub-region patterns, each with D + k polar multipliers in the file).
BAB_CERT_LEAF_UNDECIDED = 4
#: The builder refuses a tree of more nodes than this (CertificateError, never a partial file).
BAB_CERT_MAX_NODES = 2_000_000
#: The builder divides the dual vector by ``c >= U (1 + 2**-BAB_CERT_SCALE_MARGIN_BITS)``
#: (``U`` the branch and bound's float upper bound on max |eta_p|, when ``U`` is near 1 or
#: above), so that every leaf can be confirmed at ``||z||^2 <= 1`` despite rounding.
BAB_CERT_SCALE_MARGIN_BITS = 40
#: The builder rounds a leaf's slopes and multipliers to the grid 2**-b for b in this
#: ladder, keeping the first that its exact check confirms (coarse numbers are short in
#: the file; a tight leaf needs the finest).
BAB_CERT_MULT_BITS = (20, 40, 60)





# ----------------------------------------------------------------------------------------
# --- oracle choice and time-limited runs (lp/tv/oracle_api.py, relucert/solver.py) ---
#: The node budget of the branch and bound's bounding scan (``BranchAndBoundOracle.bound_scan``):
#: the certified upper bound ``U >= max |eta_p|`` of a run stopped by its time limit comes
#: from at most this many nodes after the 2^(d+2) root cones (a node budget, not a time, so
#: the bound is reproducible). At d = 10, n = 200 the roots and 256 nodes took 15-20 s at load 4
#: on this 2-core machine (bound about 2.7x the best value found: a weak but honest bound).
BAB_BOUND_NODES = 256
#: ``oracle="auto"`` enumerates the chambers when ``estimate_chambers(X)`` (an upper bound of
#: their count) is at most this, and uses the branch and bound above it. Measured at
#: d = 2, 3 (and 4) end to end (benchmarks/bench_oracle.py, RESULTS.md "Oracle crossover" and
#: "Branch and bound in the exchange: speed"): with the warm start the branch and bound is
#: still 2-6x slower at every size where both run, so no crossover was reached below the
#: enumeration's own default limit (arrangement.DEFAULT_MAX_CHAMBERS); the branch and bound
#: takes over where enumeration is refused.
AUTO_ENUMERATION_MAX_CHAMBERS = 5_000_000
#: ``TVReLURegressor(time_limit=...)``'s default, in seconds: an outer safety bound (the
#: deterministic budget max_iter / max_nodes ends ordinary fits long before), after which the
#: best network is kept with its certified gap (status "limit", ConvergenceWarning).
ESTIMATOR_TIME_LIMIT = 600.0


# ----------------------------------------------------------------------------------------
# --- compensated duals at the double-precision floor (lp/compensated.py, lp/tv/candidate.py;
# proofs/natural_units.md, "Compensated duals") ---
#: A candidate whose float gap (complete scan) misses tol.obj_gap by at most this factor is
#: re-scored with the refined dual: the stationary dual of its support in double-double and
#: its chamber vectors compensated. Above it the support is wrong and refining cannot help.
DUAL_REFINE_WINDOW = 1.0e4
#: Iterative-refinement steps of the support's stationary point (each: one compensated
#: residual and one float correction; measured: the stationarity residual falls from 1e-16
#: to 1e-27 in one step and to 1e-33 in two on X x 1e6, d = 1, n = 40).
DUAL_REFINE_STEPS = 2
#: Re-scoring is skipped when chambers x samples exceeds this (the compensated chamber
#: vectors cost about 20 flops per chamber, sample and coordinate).
DUAL_REFINE_MAX_WORK = 20_000_000

# --- branch and bound: warm start across scans (engineer bab, issue 13; lp/tv/bab/warm.py) ---
#: ``BranchAndBoundOracle`` keeps a scan's frontier (every closed node, exact leaf and open
#: node with its bound and its inactive rows: proofs/branch_and_bound.md, Lemma 9) only up
#: to this many nodes (about 260 bytes each at d = 4, n = 500, 710 at d = 8; remembering
#: and seeding also unpack the inactive bits, one byte per node and row, for a moment);
#: beyond it the next scan starts from the root cones.
BAB_WARM_MAX_NODES = 200_000
#: Points of the last remembered scan (its maximiser and its first violators) whose
#: ``|eta|`` for the next weights seeds the next search's incumbent.
BAB_WARM_HINTS = 64
#: Perceptron steps looking for an interior point of a leaf's sub-region before its interior
#: LP (``lp.tv.bab.leaves.has_interior``): a point found answers "has interior" without the LP.
BAB_INTERIOR_PUSH_STEPS = 32

# --- tree: certificate analysis beyond enumeration (verify/near_extremal.py, relucert/certifier.py) ---
#: The report beyond enumeration lists, by branch and bound, every (region, sign) whose
#: maximum of |eta| exceeds ``1 - NEAR_EXTREMAL_BAND`` (proofs/near_extremal_chambers.md).
#: The chambers between that level and ``1 - tol.extremal`` give the exact largest maximum
#: outside E (ND1, mass outside E); when there is none, ``1 - NEAR_EXTREMAL_BAND`` is used as
#: its (valid, coarser) bound. Wider: more chambers listed (one LP per hyperplane each).
NEAR_EXTREMAL_BAND = 0.03125
#: A region's maximiser on more hyperplanes of zero-weight samples than this is not refined
#: (2^ties chamber LPs): CertificateError.
NEAR_EXTREMAL_MAX_TIES = 8

# --- parallel branch and bound by subtrees (issue 14: lp/tv/bab/parallel/, relucert/_executors.py) ---
#: Node budget of one unit of work (a worker's depth-first run on its seed nodes); the
#: nodes it leaves open are re-queued as new units. About 0.1-0.5 s of work at d = 4 on
#: this machine (benchmarks/RESULTS.md, "Parallel branch and bound"): long enough to hide
#: a Dask task's overhead (milliseconds), short enough to balance uneven subtrees.
PARALLEL_TASK_NODES = 8192
#: Open nodes are cut into units of this many (in the order the unit that left them has
#: them): the first batch of a unit; a unit's step costs a fixed overhead plus a part per
#: node, so small units waste time (measured: 64 seeds per unit cost 1.9x the serial CPU
#: time at d = 4, n = 50; 256 cost 1.3x).
PARALLEL_SEEDS_PER_TASK = 256
#: The seed depth is the smallest k >= 0 with ``2 * 2^D * 2^k`` at least this many seed
#: nodes (a function of D alone: the units, hence every batch of nodes and every bound,
#: are the same on any executor; the coordinator keeps two units per worker in flight).
PARALLEL_SEEDS = 1024
#: A unit whose worker died is run again at most this many times (then SolverError).
PARALLEL_MAX_RETRIES = 3


# ----------------------------------------------------------------------------------------
# --- warm starts and the estimators' work budget (relucert/estimator.py, relucert/_warm_start.py; "warm") ---
#: ``TVReLURegressor(max_iter=None)`` with the branch-and-bound oracle: exchange rounds of a
#: fit (each scans the whole sphere; at d = 10 its 2^(d+2) root cones alone take seconds).
ESTIMATOR_BAB_MAX_ITER = 3
#: ``TVReLURegressor(max_nodes=...)``'s default: nodes of each branch-and-bound scan of a
#: fit's rounds (after the root cones); the certified bound of a stopped fit has its own
#: budget (``BAB_BOUND_NODES``).
ESTIMATOR_MAX_NODES = 256
#: Gates through random samples in the starting columns of a branch-and-bound fit
#: (``relucert._warm_start.data_seed``), each with its opposite direction and both signs.
ESTIMATOR_SEED_GATES = 32

# --- QP backend: DAQP for the finite lasso (engineer qp, issue 16; lp/daqp_lasso.py, lp/programs.py) ---
#: DAQP's own primal tolerance (``Phi^T p <= 1 + primal_tol`` in its dual of the lasso) as a
#: share of ``tol.dual_feas``: the answer is re-checked against ``tol.dual_feas`` from the
#: weights alone, so DAQP is asked for a margin below it.
DAQP_PRIMAL_TOL_SHARE = 0.125
#: DAQP's infinity (its ``DAQP_INF``): the lower bound of the one-sided rows ``Phi^T p <= 1``.
DAQP_NO_LOWER_BOUND = 1.0e30
#: A lasso QP whose active-set finish ends with ``max Phi^T p - 1`` within this factor of the
#: rounding floor ``eps |y| max_k |phi_k| / lam`` is reported "at the precision floor"; above
#: it, "not a rounding issue" (lp/programs.py, the SolverError's diagnosis).
PRECISION_FLOOR_MARGIN = 100.0
