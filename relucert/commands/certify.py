"""``relucert certify DATA --lam L``: solve, then print the certificate report."""
from __future__ import annotations

import sys

import numpy as np

from relucert.commands._common import (add_common_options, add_data_argument, add_device_option,
                                       add_oracle_options, check_outputs,
                                       load_data_from_args, parse_lam, progress_flag, record_data,
                                       tolerances_from_args)
from relucert.commands._library import check_plot, load_solver
from relucert.commands._output import Exit, text_stream, write_json

__all__ = ["register", "run", "format_report", "TOL_FLAGS"]

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
    lines.append(f"dual regions: {report.n_chambers}; reaching +1: {report.regions_plus}, -1: "
                 f"{report.regions_minus}, both: {report.regions_both}")
    lines.append(f"one extremum of each sign per region: {'yes' if report.one_extremum_per_region else 'NO'}")
    lines.append(f"sparsity: support size {report.support_size} <= |E| = {report.support_bound} <= "
                 f"(region, sign) pairs {report.n_extremal_pairs} <= 2 x chambers {2 * report.n_chambers}; "
                 f"rank(Phi_E) = {report.rank_phi_E}")
    lines.append("")
    d1 = sol.X.shape[1] + 1
    head = f"{'atom':>4}  {'theta (w, b)':<{12 * d1}} {'amplitude':>12}  {'location':<9} {'hyperplanes':<14} {'margin':>10}  {'range over Q':<24}"
    lines.append(head)
    lines.append("-" * len(head))
    for i, a in enumerate(report.atoms):
        th = " ".join(f"{t:+.5f}" for t in a.theta)
        hp = ",".join(str(h) for h in a.hyperplanes) or "-"
        rng = f"[{a.amplitude_range[0]:.4g}, {a.amplitude_range[1]:.4g}]"
        lines.append(f"{i:>4}  {th:<{12 * d1}} {a.amplitude:>12.6g}  {a.location:<9} {hp:<14} {a.margin:>10.3g}  {rng:<24}")
    lines.append("")
    lines.append("margin: distance to the nearest hyperplane (interior atoms, ND2) or the smallest facet "
                 "multiplier (boundary atoms, ND3)")
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


def _chambers_for_report(X, solution, tol, progress):
    """The chambers of ``X`` for the report after a branch-and-bound solve, or None (and
    the reason on stderr) when there are too many to enumerate."""
    from relucert.arrangement import DEFAULT_MAX_CHAMBERS, enumerate_chambers, estimate_chambers

    estimate = estimate_chambers(X)
    if estimate > DEFAULT_MAX_CHAMBERS:
        print(f"relucert certify: the optimum is certified by the branch and bound (objective "
              f"{solution.objective:.15g}, certified relative gap {solution.certified_rel_gap:.3e}), but the "
              f"certificate report (extremal set, uniqueness, ND1-ND4) and --exact "
              f"(relucert.exact-certificate/1) need the chamber list: up to {estimate} chambers, more than "
              f"{DEFAULT_MAX_CHAMBERS} (not done; the branch-and-bound certificate file is not available in "
              f"this version)", file=sys.stderr)
        return None
    return enumerate_chambers(X, tol=tol, progress=progress)


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
                         arrangement=arr, oracle="enumerate", time_limit=args.time_limit)
    else:
        arr = None
        solution = solve(X, y, args.lam, method=args.method, tol=tol, device=args.device, progress=progress,
                         oracle="bab", time_limit=args.time_limit, n_jobs=args.jobs, scheduler=args.scheduler)
    if not solution.success:  # nothing to certify: say what was reached
        print(f"relucert certify: not optimal (certified relative gap {solution.certified_rel_gap:.3e}, "
              f"lower bound {solution.certified_lower_bound:.12g}): "
              f"{solution.info.get('message', solution.status.value)}", file=sys.stderr)
        return Exit.NOT_OPTIMAL
    if arr is None:  # solved by branch and bound: the report still needs the chamber list
        arr = _chambers_for_report(X, solution, tol, progress)
        if arr is None:
            return Exit.NOT_OPTIMAL
    report = certify(solution, y, args.lam, X=X, tol=tol, arrangement=arr, p0=args.p0, device=args.device)
    text_out = text_stream(args)
    print(format_report(report), file=text_out)
    # the certificate first: the figure (or anything after it) never keeps it from being written
    if args.exact:
        try:
            from relucert.verify.certificate_builder import make_exact_certificate
        except ImportError as exc:
            raise ValueError(f"exact certificates are not available in this installation "
                             f"(relucert.verify.certificate_builder: {exc})") from exc
        cert = make_exact_certificate(solution, arrangement=arr, tol=tol, progress=progress)
        cert.write(args.out)
        print(f"exact certificate written to {args.out}: certified gap {float(cert.gap):.3g} (exact rational "
              f"in the file), "
              f"uniqueness: {cert.unique}", file=text_out)
    if args.json:
        write_json(args.json, record_data(report.to_dict(), data, args.data))
    if args.plot:
        from relucert.plot_certificate import plot_certificate

        plot_certificate(report, args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)
    return Exit.OK
