"""``relucert scan DATA``: chamber discovery by sampling, and (with ``--dual``) the
per-region maxima of a dual certificate, batched in torch (CPU or CUDA)."""
from __future__ import annotations

import sys

import numpy as np

from relucert.commands._common import (add_common_options, add_data_argument, add_device_option, check_outputs,
                                       load_data_from_args, positive_int, progress_flag, record_data,
                                       tolerances_from_args)
from relucert.commands._output import Exit, text_stream, write_json

__all__ = ["register", "run", "SCAN_FORMAT", "TOL_FLAGS"]

#: The ``format`` tag of ``scan --json``.
SCAN_FORMAT = "relucert.scan/1"
#: Tolerances with their own flag on ``scan`` (any other: ``--tol NAME=VALUE``).
TOL_FLAGS = ("gpu_margin",)


def register(sub) -> None:
    """Add the ``scan`` subcommand.

    Parameters
    ----------
    sub : argparse._SubParsersAction
    """
    p = sub.add_parser(
        "scan", help="discover dual regions by sampling; evaluate a dual certificate on every region",
        description="Sample S^d, deduplicate the sign patterns on the device, and report the "
                    "chambers found and an estimate of their number. With --dual P.npy (a vector "
                    "p of length n), the chambers are enumerated exactly and max eta_p / max -eta_p "
                    "is computed on every region (batched; borderline regions on the exact path).")
    add_data_argument(p)
    add_device_option(p, "torch runs")
    p.add_argument("--samples", type=int, metavar="N", default=1_000_000,
                   help="points sampled on S^d (default 1e6)")
    p.add_argument("--batch", type=int, metavar="N", default=65536, help="samples per batch (default 65536)")
    p.add_argument("--dual", metavar="P.npy", default=None,
                   help="a dual vector p (.npy, length n): evaluate its certificate on every region")
    p.add_argument("--max-chambers", type=positive_int, default=None, metavar="N",
                   help="with --dual: refuse exact enumeration beyond this many chambers")
    add_common_options(p, seed=True, tol=TOL_FLAGS)
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``relucert scan``; with ``--json -`` stdout carries only the JSON.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        0, or 1 when a sampled sign pattern is not a chamber of the exact enumeration.
    """
    from relucert.arrangement import DEFAULT_MAX_CHAMBERS, enumerate_chambers, estimate_chambers, region_maxima
    from relucert.gpu import batched_ops, sample_chambers

    if args.max_chambers is not None and args.dual is None:
        raise ValueError("--max-chambers limits the exact enumeration of --dual; without --dual it does nothing")
    data = load_data_from_args(args)
    X = data["X"]
    check_outputs(args)
    tol = tolerances_from_args(args)
    scan = sample_chambers(X, n_samples=args.samples, batch=args.batch, device=args.device,
                           seed=args.seed, tol=tol, progress=progress_flag(args))
    bound = estimate_chambers(X)
    out = text_stream(args)
    print(f"n = {X.shape[0]}, d = {X.shape[1]}, device {scan.device}", file=out)
    print(f"chambers found by {scan.n_samples} samples: {scan.n_found} "
          f"(Chao1 estimate {scan.estimate:.0f}; upper bound {bound}); time {scan.wall_time_s:.3f} s", file=out)
    doc = record_data({"format": SCAN_FORMAT, "scan": scan.to_dict(), "upper_bound": bound}, data, args.data)
    status = Exit.OK
    if args.dual is not None:
        try:
            p = np.load(args.dual, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ValueError(f"--dual {args.dual!r} is not a readable .npy file: {exc}") from exc
        arr = enumerate_chambers(X, max_chambers=args.max_chambers or DEFAULT_MAX_CHAMBERS,
                                 progress=progress_flag(args), tol=tol)
        found = scan.pattern_set()
        exact = {row.tobytes() for row in arr.sign_patterns}
        if not found <= exact:  # a sampled pattern must be a chamber
            print("scan: sampled patterns are not all chambers of the enumeration", file=sys.stderr, flush=True)
            status = Exit.NOT_OPTIMAL
        res = region_maxima(arr, p, ops=batched_ops(args.device, arr.n_chambers), tol=tol)
        print(f"chambers enumerated: {arr.n_chambers} ({arr.method}); sampled {len(found & exact)} of them",
              file=out)
        print(f"certificate: max |eta| = {res.max_abs:.12g} over {res.n_regions} regions; "
              f"{int(res.pruned.sum())} pruned, {int(res.exact.sum())} on the exact path "
              f"({res.backend}, {res.wall_time_s:.3f} s)", file=out)
        doc["n_chambers"] = arr.n_chambers
        doc["certificate"] = res.to_dict()
    if args.json:
        write_json(args.json, doc)
    return status
