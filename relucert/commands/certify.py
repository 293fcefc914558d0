"""``relucert certify DATA --lam L``: solve, then print the certificate report."""
from __future__ import annotations

import sys

import numpy as np

from relucert.commands._common import (add_common_options, add_data_argument, add_device_option,
                                       add_oracle_options, add_qp_backend_option, check_outputs,
                                       load_data_from_args, parse_lam, progress_flag, record_data,
                                       tolerances_from_args)
from relucert.commands._library import check_plot, load_solver
from relucert.commands._output import Exit, text_stream, write_json

__all__ = ["register", "run", "format_report", "point_table", "TOL_FLAGS"]

#: Tolerances with their own flag on ``certify`` (any other: ``--tol NAME=VALUE``).
TOL_FLAGS = ("obj_gap", "extremal")


def register(sub) -> None:
    """Add the ``certify`` subcommand.

    Parameters
    ----------
    sub : argparse._SubParsersAction
    """
    p = sub.add_parser("certify", help="solve and certify: sparsity, uniqueness, non-degeneracy",
                       description="Solve (P_lam) on DATA (.npz with X and y, or .csv whose last column "
                                   "is y) and print the certificate report: one extremum per region, "
                                   "the sparsity bound, uniqueness of the measure and of the function, "
                                   "and non-degeneracy ND1-ND4.")
    add_data_argument(p)
    p.add_argument("--lam", type=parse_lam, required=True, metavar="L", help="regularisation lam > 0")
    p.add_argument("--method", choices=("exchange", "socp"), default="exchange", help="solver method")
    add_oracle_options(p)
    add_qp_backend_option(p)
    p.add_argument("--p0", action="store_true",
                   help="also solve (P_0) on the same labels and report the minimal-norm certificate p_0")
    p.add_argument("--plot", metavar="FILE", default=None,
                   help="draw the certificate eta (d = 1 or 2; refused before the solve for d >= 3)")
    add_device_option(p, "batched region scans run (d >= 4)")
    p.add_argument("--exact", action="store_true", help="also write an exact rational certificate (--out)")
    p.add_argument("--out", metavar="FILE", default=None,
                   help="exact certificate file (needed by --exact, and an error without it)")
    add_common_options(p, tol=TOL_FLAGS)
    p.set_defaults(func=run)


def format_report(report) -> str:
    """The readable report: summary, a table per atom, the verdicts with their reasons.

    Parameters
    ----------
    report : relucert.verify.analysis.CertificateReport

    Returns
    -------
    str
    """
    lines = []
    sol = report.solution
    lines.append(f"n = {sol.X.shape[0]}, d = {sol.X.shape[1]}, lam = {report.lam:g}")
    lines.append(f"objective = {report.objective:.12g}, duality gap = {report.duality_gap:.3g}, "
                 f"max |eta| = {report.max_abs_certificate:.12g}")
    if report.unlisted_max is None:
        lines.append(f"dual regions: {report.n_chambers}; reaching +1: {report.regions_plus}, -1: "
                     f"{report.regions_minus}, both: {report.regions_both}")
    else:
        level = ("a level that decides a verdict: valid, possibly coarser than full enumeration's" if report.band_decides
                 else "the verdicts are full enumeration's")
        lines.append(f"dual regions listed: {report.n_chambers} near-extremal chambers, found by branch and bound "
                     f"(every other chamber has max |eta| <= 1 - {1.0 - report.unlisted_max!r}, {level}; the "
                     f"arrangement was not enumerated); reaching +1: {report.regions_plus}, -1: {report.regions_minus}, "
                     f"both: {report.regions_both}")
    lines.append(f"one extremum of each sign per region: {'yes' if report.one_extremum_per_region else 'NO'}")
    lines.append(f"sparsity: support size {report.support_size} <= |E| = {report.support_bound} <= "
                 f"(region, sign) pairs {report.n_extremal_pairs}"
                 + (f" <= 2 x chambers {2 * report.n_chambers}" if report.unlisted_max is None else "") + "; "
                 f"rank(Phi_E) = {report.rank_phi_E}")
    lines.append("")
    lines.extend(point_table(report))
    lines.append("")
    lines.append("point: the index of the point in the extremal set E, the one numbering of every message "
                 "(and of \"point\" in the JSON); a point without an amplitude carries no mass in this solution")
    lines.append("margin: distance to the nearest hyperplane (interior points, ND2) or the smallest facet "
                 "multiplier (boundary points, ND3)")
    lines.append("")
    for c in report.conditions:
        m = "n/a" if c.margin is None else f"{c.margin:.3g}"
        lines.append(f"{c.name}: {'holds' if c.passed else 'FAILS'} (margin {m}) - {c.detail}")
    lines.append(f"non-degenerate: {'yes' if report.nondegenerate else 'no'}")
    lines.append("")
    lines.append("mass any optimal measure can put outside E: "
                 + ("0 (proved from the gap)" if report.outside_excluded_rigorously
                    else f"<= {report.mass_outside_bound:.3g}"))
    if report.dropped_atoms:
        lines.append(f"dropped {len(report.dropped_atoms)} atom(s) of the solution where |eta| < 1 - extremal "
                     f"(total mass {report.dropped_mass:.3g}, bounded by the gap)")
    lines.append(f"measure:  {report.unique} - {report.unique_reason}")
    lines.append(f"function: {report.unique_function} - {report.unique_function_reason}")
    for w in report.witnesses:
        lines.append(f"witness ({w.kind}, {'re-checked' if w.checked else 'FAILED re-check: ' + w.reason}): "
                     f"objectives {w.objective1:.12g} / {w.objective2:.12g}, predictions differ by "
                     f"{w.max_prediction_diff:.2g}, amplitudes by {w.max_amplitude_diff:.3g}"
                     + (f", f(x) = {w.f1:.6g} vs {w.f2:.6g} at x = {np.array2string(w.x, precision=4)}"
                        if w.x is not None else ""))
    if report.p0 is not None:
        c = report.p0
        lines.append("")
        lines.append(f"(P_0) minimal-norm certificate: {c.verdict} - {c.reason}")
        lines.append(f"  max |eta_0| = {c.max_abs_certificate:.12g}, |E_0| = {len(c.extremal)}, "
                     f"||p_0 - p_lam|| = {float(np.linalg.norm(c.p - report.dual)):.3g}")
        for cond in c.nondegeneracy.conditions:
            m = "n/a" if cond.margin is None else f"{cond.margin:.3g}"
            lines.append(f"  {cond.name}: {'holds' if cond.passed else 'FAILS'} (margin {m})")
    return "\n".join(lines)


def point_table(report) -> list:
    """The table of the points of E (numbered by their index in E, ``AtomReport.point``):
    every point with its sign, its amplitude in this solution (blank without mass), its
    location, hyperplanes, ND margin and the range of its amplitude over all optimal
    measures on E (so every "point j of E" a message names has its row).

    Parameters
    ----------
    report : relucert.verify.analysis.CertificateReport

    Returns
    -------
    list of str
    """
    d1 = report.solution.X.shape[1] + 1
    amp = {a.point: a.amplitude for a in report.atoms}
    head = (f"{'point':>5} {'sign':>4}  {'theta (w, b)':<{12 * d1}} {'amplitude':>12}  {'location':<9} "
            f"{'hyperplanes':<14} {'margin':>10}  {'range over Q':<24}")
    lines = [head, "-" * len(head)]
    margins = report.nondegeneracy.point_margin
    ranges = report.uniqueness.ranges
    for j, q in enumerate(report.extremal.points):
        th = " ".join(f"{t:+.5f}" for t in q.theta)
        hp = ",".join(str(h) for h in q.hyperplanes) or "-"
        a = f"{amp[j]:>12.6g}" if j in amp else f"{'':>12}"
        rng = f"[{ranges[j][0]:.4g}, {ranges[j][1]:.4g}]" if j < len(ranges) else "-"
        lines.append(f"{j:>5} {q.sign:>+4d}  {th:<{12 * d1}} {a}  {q.location.value:<9} {hp:<14} "
                     f"{margins[j]:>10.3g}  {rng:<24}")
    return lines


def run(args) -> int:
    """Run ``relucert certify``: the arrangement is enumerated once and handed to the
    solver, the analysis, (P_0) and the exact certificate.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        0 certified report written, 1 the solve did not reach an optimum, 2 bad options.
    """
    from relucert.arrangement import enumerate_chambers
    from relucert.certifier import certify
    from relucert._atomic import check_writable

    tol = tolerances_from_args(args)
    if args.exact and not args.out:
        raise ValueError("--exact needs --out FILE")
    if args.out and not args.exact:
        raise ValueError("--out FILE is the exact certificate file: add --exact (or drop --out)")
    progress = progress_flag(args)
    solve = load_solver()
    data = load_data_from_args(args)
    X, y = data["X"], data["y"]
    check_outputs(args)
    check_plot(args, d=X.shape[1])
    if args.out:
        check_writable(args.out, "--out certificate file")
    from relucert.solver import choose_oracle

    if choose_oracle(X, args.oracle, args.method) == "enumerate":
        arr = enumerate_chambers(X, tol=tol, progress=progress)
        solution = solve(X, y, args.lam, method=args.method, tol=tol, device=args.device, progress=progress,
                         arrangement=arr, oracle="enumerate", time_limit=args.time_limit, qp_backend=args.qp_backend)
    else:
        arr = None
        solution = solve(X, y, args.lam, method=args.method, tol=tol, device=args.device, progress=progress,
                         oracle="bab", time_limit=args.time_limit, n_jobs=args.jobs, scheduler=args.scheduler,
                         qp_backend=args.qp_backend)
    if not solution.success:  # nothing to certify: say what was reached
        print(f"relucert certify: not optimal (certified relative gap {solution.certified_rel_gap:.3e}, "
              f"lower bound {solution.certified_lower_bound:.12g}): "
              f"{solution.info.get('message', solution.status.value)}", file=sys.stderr)
        return Exit.NOT_OPTIMAL
    # solved by branch and bound: certify enumerates the chambers for the report, or, beyond
    # enumeration, reads the near-extremal ones only (proofs/near_extremal_chambers.md)
    report = certify(solution, y, args.lam, X=X, tol=tol, arrangement=arr, p0=args.p0, device=args.device,
                     progress=progress)
    text_out = text_stream(args)
    print(format_report(report), file=text_out)
    # the certificate first: the figure (or anything after it) never keeps it from being written
    if args.exact:
        from relucert.certifier import exact_certificate

        full = None if report.unlisted_max is not None else report.arrangement
        cert = exact_certificate(solution, arrangement=full, tol=tol, progress=progress, n_jobs=args.jobs,
                                 scheduler=args.scheduler)
        cert.write(args.out)
        kind = ("relucert.exact-certificate/2, the branch-and-bound tree: "
                f"{cert.n_nodes} nodes, {cert.n_leaves} leaves, "
                + (f"{cert.n_listed_chambers} near-extremal chambers listed, uniqueness: {cert.unique}"
                   if cert.n_listed_chambers is not None else cert.unique_reason) if hasattr(cert, "n_nodes")
                else f"relucert.exact-certificate/1, uniqueness: {cert.unique}")
        print(f"exact certificate written to {args.out}: certified gap {float(cert.gap):.3g} (exact rational "
              f"in the file; {kind})", file=text_out)
    if args.json:
        write_json(args.json, record_data(report.to_dict(), data, args.data))
    if args.plot:
        from relucert.plot_certificate import plot_certificate

        plot_certificate(report, args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)
    return Exit.OK
