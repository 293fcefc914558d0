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
#: to this many nodes, and only up to ``BAB_WARM_MAX_BYTES`` (about 260 bytes each at d = 4,
#: n = 500, 710 at d = 8; remembering and seeding also unpack the inactive bits, one byte per
#: node and row, for a moment); beyond it the next scan starts from the root cones.
BAB_WARM_MAX_NODES = 2_000_000
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
#: nodes it leaves open are re-queued as new units. About 1 s of work at d = 4, n = 100 on
#: this machine (benchmarks/RESULTS.md, "Parallel branch and bound"): long enough to hide
#: a Dask task's overhead (milliseconds) and to keep a unit's batches full, short enough to
#: balance uneven subtrees (2 workers: 1.9-2.0x by the units' CPU seconds).
PARALLEL_TASK_NODES = 16384
#: Open nodes are cut into units of this many (in the order the unit that left them has
#: them): the first batch of a unit. A unit's own stack is narrower than the serial search's,
#: and a step's cost per node doubles below about 64 nodes, so small units waste time
#: (measured at d = 4, n = 100, in CPU s against the plain certify: 256 seeds and 8,192
#: nodes per unit 1.1-1.3x, 512 and 16,384 0.8-1.0x; at n = 50, 64 seeds 1.9x).
PARALLEL_SEEDS_PER_TASK = 512
#: The seed depth is the smallest k >= 0 with ``2 * 2^D * 2^k`` at least this many seed
#: nodes (a function of D alone: the units, hence every batch of nodes and every bound,
#: are the same on any executor; the coordinator keeps two units per worker in flight).
#: The coordinator expands them alone, level by level, before any unit runs: full batches,
#: about 2-4 % of a d = 4 certify's work (benchmarks/RESULTS.md); fewer seeds in smaller
#: units would run most nodes in small batches (a step's cost per node doubles below about
#: 64 nodes), which costs more than the seed phase saves.
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

# --- torch bounding kernels of the branch and bound (issue 13 item 6: gpu/bab_kernels.py; "torch") ---
#: Agreement of the torch bounding kernels with numpy's (the reference) on the same inputs,
#: relative to each output's natural scale (``||w||`` for a cone bound, ``cond(Rn) ||G||``
#: for the normals, ``sum_i |Q_i| ||a_i|| (1 + ||G||)`` for a majorant): the two differ by
#: the rounding of another summation order or LAPACK call, measured at most 3e-15 on the
#: CPU (tests/test_gpu_bounding.py, benchmarks/bench_bab_kernels.py). The classification
#: is not compared to a tolerance: it is exact on every device.
BAB_TORCH_KERNEL_RTOL = 1e-12

# ----------------------------------------------------------------------------------------
# --- worker processes of the parallel branch and bound (relucert/_executors.py; "dask") ---
#: glibc's mmap threshold (bytes) set in a worker process (a pool process, a Dask worker):
#: a node batch's arrays (MBs) are then taken from the heap and reused instead of being
#: mapped and unmapped at every call. A Dask nanny sets ``MALLOC_TRIM_THRESHOLD_`` = 64 kB,
#: which freezes glibc's adaptive threshold at 128 kB and made the branch and bound spend
#: more time in the kernel than in numpy (benchmarks/RESULTS.md, "Parallel branch and
#: bound"). 32 MiB is glibc's largest adaptive value on 64-bit systems.
WORKER_MMAP_THRESHOLD = 32 * 1024 * 1024
#: glibc's trim threshold (bytes) set with it: free memory at the top of the heap is given
#: back to the system only past this much (a worker keeps at most this much unused).
WORKER_TRIM_THRESHOLD = 256 * 1024 * 1024

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

# --- bab: early rounds of the exchange (engineer bab, session 6, issue 13; lp/tv/bab/bounding.py, leaves.py) ---
#: A ``maximise`` with a violator quota (``limit``) lists, besides its exact leaves, the region
#: of every bound maximiser above the threshold (proofs/branch_and_bound.md, Lemma 10), after
#: this many ascent steps ``theta <- sigma v(theta) / ||v(theta)||`` from it (``v(theta)``
#: the linear piece of ``eta`` at ``theta``; the best point met is kept): a heuristic that
#: only chooses which regions are listed, each with its exact maximum.
BAB_HARVEST_ASCENT_STEPS = 8
#: Such a scan far from feasible (the largest ``|eta|`` met above ``BAB_QUOTA_ETA`` times its
#: threshold) also stops after this many nodes once it has listed a violator: the exchange's
#: early rounds need good violators quickly, not all of them; the scans near feasibility, and
#: every scan that certifies, run to their quota or to the end.
BAB_QUOTA_NODES = 4096
#: See ``BAB_QUOTA_NODES`` (a ratio: with ``max |eta_p| >= 1.25`` the dual ``p / max |eta_p|``
#: is far from optimal, so a complete scan there certifies nothing useful).
BAB_QUOTA_ETA = 1.25

# ----------------------------------------------------------------------------------------
# --- /2 claims and the parallel /2 build (verify/bab_tree.py, verify/bab_certificate.py; "tree") ---
#: Splits one root's unit may add, beyond the plain tree, to make every leaf above
#: ``(1 - NEAR_EXTREMAL_BAND)^2`` an exact leaf whose near sub-regions each lie in one chamber
#: (the near-extremal claims of format /2); past it the file is written without claims.
BAB_CERT_CLAIMS_MAX_SPLITS = 200_000
#: A /2 build unit whose worker died is run again at most this many times.
BAB_CERT_MAX_RETRIES = 3
#: The margin m of the /2 claims (every point with |eta| > 1 - m listed) is the smallest
#: power of two, at most ``NEAR_EXTREMAL_BAND`` and at least 2^-this, above
#: ``BAB_CERT_CLAIMS_MARGIN_FACTOR`` times the dual ball's reach ``rho ||X~||_F`` (the
#: checker needs reach < m to exclude the unlisted chambers from carrying mass).
BAB_CERT_CLAIMS_MIN_MARGIN_BITS = 40
#: See ``BAB_CERT_CLAIMS_MIN_MARGIN_BITS`` (any factor > 1 is valid: the slack between the
#: reach and the margin).
BAB_CERT_CLAIMS_MARGIN_FACTOR = 2

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

# --- batched exact leaves (engineer leaves, issue 13; lp/tv/bab/subregions.py, lp/tv/bab/leaves.py) ---
#: The batched Lawson-Hanson projection of a leaf's sub-regions onto ``{M theta >= 0}``
#: (``k`` rows) takes at most this many steps per row (``k`` additions plus removals;
#: Lawson-Hanson usually needs about ``k``); a problem not finished by then is solved
#: alone by scipy's NNLS (``relucert.arrangement.region_max``).
BAB_LEAF_NNLS_STEPS_PER_ROW = 3
#: Fewer sub-regions than this in one leaf batch are projected one by one (scipy's NNLS,
#: about 50 us each): the batched method's fixed cost per step (a few dozen numpy calls)
#: only pays off on larger batches. Both paths give the same values (Lemma 6b).
BAB_LEAF_BATCH_MIN = 32

# --- the exchange driven by the branch and bound: anytime bound (lp/tv/anytime.py, lp/tv/oracle_api.py; "strat") ---
#: Share of a run's ``time_limit`` reserved for the final best-first bounding scan of its last
#: dual (``BranchAndBoundOracle.bound_scan``, after its ``BAB_BOUND_NODES`` nodes): the rounds
#: stop at ``1 - ANYTIME_BOUND_SHARE`` of the limit, the scan at the limit. Best-first lowers
#: the largest open bound, hence ``U`` and the certified gap, fastest.
ANYTIME_BOUND_SHARE = 0.2
#: The memory a remembered frontier may take (``WarmStart``): ``D^2`` float64 rays, a sign,
#: a bound and one byte per row (the inactive bits unpacked while remembering and seeding) per
#: node. At d = 4, n = 100 the exchange's frontiers pass 200,000 nodes near feasibility; a
#: frontier dropped there made the next scan start from the roots.
BAB_WARM_MAX_BYTES = 512 * 2 ** 20
#: Violators a branch-and-bound scan of the exchange lists at most near feasibility
#: (``BranchAndBoundOracle.scan`` caps the exchange's ``limit`` at it when the last scan met at
#: most ``BAB_QUOTA_ETA`` times the threshold and the scan has no node budget). Best-first meets
#: the most violated regions first; near feasibility the next ones cost many nodes each and the
#: finite program uses few of them. Far from feasibility violators come cheaply and the full
#: limit is kept: capped there, d = 8, n = 500 ran 121 rounds of 16 atoms and ended at a worse
#: objective (benchmarks/RESULTS.md, "The exchange driven by the tree").
BAB_SCAN_VIOLATORS = 16

# --- rounds near feasibility: the violator policy of the tree oracle (lp/tv/oracle_violators.py; "near") ---
#: A branch-and-bound scan of the exchange with no node budget is complete (no violator limit)
#: once the last scan met at most ``BAB_SCAN_COMPLETE_ETA`` times the threshold (0: never, the
#: default). A complete scan lists every violator and lets the exchange evaluate and polish its
#: candidate. Measured (benchmarks/RESULTS.md, "Rounds near feasibility"): at d = 4, n = 30 a
#: band of 1.05 cut the rounds from 54 to 21 but cost 28 % more CPU; at d = 4, n = 100 a complete
#: scan from the remembered frontier at max |eta| 1.03-1.05 took 141,000-151,000 nodes against
#: 54,000-115,000 for 16 violators, but no 300 s run reached the band, so it stays off until an
#: A/B there settles it (``bench_oracle.py --policy-ab d4n100 --variants ray:1.25:1:16:0,ray:1.25:1:16:1.05``).
BAB_SCAN_COMPLETE_ETA = 0.0

# --- the node bound high in the tree (engineer hid, issue 13; lp/tv/bab/bounding.py, lp/tv/bab/slopes.py) ---
#: Projected-gradient (FISTA) iterations on the slopes of the undecided negative terms that
#: replace the first Frank-Wolfe step of a node still open after the centre slopes
#: (proofs/branch_and_bound.md, Lemma 2, "Projected-gradient slopes"; 0 turns them off). Each
#: iteration costs two ``(m, n) x (n, D)`` products; the bound stays the exact projection of
#: the slopes found, so only the work depends on it (benchmarks/RESULTS.md, "Node bound").
BAB_SLOPE_ITERS = 50

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

# --- forced leaves of thin cones (engineer leaf, issue 13; lp/tv/bab/forced.py, verify/) ---
#: A cone with integer rays is thin, hence an exact leaf by sub-arrangement and never split
#: or bounded in float, when ``prod_j ||r_j||^2 >= 4^BAB_THIN_BITS`` (an integer comparison):
#: its unit-ray matrix then has ``|det R_n| = 1 / prod_j ||r_j|| <= 2^-BAB_THIN_BITS``
#: (proofs/branch_and_bound.md, Lemma 11).
BAB_THIN_BITS = 24
#: A forced leaf whose undecided hyperplanes span R^D lists only its sub-regions inside the
#: cone when the cone's own interior LP margin (unit normals, box-bounded point) exceeds this:
#: far above the LP solver's feasibility tolerance (HiGHS: 1e-7), so the sub-regions' float
#: decisions mean something; thinner cones use the regions of R^D (lp/tv/bab/forced.py).
BAB_FORCED_CONE_MARGIN = 1e-5

# --- rounds near feasibility: local violators between tree scans (engineer rounds, issue 13; lp/tv/oracle_violators.py) ---
#: Near feasibility (the cap's band) a scan of the exchange first climbs over neighbouring
#: regions from the points of the last violators (``oracle_violators.local_violators``:
#: proofs/local_violators.md) and stands in for the tree when it lists at least
#: ``BAB_LOCAL_MIN`` violators (0 turns local scans off), at most ``BAB_LOCAL_RUN`` rounds in a
#: row (then a tree scan); it evaluates at most ``BAB_LOCAL_REGIONS`` regions (one projection
#: each, about 0.1 ms at d = 4, n = 100).
BAB_LOCAL_MIN = 16
BAB_LOCAL_RUN = 8
BAB_LOCAL_REGIONS = 2048
#: Start points kept for the local scans: the points of the last violators and maximisers,
#: newest first.
BAB_LOCAL_POOL = 512

# --- the cost of one tree scan (engineer scan, issue 13, session 9; lp/tv/bab/) ---
#: The projected-gradient slopes (lp/tv/bab/slopes.py) evaluate their feasible iterate, an
#: upper bound of the node's maximum, every this many iterations, and stop on the nodes it
#: closes (proofs/branch_and_bound.md, Lemma 2, "Early exit"); only the work depends on it.
BAB_SLOPE_CHECK_EVERY = 10

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
