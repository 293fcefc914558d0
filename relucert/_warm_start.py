"""Warm starts of the exchange method: the columns a solve starts from.

A warm start is only a starting set of atoms (columns of the first finite program); the
run still certifies on its own complete scan, so no warm start can make an answer wrong
(proofs/exchange_method.md, "Warm starts"). Two producers live here:

- :func:`warm_start_atoms`: ``relucert.solve(..., warm_start=...)``'s argument (a previous
  Solution, an array of directions, or directions with amplitudes) as the exchange's
  ``init_atoms`` in the solver's internal units;
- :func:`data_seed`: a data-driven starting set for budget-limited fits (the least-squares
  affine fit, exactly representable by two atoms, plus gates through data points).
"""
from __future__ import annotations

import numpy as np

from relucert._model import lift

__all__ = ["warm_start_atoms", "data_seed"]


def _directions(theta, D: int) -> np.ndarray:
    try:
        T = np.asarray(theta, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"warm_start: the atom directions must be a float array of shape (k, {D}); "
                        f"got {type(theta).__name__}") from None
    if T.ndim == 1 and T.size == D:
        T = T[None, :]
    if T.ndim != 2 or T.shape[1] != D:
        raise ValueError(f"warm_start: the atom directions must have shape (k, {D}) (n_features + 1 "
                         f"columns: w and b); got shape {T.shape}")
    if not np.all(np.isfinite(T)):
        raise ValueError("warm_start: the atom directions must be finite; got NaN or inf")
    norms = np.linalg.norm(T, axis=1)
    if np.any(norms == 0):
        raise ValueError(f"warm_start: atom direction {int(np.flatnonzero(norms == 0)[0])} is zero; "
                         "directions must be nonzero (they are normalised to the sphere)")
    return T / norms[:, None]


def warm_start_atoms(warm_start, X: np.ndarray, amp_scale: float) -> tuple | None:
    """The exchange's ``init_atoms`` for ``warm_start``.

    Parameters
    ----------
    warm_start : Solution, array (k, D) or tuple (theta (k, D), amplitude (k,)), or None
        A Solution (its atoms and amplitudes), atom directions ``theta = (w, b)`` (any
        nonzero scale: normalised here; each is started with both signs), or directions
        with signed amplitudes (the first finite program is warm-started with them).
    X : ndarray (n, d)
        The data: atoms whose feature ``relu(<theta, x~_i>)`` is 0 at every sample (a
        column of zeros, no use to any finite program) are dropped.
    amp_scale : float
        User amplitude per internal amplitude (``c_y / s_x``, relucert.solver).

    Returns
    -------
    tuple or None
        ``(theta, sign)`` or ``(theta, sign, weights)`` (unit directions, signs +-1,
        weights >= 0 in internal units), or None for an empty warm start.

    Raises
    ------
    TypeError, ValueError
        A warm start of the wrong kind or shape, non-finite, or with a zero direction.
    """
    if warm_start is None:
        return None
    D = X.shape[1] + 1
    amplitude = None
    if hasattr(warm_start, "theta") and hasattr(warm_start, "amplitude"):
        theta, amplitude = warm_start.theta, warm_start.amplitude
    elif isinstance(warm_start, tuple):
        if len(warm_start) != 2:
            raise ValueError(f"warm_start: a tuple must be (theta, amplitude); got {len(warm_start)} items")
        theta, amplitude = warm_start
    else:
        theta = warm_start
    if np.size(theta) == 0:
        return None
    T = _directions(theta, D)
    live = np.any(lift(X) @ T.T > 0, axis=0)
    if amplitude is None:
        T = T[live]
        return (np.vstack([T, T]), np.concatenate([np.ones(len(T)), -np.ones(len(T))])) if len(T) else None
    try:
        a = np.asarray(amplitude, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise TypeError(f"warm_start: amplitude must be a float array of shape ({len(T)},)") from None
    if a.shape != (len(T),) or not np.all(np.isfinite(a)):
        raise ValueError(f"warm_start: amplitude must be {len(T)} finite floats (one per direction); "
                         f"got shape {a.shape}")
    # the norm of (w, b) moves into the amplitude: a relu(<theta, x~>) = a ||theta|| relu(<theta / ||theta||, x~>)
    a = a * np.linalg.norm(np.asarray(theta, dtype=np.float64).reshape(len(T), D), axis=1)
    T, a = T[live], a[live]
    if not len(T):
        return None
    sign = np.where(a < 0, -1.0, 1.0)
    zero = a == 0  # no sign given: both signs, weight 0
    T = np.vstack([T, T[zero]])
    sign = np.concatenate([sign, -np.ones(int(zero.sum()))])
    weights = np.concatenate([np.abs(a), np.zeros(int(zero.sum()))]) / amp_scale
    return T, sign, weights


def data_seed(X: np.ndarray, y: np.ndarray, n_gates: int, seed) -> tuple[np.ndarray, np.ndarray]:
    """A starting set that already fits well: ``(theta, amplitude)`` for ``warm_start``.

    - The least-squares affine fit ``<w, x> + b = relu(<w, x> + b) - relu(-<w, x> - b)``:
      two atoms ``+-(w, b) / ||(w, b)||`` with amplitudes ``+-||(w, b)||`` (exact).
    - ``n_gates`` gates ``relu(<u, x - x_k>)`` through data points ``x_k`` (``u`` a random
      unit direction, ``k`` a random sample), each direction and its opposite, amplitude 0
      (the first finite program decides).

    Parameters
    ----------
    X : ndarray (n, d)
    y : ndarray (n,)
    n_gates : int >= 0
    seed : int, numpy Generator or None
        ``np.random.default_rng(seed)``: the same seed gives the same columns.

    Returns
    -------
    theta : ndarray (k, d + 1)
    amplitude : ndarray (k,)
    """
    Xl = lift(X)
    n, D = Xl.shape
    coef = np.linalg.lstsq(Xl, y, rcond=None)[0]
    thetas, amps = [], []
    r = float(np.linalg.norm(coef))
    if r > 0:
        thetas += [coef / r, -coef / r]
        amps += [r, -r]
    rng = np.random.default_rng(seed)
    if n_gates > 0 and D > 1:
        U = rng.standard_normal((n_gates, D - 1))
        U /= np.maximum(np.linalg.norm(U, axis=1, keepdims=True), np.finfo(np.float64).tiny)
        k = rng.integers(0, n, size=n_gates)
        G = np.hstack([U, -np.einsum("gd,gd->g", U, X[k])[:, None]])
        G = G[np.linalg.norm(G, axis=1) > 0]
        G /= np.linalg.norm(G, axis=1, keepdims=True)
        thetas += list(G) + list(-G)
        amps += [0.0] * (2 * len(G))
    if not thetas:
        return np.zeros((0, D)), np.zeros(0)
    return np.array(thetas), np.array(amps)
