"""``relucert.certify``: the certificate report of a solution of (P_lam).

The public boundary: it validates its inputs once, solves when given data, refuses a
solution that does not belong to the given data or is not optimal, and hands over to
:func:`relucert.verify.analysis.analyse`.
"""
from __future__ import annotations

import numpy as np

from relucert._devices import ops_for_device
from relucert._executors import check_parallel
from relucert._validation import check_choice, check_device, check_lam, check_X, check_Xy
from relucert.solution import Solution
from relucert.tolerances import Tolerances, resolve

__all__ = ["certify", "tree_certificate", "exact_certificate", "near_extremal_report", "TREE_FORMAT_MIN_D"]

#: ``exact=True`` writes format /2 (the tree) at this dimension and above, and wherever the
#: chambers are not listed (with its near-extremal chambers and their uniqueness claim);
#: format /1 (the chamber list, with its uniqueness claim) below.
TREE_FORMAT_MIN_D = 4


def certify(solution_or_data, y=None, lam=None, *, X=None, tol: Tolerances | None = None,
            arrangement=None, method: str = "exchange", p0: bool = False, device: str = "auto",
            oracle: str = "auto", time_limit: float | None = None, exact: bool = False,
            progress: bool | None = None, n_jobs: int | None = None, scheduler=None,
            qp_backend: str = "active-set"):
    """Certificate report: sparsity, one extremum per region, uniqueness, ND1-ND4.

    Parameters
    ----------
    solution_or_data : Solution or array (n, d)
        A solution of (P_lam) (``relucert.solve``), or the data ``X``; with data,
        ``y`` and ``lam`` are required and the problem is solved first.
    y, lam : optional for a Solution: when given they must equal the solution's.
    X : optional for a Solution: when given it must equal the solution's data.
    tol : Tolerances
    arrangement : the chambers of X (enumerated when None).
    method : solver method when solving ("exchange" or "socp").
    p0 : also solve (P_0) (``min ||mu||_TV`` s.t. ``K mu = y``) on the same data and attach
        the minimal-norm (P_0) certificate p_0 with its extremal set and non-degeneracy
        (``report.p0``, :mod:`relucert.verify.p0`); ``||p_0 - p_lam||`` goes to the JSON.
    device : "auto", "cpu" or "cuda": where batched region scans run (``relucert.solve``).
    oracle, time_limit : the solve step's oracle and time limit (``relucert.solve``; data
        only). With the branch-and-bound oracle the solve lists no chambers; the report
        then enumerates them, or, when they are more than ``enumerate_chambers`` lists,
        reads only the near-extremal ones, found by branch and bound
        (:func:`near_extremal_report`; ``report.unlisted_max`` is then set).
    exact : also build an exact rational certificate (``report.exact``; ``.write(path)``):
        format /1 (chamber list, uniqueness claim) when the chambers are listed and
        ``d < TREE_FORMAT_MIN_D``, else format /2 (the branch-and-bound tree,
        :func:`tree_certificate`). Either is re-verified by the independent checker.
    progress : progress bars on stderr (None: only on a terminal).
    n_jobs, scheduler : where the solve's (and the /2 tree's) branch-and-bound scans run
        (``relucert.solve``).
    qp_backend : "active-set" or "daqp": who solves the solve step's finite lasso programs
        first (``relucert.solve``; data only).

    Returns
    -------
    relucert.verify.analysis.CertificateReport

    Raises
    ------
    ValueError
        Data or lam that do not match the solution; a non-optimal solution
        (``CertificateError``, a ValueError subclass).
    TypeError
        Wrong argument kinds.

    Examples
    --------
    One data point ``x = 0`` with label 1 and ``lam = 0.5``: the optimum is the
    constant network ``0.5 * relu(b)`` (the atom ``theta = (0, 1)``), and it is unique.

    >>> import numpy as np
    >>> from relucert.verify.analysis import solution_from_measure
    >>> sol = solution_from_measure(np.zeros((1, 1)), [1.0], 0.5, [[0.0, 1.0]], [0.5])
    >>> report = certify(sol)
    >>> report.unique, report.support_size
    (<Verdict.UNIQUE: 'unique'>, 1)
    """
    tol = resolve(tol)
    check_parallel(n_jobs, scheduler)
    device = check_device(device)
    ops = ops_for_device(device)
    if isinstance(solution_or_data, Solution):
        sol = solution_or_data
        if X is not None:
            Xc = check_X(X)
            if Xc.shape != sol.X.shape or not np.array_equal(Xc, sol.X):
                raise ValueError("X does not match the solution's data X "
                                 f"(shapes {Xc.shape} and {sol.X.shape})")
        if y is not None:
            _, yc = check_Xy(sol.X, y)
            if not np.array_equal(yc, sol.y):
                diff = float(np.max(np.abs(yc - sol.y)))
                raise ValueError(f"y does not match the solution's labels (max difference {diff:.3g})")
        if lam is not None:
            lc = check_lam(lam)
            if not tol.close(lc, sol.lam, atol=0.0):
                raise ValueError(f"lam = {lc!r} does not match the solution's lam = {sol.lam!r}")
        report = _report(sol, arrangement, tol, ops, progress)
        return _with_exact(_with_p0(report, p0, method, tol), exact, tol, progress, n_jobs, scheduler)
    if isinstance(solution_or_data, dict) or solution_or_data is None:
        raise TypeError("solution_or_data must be a relucert Solution or the data X (n, d); got "
                        f"{type(solution_or_data).__name__}")
    if y is None or lam is None:
        raise ValueError("certify(X, y, lam): y and lam are required when the first argument is data")
    Xc, yc = check_Xy(solution_or_data, y)
    lc = check_lam(lam)
    from relucert.solver import solve  # the solver is only needed for raw data

    from relucert.arrangement import enumerate_chambers
    from relucert.solver import OracleChoice, check_qp_backend, choose_oracle

    oracle = check_choice(oracle, "oracle", OracleChoice)
    qp_backend = check_qp_backend(qp_backend, method)

    if arrangement is None and choose_oracle(Xc, oracle, method) == "bab":
        sol = solve(Xc, yc, lc, method=method, tol=tol, device=device, oracle="bab", time_limit=time_limit,
                    progress=progress, n_jobs=n_jobs, scheduler=scheduler, qp_backend=qp_backend)
        if not sol.success:
            return _report(sol, None, tol, ops, progress)   # analyse refuses a non-optimal solution
    else:
        if arrangement is None:  # enumerated once, for the solve, the analysis and p_0
            arrangement = enumerate_chambers(Xc, tol=tol)
        sol = solve(Xc, yc, lc, method=method, tol=tol, device=device, arrangement=arrangement,
                    oracle="enumerate", time_limit=time_limit, progress=progress, qp_backend=qp_backend)
    report = _report(sol, arrangement, tol, ops, progress)
    return _with_exact(_with_p0(report, p0, method, tol), exact, tol, progress, n_jobs, scheduler)


def _report(sol: Solution, arrangement, tol: Tolerances, ops, progress):
    """The report from the given chambers, else from all (enumerated), else, beyond
    enumeration, from the near-extremal ones (:func:`near_extremal_report`)."""
    from relucert.arrangement import DEFAULT_MAX_CHAMBERS, enumerate_chambers, estimate_chambers
    from relucert.verify.analysis import analyse

    if arrangement is None and sol.success and estimate_chambers(sol.X) > DEFAULT_MAX_CHAMBERS:
        return near_extremal_report(sol, tol=tol, ops=ops, progress=progress)
    if arrangement is None and sol.success:
        arrangement = enumerate_chambers(sol.X, tol=tol, progress=progress)
    return analyse(sol, arrangement=arrangement, tol=tol, ops=ops)


def near_extremal_report(solution: Solution, *, tol: Tolerances | None = None, ops=None,
                         progress: bool | None = None, band: float | None = None):
    """The certificate report read from the near-extremal chambers only (issue 13, item 3;
    proofs/near_extremal_chambers.md): the branch and bound lists every (region, sign)
    whose maximum of ``|eta|`` exceeds ``t = 1 - band`` (:func:`relucert.lp.tv.bab.maximise`),
    they are refined to the data's chambers
    (:func:`relucert.verify.near_extremal.near_extremal_arrangement`) and analysed with
    ``unlisted_max = t``. Its cost follows the number of near-extremal chambers, not the
    arrangement's size.

    Parameters
    ----------
    solution : Solution (optimal)
    tol : Tolerances, optional
    ops : array backend of the region scan (None: numpy)
    progress : progress bars on stderr (None: only on a terminal)
    band : float in ``(tol.extremal, 1)``, optional
        None (default): the band follows the instance
        (:func:`relucert.verify.near_extremal.adaptive_band`: a power of two above twice the
        reach of the duality gap, at most ``NEAR_EXTREMAL_BAND``), widened by
        ``NEAR_EXTREMAL_WIDEN`` up to ``NEAR_EXTREMAL_BAND`` while its level decides a
        verdict (``report.band_decides``): the verdicts are then those of the widest band.
        A number: that band, kept (``report.band_decides`` says whether its level decided
        a verdict: valid, possibly coarser than with every chamber).

    Returns
    -------
    relucert.verify.analysis.CertificateReport
        ``unlisted_max`` is ``t``; ``n_chambers`` counts the listed chambers.

    Raises
    ------
    CertificateError
        The solution is not optimal, or the branch and bound stopped before closing every
        node (never a report from a partial list).
    ValueError
        ``band`` outside ``(tol.extremal, 1)``.
    """
    from relucert.tolerances import NEAR_EXTREMAL_BAND, NEAR_EXTREMAL_WIDEN
    from relucert.verify.analysis import analyse
    from relucert.verify.near_extremal import adaptive_band

    if not isinstance(solution, Solution):
        raise TypeError(f"solution must be a relucert.Solution; got {type(solution).__name__}")
    tol = resolve(tol)
    if band is not None and not (isinstance(band, (int, float)) and tol.extremal < float(band) < 1.0):
        raise ValueError(f"band must be a number in (tol.extremal = {tol.extremal:g}, 1); got {band!r}")
    if not (solution.lam > 0 and solution.success):
        return analyse(solution, tol=tol, ops=ops)   # refuses (not optimal, or lam = 0) before any enumeration
    if band is not None:
        return _near_report(solution, float(band), tol, ops, progress)
    b = adaptive_band(solution.X, solution.lam, solution.duality_gap, tol=tol)
    report = _near_report(solution, b, tol, ops, progress)
    while report.band_decides and b < NEAR_EXTREMAL_BAND:
        b = min(b * NEAR_EXTREMAL_WIDEN, NEAR_EXTREMAL_BAND)
        report = _near_report(solution, b, tol, ops, progress)
    return report


def _near_report(solution: Solution, band: float, tol: Tolerances, ops, progress):
    """The report from the chambers whose region maximum exceeds ``1 - band``."""
    from relucert.lp.tv.bab import maximise
    from relucert.verify.analysis import analyse, certificate_dual
    from relucert.verify.near_extremal import near_extremal_arrangement

    scan = maximise(solution.X, certificate_dual(solution), 1.0 - band, tol=tol, progress=progress)
    near = near_extremal_arrangement(solution.X, scan, tol=tol)
    return analyse(solution, arrangement=near.arrangement, tol=tol, ops=ops, unlisted_max=near.threshold)


def _with_exact(report, exact: bool, tol: Tolerances, progress, n_jobs=None, scheduler=None):
    """``report`` with its exact certificate attached when ``exact``."""
    if not isinstance(exact, bool):
        raise TypeError(f"exact must be a bool; got {type(exact).__name__}")
    if not exact:
        return report
    arr = None if report.unlisted_max is not None else report.arrangement
    return report.with_exact(exact_certificate(report.solution, arrangement=arr, tol=tol, progress=progress,
                                               n_jobs=n_jobs, scheduler=scheduler))


def exact_certificate(solution: Solution, *, arrangement=None, tol: Tolerances | None = None,
                      progress: bool | None = None, n_jobs: int | None = None, scheduler=None):
    """The exact certificate of ``solution``: format /1 (the chamber list, with its
    uniqueness claim) when ``arrangement`` (all chambers) is given and
    ``d < TREE_FORMAT_MIN_D``; format /2 (:func:`tree_certificate`, its branch and bound on
    ``n_jobs`` processes or the Dask ``scheduler``: the same file on any of them) otherwise.

    Returns
    -------
    relucert.verify.certificate_builder.ExactCertificate or
    relucert.verify.bab_certificate.TreeCertificate
        Both re-verified by the independent checker; ``.write(path)`` writes the file.
    """
    if arrangement is not None and solution.X.shape[1] < TREE_FORMAT_MIN_D:
        from relucert.verify.certificate_builder import make_exact_certificate

        return make_exact_certificate(solution, arrangement=arrangement, tol=resolve(tol), progress=progress)
    return tree_certificate(solution, tol=tol, progress=progress, n_jobs=n_jobs, scheduler=scheduler)


def _with_p0(report, p0: bool, method: str, tol: Tolerances):
    """``report`` with the (P_0) minimal-norm certificate attached when ``p0``."""
    if not isinstance(p0, bool):
        raise TypeError(f"p0 must be a bool; got {type(p0).__name__}")
    if not p0:
        return report
    if report.unlisted_max is not None:
        raise ValueError("p0=True needs every chamber (the (P_0) solve and its certificate enumerate them); "
                         "this report lists only the near-extremal chambers (beyond enumeration)")
    from relucert.solver import solve
    from relucert.verify.p0 import p0_certificate

    sol = report.solution
    # strict: p_0 is computed from an interpolating measure of minimal TV, never a partial answer
    interp = solve(sol.X, sol.y, 0.0, method=method, tol=tol, strict=True, arrangement=report.arrangement)
    cert = p0_certificate(sol.X, sol.y, interp.theta, interp.amplitude, arrangement=report.arrangement, tol=tol)
    return report.with_p0(cert)


def tree_certificate(solution: Solution, *, tol: Tolerances | None = None, progress: bool | None = None,
                     max_nodes: int | None = None, n_jobs: int | None = None, scheduler=None):
    """An exact certificate of ``solution`` without the chamber list
    (``relucert.exact-certificate/2``): the branch and bound certifies the dual vector
    (:func:`relucert.lp.tv.bab.certify`) and its result is handed to the builder
    (:func:`relucert.verify.bab_certificate.make_tree_certificate`, which re-derives and
    confirms every leaf exactly and self-checks the file).

    Parameters
    ----------
    solution : Solution
    tol : Tolerances, optional (the branch and bound's threshold ``1 + tol.dual_feas``)
    progress : progress bars on stderr (None: only on a terminal)
    max_nodes : the builder's node cap (default ``relucert.tolerances.BAB_CERT_MAX_NODES``)
    n_jobs, scheduler : where the branch and bound runs: ``n_jobs`` local processes or a
        Dask scheduler (address or ``distributed.Client``; ``relucert[dask]``). It always
        runs by the same subtrees (``relucert.lp.tv.bab.parallel.certify_parallel``, serial
        by default), and the exact tree is built root by root on the same executor, so the
        file is byte-identical however it was computed.

    Returns
    -------
    relucert.verify.bab_certificate.TreeCertificate
        ``.write(path)`` writes the file; ``relucert check FILE`` re-verifies it.

    Raises
    ------
    CertificateError
        The branch and bound did not certify the dual vector, or no leaf-by-leaf proof
        could be confirmed (never a partial or unverified file).
    """
    if not isinstance(solution, Solution):
        raise TypeError(f"solution must be a relucert.Solution; got {type(solution).__name__}")
    from relucert._executors import executor_for
    from relucert.lp.tv.bab.parallel import certify_parallel
    from relucert.verify.bab_certificate import make_tree_certificate

    with executor_for(n_jobs, scheduler) as executor:
        bab = certify_parallel(solution.X, solution.dual, executor=executor, tol=resolve(tol), progress=progress,
                               record_tree=True)
        return make_tree_certificate(solution, bab, max_nodes=max_nodes, progress=progress, executor=executor,
                                     tol=resolve(tol))
