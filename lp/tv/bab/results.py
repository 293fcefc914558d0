"""Result types of the branch and bound (:func:`relucert.lp.tv.bab.maximise`,
:func:`relucert.lp.tv.bab.certify`)."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

__all__ = ["BabStatus", "BabStats", "BabScan", "BabCertificate"]


class BabStatus(str, Enum):
    CERTIFIED = "certified"
    VIOLATED = "violated"
    LIMIT = "limit"


@dataclass(frozen=True)
class BabStats:
    """``n_nodes`` evaluated nodes, ``n_leaves`` exact leaves, ``n_pruned`` nodes closed
    by their bound, ``n_open`` nodes left open, ``max_depth``, ``wall_time_s``."""

    n_nodes: int
    n_leaves: int
    n_pruned: int
    n_open: int
    max_depth: int
    wall_time_s: float


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

    @property
    def n_found(self) -> int:
        return int(self.value.shape[0])


@dataclass(frozen=True)
class BabCertificate:
    """Result of :func:`certify`: ``status``; ``upper_bound`` on ``max |eta_p|`` (valid
    for every status; at most ``threshold`` when certified); ``lower_bound`` the largest
    ``|eta_p|`` met at a point; the witness (unit point, sign, value > threshold) when
    violated."""

    status: BabStatus
    threshold: float
    upper_bound: float
    lower_bound: float
    witness_point: np.ndarray | None
    witness_sign: int
    witness_value: float
    stats: BabStats

    @property
    def certified(self) -> bool:
        return self.status is BabStatus.CERTIFIED
