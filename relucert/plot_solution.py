"""Figures of a solved problem (matplotlib, Agg): the fitted network and its certificate.

* d = 1: the fitted function with the data and the kinks, and the certificate
  ``eta_p(theta)`` on the circle of neurons ``theta = (cos t, sin t)``.
* d = 2: contours of the fitted function with the data and every neuron's kink line
  ``<w, x> + b = 0``.
"""
from __future__ import annotations

import os

import numpy as np

from relucert.plots import _pyplot, save_figure

__all__ = ["plot_solution"]


def _certificate(X_lift: np.ndarray, p: np.ndarray, theta: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, theta @ X_lift.T) @ p


def plot_solution(solution, path: str | os.PathLike) -> str:
    """Draw ``solution`` (a :class:`~relucert.solution.Solution`) to ``path``; returns it.

    Raises ValueError for d > 2 (no faithful picture).
    """
    plt = _pyplot()
    X, y = solution.X, solution.y
    d = X.shape[1]
    th, amp = solution.theta, solution.amplitude
    Xl = np.hstack([X, np.ones((X.shape[0], 1))])
    title = (f"lam = {solution.lam:g}: {solution.n_atoms} neurons, objective {solution.objective:.6g}, "
             f"gap {solution.duality_gap:.1e}")
    if d == 1:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
        lo, hi = float(X.min()), float(X.max())
        pad = 0.15 * max(hi - lo, 1.0)
        grid = np.linspace(lo - pad, hi + pad, 600)[:, None]
        ax.plot(grid[:, 0], solution.predict(grid), color="C0", label="fitted network")
        ax.scatter(X[:, 0], y, color="k", s=18, zorder=3, label="data")
        kinks = [-b / w for (w, b) in th if abs(w) > 0]
        for k, xk in enumerate(kinks):
            ax.axvline(xk, color="C3", lw=0.7, ls="--", label="kinks" if k == 0 else None)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        ax.set_xlim(grid[0, 0], grid[-1, 0])
        ax.legend(fontsize=8)
        ax.set_title(title, fontsize=9)
        t = np.linspace(-np.pi, np.pi, 2000)
        circ = np.stack([np.cos(t), np.sin(t)], axis=1)
        ax2.plot(t, _certificate(Xl, solution.dual, circ), color="C2", label=r"$\eta_p(\theta)$")
        ax2.axhline(1.0, color="0.5", lw=0.7)
        ax2.axhline(-1.0, color="0.5", lw=0.7)
        ang = np.arctan2(th[:, 1], th[:, 0])
        ax2.scatter(ang, np.sign(amp), color="C3", zorder=3, label="neurons")
        ax2.set_xlabel(r"angle of $\theta = (w, b)$")
        ax2.set_title(f"certificate, max|eta| = {solution.max_abs_certificate:.10g}", fontsize=9)
        ax2.legend(fontsize=8)
    elif d == 2:
        fig, ax = plt.subplots(figsize=(6.5, 5.5))
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = 0.15 * np.maximum(hi - lo, 1.0)
        g0 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], 200)
        g1 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], 200)
        G0, G1 = np.meshgrid(g0, g1)
        F = solution.predict(np.stack([G0.ravel(), G1.ravel()], axis=1)).reshape(G0.shape)
        cs = ax.contourf(G0, G1, F, levels=20, cmap="viridis")
        fig.colorbar(cs, ax=ax, label="f(x)")
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="viridis", edgecolors="w", s=30, zorder=3)
        for k, (w0, w1, b) in enumerate(th):
            color = "C3" if amp[k] > 0 else "C1"
            if abs(w1) >= abs(w0):
                ax.plot(g0, -(w0 * g0 + b) / w1, color=color, lw=1)
            elif abs(w0) > 0:
                ax.plot(-(w1 * g1 + b) / w0, g1, color=color, lw=1)
        ax.set_xlim(g0[0], g0[-1])
        ax.set_ylim(g1[0], g1[-1])
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        ax.set_title(title + "\nneuron lines: red a > 0, orange a < 0", fontsize=9)
    else:
        raise ValueError(f"plot_solution draws d = 1 or d = 2 data; got d = {d}")
    return save_figure(fig, path, dpi=120)
