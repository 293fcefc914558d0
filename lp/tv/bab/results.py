"""Result types of the branch and bound (:func:`relucert.lp.tv.bab.maximise`,
:func:`relucert.lp.tv.bab.certify`)."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

__all__ = ["BabStatus", "BabStats", "BabScan", "BabCertificate"]


class BabStatus(str, Enum):
    """Outcome of :func:`certify`.

    Attributes
    ----------
    CERTIFIED : str
        ``max |eta_p|`` over the sphere is at most the threshold.
    VIOLATED : str
        A point with ``|eta_p|`` above the threshold was found.
    LIMIT : str
        The search stopped (``max_nodes`` or ``time_limit``) before closing every
        node, and no violator was found.
    """

    CERTIFIED = "certified"
    VIOLATED = "violated"
    LIMIT = "limit"


@dataclass(frozen=True)
class BabStats:
    """``n_nodes`` evaluated nodes, ``n_leaves`` exact leaves, ``n_pruned`` nodes closed
    by their bound, ``n_open`` nodes left open, ``max_depth``, ``wall_time_s``.

    Attributes
    ----------
    n_nodes : int
        Nodes evaluated.
    n_leaves : int
        Nodes resolved exactly as leaves.
    n_pruned : int
        Nodes closed by their bound.
    n_open : int
        Nodes left open when the search stopped.
    max_depth : int
        Deepest node evaluated.
    wall_time_s : float
        Seconds spent.
    n_harvested : int
        Violators listed from bound maximisers (``maximise`` with a ``limit``).
    """

    n_nodes: int
    n_leaves: int
    n_pruned: int
    n_open: int
    max_depth: int
    wall_time_s: float
    n_harvested: int = 0


@dataclass(frozen=True)
class BabScan:
    """Result of :func:`maximise`.

    ``max_value``: the largest ``|eta_p|`` met at a point (``max_point``, ``max_sign``);
    ``upper_bound``: a bound on ``max |eta_p|`` over the sphere (at most
    ``max_value * (1 + tol.bab_rel_gap)`` when ``complete``). Violators: every
    (region, sign) whose maximum exceeds ``threshold`` (the first ``limit`` found when
    the search stopped on it), as unit ``point``, ``sign``, ``value`` and ``active``:
    the region's activation pattern over the support rows ``support`` (indices of
    the data; ``groups[i]`` is the support row of sample ``i``: equal samples share
    one, samples whose summed weight is 0 have -1). ``complete``: the search closed
    every node.

    Attributes
    ----------
    max_value : float
        Largest ``|eta_p|`` met at a point.
    max_point : np.ndarray, shape (D,), or None
        Unit point where it was met; None when no point with ``|eta_p| > 0`` was met.
    max_sign : int
        Sign (+1 or -1) of ``eta_p`` there; 0 when ``max_point`` is None.
    upper_bound : float
        Bound on ``max |eta_p|`` over the sphere.
    complete : bool
        The search closed every node.
    threshold : float
        Value above which (region, sign) pairs are reported as violators.
    point : np.ndarray, shape (k, D)
        Unit maximiser of each violator.
    sign : np.ndarray, shape (k,)
        Sign of each violator.
    value : np.ndarray, shape (k,)
        Maximum of each violator (> ``threshold``).
    active : np.ndarray of bool, shape (k, s)
        Activation pattern of each violator's region over the ``s`` support rows.
    support : np.ndarray of int64, shape (s,)
        Data index of each support row.
    groups : np.ndarray of int64, shape (n,)
        Support row of each sample; -1 where its summed weight is 0.
    stats : BabStats
        Counters of the search.
    frontier : Frontier or None
        With ``keep_frontier=True``: every closed node, exact leaf and open node with its
        bound (:class:`relucert.lp.tv.bab.warm.Frontier`), the state of a warm start.
    settled : bool
        With ``accept_below``: the search stopped once ``upper_bound`` was at most it (the
        stopping test, proofs/local_violators.md, Lemma L3; ``complete`` is then False).
    """

    max_value: float
    max_point: np.ndarray | None
    max_sign: int
    upper_bound: float
    complete: bool
    threshold: float
    point: np.ndarray
    sign: np.ndarray
    value: np.ndarray
    active: np.ndarray
    support: np.ndarray
    groups: np.ndarray
    stats: BabStats
    frontier: Any = None
    settled: bool = False

    @property
    def n_found(self) -> int:
        """Number of violators listed, ``len(value)``."""
        return int(self.value.shape[0])


@dataclass(frozen=True)
class BabCertificate:
    """Result of :func:`certify`: ``status``; ``upper_bound`` on ``max |eta_p|`` (valid
    for every status; at most ``threshold`` when certified); ``lower_bound`` the largest
    ``|eta_p|`` met at a point; the witness (unit point, sign, value > threshold) when
    violated.

    Attributes
    ----------
    status : BabStatus
        Certified, violated, or limit.
    threshold : float
        The bound to certify (``max |eta_p| <= threshold``).
    upper_bound : float
        Bound on ``max |eta_p|`` over the sphere, valid for every status.
    lower_bound : float
        Largest ``|eta_p|`` met at a point.
    witness_point : np.ndarray, shape (D,), or None
        Unit point with ``|eta_p| > threshold`` when violated, else None.
    witness_sign : int
        Sign of ``eta_p`` at the witness; 0 when there is none.
    witness_value : float
        ``|eta_p|`` at the witness; NaN when there is none.
    stats : BabStats
        Counters of the search.
    splits : dict or None
        ``certify(record_tree=True)``: every split node, ``(sign, rays) -> (j, k)`` (the
        solver's tree, replayed by the exact tree certificate); None otherwise.
    """

    status: BabStatus
    threshold: float
    upper_bound: float
    lower_bound: float
    witness_point: np.ndarray | None
    witness_sign: int
    witness_value: float
    stats: BabStats
    splits: dict | None = None

    @property
    def certified(self) -> bool:
        """Whether ``status`` is ``BabStatus.CERTIFIED``."""
        return self.status is BabStatus.CERTIFIED
