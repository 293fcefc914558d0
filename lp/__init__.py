"""Finite programs on HiGHS (LP/QP), the exchange solver and the conic cross-check."""
from relucert.lp.highs import HIGHS_INF, FiniteProgram, solve_program, status_from_highs

__all__ = ["HIGHS_INF", "FiniteProgram", "solve_program", "status_from_highs"]
