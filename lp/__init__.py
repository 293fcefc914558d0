"""Finite programs (generic: they know nothing about networks): LP/QP on HiGHS
(:mod:`~relucert.lp.highs`, :mod:`~relucert.lp.programs`), the same programs on clarabel
(:mod:`~relucert.lp.conic`), the non-negative lasso by an active-set method
(:mod:`~relucert.lp.active_set`). The TV solver built on them is :mod:`relucert.lp.tv`;
nothing here imports it."""
from relucert.lp.highs import HIGHS_INF, FiniteProgram, solve_program, status_from_highs

__all__ = ["HIGHS_INF", "FiniteProgram", "solve_program", "status_from_highs"]
