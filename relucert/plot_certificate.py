"""Figures of a dual certificate eta (matplotlib, Agg): d = 1 eta against the angle
of theta = (cos t, sin t) with the region boundaries and the atoms; d = 2 a map of eta on
S^2 (longitude/latitude of theta = (w1, w2, b)) with the great circles H_i."""
from __future__ import annotations

import os

import numpy as np

from relucert.plots import _pyplot, save_figure
from relucert.solution import relu_features

__all__ = ["plot_certificate", "plot_eta"]


def plot_certificate(report, path: str | os.PathLike) -> str:
    """Draw ``report``'s certificate with its atoms and extremal set (d = 1 or 2)."""
    atoms = [(a.theta, a.amplitude) for a in report.atoms]
    extremal = [(q.theta, q.sign) for q in report.extremal.points]
    title = (f"lam = {report.lam:g}: {report.support_size} atom(s), |E| = {report.support_bound}, "
             f"measure {report.unique}, function {report.unique_function}")
    return plot_eta(report.solution.X, report.dual, path, atoms=atoms, extremal=extremal, title=title)


def plot_eta(X, p, path, *, atoms=(), extremal=(), title: str = "") -> str:
    """Draw ``eta_p`` for data ``X`` (see the module docstring). Returns the path."""
    plt = _pyplot()
    X = np.asarray(X, dtype=np.float64)
    Xl = np.hstack([X, np.ones((X.shape[0], 1))])
    p = np.asarray(p, dtype=np.float64)
    d = X.shape[1]
    if d == 1:
        fig, ax = plt.subplots(figsize=(9, 4))
        t = np.linspace(-np.pi, np.pi, 4001)
        T = np.c_[np.cos(t), np.sin(t)]
        eta = p @ relu_features(Xl, T)
        ax.plot(t, eta, color="k", lw=1.2, label="eta")
        for lvl in (1.0, -1.0):
            ax.axhline(lvl, color="0.5", ls="--", lw=0.8)
        for i, x in enumerate(Xl):
            base = np.arctan2(x[1], x[0])
            for a in (base + np.pi / 2, base - np.pi / 2):
                a = (a + np.pi) % (2 * np.pi) - np.pi
                ax.axvline(a, color="tab:blue", lw=0.5, alpha=0.6)
        for th, s in extremal:
            ax.plot(np.arctan2(th[1], th[0]), s, "o", mfc="none", mec="tab:orange", ms=10)
        for th, a in atoms:
            ax.plot(np.arctan2(th[1], th[0]), np.sign(a), "o", color="tab:red", ms=6)
        ax.plot([], [], color="tab:blue", lw=0.5, label="region boundaries (H_i)")
        ax.plot([], [], "o", mfc="none", mec="tab:orange", label="extremal set E")
        ax.plot([], [], "o", color="tab:red", label="atoms")
        ax.set_xlabel("angle of theta = (w, b) = (cos t, sin t)")
        ax.set_ylabel("eta")
        ax.set_xlim(-np.pi, np.pi)
        ax.legend(loc="best", fontsize=7, framealpha=0.6)
    elif d == 2:
        fig, ax = plt.subplots(figsize=(10, 5))
        lon = np.linspace(-np.pi, np.pi, 721)
        lat = np.linspace(-np.pi / 2, np.pi / 2, 361)
        LO, LA = np.meshgrid(lon, lat)
        T = np.stack([np.cos(LA) * np.cos(LO), np.cos(LA) * np.sin(LO), np.sin(LA)], axis=-1).reshape(-1, 3)
        eta = (p @ relu_features(Xl, T)).reshape(LA.shape)
        im = ax.imshow(eta, origin="lower", extent=(-180, 180, -90, 90), cmap="RdBu_r", vmin=-1, vmax=1,
                       aspect="auto")
        fig.colorbar(im, ax=ax, label="eta")
        s = np.linspace(0, 2 * np.pi, 1441)
        for x in Xl:
            nrm = x / np.linalg.norm(x)
            a = np.cross(nrm, [1.0, 0, 0] if abs(nrm[0]) < 0.9 else [0, 1.0, 0])
            a /= np.linalg.norm(a)
            b = np.cross(nrm, a)
            pts = np.outer(np.cos(s), a) + np.outer(np.sin(s), b)
            lo = np.degrees(np.arctan2(pts[:, 1], pts[:, 0]))
            la = np.degrees(np.arcsin(np.clip(pts[:, 2], -1, 1)))
            jump = np.abs(np.diff(lo)) > 180
            lo = lo.copy()
            la = la.copy()
            lo[1:][jump] = np.nan
            ax.plot(lo, la, color="k", lw=0.5, alpha=0.7)

        def _ll(th):
            return np.degrees(np.arctan2(th[1], th[0])), np.degrees(np.arcsin(np.clip(th[2], -1, 1)))

        for th, sg in extremal:
            ax.plot(*_ll(th), "o", mfc="none", mec="k", ms=11)
        for th, a in atoms:
            ax.plot(*_ll(th), "*", color="gold" if a > 0 else "cyan", mec="k", ms=12)
        ax.plot([], [], "o", mfc="none", mec="k", label="extremal set E")
        ax.plot([], [], "*", color="gold", mec="k", label="atom, amplitude > 0")
        ax.plot([], [], "*", color="cyan", mec="k", label="atom, amplitude < 0")
        ax.set_xlabel("longitude of (w1, w2) [deg]")
        ax.set_ylabel("latitude = asin(b) [deg]")
        ax.set_xlim(-180, 180)
        ax.set_ylim(-90, 90)
        ax.legend(loc="best", fontsize=7, framealpha=0.6)
    else:
        raise ValueError(f"certificate plots need d = 1 or 2; got d = {d}")
    if title:
        ax.set_title(title, fontsize=9)
    return save_figure(fig, path, dpi=110)
