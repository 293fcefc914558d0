"""The library entry points the subcommands load before their long work: the solver
and the check of a ``--plot`` file (kept out of :mod:`relucert.commands._common`, which
imports only relucert's core)."""
from __future__ import annotations

import argparse

__all__ = ["load_solver", "check_plot"]


def load_solver():
    """Import the solver and the modules it loads on first use, before the long work.

    A Ctrl-C that lands inside an extension module's import (scipy's, during the first
    solve) can end the interpreter with SIGINT instead of exit code 130; importing them
    before the data is read keeps the interrupt in relucert's own code.

    Returns
    -------
    callable
        :func:`relucert.solver.solve`.
    """
    import relucert.arrangement  # noqa: F401
    import relucert.lp.tv.exchange  # noqa: F401
    from relucert.solver import solve

    return solve


def check_plot(args: argparse.Namespace, *, d: int | None = None, max_d: int = 2) -> None:
    """Before long work: ``--plot`` names a file matplotlib can write, and the data's
    dimension ``d`` can be drawn (``d <= max_d``).

    Parameters
    ----------
    args : argparse.Namespace
    d : int, optional
        The data's dimension (None: only the file is checked).
    max_d : int
        Largest dimension ``--plot`` draws.

    Raises
    ------
    ValueError
        Naming ``--plot`` and the problem.
    """
    if getattr(args, "plot", None):
        from relucert.plots import check_figure_path

        check_figure_path(args.plot, d=d, max_d=max_d)
