"""The ``relucert`` command line: one console script, argparse subcommands.

Each subcommand lives in ``relucert/commands/<name>.py`` and is a thin call into
the library. Exit codes: 0 optimal/verified, 1 not optimal or rejected, 2 usage
error (bad arguments or bad input data), 130 interrupted (Ctrl-C: one line
"interrupted", no traceback, no partial file), 141 stdout closed by its reader
(``relucert ... | head``: ends quietly).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from relucert.errors import CertificateError, RelucertError, SolverError, TooManyChambersError

__all__ = ["main", "build_parser", "COMMANDS"]

#: Subcommand modules under relucert.commands, in --help order.
COMMANDS = ("demo", "regions", "scan", "solve", "certify", "path", "check", "counterexample", "lownoise", "theorems")


#: Exit code after Ctrl-C (128 + SIGINT, the shell's convention).
EXIT_INTERRUPTED = 130
#: Exit code when stdout was closed by the reader (``| head``): 128 + SIGPIPE.
EXIT_BROKEN_PIPE = 141


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
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relucert",
        description="Exact, certified training of infinite-width shallow ReLU networks.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"relucert.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (tests call this directly)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except KeyboardInterrupt:
        # Ctrl-C: every file is written atomically, so nothing partial is left behind
        _quiet_print("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _detach_stdout()
        return EXIT_BROKEN_PIPE
    except (TooManyChambersError, CertificateError) as exc:
        print(f"relucert {args.command}: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, CertificateError) else 2
    except SolverError as exc:
        print(f"relucert {args.command}: solver failed: {exc}", file=sys.stderr)
        return 1
    except (ValueError, TypeError, RelucertError) as exc:
        print(f"relucert {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a write that failed after the up-front check (full disk, ...)
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        print(f"relucert {args.command}: error: cannot write{where}: {exc.strerror or exc}; no earlier file "
              f"was changed", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
