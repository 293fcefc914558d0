"""matplotlib figures (Agg backend): regions, certificates, fits."""
from __future__ import annotations

import os

import numpy as np

__all__ = ["plot_regions", "save_figure", "figure_format", "check_figure_path"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | os.PathLike, *, dpi: int) -> str:
    """Lay out ``fig``, write it to ``path`` (creating its folder) and close it;
    returns the path written. Every relucert figure is saved through here."""
    from relucert._atomic import atomic_open

    path = os.fspath(path)
    plt = _pyplot()
    try:
        fig.tight_layout()
        with atomic_open(path, "wb") as fh:
            fig.savefig(fh, dpi=dpi, format=figure_format(path))
    finally:
        plt.close(fig)
    return path


def figure_format(path: str | os.PathLike) -> str:
    """The image format of ``path`` from its extension (matplotlib's default without
    one); ``ValueError`` naming the path for a format matplotlib cannot write."""
    import matplotlib
    from matplotlib.backend_bases import FigureCanvasBase

    ext = os.path.splitext(os.fspath(path))[1][1:].lower()
    fmt = ext or str(matplotlib.rcParams["savefig.format"])
    supported = FigureCanvasBase.get_supported_filetypes()
    if fmt not in supported:
        raise ValueError(f"--plot {os.fspath(path)!r}: matplotlib cannot write {fmt!r} figures; "
                         f"use one of {sorted(supported)}")
    return fmt


def check_figure_path(path: str | os.PathLike, *, d: int | None = None, max_d: int = 2) -> str:
    """Before long work: the figure ``path`` has a writable location and a known format,
    and the data's dimension ``d`` (when given) can be drawn. Raises ``ValueError``."""
    from relucert._atomic import check_writable

    if d is not None and d > max_d:
        raise ValueError(f"--plot draws d = 1 or {max_d} data only; this data has d = {d} (drop --plot)")
    figure_format(path)
    return check_writable(path, "--plot file")


def plot_regions(arrangement, path: str | os.PathLike, *, max_labels: int = 40) -> str:
    """Draw the dual regions and write the figure to ``path``; returns the path.

    d = 1: the circle of directions ``(w, b)``, cut into arcs (one colour per chamber)
    at the crossing points of the lines ``w x_i + b = 0``, which are labelled ``H_i``.
    d = 2: the sphere ``S^2`` as two hemispheres (``b > 0`` and ``b < 0``) in
    stereographic projection (conformal: regions near the equator are not squashed as in
    an orthographic view), each great circle ``H_i`` drawn and labelled at its point
    nearest the hemisphere's pole, and one dot per chamber at its interior point.
    At most ``max_labels`` hyperplanes are labelled.
    """
    plt = _pyplot()
    d = arrangement.d
    Xl = arrangement.X_lift
    n = Xl.shape[0]
    label_every = max(1, int(np.ceil(n / max_labels)))
    if d == 1:
        fig, ax = plt.subplots(figsize=(6.5, 6.8))
        crossings = []
        for i, x in enumerate(Xl):
            a = np.arctan2(x[1], x[0])
            crossings += [(np.mod(a + np.pi / 2, 2 * np.pi), i), (np.mod(a - np.pi / 2, 2 * np.pi), i)]
        angles = np.array(sorted({round(c[0], 12) for c in crossings}))
        cmap = plt.get_cmap("tab20")
        for k in range(len(angles)):
            a0 = angles[k]
            a1 = angles[(k + 1) % len(angles)] + (2 * np.pi if k + 1 == len(angles) else 0.0)
            t = np.linspace(a0, a1, 60)
            mid = 0.5 * (a0 + a1)
            theta = np.array([np.cos(mid), np.sin(mid)])
            act = (Xl @ theta) > 0
            ax.plot(np.cos(t), np.sin(t), lw=6, color=cmap(k % 20), solid_capstyle="butt")
            if len(angles) <= 40:
                ax.annotate("".join("+" if s else "-" for s in act) if n <= 8 else str(k),
                            (0.8 * np.cos(mid), 0.8 * np.sin(mid)), fontsize=7, ha="center", va="center")
        labelled = {}
        for a, i in crossings:
            ax.plot([0.96 * np.cos(a), 1.04 * np.cos(a)], [0.96 * np.sin(a), 1.04 * np.sin(a)], color="k", lw=1)
            key = round(a, 9)
            if i % label_every == 0:
                labelled.setdefault(key, []).append(i)
        last_angle, level = None, 0
        for key in sorted(labelled):  # stagger the labels of nearby crossings outwards
            idx = labelled[key]
            level = level + 1 if last_angle is not None and key - last_angle < 0.09 else 0
            last_angle = key
            radius = 1.12 + 0.1 * (level % 3)
            ax.annotate("H" + ",".join(map(str, idx[:4])) + ("..." if len(idx) > 4 else ""),
                        (radius * np.cos(key), radius * np.sin(key)), fontsize=7, ha="center", va="center")
        ax.set_aspect("equal")
        ax.set_xlim(-1.45, 1.45)
        ax.set_ylim(-1.45, 1.45)
        ax.set_xlabel("w")
        ax.set_ylabel("b")
        ax.set_title(f"{arrangement.n_chambers} dual regions: arcs of the circle of (w, b)\n"
                     f"ticks: w x_i + b = 0 (H_i)" + ("" if len(angles) > 40 else
                                                        "; arcs labelled by sign pattern" if n <= 8 else
                                                        "; arcs numbered"),
                     fontsize=10)
    elif d == 2:
        fig, axes = plt.subplots(1, 2, figsize=(12, 6.2))
        t = np.linspace(0, 2 * np.pi, 1441)
        cmap = plt.get_cmap("tab10")
        for ax, hemi in zip(axes, (1.0, -1.0)):
            ax.add_patch(plt.Circle((0, 0), 1, fill=False, color="0.5", lw=1))
            for i, x in enumerate(Xl):
                nrm = x / np.linalg.norm(x)
                a = np.cross(nrm, [1.0, 0, 0] if abs(nrm[0]) < 0.9 else [0, 1.0, 0])
                a /= np.linalg.norm(a)
                b = np.cross(nrm, a)
                pts = np.outer(np.cos(t), a) + np.outer(np.sin(t), b)
                pts[pts[:, 2] * hemi < 0] = np.nan
                proj = pts[:, :2] / (1.0 + np.abs(pts[:, 2:3]))
                color = cmap(i % 10)
                ax.plot(proj[:, 0], proj[:, 1], lw=0.9, color=color)
                if i % label_every == 0:
                    z = np.where(np.isnan(pts[:, 2]), -np.inf, pts[:, 2] * hemi)
                    j = int(np.argmax(z))
                    if np.isfinite(z[j]):
                        ax.annotate(f"H{i}", (proj[j, 0], proj[j, 1]), fontsize=7, color=color,
                                    xytext=(2, 2), textcoords="offset points",
                                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.7))
            P = arrangement.interior
            sel = P[:, 2] * hemi > 0
            if sel.sum() <= 5000:
                Q = P[sel, :2] / (1.0 + np.abs(P[sel, 2:3]))
                ax.scatter(Q[:, 0], Q[:, 1], s=5, color="k", zorder=3)
            ax.set_aspect("equal")
            ax.set_xlim(-1.08, 1.08)
            ax.set_ylim(-1.08, 1.08)
            ax.set_xlabel("w1 / (1 + |b|)")
            ax.set_ylabel("w2 / (1 + |b|)")
            ax.set_title(f"hemisphere b {'>' if hemi > 0 else '<'} 0 (centre: b = {'+' if hemi > 0 else '-'}1)")
        fig.suptitle(f"{arrangement.n_chambers} dual regions on S^2 (stereographic view of each hemisphere); "
                     f"great circles H_i: <w, x_i> + b = 0; dots: one interior point per region")
    else:
        raise ValueError(f"plots of regions need d = 1 or 2; got d = {d}")
    return save_figure(fig, path, dpi=120)
