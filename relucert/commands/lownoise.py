"""``relucert lownoise DATA``: the low-noise regime of (P_lam) around a noiseless (P_0) solution.

Solves (P_0) on the noiseless labels, computes the minimal-norm certificate p_0, its
non-degeneracy margins and the critical noise ratio, then solves (P_lam) exactly on
``y = y0 + C lam xi`` for a sweep of lam and fits the log-log slopes of the location
and amplitude errors (:mod:`relucert.experiments.lownoise`).
"""
from __future__ import annotations

import math
import sys

from relucert.commands._common import (add_common_options, add_data_argument, check_outputs, load_data_from_args,
                                       progress_flag, record_data, tolerances_from_args)
from relucert.commands._library import check_plot
from relucert.commands._output import Exit, text_stream, write_json

__all__ = ["register", "run", "format_result", "TOL_FLAGS"]

#: Tolerances with their own flag on ``lownoise`` (any other: ``--tol NAME=VALUE``).
TOL_FLAGS = ("obj_gap",)


def register(sub) -> None:
    """Add the ``lownoise`` subcommand.

    Parameters
    ----------
    sub : argparse._SubParsersAction
    """
    p = sub.add_parser("lownoise", help="low-noise regime: p_0, margins, critical ratio, error slopes",
                       description="DATA (.npz) holds X and the noiseless labels (array 'y' or 'y0'), and "
                                   "optionally a noise direction 'xi' (.csv: last column is y0). Solves (P_0), checks the minimal-norm "
                                   "certificate, computes the critical noise ratio, then solves (P_lam) "
                                   "on y0 + C lam xi for each lam and fits the error slopes.")
    add_data_argument(p)
    p.add_argument("--lams", default=None, metavar="A:B:K",
                   help="K lam values geometric from A to B (default 8 values from 0.1 to 10^-4)")
    p.add_argument("--noise-scale", type=float, default=None, metavar="C",
                   help="noise y = y0 + C lam xi (default min(1, c_crit / 2))")
    p.add_argument("--noise-seed", type=int, default=0, metavar="S", help="seed of xi when DATA has none")
    p.add_argument("--plot", metavar="FILE", default=None, help="error curves and Dirac counts")
    add_common_options(p, tol=TOL_FLAGS)
    p.set_defaults(func=run)


def _fmt(v, spec=".3g") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a" if v is None or v != v else "inf"
    return format(v, spec)


def format_result(res) -> str:
    """A readable summary: reference atoms, margins, c_crit, the sweep table, slopes.

    Parameters
    ----------
    res : relucert.experiments.lownoise.LowNoiseResult

    Returns
    -------
    str
    """
    doc = res.to_dict()
    lines = [f"(P_0) reference: {len(res.atoms)} atom(s), TV = {res.reference.objective:.12g}"]
    for j, a in enumerate(res.atoms):
        hp = ",".join(str(h) for h in a.hyperplanes) or "-"
        th = " ".join(f"{t:+.6f}" for t in a.theta)
        lines.append(f"  atom {j}: theta = ({th}), amplitude {a.amplitude:+.6g}, {a.location}, "
                     f"hyperplanes {hp}{'  [pinned]' if j in res.pinned else ''}")
    lines.append(f"minimal-norm certificate: {res.certificate.reason}")
    lines.append(f"  max |eta| off the support: {_fmt(doc['max_abs_eta_off_support'], '.9g')}; "
                 f"min boundary multiplier: {_fmt(doc['min_boundary_multiplier'], '.6g')}")
    if res.exact is not None:
        lines.append(f"  exact check: {res.exact.reason}")
    lines.append(f"critical noise ratio c_crit = {_fmt(res.critical.value, '.6g')} ({res.critical.event})")
    lines.append(f"noise: y = y0 + C lam xi with C = {res.noise_scale:.6g}")
    lines.append("")
    lines.append(f"{'lam':>11} {'n_diracs':>8} {'loc_err':>11} {'amp_err':>11} {'|p - q(C)|':>11}")
    for pt in res.sweep:
        lines.append(f"{pt.lam:>11.4g} {pt.n_diracs:>8d} {_fmt(pt.loc_err):>11} {_fmt(pt.amp_err):>11} "
                     f"{_fmt(pt.dual_dist):>11}")
    s = res.slopes
    lines.append("")
    lines.append(f"slopes over the {len(s.get('fit_lams', []))} smallest lams: loc_err {_fmt(s['loc_err'], '.4f')}, "
                 f"amp_err {_fmt(s['amp_err'], '.4f')}, dual distance {_fmt(s['dual_dist'], '.4f')}")
    lines.append(f"constant number of Diracs ({len(res.atoms)}): {'yes' if res.constant_diracs else 'NO'}")
    return "\n".join(lines)


def run(args) -> int:
    """Run ``relucert lownoise``.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        0 (a failed solve raises: the sweep asks for optima only).
    """
    from relucert.experiments.lownoise import DEFAULT_LAMS, lownoise_sweep, parse_lams

    tol = tolerances_from_args(args)
    data = load_data_from_args(args, extra=("xi",), y_alias="y0")
    lams = DEFAULT_LAMS if args.lams is None else parse_lams(args.lams)
    if args.noise_scale is not None and not (math.isfinite(args.noise_scale) and args.noise_scale >= 0):
        raise ValueError(f"--noise-scale must be a finite float >= 0; got {args.noise_scale!r}")
    from relucert.solver import check_interpolation_consistent

    check_interpolation_consistent(data["X"], data["y"])
    check_outputs(args)
    check_plot(args)
    from relucert.experiments.rescaled import default_solver

    solver = default_solver(tol=tol)
    res = lownoise_sweep(data["X"], data["y"], solver=solver, lams=lams, xi=data.get("xi"),
                         noise_scale=args.noise_scale, noise_seed=args.noise_seed, tol=tol,
                         progress=progress_flag(args))
    print(format_result(res), file=text_stream(args))
    if args.json:
        write_json(args.json, record_data(res.to_dict(), data, args.data))
    if args.plot:
        from relucert.experiments.plots import plot_sweep

        path = plot_sweep(res, args.plot)
        print(f"figure written to {path}", file=sys.stderr)
    return Exit.OK
