"""Options and output helpers shared by the subcommands."""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import fields

from relucert.results import jsonable
from relucert.tolerances import Tolerances

__all__ = ["add_tol_options", "tolerances_from_args", "add_common_options", "write_json", "progress_flag"]


def add_tol_options(parser: argparse.ArgumentParser) -> None:
    """``--tol-<field>`` for every field of :class:`Tolerances`."""
    group = parser.add_argument_group("tolerances")
    for f in fields(Tolerances):
        group.add_argument(f"--tol-{f.name.replace('_', '-')}", dest=f"tol_{f.name}", type=float,
                           default=None, metavar="X", help=f"override Tolerances.{f.name} ({f.default:g})")


def tolerances_from_args(args: argparse.Namespace) -> Tolerances:
    changes = {f.name: getattr(args, f"tol_{f.name}") for f in fields(Tolerances)
               if getattr(args, f"tol_{f.name}", None) is not None}
    return Tolerances(**changes)


def add_device_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--device auto|cpu|cuda`` (default auto: CUDA when torch sees one)."""
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                        help=f"where {what} (default auto: CUDA when available)")


def add_common_options(parser: argparse.ArgumentParser, *, json_file: bool = True) -> None:
    if json_file:
        parser.add_argument("--json", metavar="FILE", default=None,
                            help="write the result as JSON to FILE ('-' for stdout)")
    parser.add_argument("--no-progress", action="store_true", help="never show progress bars")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_tol_options(parser)


def progress_flag(args: argparse.Namespace) -> bool | None:
    """False with --no-progress, else None (tqdm decides: on only for a terminal)."""
    return False if getattr(args, "no_progress", False) else None


def write_json(path: str, document: dict) -> None:
    """Write one JSON document to ``path`` (``-`` is stdout)."""
    text = json.dumps(jsonable(document), indent=1, allow_nan=False)
    if path == "-":
        sys.stdout.write(text + "\n")
        return
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text + "\n")
