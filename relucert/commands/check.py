"""``relucert check FILE [--data DATA] [--lam L]``: re-verify an exact certificate with the
independent checker, bind it to the user's data, and say whether it proves optimality."""
from __future__ import annotations

import argparse

from relucert.commands._common import add_common_options, check_outputs, positive_int
from relucert.commands._output import exit_code, text_stream, write_json

__all__ = ["register", "run"]


def _nonnegative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0; got {text!r}") from None
    if not 0.0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0; got {text!r}")
    return value


def register(sub) -> None:
    """Add the ``check`` subcommand (registering it loads no solver code).

    Parameters
    ----------
    sub : argparse._SubParsersAction
    """
    from relucert.tolerances import DEFAULT
    from relucert.verify.checker.schema import DEFAULT_LIMITS

    p = sub.add_parser("check", help="re-verify an exact certificate file in rational arithmetic",
                       description="Re-verify every claim of a relucert.exact-certificate/1 or /2 file (dispatched on "
                                   "its format tag) in exact "
                                   "arithmetic with the independent checker (it never calls the solver or "
                                   "the enumerator). Exit 0 only when everything verified and the relative gap "
                                   "is at most --max-rel-gap; 1 when rejected, valid but not optimal, or over "
                                   "a limit.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--data", metavar="DATA", help="your data (.npz or .csv, as for solve): X and y must equal "
                                                  "the certificate's exactly, else it is rejected")
    p.add_argument("--lam", type=_nonnegative_float, metavar="L",
                   help="your lam: must equal the certificate's exactly (a float is the rational it encodes)")
    p.add_argument("--max-rel-gap", type=_nonnegative_float, default=None, metavar="G",
                   help=f"largest accepted relative gap gap/max(1,|upper|) (default: the solver's own, "
                        f"{DEFAULT.obj_gap:g}); a valid certificate with a larger gap is 'valid but not optimal'")
    p.add_argument("--max-n", type=positive_int, default=None, metavar="N",
                   help=f"accept up to N samples (default {DEFAULT_LIMITS.max_n})")
    p.add_argument("--max-d", type=positive_int, default=None, metavar="D",
                   help=f"accept up to D features (default {DEFAULT_LIMITS.max_d})")
    p.add_argument("--max-bits", type=positive_int, default=None, metavar="B",
                   help=f"accept rationals (and their common denominators) of up to B bits "
                        f"(default {DEFAULT_LIMITS.max_bits})")
    p.add_argument("--max-nodes", type=positive_int, default=None, metavar="K",
                   help=f"accept branch-and-bound trees (format /2) of up to K nodes "
                        f"(default {DEFAULT_LIMITS.max_nodes})")
    add_common_options(p, progress=False, tol=None)  # exact arithmetic: no tolerances
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``relucert check``.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        0 verified and optimal to ``--max-rel-gap``; 1 rejected or valid but not optimal.
    """
    from relucert.verify.checker import CheckStatus, check
    from relucert.verify.checker.rational import fmt

    check_outputs(args)
    out = check(args.file, data=args.data, lam=args.lam, max_rel_gap=args.max_rel_gap, max_n=args.max_n,
                max_d=args.max_d, max_bits=args.max_bits, max_nodes=args.max_nodes)
    if args.json is not None:
        write_json(args.json, out.to_dict())
    stream = text_stream(args)
    for c in out.report.checks:
        print(f"  [{'ok' if c.passed else 'FAILED'}] {c.name}: {c.detail}", file=stream)
    if out.status is CheckStatus.REJECTED:
        bad = out.report.first_failure()
        print(f"REJECTED: first failing claim {bad.name}: {bad.detail}", file=stream)
        return exit_code(False)
    if out.data_bound:
        whose = f"X, y{', lam' if out.lam_bound else ''} equal {args.data}"
    else:
        whose = ("lam equals yours; X, y are the file's own" if out.lam_bound
                 else "the data written in the file, not compared with yours: pass --data DATA --lam L")
    claim = (f"{fmt(out.lower)} <= min <= {fmt(out.upper)}; certified gap {fmt(out.gap, '.6g')} "
             f"(relative {fmt(out.relative_gap, '.3g')}, limit {fmt(out.max_rel_gap, '.3g')}); {out.uniqueness}")
    print(f"{'VERIFIED' if out.passed else 'VALID BUT NOT OPTIMAL'}: {claim}; data sha256 {out.data_sha256} "
          f"({whose})", file=stream)
    if not out.passed:
        print(f"the certificate's proofs hold, but its relative gap exceeds --max-rel-gap "
              f"{fmt(out.max_rel_gap, '.3g')}: it does not prove this network optimal", file=stream)
    print(f"checked in {out.time_s:.2f} s", file=stream)
    return exit_code(out.passed)
