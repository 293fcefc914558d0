"""matplotlib figures (Agg backend): regions, certificates, fits."""
from __future__ import annotations

import os

import numpy as np

__all__ = ["plot_regions"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_regions(arrangement, path: str | os.PathLike) -> str:
    """Draw the dual regions: d = 1 the arcs on the circle, d = 2 the great circles
    on the sphere (two hemispheres, orthographic). Returns the path written."""
    plt = _pyplot()
    d = arrangement.d
    Xl = arrangement.X_lift
    if d == 1:
        fig, ax = plt.subplots(figsize=(5, 5))
        t = np.linspace(0, 2 * np.pi, 400)
        ax.plot(np.cos(t), np.sin(t), color="0.7")
        for i, x in enumerate(Xl):
            normal_angle = np.arctan2(x[1], x[0])
            for a in (normal_angle + np.pi / 2, normal_angle - np.pi / 2):
                ax.plot([0, np.cos(a)], [0, np.sin(a)], lw=0.8)
            ax.annotate(f"H{i}", (1.08 * np.cos(normal_angle + np.pi / 2), 1.08 * np.sin(normal_angle + np.pi / 2)),
                        fontsize=7, ha="center")
        P = arrangement.interior
        ax.scatter(P[:, 0], P[:, 1], s=12, color="k", zorder=3, label="chamber interior points")
        ax.set_aspect("equal")
        ax.set_xlabel("w")
        ax.set_ylabel("b")
        ax.set_title(f"{arrangement.n_chambers} dual regions on the circle")
        ax.legend(loc="lower right", fontsize=7)
    elif d == 2:
        fig, axes = plt.subplots(1, 2, figsize=(10, 5))
        t = np.linspace(0, 2 * np.pi, 720)
        for ax, hemi in zip(axes, (1.0, -1.0)):
            ax.add_patch(plt.Circle((0, 0), 1, fill=False, color="0.6"))
            for i, x in enumerate(Xl):
                nrm = x / np.linalg.norm(x)
                a = np.cross(nrm, [1.0, 0, 0] if abs(nrm[0]) < 0.9 else [0, 1.0, 0])
                a /= np.linalg.norm(a)
                b = np.cross(nrm, a)
                pts = np.outer(np.cos(t), a) + np.outer(np.sin(t), b)
                keep = pts[:, 2] * hemi >= 0
                seg = np.where(keep[:, None], pts, np.nan)
                line, = ax.plot(seg[:, 0], seg[:, 1], lw=0.7)
                if keep.any():
                    j = np.flatnonzero(keep)[len(np.flatnonzero(keep)) // 2]
                    ax.annotate(f"H{i}", (seg[j, 0], seg[j, 1]), fontsize=6, color=line.get_color())
            P = arrangement.interior
            sel = P[:, 2] * hemi > 0
            ax.scatter(P[sel, 0], P[sel, 1], s=6, color="k", zorder=3)
            ax.set_aspect("equal")
            ax.set_xlim(-1.1, 1.1)
            ax.set_ylim(-1.1, 1.1)
            ax.set_xlabel("w1")
            ax.set_ylabel("w2")
            ax.set_title(f"hemisphere b {'>' if hemi > 0 else '<'} 0")
        fig.suptitle(f"{arrangement.n_chambers} dual regions on S^2 (orthographic view)")
    else:
        raise ValueError(f"plots of regions need d = 1 or 2; got d = {d}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return os.fspath(path)
