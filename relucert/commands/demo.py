"""``relucert demo``: the main job on a built-in 2-D example -- solve it exactly, print
the neurons and the certificate summary, and write the figures."""
from __future__ import annotations

import os

from relucert.commands._common import parse_lam

DEMO_LAM = 0.01


def register(sub) -> None:
    p = sub.add_parser("demo", help="solve a built-in 2-D example exactly and write figures",
                       description="Solve a built-in 2-D example (12 points labelled by a two-neuron "
                                   "teacher) exactly, print the neurons and the certificate summary, "
                                   "and write figures.")
    p.add_argument("--out", default="relucert-demo", help="folder for figures (default relucert-demo)")
    p.add_argument("--lam", type=parse_lam, default=DEMO_LAM, help=f"regularisation weight (default {DEMO_LAM})")
    p.add_argument("--no-progress", action="store_true", help="never show progress bars")
    p.set_defaults(func=run)


def run(args) -> int:
    from relucert._atomic import check_writable_dir
    from relucert.arrangement import enumerate_chambers, general_position_count
    from relucert.commands.solve import print_summary
    from relucert.examples import demo_2d
    from relucert.plot_solution import plot_solution
    from relucert.plots import plot_regions
    from relucert.solver import solve

    check_writable_dir(args.out, "--out folder")
    X, y = demo_2d()
    progress = False if args.no_progress else None
    arr = enumerate_chambers(X, progress=progress)
    print(f"built-in example: n = {arr.n} points in d = {arr.d}, labels from a two-neuron ReLU teacher")
    print(f"dual regions: {arr.n_chambers} (general-position formula {general_position_count(arr.n, arr.d)})")
    sol = solve(X, y, args.lam, progress=progress)
    print_summary(sol)
    os.makedirs(args.out, exist_ok=True)
    regions = plot_regions(arr, os.path.join(args.out, "regions.png"))
    fit = plot_solution(sol, os.path.join(args.out, "fit.png"))
    print("figures:")
    print(f"  {os.path.abspath(regions)}  (the dual regions on the sphere)")
    print(f"  {os.path.abspath(fit)}  (the fitted network and its neurons' lines)")
    return 0 if sol.success else 1
