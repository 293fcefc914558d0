"""``relucert path DATA [--lams A:B:K]``: the certified regularisation path."""
from __future__ import annotations

import argparse

from relucert.commands._common import (add_common_options, add_data_argument, add_device_option,
                                       add_qp_backend_option, check_outputs, load_data_from_args, positive_int,
                                       progress_flag, record_data, tolerances_from_args)
from relucert.commands._library import check_plot
from relucert.commands._output import exit_code, text_stream, write_json

__all__ = ["register", "run", "parse_lams", "print_table", "TOL_FLAGS"]

#: Tolerances with their own flag on ``path`` (any other: ``--tol NAME=VALUE``).
TOL_FLAGS = ("obj_gap",)


def parse_lams(text: str) -> tuple:
    """argparse type for ``--lams A:B:K``: K lams spaced geometrically from A to B (both
    included; either may be ``max``, meaning lam_max). Returns ``(A, B, K)`` with
    ``"max"`` kept as a string until lam_max is known."""
    parts = text.split(":")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"expected A:B:K (two lams and a count, e.g. max:0.01:20); got {text!r}")
    ends = []
    for name, part in zip("AB", parts[:2]):
        if part.strip().lower() == "max":
            ends.append("max")
            continue
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} in A:B:K must be a number > 0 or 'max'; got {part!r}") from None
        if not (value > 0 and value != float("inf")):
            raise argparse.ArgumentTypeError(f"{name} in A:B:K must be a finite number > 0 (lam = 0 is "
                                             f"interpolation: use relucert solve --lam 0); got {part!r}")
        ends.append(value)
    try:
        k = int(parts[2])
    except ValueError:
        raise argparse.ArgumentTypeError(f"K in A:B:K must be an integer >= 1; got {parts[2]!r}") from None
    if k < 1:
        raise argparse.ArgumentTypeError(f"K in A:B:K must be an integer >= 1; got {k}")
    return ends[0], ends[1], k


def register(sub) -> None:
    from relucert.path import DEFAULT_N_LAMS
    from relucert.tolerances import PATH_LAM_RATIO

    p = sub.add_parser("path", help="the certified regularisation path over a grid of lam",
                       description="Solve (P_lam) exactly at every lam of a decreasing grid and certify "
                                   "every point (status, duality gap, max |eta|). The default grid starts "
                                   "at lam_max, the lam above which the zero network is optimal.")
    add_data_argument(p)
    p.add_argument("--lams", type=parse_lams, default=None, metavar="A:B:K",
                   help=f"K lams spaced geometrically from A to B ('max' = lam_max; default: {DEFAULT_N_LAMS} "
                        f"lams from lam_max down to {PATH_LAM_RATIO:g} lam_max)")
    p.add_argument("--plot", metavar="FILE", default=None,
                   help="draw objective, neurons, TV norm and training error against lam (and the kinks, d <= 2)")
    add_device_option(p, "batched region scans run (d >= 4)")
    p.add_argument("--max-chambers", type=positive_int, default=None, metavar="N",
                   help="refuse when the estimated number of dual regions exceeds this")
    add_qp_backend_option(p)
    add_common_options(p, tol=TOL_FLAGS)
    p.set_defaults(func=run)


def _grid(spec, top: float):
    import numpy as np

    a, b, k = spec
    a = top if a == "max" else a
    b = top if b == "max" else b
    if a == 0.0 or b == 0.0:
        raise ValueError("--lams: lam_max = 0 (every label is 0), so 'max' gives no lam > 0; give numbers")
    return np.geomspace(a, b, k) if k > 1 else np.array([a])


def print_table(result, file) -> None:
    print(f"lam_max = {result.lam_max:.15g} (the zero network is optimal iff lam >= lam_max)", file=file)
    print(f"{'lam':>12}  {'status':>10}  {'objective':>16}  {'rel. gap':>9}  {'max|eta|':>12}  "
          f"{'TV norm':>12}  {'neurons':>7}  {'train MSE':>12}", file=file)
    for pt in result.points:
        print(f"{pt.lam:12.6g}  {pt.status.value:>10}  {pt.objective:16.10g}  {pt.relative_gap:9.2e}  "
              f"{pt.max_abs_certificate:12.9f}  {pt.tv_norm:12.6g}  {pt.n_neurons:7d}  {pt.train_mse:12.6g}",
              file=file)
    bad = [pt for pt in result.points if not pt.success]
    if bad:
        print(f"NOT OPTIMAL: {len(bad)} of {len(result.points)} points (status column)", file=file)


def run(args) -> int:
    """Run ``relucert path``.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        0 every point optimal, 1 some point not optimal (its status says which).
    """
    from relucert.path import lam_max, solve_path

    data = load_data_from_args(args)
    d = data["X"].shape[1]
    check_outputs(args)
    check_plot(args, d=d)
    tol = tolerances_from_args(args)
    lams = None
    if args.lams is not None:
        top = lam_max(data["X"], data["y"], tol=tol, max_chambers=args.max_chambers, device=args.device)
        lams = _grid(args.lams, top)
    result = solve_path(data["X"], data["y"], lams, tol=tol, max_chambers=args.max_chambers, device=args.device,
                        progress=progress_flag(args), qp_backend=args.qp_backend)
    out = text_stream(args)
    print_table(result, out)
    if args.json:
        write_json(args.json, record_data(result.to_dict(), data, args.data))
    if args.plot:
        from relucert.plot_path import plot_path

        plot_path(result, args.plot)
        print(f"plot written to {args.plot}", file=out)
    return exit_code(result.success)
