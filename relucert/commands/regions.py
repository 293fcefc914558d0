"""``relucert regions DATA``: enumerate the dual regions of a data set."""
from __future__ import annotations

import time

from relucert.commands._common import (add_common_options, add_data_argument, check_outputs, load_data_from_args,
                                       positive_int, progress_flag, record_data, tolerances_from_args)
from relucert.commands._library import check_plot
from relucert.commands._output import Exit, text_stream, write_json

__all__ = ["register", "run", "REGIONS_FORMAT", "JSON_CHAMBER_LIMIT", "TOL_FLAGS"]

#: The ``format`` tag of ``regions --json``.
REGIONS_FORMAT = "relucert.regions/1"
#: Chambers listed in ``--json`` without ``--all``.
JSON_CHAMBER_LIMIT = 10000
#: Tolerances with their own flag on ``regions`` (any other: ``--tol NAME=VALUE``).
TOL_FLAGS = ("sign_zero",)


def register(sub) -> None:
    """Add the ``regions`` subcommand.

    Parameters
    ----------
    sub : argparse._SubParsersAction
    """
    p = sub.add_parser("regions", help="enumerate the dual regions (chambers) of a data set",
                       description="Enumerate every chamber of the hyperplane arrangement of DATA "
                                   "(.npz with X and y, or .csv whose last column is y).")
    add_data_argument(p)
    p.add_argument("--all", action="store_true",
                   help=f"list every chamber in --json (default: up to {JSON_CHAMBER_LIMIT})")
    p.add_argument("--max-chambers", type=positive_int, default=None, metavar="N",
                   help="refuse when the estimated count exceeds this (default: library default)")
    p.add_argument("--plot", metavar="FILE", default=None, help="draw the regions (d = 1 or 2)")
    p.add_argument("--method", choices=["auto", "restrict", "bfs"], default="auto",
                   help="enumeration method (default auto: exact LP-free 'restrict'; 'bfs': one LP per flip)")
    add_common_options(p, tol=TOL_FLAGS)
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``relucert regions``.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        0 (every failure is an exception mapped by ``relucert.cli``).
    """
    from relucert.arrangement import DEFAULT_MAX_CHAMBERS, enumerate_chambers, general_position_count

    if args.all and not args.json:
        raise ValueError("--all lists every chamber in the --json output; without --json it does nothing")
    data = load_data_from_args(args)
    X = data["X"]
    check_outputs(args)
    check_plot(args, d=X.shape[1])
    out = text_stream(args)
    start = time.perf_counter()
    arr = enumerate_chambers(X, method=args.method, max_chambers=args.max_chambers or DEFAULT_MAX_CHAMBERS,
                             progress=progress_flag(args), tol=tolerances_from_args(args))
    elapsed = time.perf_counter() - start
    formula = general_position_count(arr.n, arr.d)
    print(f"n = {arr.n}, d = {arr.d}", file=out)
    print(f"chambers: {arr.n_chambers} enumerated ({arr.method}); general-position formula {formula}", file=out)
    print(f"time: {elapsed:.3f} s", file=out)
    if args.json:
        doc = record_data({"format": REGIONS_FORMAT, **arr.to_dict(limit=None if args.all else JSON_CHAMBER_LIMIT)},
                          data, args.data)
        # the general-position count is the maximum, reached exactly in general position
        doc["general_position"] = arr.n_chambers == formula
        doc["formula"] = formula
        doc["time_s"] = elapsed
        if "chambers" not in doc:
            doc["chambers_omitted"] = f"more than {JSON_CHAMBER_LIMIT} chambers; pass --all to list them"
        write_json(args.json, doc)
    if args.plot:
        from relucert.plots import plot_regions

        plot_regions(arr, args.plot)
        print(f"plot written to {args.plot}", file=out)
    return Exit.OK
