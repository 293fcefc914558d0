"""``relucert counterexample --kind K``: search a small data set where a hypothesis fails."""
from __future__ import annotations

import os
import sys

from relucert._atomic import write_text
from relucert.commands._common import (add_common_options, check_outputs, positive_int, progress_flag,
                                       tolerances_from_args)
from relucert.commands._output import Exit, text_stream, write_json

__all__ = ["register", "run", "COUNTEREXAMPLE_FORMAT", "TOL_FLAGS"]

#: The ``format`` tag of ``counterexample --json``.
COUNTEREXAMPLE_FORMAT = "relucert.counterexample/1"
#: Tolerances with their own flag on ``counterexample`` (any other: ``--tol NAME=VALUE``).
TOL_FLAGS = ("obj_gap",)


def register(sub) -> None:
    """Add the ``counterexample`` subcommand.

    Parameters
    ----------
    sub : argparse._SubParsersAction
    """
    p = sub.add_parser("counterexample", help="search a small data set where uniqueness or non-degeneracy fails",
                       description="Random search plus local moves for a small data set where the optimal "
                                   "measure is not unique (nonunique), where the certificate is degenerate and "
                                   "a tiny label perturbation changes the number of Diracs (degenerate), or "
                                   "where optimal atoms sit on region boundaries (boundary). Every "
                                   "counterexample is re-verified (solved and certified) before it is written.")
    p.add_argument("--kind", required=True, choices=("nonunique", "degenerate", "boundary"))
    p.add_argument("--d", type=int, choices=(1, 2), default=1, help="input dimension (default 1)")
    p.add_argument("--out-dir", metavar="DIR", default=None, help="output folder (default counterexample-KIND)")
    p.add_argument("--max-tries", type=positive_int, metavar="N", default=50,
                   help="random starts before giving up (default 50)")
    add_common_options(p, seed=True, tol=TOL_FLAGS)
    p.set_defaults(func=run)


def _write(out, name, X, y, lam, solution, report) -> list[str]:
    from relucert.data import save_data

    paths = [os.path.join(out, f"{name}.npz"), os.path.join(out, f"{name}_solution.json"),
             os.path.join(out, f"{name}_report.json")]
    save_data(paths[0], X, y, lam=lam)
    write_json(paths[1], solution.to_dict())
    write_json(paths[2], report.to_dict())
    if X.shape[1] <= 2:
        from relucert.plot_certificate import plot_certificate

        paths.append(plot_certificate(report, os.path.join(out, f"{name}_eta.png")))
    return paths


def run(args) -> int:
    """Run ``relucert counterexample``.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        0 found and written, 1 nothing found within ``--max-tries``.
    """
    from relucert.experiments.counterexamples import find_counterexample

    tol = tolerances_from_args(args)
    if args.out_dir is None:
        args.out_dir = f"counterexample-{args.kind}"
    check_outputs(args)
    out = args.out_dir
    try:
        ce = find_counterexample(args.kind, d=args.d, seed=args.seed, max_tries=args.max_tries,
                                 progress=progress_flag(args), tol=tol)
    except RuntimeError as exc:
        print(f"relucert counterexample: {exc}", file=sys.stderr)
        return Exit.NOT_OPTIMAL
    os.makedirs(out, exist_ok=True)
    written = _write(out, "data", ce.X, ce.y, ce.lam, ce.solution, ce.report)
    for name, (X, y, lam, sol, rep) in ce.extra.items():
        written += _write(out, name, X, y, lam, sol, rep)
    write_text(os.path.join(out, "explanation.txt"), ce.explanation + "\n")
    written.append(os.path.join(out, "explanation.txt"))
    text = text_stream(args)
    print(ce.explanation, file=text)
    print(f"\nfound after {ce.tries} tries (seed {args.seed}); written: {', '.join(written)}", file=text)
    if args.json:
        write_json(args.json, {"format": COUNTEREXAMPLE_FORMAT, "kind": args.kind, "d": args.d, "seed": args.seed,
                               "tries": ce.tries, "lam": ce.lam, "explanation": ce.explanation,
                               "files": written})
    return Exit.OK
