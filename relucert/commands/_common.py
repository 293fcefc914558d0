"""The options helper shared by every subcommand.

One place for the common options (``--json FILE|-``, ``--no-progress``, ``--seed`` where
randomness is used, the tolerances: a few ``--tol-<name>`` flags per subcommand and
``--tol NAME=VALUE`` for any field), the data argument, ``--lam``, and the checks of the
outputs before long work. The exit codes and the JSON writer are in
:mod:`relucert.commands._output`; the library entry points the commands load (the
solver, the figure check) in :mod:`relucert.commands._library`. This module and
``_output`` import only relucert's core (``relucert check`` uses them and loads no
solver code: tests/test_checker_independence.py).
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import fields

from relucert.tolerances import GROUPS, Tolerances

__all__ = ["add_tol_options", "tolerances_from_args", "add_common_options", "add_device_option",
           "add_data_argument", "load_data_from_args", "record_data", "parse_lam", "check_outputs",
           "progress_flag", "positive_int"]


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1.

    Parameters
    ----------
    text : str

    Returns
    -------
    int
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1; got {text!r}")
    return value


_FIELDS = tuple(f.name for f in fields(Tolerances))
_GROUP_OF = {name: group for group, (_, names) in GROUPS.items() for name in names}


def _tol_assignment(text: str) -> tuple[str, float]:
    """argparse type of ``--tol NAME=VALUE``: a known field and a finite float >= 0."""
    name, sep, value = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (a field name, '=', a number); got {text!r}")
    if name not in _FIELDS:
        groups = "; ".join(f"{g}: {', '.join(names)}" for g, (_, names) in GROUPS.items())
        raise argparse.ArgumentTypeError(f"unknown tolerance {name!r}; the fields are ({groups})")
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"tolerance {name}: expected a number; got {value!r}") from None
    if not (math.isfinite(number) and number >= 0.0):
        raise argparse.ArgumentTypeError(f"tolerance {name}: expected a finite number >= 0; got {value!r}")
    return name, number


def add_tol_options(parser: argparse.ArgumentParser, common: tuple[str, ...] = ()) -> None:
    """The tolerance options of one subcommand.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    common : tuple of str
        The few :class:`Tolerances` fields a user of this subcommand typically sets: each
        gets its own ``--tol-<name>`` flag. Every field can be set with
        ``--tol NAME=VALUE`` (repeatable).
    """
    group = parser.add_argument_group("tolerances")
    for name in common:
        if name not in _FIELDS:
            raise ValueError(f"add_tol_options: {name!r} is not a Tolerances field")
        group.add_argument(f"--tol-{name.replace('_', '-')}", dest=f"tol_{name}", type=float, default=None,
                           metavar="X", help=f"Tolerances.{name} (default {getattr(Tolerances(), name):g})")
    group.add_argument("--tol", dest="tol_assign", type=_tol_assignment, action="append", default=[],
                       metavar="NAME=VALUE",
                       help="set any Tolerances field (repeatable; groups: " + ", ".join(GROUPS)
                            + "; see relucert.Tolerances)")


def tolerances_from_args(args: argparse.Namespace) -> Tolerances:
    """The :class:`Tolerances` of ``--tol-<name>`` and ``--tol NAME=VALUE``.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    Tolerances

    Raises
    ------
    ValueError
        A field given twice with different values, or an invalid value (the message
        names the field).
    """
    changes: dict[str, float] = {}
    for name, value in getattr(args, "tol_assign", None) or ():
        if name in changes and changes[name] != value:
            raise ValueError(f"--tol {name} given twice with different values ({changes[name]:g}, {value:g})")
        changes[name] = value
    for name in _FIELDS:
        value = getattr(args, f"tol_{name}", None)
        if value is None:
            continue
        if name in changes and changes[name] != value:
            raise ValueError(f"--tol-{name.replace('_', '-')} {value:g} and --tol {name}={changes[name]:g} disagree")
        changes[name] = value
    return Tolerances(**changes)


def positive_seconds(text: str) -> float:
    """argparse type for ``--time-limit``: a finite number of seconds > 0.

    Parameters
    ----------
    text : str

    Returns
    -------
    float
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds; got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds > 0; got {text!r}")
    return value


def positive_jobs(text: str) -> int:
    """argparse type for ``--jobs``: an int >= 1 (:func:`positive_int`), or -1 (every CPU).

    Parameters
    ----------
    text : str

    Returns
    -------
    int
    """
    if text.strip() == "-1":
        return -1
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a number of processes (an int >= 1, or -1); got {text!r}") from None


def add_oracle_options(parser: argparse.ArgumentParser) -> None:
    """``--oracle enumerate|bab|auto``, ``--time-limit S`` and where the branch and bound runs,
    ``--jobs N`` or ``--scheduler ADDR`` (``relucert.solve``).

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    parser.add_argument("--oracle", choices=["auto", "enumerate", "bab"], default="auto",
                        help="what answers max|eta|: enumerate every chamber, bab (branch and bound over "
                             "cones, no chamber list) or auto (enumerate when the estimated chamber count "
                             "is small; default)")
    parser.add_argument("--time-limit", type=positive_seconds, default=None, metavar="S",
                        help="stop after S seconds with status limit, the best network and its certified "
                             "gap (a stop rule: where it stops depends on the machine's speed)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=positive_jobs, default=None, metavar="N",
                       help="run the branch and bound on N local processes (-1: every CPU; default: serial)")
    where.add_argument("--scheduler", default=None, metavar="ADDR",
                       help="run the branch and bound on the Dask cluster whose scheduler is at ADDR "
                            "(tcp://host:8786; needs pip install 'relucert[dask]')")


def add_qp_backend_option(parser: argparse.ArgumentParser) -> None:
    """``--qp-backend active-set|daqp`` (``relucert.solve``'s ``qp_backend``).

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    parser.add_argument("--qp-backend", choices=["active-set", "daqp"], default="active-set",
                        help="who solves the exchange's finite lasso programs first: active-set (default; "
                             "HiGHS and clarabel behind it) or daqp (needs pip install 'relucert[qp]'); the "
                             "other is tried before a failure ends the run")


def add_device_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--device auto|cpu|cuda`` (default auto: CUDA when torch sees one).

    Parameters
    ----------
    parser : argparse.ArgumentParser
    what : str
        What runs on the device (for the help text).
    """
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                        help=f"where {what} (default auto: CUDA when available)")


def add_common_options(parser: argparse.ArgumentParser, *, seed: bool = False, progress: bool = True,
                       tol: tuple[str, ...] | None = ()) -> None:
    """``--json FILE|-``, ``--no-progress``, (where randomness is used) ``--seed`` and the
    tolerances.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    seed : bool
        Add ``--seed S`` (only where the command draws random numbers).
    progress : bool
        Add ``--no-progress`` (only where the command shows progress bars).
    tol : tuple of str or None
        The fields with their own ``--tol-<name>`` flag (:func:`add_tol_options`); None:
        no tolerance options (an exact command).
    """
    parser.add_argument("--json", metavar="FILE", default=None,
                        help="write the result as JSON to FILE ('-': stdout, which then carries only the JSON)")
    if progress:
        parser.add_argument("--no-progress", action="store_true", help="never show progress bars")
    if seed:
        parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    if tol is not None:
        add_tol_options(parser, tol)


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    """The positional ``DATA`` and ``--header`` / ``--no-header`` for a .csv file.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    parser.add_argument("data", metavar="DATA")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--header", dest="header", action="store_const", const=True, default=None,
                       help="DATA is a .csv whose first row is a header (default: a header only when "
                            "none of its cells is a number)")
    group.add_argument("--no-header", dest="header", action="store_const", const=False,
                       help="DATA is a .csv whose first row is data")


def load_data_from_args(args: argparse.Namespace, **kwargs) -> dict:
    """Load ``args.data`` (with ``--header/--no-header``) and say on stderr how many rows
    were read.

    Parameters
    ----------
    args : argparse.Namespace
    **kwargs
        Passed to :func:`relucert.data.load_data`.

    Returns
    -------
    dict
        ``X``, ``y``, ``n_rows``, ``header`` and any extra arrays.
    """
    from relucert.data import describe_load, load_data

    data = load_data(args.data, header=getattr(args, "header", None), **kwargs)
    print(describe_load(args.data, data), file=sys.stderr)
    return data


def record_data(document: dict, data: dict, path: str) -> dict:
    """Add the data file, its row count and the header treatment to a JSON document.

    Parameters
    ----------
    document : dict
    data : dict
        As returned by :func:`load_data_from_args`.
    path : str
        The data file.

    Returns
    -------
    dict
        ``document``, changed in place.
    """
    document["data_file"] = path
    document["n_rows"] = data["n_rows"]
    document["data_header"] = data.get("header")
    return document


def parse_lam(text: str) -> float:
    """argparse type for ``--lam``: a float, refusing a non-zero number that rounds to
    0.0 (``10**-400`` written out: it would silently become the interpolation problem).

    Parameters
    ----------
    text : str

    Returns
    -------
    float
    """
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


def check_outputs(args: argparse.Namespace) -> None:
    """Before long work: ``--json`` (unless ``-``) can be written and ``--out-dir`` can be
    created (``--plot`` is checked by :func:`relucert.commands._library.check_plot`, the
    exact certificate file ``certify --out`` by its command).

    Parameters
    ----------
    args : argparse.Namespace

    Raises
    ------
    ValueError
        Naming the option and the problem.
    """
    from relucert._atomic import check_writable, check_writable_dir

    json_path = getattr(args, "json", None)
    if isinstance(json_path, str) and json_path != "-":
        check_writable(json_path, "--json file")
    out_dir = getattr(args, "out_dir", None)
    if isinstance(out_dir, str):
        check_writable_dir(out_dir, "--out-dir folder")


def progress_flag(args: argparse.Namespace) -> bool | None:
    """False with ``--no-progress``, else None (tqdm decides: on only for a terminal).

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    bool or None
    """
    return False if getattr(args, "no_progress", False) else None
