"""The anytime certified lower bound of a run stopped before its optimum (issue 13 item 4;
proofs/exchange_method.md, "The anytime lower bound").

Every oracle scan of any dual vector ``p`` returns ``U >= max |eta_p|`` over the sphere
(``OracleScan.upper_bound``, complete or not), so every ``t p`` with ``0 <= t <= 1/U`` is
dual feasible and ``D(t p)`` is a lower bound on the optimum. ``D(t p)`` is a concave
quadratic in ``t`` (linear for (P_0)), so the best such ``t`` is explicit
(:func:`best_scaled_dual`); the best over every scan of a run (the oracle records ``(p, U)``
of each scan: :class:`DualRecord`) bounds the optimum, whichever round's dual gave it.

A time-limited run reserves ``ANYTIME_BOUND_SHARE`` of its budget (:func:`run_deadlines`) for
the final best-first scan of its last dual (``BranchAndBoundOracle.bound_scan``), which
lowers the largest open bound, hence ``U``, fastest.
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from relucert._model import dual_value
from relucert.tolerances import ANYTIME_BOUND_SHARE

__all__ = ["best_scaled_dual", "DualRecord", "run_deadlines", "timed_bound_scan", "with_anytime_bound"]


def best_scaled_dual(p: np.ndarray, y: np.ndarray, lam: float, upper: float) -> float:
    """``max {D(t p) : 0 <= t <= 1/U}``, a certified lower bound on the optimum of (P_lam)
    (lam = 0: (P_0)) whenever ``U = upper >= max |eta_p|`` over the sphere.

    ``D(t p) = a t - b t^2`` with ``a = lam <p, y>``, ``b = lam^2 ||p||^2 / 2`` (lam > 0), or
    ``a = <p, y>``, ``b = 0`` ((P_0)): the maximiser is ``t = min(a / (2 b), 1/U)`` when
    ``a > 0`` and ``t = 0`` (``D = 0``) otherwise. It is never below
    ``D(p / max(1, U))`` (:func:`relucert._model.scaled_dual_value`: ``t = 1 / max(1, U)`` is
    one of the ``t`` allowed).

    Parameters
    ----------
    p : ndarray, shape (n,)
    y : ndarray, shape (n,)
    lam : float
    upper : float
        ``U >= max |eta_p|`` (``inf``: no bound; the answer is then 0).

    Returns
    -------
    float

    Examples
    --------
    ``p = y = (1, 0)``, lam = 1: ``D(t p) = t - t^2 / 2``, largest at ``t = 1``:

    >>> y = np.array([1.0, 0.0])
    >>> best_scaled_dual(y, y, 1.0, 0.5), best_scaled_dual(y, y, 1.0, 2.0)
    (0.5, 0.375)
    """
    p = np.asarray(p, dtype=np.float64)
    upper = float(upper)
    a = float(p @ y) * (lam if lam > 0 else 1.0)
    if not a > 0.0 or upper != upper or upper == np.inf:
        return 0.0
    if lam > 0:
        t_star = a / (lam * lam * float(p @ p))       # a / (2 b)
        if upper > 0.0 and t_star * upper >= 1.0:      # the cap 1/U binds: D(p / U)
            return max(dual_value(p / upper, y, lam), 0.0)
        return max(dual_value(t_star * p, y, lam), 0.0)
    if upper > 0.0:                                    # (P_0): linear, t = 1/U
        return max(dual_value(p / upper, y, lam), 0.0)
    return max(dual_value(p, y, lam), 0.0)             # eta_p = 0: p itself is feasible


class DualRecord:
    """The dual vectors an oracle scanned in a run and the bound ``U`` of each scan.

    Each entry is ``(p, U)`` in the oracle's units (the exchange's). ``best(y, lam)`` is the
    largest :func:`best_scaled_dual` over them (``-inf`` when none).
    """

    def __init__(self):
        self.entries: list[tuple[np.ndarray, float]] = []

    def clear(self) -> None:
        """Forget every entry (a new run)."""
        self.entries.clear()

    def add(self, p: np.ndarray, upper: float) -> None:
        """Record a scan of ``p`` with ``upper >= max |eta_p|`` (finite bounds only)."""
        if np.isfinite(upper):
            self.entries.append((np.array(p, dtype=np.float64), float(upper)))

    def best(self, y: np.ndarray, lam: float) -> float:
        """The best certified lower bound on the optimum over the entries."""
        return max((best_scaled_dual(p, y, lam, u) for p, u in self.entries), default=-np.inf)


def run_deadlines(time_limit: float | None, oracle=None) -> float | None:
    """The ``time.perf_counter()`` value at which a run limited to ``time_limit`` seconds
    stops starting rounds (None without a limit), and the oracle's ``bound_window``
    ``(rounds, final)`` (``final``: the whole limit). The rounds get ``1 - ANYTIME_BOUND_SHARE``
    of the limit when the oracle's final scan uses time (``oracle.timed_bound``: the branch
    and bound), the whole of it otherwise (a complete enumeration needs no reserve). The final
    bounding scan goes on past its node budget only when the rounds ran out of time (a run
    ended by its rounds or by a lack of new atoms keeps the deterministic node budget)."""
    window = None
    if time_limit is not None:
        now = time.perf_counter()
        share = ANYTIME_BOUND_SHARE if getattr(oracle, "timed_bound", False) else 0.0
        window = (now + float(time_limit) * (1.0 - share), now + float(time_limit))
    if oracle is not None:
        oracle.bound_window = window
    return None if window is None else window[0]


def with_anytime_bound(oracle, y: np.ndarray, lam: float, cand):
    """``cand`` (a :class:`relucert.lp.tv.candidate.CandidateEvaluation`) with its
    ``lower_bound`` raised to the best bound of every dual the oracle scanned in this run
    (``oracle.duals``, a :class:`DualRecord`; an oracle without one leaves ``cand`` as it is).
    For (P_0) only an interpolating candidate has a gap to report."""
    record = getattr(oracle, "duals", None)
    if record is None or not cand.feasible:
        return cand
    lower = record.best(np.asarray(y, dtype=np.float64), lam)
    return replace(cand, lower_bound=lower) if lower > cand.lower_bound else cand


def timed_bound_scan(oracle, q: np.ndarray, tol):
    """The search of ``BranchAndBoundOracle.bound_scan`` for the weights ``q`` (in the
    search's units, ``p / lift_scale``): best-first ``maximise`` with no threshold,
    ``oracle.bound_nodes`` nodes from the oracle's remembered frontier with shifted bounds
    (Lemma 9; the roots when none is kept), then, when the run's rounds ran out of time
    (``oracle.bound_window``, :func:`run_deadlines`), best-first again from its own frontier
    (the same weights: no shift) until the run's final deadline.
    Returns the ``BabScan`` whose ``upper_bound`` is lower (without its frontier)."""
    from relucert.lp.tv.bab import maximise
    from relucert.lp.tv.bab.tree import prepare

    options = {k: v for k, v in oracle.options.items() if k not in ("time_limit", "max_nodes")}
    support = prepare(oracle.X, q).support
    start = oracle.memory.seeds(q, support, np.inf) if oracle.executor is None else None
    seeds, hints = (None, None) if start is None else start
    window = oracle.bound_window
    # the timed part only in a run whose rounds ran out of time (run_deadlines)
    timed = window is not None and time.perf_counter() >= window[0]
    out = maximise(oracle.X, q, np.inf, tol=tol, max_nodes=oracle.bound_nodes, seeds=seeds, hints=hints,
                   keep_frontier=timed, **options)
    left = window[1] - time.perf_counter() if timed else 0.0
    if left > 0 and not out.complete:
        front = out.frontier
        pts = None if out.max_point is None else out.max_point[None]
        more = maximise(oracle.X, q, np.inf, tol=tol, time_limit=left, hints=pts,
                        seeds=(front.R, front.sign, front.bound, front.inactive), **options)
        if more.upper_bound < out.upper_bound:
            out = more
    return replace(out, frontier=None)
