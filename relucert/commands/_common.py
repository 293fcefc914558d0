"""Options and output helpers shared by the subcommands."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields

from relucert._atomic import write_text
from relucert.results import jsonable
from relucert.tolerances import Tolerances

__all__ = ["add_tol_options", "tolerances_from_args", "add_common_options", "add_data_argument",
           "load_data_from_args", "record_data", "parse_lam", "check_outputs", "write_json", "progress_flag"]


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


def add_common_options(parser: argparse.ArgumentParser, *, json_file: bool = True, seed: bool = False) -> None:
    """``--json FILE``, ``--no-progress``, the tolerances and (only where randomness
    is used) ``--seed``."""
    if json_file:
        parser.add_argument("--json", metavar="FILE", default=None,
                            help="write the result as JSON to FILE ('-' for stdout)")
    parser.add_argument("--no-progress", action="store_true", help="never show progress bars")
    if seed:
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_tol_options(parser)


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    """The positional ``DATA`` and ``--header`` / ``--no-header`` for a .csv file."""
    parser.add_argument("data", metavar="DATA")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--header", dest="header", action="store_const", const=True, default=None,
                       help="DATA is a .csv whose first row is a header (default: a header only when "
                            "none of its cells is a number)")
    group.add_argument("--no-header", dest="header", action="store_const", const=False,
                       help="DATA is a .csv whose first row is data")


def load_data_from_args(args: argparse.Namespace, **kwargs) -> dict:
    """Load ``args.data`` (with ``--header/--no-header``) and say on stderr how many rows
    were read."""
    from relucert.data import describe_load, load_data

    data = load_data(args.data, header=getattr(args, "header", None), **kwargs)
    print(describe_load(args.data, data), file=sys.stderr)
    return data


def record_data(document: dict, data: dict, path: str) -> dict:
    """Add the data file, its row count and the header treatment to a JSON document."""
    document["data_file"] = path
    document["n_rows"] = data["n_rows"]
    document["data_header"] = data.get("header")
    return document


def parse_lam(text: str) -> float:
    """argparse type for ``--lam``: a float, refusing a non-zero number that rounds to
    0.0 (``10**-400`` written out: it would silently become the interpolation problem lam = 0)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if value == 0.0 and _nonzero_decimal(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not 0 but its magnitude is below the smallest positive float64 "
            f"({sys.float_info.min * sys.float_info.epsilon:.3g}), so it would round to 0, the "
            f"interpolation problem; pass 0 for that, or a representable lam")
    return value


def _nonzero_decimal(text: str) -> bool:
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(text.strip()) != 0
    except InvalidOperation:
        return False


def check_outputs(args: argparse.Namespace, *, d: int | None = None, plot_max_d: int = 2) -> None:
    """Before long work: ``--json`` (unless ``-``) and ``--plot`` can be written, and
    ``--plot`` can draw d-dimensional data (d <= ``plot_max_d``). ``ValueError`` otherwise.
    (Other outputs, ``certify --out`` and the output folders, are checked by their commands.)"""
    from relucert._atomic import check_writable

    json_path = getattr(args, "json", None)
    if isinstance(json_path, str) and json_path != "-":
        check_writable(json_path, "--json file")
    if getattr(args, "plot", None):
        from relucert.plots import check_figure_path

        check_figure_path(args.plot, d=d, max_d=plot_max_d)


def progress_flag(args: argparse.Namespace) -> bool | None:
    """False with --no-progress, else None (tqdm decides: on only for a terminal)."""
    return False if getattr(args, "no_progress", False) else None


#: Characters per write of a JSON document to stdout.
_STDOUT_CHUNK = 1 << 16


def write_json(path: str, document: dict) -> None:
    """Write one JSON document to ``path`` (``-`` is stdout), atomically."""
    text = json.dumps(jsonable(document), indent=1, allow_nan=False)
    if path == "-":
        # in pieces: a reader that goes away (``| head``) then shows as BrokenPipeError
        # (one large write can lose the rest of the text without any error)
        text += "\n"
        for start in range(0, len(text), _STDOUT_CHUNK):
            sys.stdout.write(text[start:start + _STDOUT_CHUNK])
            sys.stdout.flush()
        return
    write_text(path, text + "\n")
