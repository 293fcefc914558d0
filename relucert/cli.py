"""The ``relucert`` command line: one console script, argparse subcommands.

Each subcommand lives in ``relucert/commands/<name>.py`` and is a thin call into
the library. Exit codes: 0 optimal/verified, 1 not optimal or rejected, 2 usage
error (bad arguments or bad input data).
"""
from __future__ import annotations

import argparse
import importlib
import sys

from relucert.errors import CertificateError, RelucertError, SolverError, TooManyChambersError

__all__ = ["main", "build_parser", "COMMANDS"]

#: Subcommand modules under relucert.commands, in --help order.
COMMANDS = ("demo", "regions", "scan", "solve", "certify", "check", "counterexample", "lownoise", "theorems")


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
        return int(args.func(args))
    except (TooManyChambersError, CertificateError) as exc:
        print(f"relucert {args.command}: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, CertificateError) else 2
    except SolverError as exc:
        print(f"relucert {args.command}: solver failed: {exc}", file=sys.stderr)
        return 1
    except (ValueError, TypeError, RelucertError) as exc:
        print(f"relucert {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
