"""Finite programs (generic: they know nothing about networks): LP/QP on HiGHS
(:mod:`~relucert.lp.highs`, :mod:`~relucert.lp.programs`), the same programs on clarabel
(:mod:`~relucert.lp.conic`), the non-negative lasso by an active-set method
(:mod:`~relucert.lp.active_set`), compensated (double-double) residuals and duals
(:mod:`~relucert.lp.compensated`). The TV solver built on them is :mod:`relucert.lp.tv`;
nothing here imports it.

Layer: lp (generic finite programs; they know nothing about networks). It may import
core and arrangement; the TV solver is the layer above, :mod:`relucert.lp.tv`.
"""
from relucert.lp.highs import HIGHS_INF, FiniteProgram, solve_program, status_from_highs

__all__ = ["HIGHS_INF", "FiniteProgram", "solve_program", "status_from_highs"]
