"""Finite programs on HiGHS (LP/QP), the exchange solver and the conic cross-check.

Layer: lp (generic finite programs; they know nothing about networks). It may import
core and arrangement; the TV solver is the layer above, :mod:`relucert.lp.tv`.
"""
from relucert.lp.highs import HIGHS_INF, FiniteProgram, solve_program, status_from_highs

__all__ = ["HIGHS_INF", "FiniteProgram", "solve_program", "status_from_highs"]
