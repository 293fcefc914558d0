"""``relucert demo``: the main job on a built-in 2-D example."""
from __future__ import annotations

import os


def register(sub) -> None:
    p = sub.add_parser("demo", help="run relucert on a built-in 2-D example",
                       description="Run relucert on a built-in 2-D example and write figures.")
    p.add_argument("--out", default="relucert-demo", help="folder for figures (default relucert-demo)")
    p.set_defaults(func=run)


def run(args) -> int:
    from relucert.arrangement import enumerate_chambers, general_position_count
    from relucert.examples import demo_2d
    from relucert.plots import plot_regions

    X, y = demo_2d()
    arr = enumerate_chambers(X)
    print(f"built-in example: n = {arr.n} points in d = {arr.d}")
    print(f"dual regions: {arr.n_chambers} (general-position formula {general_position_count(arr.n, arr.d)})")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "regions.png")
    plot_regions(arr, path)
    print(f"figure: {path}")
    return 0
