"""Named constants of the branch and bound over cones (lp/tv/bab/, the tree oracle in
lp/tv/oracle_api.py, lp/tv/oracle_violators.py and lp/tv/anytime.py, the parallel
subtrees and the /2 certificates built from the tree), one block per area.

Split from :mod:`relucert.tolerances.constants` (which re-exports every name here) so each
file stays within the project's module size limit; the same rules hold: they shape the path
an algorithm takes, never what is certified. Import them from :mod:`relucert.tolerances`.
"""
# --- branch and bound: warm start across scans (engineer bab, issue 13; lp/tv/bab/warm.py) ---
#: ``BranchAndBoundOracle`` keeps a scan's frontier (every closed node, exact leaf and open
#: node with its bound and its inactive rows: proofs/branch_and_bound.md, Lemma 9) only up
#: to this many nodes, and only up to ``BAB_WARM_MAX_BYTES`` (about 260 bytes each at d = 4,
#: n = 500, 710 at d = 8; remembering and seeding also unpack the inactive bits, one byte per
#: node and row, for a moment); beyond it the last frontier kept stays (the next scan starts
#: from it, its bounds shifted over the rounds since; the root cones when none was kept).
BAB_WARM_MAX_NODES = 2_000_000
#: Points of the last remembered scan (its maximiser and its first violators) whose
#: ``|eta|`` for the next weights seeds the next search's incumbent.
BAB_WARM_HINTS = 64
#: Perceptron steps looking for an interior point of a leaf's sub-region before its interior
#: LP (``lp.tv.bab.leaves.has_interior``): a point found answers "has interior" without the LP.
BAB_INTERIOR_PUSH_STEPS = 32

# --- tree: certificate analysis beyond enumeration (verify/near_extremal.py, relucert/certifier.py) ---
#: The report beyond enumeration lists, by branch and bound, every (region, sign) whose
#: maximum of |eta| exceeds ``1 - band`` (proofs/near_extremal_chambers.md), the band at
#: most ``NEAR_EXTREMAL_BAND`` (the widest the adaptive rule below uses).
#: The chambers between that level and ``1 - tol.extremal`` give the exact largest maximum
#: outside E (ND1, mass outside E); when there is none, ``1 - band`` is used as
#: its (valid, coarser) bound. Wider: more chambers listed (one LP per hyperplane each).
NEAR_EXTREMAL_BAND = 0.03125
#: The report's own band (``near_extremal_report(band=None)``,
#: ``relucert.verify.near_extremal.adaptive_band``) is the smallest power of two, at most
#: ``NEAR_EXTREMAL_BAND``, above this factor times the reach ``sqrt(2 G) / lam ||X~||_2`` of
#: the solution's duality gap G (the report's exclusion test of mass outside E then passes
#: at the band's level whenever it passes at all) and above ``NEAR_EXTREMAL_MIN_BAND_FACTOR``
#: times ``tol.extremal`` (E's level stays well above the band's). Any factor > 1 is valid:
#: a band whose level decides a verdict is widened (``NEAR_EXTREMAL_WIDEN``).
NEAR_EXTREMAL_REACH_FACTOR = 2
#: See ``NEAR_EXTREMAL_REACH_FACTOR``: the band is at least this many times ``tol.extremal``.
NEAR_EXTREMAL_MIN_BAND_FACTOR = 8
#: When the unlisted level ``1 - band`` decides a verdict or the exclusion of mass outside E
#: (``CertificateReport.band_decides``), the adaptive report is redone with the band this
#: many times wider, up to ``NEAR_EXTREMAL_BAND`` (whose report is then kept as it is).
NEAR_EXTREMAL_WIDEN = 4
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
#: frontier dropped there made the next scan start from the roots. 1 GiB (2.1M nodes at
#: n = 200, D = 6, so ``BAB_WARM_MAX_NODES`` binds there): at n = 200, d = 5 the 1.45M-node
#: frontier of the scan before the last big one is kept (512 MiB: 1.06M nodes, dropped), that
#: scan then ends at a lower bound (1.659 against 1.753 in the same CPU seconds) and the
#: certified gap after 900 s falls from 39.7 % to 36.4 % (benchmarks/RESULTS.md, session 13,
#: engineer d5); the machine showed 4 GB in use (all processes) during that run's last scan.
BAB_WARM_MAX_BYTES = 1024 * 2 ** 20
#: Violators a branch-and-bound scan of the exchange lists at most near feasibility
#: (``BranchAndBoundOracle.scan`` caps the exchange's ``limit`` at it when the last scan met at
#: most ``BAB_QUOTA_ETA`` times the threshold and the scan has no node budget). Best-first meets
#: the most violated regions first; near feasibility the next ones cost many nodes each and the
#: finite program uses few of them. Far from feasibility violators come cheaply and the full
#: limit is kept: capped there, d = 8, n = 500 ran 121 rounds of 16 atoms and ended at a worse
#: objective (benchmarks/RESULTS.md, "The exchange driven by the tree").
BAB_SCAN_VIOLATORS = 16
#: The same cap also by the scan's own incumbent (``maximise(near_cap=...)``): a quota scan
#: given the full limit (the last scan met more than ``BAB_QUOTA_ETA`` times the threshold,
#: often only because its violators were raised to their regions' optima) stops at
#: ``BAB_SCAN_VIOLATORS`` once its largest ``|eta|`` met is at most ``BAB_QUOTA_ETA`` times the
#: threshold. Without it such a scan, neither near (no cap) nor far (no node budget: that
#: needs an incumbent above the band), ran to its full limit: at n = 200, d = 5 scans of
#: 165,000-250,000 nodes for 100-300 violators (benchmarks/RESULTS.md, session 12, issue 13).
#: False: the cap only by the last scan, as before. A choice of work only (proofs
#: Lemma 10: what such a stopped scan lists is a valid set of violators, ``complete=False``).
BAB_SCAN_NEAR_CAP = True

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
#: A forced leaf with at most this many undecided points takes every sign pattern of them
#: (``2^u`` projections, batched) instead of listing the sub-regions with interior by one LP
#: per new side: the pieces cover the cone whether or not they have interior
#: (proofs/branch_and_bound.md, Lemma 11, "Every pattern"). Measured at d = 4, n = 100 (the
#: exchange's end game): 1,975 forced leaves, 5-7 undecided points on most, 72 of 218 CPU s in
#: their LPs before (benchmarks/RESULTS.md, session 11). Only the work depends on it.
BAB_FORCED_ALL_PATTERNS = 9

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

# --- the stopping test of the tree oracle (engineer d4, issue 13, session 11; lp/tv/bab/loop.py, lp/tv/exchange.py) ---
#: The exchange's branch-and-bound scans stop as soon as their upper bound ``U`` on
#: ``max |eta_p|`` is at most ``accept_below``, the largest ``U`` with which the round's
#: candidate passes the gap test (``candidate.accept_limit`` for ``BAB_STOP_GAP_SHARE`` of
#: the gap allowed), and the candidate is then judged on ``U`` (proofs/local_violators.md,
#: Lemma L3). False: every scan runs to its violator limit or to the end, as before.
BAB_STOP_TEST = True
#: The share of the gap allowed (``tol.obj_gap max(1, |objective|)``) that ``accept_below``
#: is computed for; the rest absorbs the rounding between the exchange's objective and the
#: candidate's own evaluation, so a settled scan's candidate passes the gap test. Any value
#: in (0, 1] is valid: the acceptance itself is the gap test on ``U``.
BAB_STOP_GAP_SHARE = 0.99
