"""``relucert regions DATA``: enumerate the dual regions of a data set."""
from __future__ import annotations

import sys
import time

from relucert.commands._common import (add_common_options, add_data_argument, check_outputs, load_data_from_args,
                                      progress_flag, record_data, tolerances_from_args, write_json)


def register(sub) -> None:
    p = sub.add_parser("regions", help="enumerate the dual regions (chambers) of a data set",
                       description="Enumerate every chamber of the hyperplane arrangement of DATA "
                                   "(.npz with X and y, or .csv whose last column is y).")
    add_data_argument(p)
    p.add_argument("--all", action="store_true", help="list every chamber in --json (default: up to 10000)")
    p.add_argument("--max-chambers", type=int, default=None,
                   help="refuse when the estimated count exceeds this (default: library default)")
    p.add_argument("--plot", metavar="FILE", default=None, help="draw the regions (d = 1 or 2)")
    p.add_argument("--method", choices=["auto", "restrict", "bfs"], default="auto",
                   help="enumeration method (default auto: exact LP-free 'restrict'; 'bfs': one LP per flip)")
    add_common_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from relucert.arrangement import DEFAULT_MAX_CHAMBERS, enumerate_chambers, general_position_count

    if args.all and not args.json:
        raise ValueError("--all lists every chamber in the --json output; without --json it does nothing")
    data = load_data_from_args(args)
    X = data["X"]
    check_outputs(args, d=X.shape[1])
    out = sys.stderr if args.json == "-" else sys.stdout  # stdout carries only the JSON then
    start = time.perf_counter()
    arr = enumerate_chambers(X, method=args.method, max_chambers=args.max_chambers or DEFAULT_MAX_CHAMBERS,
                             progress=progress_flag(args), tol=tolerances_from_args(args))
    elapsed = time.perf_counter() - start
    formula = general_position_count(arr.n, arr.d)
    print(f"n = {arr.n}, d = {arr.d}", file=out)
    print(f"chambers: {arr.n_chambers} enumerated ({arr.method}); general-position formula {formula}", file=out)
    print(f"time: {elapsed:.3f} s", file=out)
    if args.json:
        doc = record_data(arr.to_dict(limit=None if args.all else 10000), data, args.data)
        # the general-position count is the maximum, reached exactly in general position
        doc["general_position"] = arr.n_chambers == formula
        doc["formula"] = formula
        doc["time_s"] = elapsed
        if "chambers" not in doc:
            doc["chambers_omitted"] = "more than 10000 chambers; pass --all to list them"
        write_json(args.json, doc)
    if args.plot:
        from relucert.plots import plot_regions

        plot_regions(arr, args.plot)
        print(f"plot written to {args.plot}", file=out)
    return 0
