"""``relucert theorems``: run every statement of the theory on seeded random families.

For each statement and instance the verdict is "hypothesis fails" (with the reason),
"holds" or "VIOLATED" (:mod:`relucert.experiments.theorems`). Prints a table; writes a
markdown report with figures, the JSON record of every check and any (re-verified)
counterexample into --out.
"""
from __future__ import annotations

import os
import sys

from relucert._atomic import write_text
from relucert.commands._common import (add_common_options, check_outputs, positive_int, progress_flag,
                                       tolerances_from_args)
from relucert.commands._output import Exit, text_stream, write_json

__all__ = ["register", "run", "select_families", "write_suite_report", "SUITE_MAX_ITER", "TOL_FLAGS"]

#: Tolerances with their own flag on ``theorems`` (any other: ``--tol NAME=VALUE``).
TOL_FLAGS = ("obj_gap",)

#: Exchange rounds allowed per solve in the suite (a solve that needs more is reported
#: as "hypothesis fails: numerically unresolved", which keeps the run bounded).
SUITE_MAX_ITER = 60


def register(sub) -> None:
    """Add the ``theorems`` subcommand.

    Parameters
    ----------
    sub : argparse._SubParsersAction
    """
    # no library import here: registering must stay light (``relucert check`` loads no
    # solver code); the family names are listed by relucert.experiments.theorems.DEFAULT_FAMILIES
    names = "d1-n5, d1-n8, d2-n5, d2-n7, d3-n5, d3-n6"
    p = sub.add_parser("theorems", help="check every statement of the theory on random instances",
                       description="Runs the statements (finite support, one extremum per region, "
                                   "uniqueness under full rank, the low-noise regime) on seeded random "
                                   "families; each check says 'hypothesis fails' (why), 'holds' or "
                                   "'VIOLATED'. Violations are re-verified and saved as counterexamples.")
    p.add_argument("--families", nargs="+", default=None, metavar="NAME",
                   help=f"families to run (default all: {names}); 'd1', 'd2', 'd3' select by dimension")
    p.add_argument("--instances", type=positive_int, default=10, metavar="N", help="instances per family (default 10)")
    p.add_argument("--out-dir", default="theorems-report", metavar="DIR",
                   help="report folder (default ./theorems-report)")
    p.add_argument("--no-second-method", action="store_true",
                   help="skip the socp cross-check of the uniqueness statement")
    add_common_options(p, seed=True, tol=TOL_FLAGS)
    p.set_defaults(func=run)


def select_families(names):
    """Families by name, or all families of one dimension for 'd1' / 'd2' / 'd3'.

    Parameters
    ----------
    names : list of str or None
        None or empty: every family.

    Returns
    -------
    tuple
        The families, each once, in the order asked.
    """
    from relucert.experiments.theorems import DEFAULT_FAMILIES

    if not names:
        return DEFAULT_FAMILIES
    out = []
    known = {f.name: f for f in DEFAULT_FAMILIES}
    for name in names:
        if name in known:
            out.append(known[name])
        elif name in ("d1", "d2", "d3"):
            out.extend(f for f in DEFAULT_FAMILIES if f.d == int(name[1]))
        else:
            raise ValueError(f"--families: unknown family {name!r}; choose from {sorted(known)} or d1, d2, d3")
    return tuple(dict.fromkeys(out))


def write_suite_report(result, out_dir: str) -> str:
    """Write the figures, ``report.md`` and ``results.json`` into ``out_dir``.

    Parameters
    ----------
    result : relucert.experiments.theorems.SuiteResult
    out_dir : str

    Returns
    -------
    str
        The path of ``report.md``.
    """
    from relucert.experiments.plots import plot_suite_slopes, plot_suite_summary, plot_sweep

    os.makedirs(out_dir, exist_ok=True)
    figures = {"verdicts per statement": os.path.relpath(
        plot_suite_summary(result.counts(), os.path.join(out_dir, "verdicts.png")), out_dir)}
    if result.sweeps:
        figures["low-noise errors (all instances where the hypotheses hold)"] = os.path.relpath(
            plot_suite_slopes(list(result.sweeps), os.path.join(out_dir, "lownoise_errors.png")), out_dir)
        for label, res in result.sweeps[:6]:
            name = "sweep_" + label.replace("#", "_") + ".png"
            figures[f"low-noise sweep {label}"] = os.path.relpath(plot_sweep(res, os.path.join(out_dir, name)),
                                                                   out_dir)
    path = os.path.join(out_dir, "report.md")
    write_text(path, result.markdown(figures))
    write_json(os.path.join(out_dir, "results.json"), result.to_dict())
    return path


def run(args) -> int:
    """Run ``relucert theorems``.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        0 no statement violated, 1 a violation (re-verified, saved as a counterexample).
    """
    from relucert.experiments.rescaled import default_solver
    from relucert.experiments.theorems import run_suite

    tol = tolerances_from_args(args)
    families = select_families(args.families)
    check_outputs(args)
    alt = None if args.no_second_method else default_solver(tol=tol, method="socp")
    result = run_suite(solver=default_solver(tol=tol, max_iter=SUITE_MAX_ITER), alt_solver=alt, families=families,
                       n_instances=args.instances, seed=args.seed, out_dir=args.out_dir, tol=tol,
                       progress=progress_flag(args))
    text = text_stream(args)
    print(result.table(), file=text)
    reasons = result.failure_reasons()
    for name, kinds in reasons.items():
        top = "; ".join(f"{k} ({v})" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])[:3])
        print(f"  {name}: hypothesis fails: {top}", file=text)
    path = write_suite_report(result, args.out_dir)
    if args.json:
        write_json(args.json, result.to_dict())
    print(f"report written to {path} ({result.seconds:.1f} s)", file=sys.stderr)
    if result.n_violated:
        print(f"{result.n_violated} VIOLATED check(s); counterexamples in "
              f"{os.path.join(args.out_dir, 'counterexamples')}", file=sys.stderr)
        return Exit.NOT_OPTIMAL
    return Exit.OK
