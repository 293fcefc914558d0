"""When and how the exchange polishes a candidate (proofs/exchange_method.md).

Polishing (Newton's method on the support pattern, :mod:`relucert.lp.tv.polish`) is tried
once the violation is small (``max |eta_p| <= 1 + tol.polish_violation``: the support pattern has then
usually settled), and again only after the certified gap has dropped by
``EXCHANGE_POLISH_RETRY`` since the last failed try (for lam > 0: and is within
``EXCHANGE_POLISH_GAP_FACTOR`` times ``tol.obj_gap``; so are the first try and a stalled
gap's try on more than ``EXCHANGE_POLISH_EAGER_ATOMS`` atoms), or when the gap stalls (it did not
shrink by ``EXCHANGE_STALL_FACTOR`` in a round; on such a large network, after a failed try, only
once the gap is ``EXCHANGE_POLISH_STALL_RETRY`` times that try's), or to polish a certified answer
once more.
Failed tries are the cost at large n (two Newton solves per snapping distance); the
exchange itself shrinks the gap linearly. Each try walks a ladder of snapping distances
(none, then ``tol.snap_distance`` times ``EXCHANGE_SNAP_LADDER``) and skips support patterns that
already failed. A polished candidate is accepted only after the same certified evaluation.
"""
from __future__ import annotations

import numpy as np

from relucert._model import relu_features
from relucert.lp.compensated import residual
from relucert.lp.tv.candidate import CandidateEvaluation, evaluate_candidate
from relucert.lp.tv.merge import merge_atoms, sign_vectors
from relucert.lp.tv.oracle_api import Oracle, OracleScan
from relucert.lp.tv.polish import polish_pruned, snap_to_faces
from relucert.tolerances import (EXCHANGE_POLISH_EAGER_ATOMS, EXCHANGE_POLISH_GAP_FACTOR, EXCHANGE_POLISH_RETRY,
                                 EXCHANGE_POLISH_STALL_RETRY, EXCHANGE_SNAP_LADDER, EXCHANGE_STALL_FACTOR, Tolerances)

__all__ = ["PolishPolicy", "snap_ladder", "drop_negligible"]


def snap_ladder(tol: Tolerances) -> list[float]:
    """Snapping distances tried when identifying the support pattern.

    Parameters
    ----------
    tol : Tolerances
        ``tol.snap_distance`` scales the ladder.

    Returns
    -------
    list of float
        No snapping (0.0), then ``tol.snap_distance`` times ``EXCHANGE_SNAP_LADDER`` (smallest first).
    """
    return [0.0] + [tol.snap_distance * f for f in EXCHANGE_SNAP_LADDER]


def _pattern_key(Xl, theta, amplitude, tol):
    sig = sign_vectors(Xl, theta, tol)
    return tuple(sorted((int(np.sign(a)), s.tobytes()) for a, s in zip(amplitude, sig)))


class PolishPolicy:
    """The polishing state of one exchange run (failed patterns, the gap at the last try).

    Parameters
    ----------
    oracle : Oracle
        The exchange run's oracle (holds the lifted data ``X_lift``, (n, D)).
    y : ndarray, shape (n,)
        Targets.
    lam : float
        Regularisation weight; 0 for (P_0).
    tol : Tolerances
        Tolerances of the run.

    Attributes
    ----------
    oracle, y, lam, tol
        As given.
    failed_patterns : set of tuple
        Support patterns (sign and sign vector of every atom) whose polishing failed.
    last_try : float
        Relative gap at the last polishing try (inf before the first).
    previous : float
        Relative gap of the previous round (inf before the first).
    """

    def __init__(self, oracle: Oracle, y: np.ndarray, lam: float, tol: Tolerances):
        self.oracle, self.y, self.lam, self.tol = oracle, y, lam, tol
        self.failed_patterns: set = set()
        self.last_try = np.inf
        self.previous = np.inf

    def should_try(self, scan: OracleScan, n_atoms: int, cands: list) -> bool:
        """Whether to polish this round (call once per round: it tracks the gap's progress).

        Parameters
        ----------
        scan : OracleScan
            This round's scan.
        n_atoms : int
            Atoms of the merged network.
        cands : list of CandidateEvaluation
            This round's evaluated candidate (empty when the scan was incomplete).

        Returns
        -------
        bool
            True when this round's candidate should be polished.
        """
        violation = cands[0].rel_gap() if cands else np.inf
        stalled = violation >= EXCHANGE_STALL_FACTOR * self.previous
        self.previous = violation
        # lam > 0: a failed try is retried only once the gap is within EXCHANGE_POLISH_GAP_FACTOR
        # of tol.obj_gap (or it stalls): before, the pattern is rarely found and a try costs a round
        # (so is a first try on more than EXCHANGE_POLISH_EAGER_ATOMS atoms: there it failed at seconds a try)
        small = n_atoms <= EXCHANGE_POLISH_EAGER_ATOMS
        first = not np.isfinite(self.last_try) and small
        close = violation <= EXCHANGE_POLISH_GAP_FACTOR * self.tol.obj_gap
        near = self.lam == 0 or first or close
        # a stall retries a large network (lam > 0) only that close to the target too, and after a
        # failed try only once the gap is EXCHANGE_POLISH_STALL_RETRY times that try's
        stalled = stalled and (self.lam == 0 or small or (close and violation <= EXCHANGE_POLISH_STALL_RETRY
                                                          * self.last_try))
        go = bool(scan.conclusive and n_atoms and scan.max_value <= 1.0 + self.tol.polish_violation
                  and ((near and violation <= EXCHANGE_POLISH_RETRY * self.last_try) or stalled
                       or cands[0].certified))
        if go:
            self.last_try = violation
        return go

    def _plain_dual(self, cand: CandidateEvaluation) -> bool:
        """Whether ``cand`` was judged on its own dual ``(y - K mu)/lam`` (as
        :func:`evaluate_candidate` forms it), not on the refined dual of a near miss: a polished
        candidate is accepted only then, so that the answer's re-verification from its measure
        alone (``relucert.verify``) reaches the same gap (in X's units near 1e6 it did not)."""
        if self.lam == 0 or cand.theta.shape[0] == 0:
            return True
        r_hi, r_lo = residual(self.y, relu_features(self.oracle.X_lift, cand.theta), cand.amplitude)
        return bool(np.array_equal(r_hi / self.lam + r_lo / self.lam, cand.p))

    def run(self, theta: np.ndarray, amplitude: np.ndarray, p: np.ndarray, entry: dict):
        """Polish ``(theta, amplitude)`` along the snapping ladder.

        Parameters
        ----------
        theta : ndarray, shape (k, D)
            Unit atom directions of this round's merged network.
        amplitude : ndarray, shape (k,)
            Their signed weights.
        p : ndarray, shape (n,)
            Its dual vector.
        entry : dict
            This round's log: ``polish`` (outcomes) and ``polished_gap`` are appended.

        Returns
        -------
        CandidateEvaluation or None
            The first certified polished candidate, or None.
        """
        Xl, tol = self.oracle.X_lift, self.tol
        outcomes = entry.setdefault("polish", [])
        for distance in snap_ladder(tol):
            if distance > 0:
                th_s, a_s = merge_atoms(Xl, snap_to_faces(Xl, theta, distance, tol), amplitude, tol)
            else:
                th_s, a_s = theta, amplitude
            key = _pattern_key(Xl, th_s, a_s, tol)
            if key in self.failed_patterns:
                continue
            why: list = []
            out = polish_pruned(Xl, self.y, self.lam, th_s, a_s, p, tol=tol, why=why)
            if out is None:
                self.failed_patterns.add(key)
                outcomes.append(f"snap {distance:g}: " + "; ".join(why))
                continue
            th2, a2 = merge_atoms(Xl, out[0], out[1], tol)
            pol = evaluate_candidate(self.oracle, self.y, self.lam, th2, a2, out[2] if self.lam == 0 else None,
                                     tol=tol, warm=True)
            entry.setdefault("polished_gap", []).append(pol.duality_gap)
            outcomes.append(f"snap {distance:g}: {'certified' if pol.certified else 'rejected'}, "
                            f"{th2.shape[0]} atoms, max|eta| >= {pol.max_abs_certificate:.12g}"
                            + (f", gap {pol.rel_gap():.2e}" if pol.scan.conclusive else ""))
            if pol.certified and self._plain_dual(pol):
                return pol
            self.failed_patterns.add(key)
        return None


def drop_negligible(oracle: Oracle, y: np.ndarray, lam: float, cand: CandidateEvaluation,
                    tol: Tolerances) -> CandidateEvaluation:
    """The certified answer without its negligible atoms, when that is certified too.

    Atoms with amplitude at most ``tol.prune_amplitude`` times the largest are dropped, the rest
    re-polished on the smaller pattern and re-evaluated.

    Parameters
    ----------
    oracle : Oracle
        The oracle the candidate was evaluated with (holds ``X_lift``, (n, D)).
    y : ndarray, shape (n,)
        Targets.
    lam : float
        Regularisation weight; 0 for (P_0).
    cand : CandidateEvaluation
        A certified candidate.
    tol : Tolerances
        ``tol.prune_amplitude`` is the relative amplitude below which atoms are dropped.

    Returns
    -------
    CandidateEvaluation
        Whichever is certified with the smaller support.
    """
    amp = cand.amplitude
    if amp.size < 2:
        return cand
    small = np.abs(amp) <= tol.prune_amplitude * float(np.max(np.abs(amp)))
    if not np.any(small) or np.all(small):
        return cand
    Xl = oracle.X_lift
    out = polish_pruned(Xl, y, lam, cand.theta[~small], amp[~small], cand.p, tol=tol, max_drop=0)
    if out is None:
        return cand
    th, a = merge_atoms(Xl, out[0], out[1], tol)
    new = evaluate_candidate(oracle, y, lam, th, a, out[2] if lam == 0 else None, tol=tol)
    return new if new.certified else cand
