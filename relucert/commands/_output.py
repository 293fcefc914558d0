"""The exit codes and the one JSON writer of the command line.

:class:`Exit` is the only exit-code table (``relucert.cli.main`` maps exceptions onto
it); :func:`write_json` the only writer of JSON documents (a ``format`` tag required,
non-finite numbers written as ``null``, files replaced atomically).
"""
from __future__ import annotations

import json
import math
import sys
from enum import IntEnum

from relucert._atomic import write_text
from relucert.results import jsonable

__all__ = ["Exit", "exit_code", "text_stream", "write_json"]


class Exit(IntEnum):
    """The exit codes of every subcommand (the only table; ``relucert.cli.main`` maps
    exceptions onto it)."""

    #: success: optimal, verified, written
    OK = 0
    #: the answer is not optimal, a certificate is rejected, a search found nothing, a
    #: write failed after the up-front checks
    NOT_OPTIMAL = 1
    #: bad options or bad input data (also argparse's own code)
    USAGE = 2
    #: Ctrl-C (128 + SIGINT, the shell's convention)
    INTERRUPTED = 130
    #: stdout closed by its reader (``| head``): 128 + SIGPIPE
    BROKEN_PIPE = 141


def exit_code(success: bool) -> Exit:
    """``Exit.OK`` for an optimal / verified outcome, else ``Exit.NOT_OPTIMAL``.

    Parameters
    ----------
    success : bool
        Whether the outcome is optimal (a Solution's ``success``: status OPTIMAL; LIMIT
        and INACCURATE are not) or verified.

    Returns
    -------
    Exit
    """
    return Exit.OK if success else Exit.NOT_OPTIMAL


def text_stream(args: argparse.Namespace):
    """Where the readable text goes: stderr when ``--json -`` owns stdout, else stdout.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    file object
    """
    return sys.stderr if getattr(args, "json", None) == "-" else sys.stdout


#: Characters per write of a JSON document to stdout.
_STDOUT_CHUNK = 1 << 16


def _finite_or_null(value):
    """JSON has no NaN or infinity: every non-finite float becomes ``null``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_null(v) for v in value]
    return value


def write_json(path: str, document: dict) -> None:
    """Write one JSON document to ``path`` (``-`` is stdout), atomically.

    The one JSON writer of the command line: numpy values and enums are converted,
    every non-finite number (NaN, +-inf) is written as ``null``, and a file is replaced
    atomically (:func:`relucert._atomic.write_text`: never a partial file).

    Parameters
    ----------
    path : str
        A file, or ``-`` for stdout.
    document : dict
        Must carry a ``format`` tag (``relucert.<kind>/<version>``).

    Raises
    ------
    ValueError
        A document without a ``format`` tag.
    """
    if not isinstance(document, dict) or not isinstance(document.get("format"), str):
        raise ValueError("a JSON document of relucert must carry a 'format' tag")
    text = json.dumps(_finite_or_null(jsonable(document)), indent=1, allow_nan=False)
    if path == "-":
        # in pieces: a reader that goes away (``| head``) then shows as BrokenPipeError
        # (one large write can lose the rest of the text without any error)
        text += "\n"
        for start in range(0, len(text), _STDOUT_CHUNK):
            sys.stdout.write(text[start:start + _STDOUT_CHUNK])
            sys.stdout.flush()
        return
    write_text(path, text + "\n")
