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
#: A failed polishing is retried once the certified gap has dropped by this factor (10x: with
#: the truncated Newton step a try costs a fraction of a round; n = 300, gauss-kinked, lam 0.001
#: certifies at a gap of 6.5e-9, ten times below its failed try, 3 rounds earlier than at 100x).
EXCHANGE_POLISH_RETRY = 0.1
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
#: The weight (times the columns' largest entry) of the penalty rows ``alpha + s = 1`` of the
#: builder's first choice of a bound leaf's hints: one NNLS for the best slopes and multipliers
#: together (``verify.bab_hints._joint_hint``); the slopes are then clipped to [0, 1]. Only
#: work changes (floats choose, the exact check decides; Frank-Wolfe and BVLS follow when it
#: does not reach 1). 1e3: the penalty's pull on alpha is about grad / w^2, far below the grids.
BAB_CERT_JOINT_WEIGHT = 1e3
#: The checker keeps at most this many decoded rational texts of one file to look up when the
#: same text recurs (the dyadic multipliers of a /2 tree do): work only, never a verdict.
CHECKER_DECODE_CACHE = 1 << 20
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

# --- exchange: early-stopped scans of the transition rounds (issue 16, "exch", session 6) ---
#: A non-final scan may stop at the violator limit only once it has found a violation at
#: least this fraction of the largest one its unscanned regions' bounds allow: the descent
#: that keeps the exchange convergent (proofs/exchange_method.md, "Early-stopped scans").
#: Measured at n = 1000, d = 2, lam = 0.01 with 0.02 (benchmarks/RESULTS.md).
EXCHANGE_PROGRESS_FRACTION = 0.02
#: d = 2 scans: the region bound ``<c, v> + ||v|| (rho + this)`` (``c`` the chamber's interior
#: point, ``rho`` its radius around it, lp/tv/chamber_bounds.py::chamber_radii) carries this
#: much extra radius against the rounding of ``rho`` and of ``<c, v>`` (both about eps).
CENTRE_BOUND_SLACK = 1.0e-9

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

# --- the finite QP's factors kept across exchange rounds (engineer qp, issue 16; lp/qr_factors.py) ---
#: Kept QR factors ``Q R`` of the passive columns are adopted by the next round's active set
#: only when two random probes pass: ``||Q R v - Phi_P v|| <= QR_KEEP_RESIDUAL ||Phi_P||_F ||v||``
#: and ``||Q^T Q w - w|| <= QR_KEEP_RESIDUAL ||w||``; otherwise the passive columns are
#: factorised afresh. The factors only steer the active set's path (its answer comes from a
#: fresh factorisation), so the bound guards against a drift of many updates, not the answer.
QR_KEEP_RESIDUAL = 1e-10
#: A failed polishing (lam > 0) is retried only once the round's certified relative gap is at
#: most this factor times ``tol.obj_gap`` (and dropped ``EXCHANGE_POLISH_RETRY``-fold), or when
#: the gap stalls, or to polish a certified answer; the first try is unchanged. At n = 1000,
#: d = 2 every try above 1.2e-8 failed ("atoms left their face"), each at about the cost of a
#: round; at n = 30 first tries at 5e-6 succeed (benchmarks/RESULTS.md, session 8, r8-qp).
EXCHANGE_POLISH_GAP_FACTOR = 10.0
#: For lam > 0 the FIRST polishing try, and a try because the gap stalled, wait for that gap too
#: when the merged network has more than this many atoms: at n = 1000, d = 2, lam = 0.001 the
#: first try at a gap of 3.7e-5 (906 atoms) failed after 3.4 s, and the try three rounds later,
#: at 7.8e-9, certified; on uniform-noise four stall tries between 3.5e-7 and 1.8e-8 (979 atoms)
#: failed at 5-8 s each (benchmarks/RESULTS.md, session 11, engineer qp); small networks as before.
EXCHANGE_POLISH_EAGER_ATOMS = 512
#: On more than EXCHANGE_POLISH_EAGER_ATOMS atoms (lam > 0), a try because the gap stalled after
#: a failed try also needs the gap at most this factor times the gap of that failed try: at
#: n = 1000, d = 2, lam = 0.001 the stall tries one or two rounds after a failed one, with the gap
#: 0.6-0.8 times as large, failed at 7-9 s each, while a round of the exchange costs about 3 s
#: (benchmarks/RESULTS.md, session 12, engineer qp). A try that is skipped cannot change a verdict.
EXCHANGE_POLISH_STALL_RETRY = 0.5

# --- the finite QP's final factorisation (engineer qp, session 9, issue 16; lp/active_set.py) ---
#: The active set's answer comes from a fresh Householder QR ``B = Q R`` of its (equilibrated)
#: passive columns when ``||R||_F ||R^-1||_F <= 1 / (ACTIVE_SET_QR_RANK_MARGIN * tol.rank)``:
#: that product bounds ``s_max / s_min`` from above, so the columns then pass the SVD's rank
#: test ``s_min > tol.rank s_max`` with this factor to spare for the rounding of ``R`` and
#: ``R^-1`` (relative errors of order ``k eps cond``, below 1e-3 wherever the bound can pass);
#: otherwise the SVD decides, as before (proofs/finite_lasso_backends.md).
ACTIVE_SET_QR_RANK_MARGIN = 2.0

# --- polishing's Newton steps (engineer bat, issue 16; lp/tv/polish.py) ---
#: The polishing Newton step ``A dz = F`` (``A = M^T M / lam + H``, symmetric PSD) is solved on
#: the eigenvectors of ``A`` with eigenvalue above this factor times the largest once the
#: Cholesky or least-squares steps stall: ``A`` is formed in floats with absolute errors of order ``m eps ||A||``, so its
#: smaller eigenvalues are rounding noise of a singular ``A`` (same-circle atom pairs make ``M``
#: rank deficient: proofs/exchange_method.md, "Singular Newton systems"); the default lstsq
#: threshold (eps) kept them and its steps were 10^9 times too long.
POLISH_STEP_RCOND = 1e-12
#: A Newton step accepted only after its length was halved below this fraction stalls: Newton
#: then switches to the truncated step (a least-squares step on a singular system is mostly
#: noise, and the line search accepts a vanishing part of it).
POLISH_SHORT_STEP = 2.0 ** -10
#: Newton with the truncated step (lam > 0) stops after an accepted step that lowered the
#: residual by less than this factor: it is then at the residual floor of its singular system.
#: At n = 1000, d = 2, lam = 0.001 (about 1000 unknowns) the residual fell 9e-4 -> 2e-6 -> 1.43e-7
#: in three steps, then by 1e-3 relative in twelve more, each an eigendecomposition (0.1 s); the
#: answer is judged by the certified gap either way (engineer qp, session 11).
POLISH_STALL_RATIO = 0.99

# The branch and bound's constants (lp/tv/bab/, its oracle and its certificates) live in
# relucert/tolerances/branch_and_bound.py; they are re-exported here, so every import of
# relucert.tolerances.constants keeps working.
from relucert.tolerances.branch_and_bound import *  # noqa: E402,F401,F403
