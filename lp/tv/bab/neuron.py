"""The node bound after neuron (ReLU) splits (proofs/branch_and_bound.md, Lemma 12).

A neuron split divides a node's region on the sign of one undecided sample ``a_i``: the
children are ``K = C cap {s_i <a_i, theta> >= 0}`` for ``s_i = +1`` and ``-1``, as in the
branch and bound of ReLU-network verification (beta-CROWN) where the split variable is a hidden
neuron. After splits on a set ``F`` of undecided rows with signs ``s_F``, on
``K = {G theta >= 0, s_i <a_i, theta> >= 0 (i in F)}``:

- the split terms are exact: ``Q_i <a_i, theta>`` (``s_i = +1``) or 0 (``s_i = -1``);
- the other undecided terms keep the cone's relaxation (Lemma 2: the interpolation over the
  rays of ``C`` for ``Q_i > 0``, slopes ``alpha_i in [0, 1]`` for ``Q_i < 0``), still valid
  on ``K`` since ``K`` is a subset of ``C``;

so ``eta <= <w, theta>`` on ``K`` and ``max_{K, ||theta|| <= 1} eta <= ||P_K(w)|| =
min_{lambda, mu >= 0} ||w + G^T lambda + sum_{i in F} mu_i s_i a_i||``: every non-negative
``(lambda, mu)`` gives an upper bound (weak duality), the minimum is the exact projection.

:func:`region_bound` computes it for a batch of nodes that share the number of split rows;
:func:`split_scores` ranks the undecided rows of a node for the split (the relaxation error of
each term at the bound's maximiser). Measured against input splitting in
``benchmarks/bench_bab_neuron.py`` (benchmarks/RESULTS.md, "session 9"); the search itself
splits inputs only.
"""
from __future__ import annotations

import numpy as np

from relucert.arrangement.cones import region_max
from relucert.lp.tv.bab import cones
from relucert.lp.tv.bab.slopes import projected_slopes
from relucert.lp.tv.bab.subregions import EXACT, project_batch

__all__ = ["region_majorant", "region_bound", "split_scores"]


def region_majorant(A: np.ndarray, Q: np.ndarray, act: np.ndarray, und: np.ndarray, Sn: np.ndarray,
                    G: np.ndarray, fixed: np.ndarray, plus: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``w`` (m, D) with ``sum_i Q_i relu(<a_i, theta>) <= <w, theta>`` on each node's region
    ``K = C cap {s_i <a_i, theta> >= 0, i in F}`` (Lemma 12).

    Parameters
    ----------
    A : np.ndarray, shape (n, D)
        Data rows.
    Q : np.ndarray, shape (m, n)
        Weights of each node.
    act, und : np.ndarray of bool, shape (m, n)
        Active and undecided rows of each node's cone ``C`` (``cones.classify``).
    Sn : np.ndarray, shape (m, n, D)
        ``<a_i, r_j / ||r_j||>`` on the cone's unit rays.
    G : np.ndarray, shape (m, D, D)
        The cone's inward normals (rows).
    fixed : np.ndarray of bool, shape (m, n)
        The split rows ``F`` (undecided on ``C``).
    plus : np.ndarray of bool, shape (m, n)
        Their signs (True: ``s_i = +1``; read on ``fixed`` only).
    alpha : np.ndarray, shape (m, n)
        Slopes in ``[0, 1]`` of the undecided negative rows not in ``F``.

    Returns
    -------
    np.ndarray, shape (m, D)
    """
    free = und & ~fixed
    on = act | (fixed & plus)
    return cones.linear_majorant(A, Q, on, free, Sn, G, alpha)


def region_bound(A: np.ndarray, Q: np.ndarray, act: np.ndarray, und: np.ndarray, Sn: np.ndarray, G: np.ndarray,
                 fixed: np.ndarray, plus: np.ndarray, zero: float, slope_iters: int):
    """The bound of Lemma 12 on nodes that all have ``k = |F|`` split rows.

    The slopes of the free undecided negative rows: ``slope_iters`` projected-gradient
    iterations (:func:`relucert.lp.tv.bab.slopes.projected_slopes` over the ``D + k`` rows of
    ``K``) from the centre slopes; any slopes in ``[0, 1]`` are valid. The value: the exact
    ``||P_K(w)||`` (batched Lawson-Hanson, :func:`relucert.lp.tv.bab.subregions.project_batch`;
    where that does not settle, scipy's NNLS alone, :func:`relucert.arrangement.region_max`:
    its multipliers are non-negative, so its value is an upper bound whatever its accuracy).

    Parameters
    ----------
    A, Q, act, und, Sn, G, fixed, plus
        As :func:`region_majorant`; every row of ``fixed`` has the same count ``k``.
    zero : float
        Relative sign slack (``tol.sign_zero``).
    slope_iters : int
        Projected-gradient iterations on the slopes (0: the centre slopes).

    Returns
    -------
    value : np.ndarray, shape (m,)
        Upper bounds of ``max eta`` over ``K`` and the unit ball.
    point : np.ndarray, shape (m, D)
        The maximiser of ``<w, theta>`` over ``K`` (zero rows where the value is 0).
    w : np.ndarray, shape (m, D)
        The majorant.
    """
    m, D = Q.shape[0], A.shape[1]
    k = int(fixed[0].sum()) if m else 0
    if m and not np.all(fixed.sum(axis=1) == k):
        raise ValueError("region_bound: every node of a batch must have the same number of split rows")
    Fidx = np.nonzero(fixed)[1].reshape(m, k)
    s = np.where(np.take_along_axis(plus, Fidx, axis=1), 1.0, -1.0)
    M = np.concatenate([G, s[:, :, None] * A[Fidx]], axis=1)          # (m, D + k, D): K = {M theta >= 0}
    neg = und & ~fixed & (Q < 0)
    alpha = cones.centre_alpha(Sn)
    if slope_iters:
        base = region_majorant(A, Q, act, und, Sn, G, fixed, plus, np.zeros_like(Q))
        alpha = projected_slopes(A, Q, neg, base, M, np.where(neg, alpha, 0.0), slope_iters)
    W = region_majorant(A, Q, act, und, Sn, G, fixed, plus, alpha)
    value, P, status = project_batch(W, M, zero)
    for j in np.flatnonzero(status != EXACT):     # not settled by the batch: scipy's NNLS, alone
        one = region_max(W[j], M[j])
        value[j], P[j] = one.value, one.projection
    return value, P, W


def split_scores(A: np.ndarray, Q: np.ndarray, und: np.ndarray, Sn: np.ndarray, G: np.ndarray,
                 alpha: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """The relaxation error of each undecided term at a point ``theta`` of each cone (m, n):
    ``<G^T (Q_i max(0, s_i)), theta> - Q_i relu(<a_i, theta>)`` for ``Q_i > 0`` (the
    interpolation) and ``Q_i (alpha_i <a_i, theta> - relu(<a_i, theta>))`` for ``Q_i < 0``;
    0 on decided rows. At the bound's maximiser it is what a neuron split on row ``i``
    removes from ``<w, theta>``; both parts are ``>= 0`` on the cone (Lemma 2).

    Parameters
    ----------
    A : np.ndarray, shape (n, D)
    Q : np.ndarray, shape (m, n)
    und : np.ndarray of bool, shape (m, n)
    Sn : np.ndarray, shape (m, n, D)
    G : np.ndarray, shape (m, D, D)
    alpha : np.ndarray, shape (m, n)
    theta : np.ndarray, shape (m, D)

    Returns
    -------
    np.ndarray, shape (m, n)
    """
    t = theta @ A.T if theta.ndim == 1 else np.einsum("md,nd->mn", theta, A)
    c = np.einsum("mjd,md->mj", G, theta)                          # theta's coefficients on the unit rays
    interp = np.einsum("mnj,mj->mn", np.maximum(Sn, 0.0), c)
    relu = np.maximum(t, 0.0)
    pos = und & (Q > 0)
    neg = und & (Q < 0)
    return np.where(pos, Q * (interp - relu), 0.0) + np.where(neg, Q * (alpha * t - relu), 0.0)
