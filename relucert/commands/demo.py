"""``relucert demo``: the main job on a built-in 2-D example -- solve it exactly, print
the neurons and the certificate summary, and write the figures."""
from __future__ import annotations

import os

from relucert.commands._common import add_common_options, check_outputs, parse_lam, progress_flag
from relucert.commands._output import exit_code, text_stream, write_json
from relucert.examples import DEMO_LAM

__all__ = ["register", "run", "DEMO_FORMAT"]

#: The ``format`` tag of ``demo --json``.
DEMO_FORMAT = "relucert.demo/1"


def register(sub) -> None:
    """Add the ``demo`` subcommand.

    Parameters
    ----------
    sub : argparse._SubParsersAction
    """
    p = sub.add_parser("demo", help="solve a built-in 2-D example exactly and write figures",
                       description="Solve a built-in 2-D example (12 points labelled by a two-neuron "
                                   "teacher) exactly, print the neurons and the certificate summary, "
                                   "and write figures.")
    p.add_argument("--out-dir", default="relucert-demo", metavar="DIR",
                   help="folder for the figures (default relucert-demo)")
    p.add_argument("--lam", type=parse_lam, default=DEMO_LAM, metavar="L",
                   help=f"regularisation weight (default {DEMO_LAM})")
    add_common_options(p, tol=())
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``relucert demo``.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        0 optimal, 1 not optimal.
    """
    from relucert.arrangement import enumerate_chambers, general_position_count
    from relucert.commands._common import tolerances_from_args
    from relucert.commands.solve import print_summary
    from relucert.examples import demo_2d
    from relucert.plot_solution import plot_solution
    from relucert.plots import plot_regions
    from relucert.solver import solve

    check_outputs(args)
    tol = tolerances_from_args(args)
    out = text_stream(args)
    X, y = demo_2d()
    progress = progress_flag(args)
    arr = enumerate_chambers(X, progress=progress, tol=tol)
    print(f"built-in example: n = {arr.n} points in d = {arr.d}, labels from a two-neuron ReLU teacher", file=out)
    print(f"dual regions: {arr.n_chambers} (general-position formula {general_position_count(arr.n, arr.d)})",
          file=out)
    sol = solve(X, y, args.lam, progress=progress, tol=tol, arrangement=arr)
    print_summary(sol, file=out)
    os.makedirs(args.out_dir, exist_ok=True)
    regions = plot_regions(arr, os.path.join(args.out_dir, "regions.png"))
    fit = plot_solution(sol, os.path.join(args.out_dir, "fit.png"))
    print("figures:", file=out)
    print(f"  {os.path.abspath(regions)}  (the dual regions on the sphere)", file=out)
    print(f"  {os.path.abspath(fit)}  (the fitted network and its neurons' lines)", file=out)
    if args.json:
        doc = sol.to_dict()
        doc["info"] = {k: v for k, v in sol.info.items() if k != "history"}
        write_json(args.json, {"format": DEMO_FORMAT, "solution": doc,
                               "figures": {"regions": os.path.abspath(regions), "fit": os.path.abspath(fit)}})
    return exit_code(sol.success)
