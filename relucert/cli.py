"""The ``relucert`` command line: one console script, argparse subcommands.

Layer: cli, the top. It may import everything below it (api, experiments and the
layers under them); nothing imports it.

Each subcommand lives in ``relucert/commands/<name>.py`` and is a thin call into
the library; the options helper (:mod:`relucert.commands._common`) and the JSON writer
(:mod:`relucert.commands._output`) are shared. The exit codes
(:class:`~relucert.commands._output.Exit`) are decided here, in one place:

====  ==============================================================================
code  meaning
====  ==============================================================================
0     success: optimal, verified
1     not optimal (status LIMIT or INACCURATE), certificate rejected or not proving
      optimality, nothing found, or a write that failed after the up-front checks
2     usage or input error (bad options, bad data), the message names the field
130   interrupted (Ctrl-C: one line "interrupted", no traceback, no partial file)
141   stdout closed by its reader (``relucert ... | head``: ends quietly)
====  ==============================================================================
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from relucert.commands._output import Exit
from relucert.errors import CertificateError, RelucertError, SolverError, TooManyChambersError

__all__ = ["main", "build_parser", "synopsis", "COMMANDS"]

#: Subcommand modules under relucert.commands, in --help order.
COMMANDS = ("demo", "regions", "scan", "solve", "certify", "path", "check", "counterexample", "lownoise", "theorems")


#: Line width of :func:`synopsis`.
_SYNOPSIS_WIDTH = 100


def _detach_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush of a closed pipe
    prints nothing (the recipe of Python's signal documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (tests)
        pass


def _quiet_print(line: str) -> None:
    """Print one line on stderr, ignoring a closed stream."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="relucert",
        description="Exact, certified training of infinite-width shallow ReLU networks.",
    )
    from relucert import __version__

    parser.add_argument("--version", action="version", version=f"relucert {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"relucert.commands.{name}").register(sub)
    return parser


def _exit_for(exc: BaseException, command: str) -> Exit:
    """The exit code of an exception escaping a subcommand, with its one-line message."""
    if isinstance(exc, CertificateError):
        print(f"relucert {command}: {exc}", file=sys.stderr)
        return Exit.NOT_OPTIMAL
    if isinstance(exc, TooManyChambersError):
        print(f"relucert {command}: {exc}", file=sys.stderr)
        return Exit.USAGE
    if isinstance(exc, SolverError):
        print(f"relucert {command}: solver failed: {exc}", file=sys.stderr)
        return Exit.NOT_OPTIMAL
    if isinstance(exc, (ValueError, TypeError, RelucertError)):
        print(f"relucert {command}: error: {exc}", file=sys.stderr)
        return Exit.USAGE
    # OSError: a write that failed after the up-front check (full disk, ...)
    where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
    print(f"relucert {command}: error: cannot write{where}: {getattr(exc, 'strerror', None) or exc}; no earlier "
          f"file was changed", file=sys.stderr)
    return Exit.NOT_OPTIMAL


def main(argv: list[str] | None = None) -> int:
    """Run the CLI.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``); tests call this directly.

    Returns
    -------
    int
        The exit code (:class:`relucert.commands._common.Exit`).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    try:
        code = Exit(int(args.func(args)))
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return int(code)
    except KeyboardInterrupt:
        # Ctrl-C: every file is written atomically, so nothing partial is left behind
        _quiet_print("interrupted")
        return int(Exit.INTERRUPTED)
    except BrokenPipeError:
        _detach_stdout()
        return int(Exit.BROKEN_PIPE)
    except (ValueError, TypeError, RelucertError, OSError) as exc:
        return int(_exit_for(exc, args.command))


def _wrap_usage(usage: str) -> list[str]:
    """Wrap a usage line between bracketed option groups (never inside one)."""
    tokens, depth, start = [], 0, 0
    for i, ch in enumerate(usage):
        depth += ch in "[{("
        depth -= ch in "]})"
        if ch == " " and depth == 0:
            tokens.append(usage[start:i])
            start = i + 1
    tokens.append(usage[start:])
    lines, current = [], ""
    for token in tokens:
        if current and len(current) + 1 + len(token) > _SYNOPSIS_WIDTH:
            lines.append(current)
            current = "        " + token
        else:
            current = f"{current} {token}" if current else token
    lines.append(current)
    return lines


def synopsis() -> str:
    """One usage line per subcommand, generated from the parser (README's command
    section is this text; ``tests/test_cli_contract.py`` compares them).

    Returns
    -------
    str
    """
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    lines = []
    for name in COMMANDS:
        p = sub.choices[name]
        usage = " ".join(p.format_usage().split()).removeprefix("usage: ").replace(" [-h]", "")
        lines.extend(_wrap_usage(usage))
        help_text = next(a.help for a in sub._choices_actions if a.dest == name)
        lines.append(f"    {help_text}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
