"""The figure of a regularisation path (Agg backend): objective, neurons, TV norm and
training error against lam, and for d <= 2 the neurons' kinks sliding with lam."""
from __future__ import annotations

import os

import numpy as np

__all__ = ["plot_path"]

_DPI = 120


def _kinks_1d(ax, result) -> None:
    for pt in result.points:
        w, b = pt.theta[:, 0], pt.theta[:, 1]
        ok = w != 0
        x = -b[ok] / w[ok]
        pos = pt.amplitude[ok] > 0
        ax.scatter(np.full(int(pos.sum()), pt.lam), x[pos], c="tab:red", s=12, marker="^")
        ax.scatter(np.full(int((~pos).sum()), pt.lam), x[~pos], c="tab:blue", s=12, marker="v")
    lo, hi = float(result.X.min()), float(result.X.max())
    ax.set_ylim(lo - (hi - lo) / 4, hi + (hi - lo) / 4)
    ax.set_xscale("log")
    ax.set_xlabel("lam")
    ax.set_ylabel("kink x = -b/w (red: a > 0, blue: a < 0)")
    ax.set_title("kinks along the path")


def _kinks_2d(ax, result, fig) -> None:
    import matplotlib as mpl

    lams = result.lams
    norm = mpl.colors.LogNorm(vmin=float(lams.min()), vmax=float(lams.max()))
    cmap = mpl.colormaps["viridis"]
    lo, hi = result.X.min(axis=0), result.X.max(axis=0)
    pad = (hi - lo) / 4
    x0, x1 = lo[0] - pad[0], hi[0] + pad[0]
    y0, y1 = lo[1] - pad[1], hi[1] + pad[1]
    for pt in result.points:
        color = cmap(norm(pt.lam))
        for w1, w2, b in pt.theta:
            if abs(w2) >= abs(w1):  # x2 = -(w1 x1 + b) / w2
                xs = np.array([x0, x1])
                ax.plot(xs, -(w1 * xs + b) / w2, color=color, lw=1)
            else:
                ys = np.array([y0, y1])
                ax.plot(-(w2 * ys + b) / w1, ys, color=color, lw=1)
    ax.scatter(result.X[:, 0], result.X[:, 1], c="k", s=8)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_title("kink lines, coloured by lam")
    fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="lam")


def plot_path(result, path: str | os.PathLike) -> str:
    """Draw ``result`` (a :class:`relucert.path.PathResult`) to ``path``; returns the path.

    Points that are not optimal are marked with a red cross on every curve."""
    from relucert.plots import _pyplot, save_figure

    plt = _pyplot()
    d = result.X.shape[1]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    lams = result.lams
    bad = np.array([not pt.success for pt in result.points])
    panels = [("objective", "objective  0.5||f(X)-y||^2 + lam TV"), ("n_neurons", "neurons"),
              ("tv_norm", "TV norm"), ("train_mse", "training MSE")]
    for ax, (name, label) in zip(axes.flat, panels):
        values = result.column(name)
        ax.plot(lams, values, "o-", ms=3)
        if bad.any():
            ax.plot(lams[bad], values[bad], "x", color="red", ms=9, label="not optimal")
            ax.legend()
        ax.set_xscale("log")
        ax.set_xlabel("lam")
        ax.set_title(label)
        ax.axvline(result.lam_max, color="gray", ls=":")
    if d == 1:
        _kinks_1d(axes.flat[4], result)
    elif d == 2:
        _kinks_2d(axes.flat[4], result, fig)
    else:
        axes.flat[4].set_axis_off()
    axes.flat[5].set_axis_off()
    status = "all points optimal" if result.success else f"{int(bad.sum())} points NOT optimal"
    fig.suptitle(f"regularisation path: n = {result.X.shape[0]}, d = {d}, lam_max = {result.lam_max:.6g} "
                 f"(dotted), {status}")
    return save_figure(fig, path, dpi=_DPI)
