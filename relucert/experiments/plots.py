"""Figures of the low-noise sweep and of the theorem suite (matplotlib, Agg)."""
from __future__ import annotations

import os

import numpy as np

from relucert.plots import _pyplot, save_figure

__all__ = ["plot_sweep", "plot_suite_summary", "plot_suite_slopes"]


def _fit_line(lams, errs):
    lams = np.asarray(lams, dtype=np.float64)
    errs = np.asarray(errs, dtype=np.float64)
    ok = np.isfinite(errs) & (errs > 0)
    if np.count_nonzero(ok) < 2:
        return None
    slope, icpt = np.polyfit(np.log(lams[ok]), np.log(errs[ok]), 1)
    return slope, lams[ok], np.exp(icpt) * lams[ok] ** slope


def plot_sweep(result, path: str | os.PathLike) -> str:
    """Left: log-log location and amplitude errors against lam with the fitted slopes
    (over the fit lams); right: the number of Diracs against lam. Returns the path.

    Parameters
    ----------
    result : LowNoiseResult
    path : str or path-like

    Returns
    -------
    str
        The path written.
    """
    plt = _pyplot()
    pts = sorted(result.sweep, key=lambda p: p.lam)
    lams = np.array([p.lam for p in pts])
    fit = result.slopes.get("fit_lams") or []
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
    free = [j for j in range(len(result.atoms)) if j not in result.pinned]
    loc = np.array([float(np.max(p.loc_errs[free])) if free else np.nan for p in pts])
    amp = np.array([p.amp_err for p in pts])
    dual = np.array([np.nan if p.dual_dist is None else p.dual_dist for p in pts])
    for name, errs, marker, key in (("location error (rad)", loc, "o", "loc_err"),
                                    ("relative amplitude error", amp, "s", "amp_err"),
                                    ("||p_lam - q(C)||", dual, "^", "dual_dist")):
        ok = np.isfinite(errs) & (errs > 0)
        if not np.any(ok):
            continue
        line, = ax.loglog(lams[ok], errs[ok], marker=marker, ls="-", label=name)
        sel = np.isin(lams, fit)
        f = _fit_line(lams[sel], errs[sel])
        if f is not None:
            ax.loglog(f[1], f[2], ls="--", color=line.get_color(), alpha=0.7,
                      label=f"fit: slope {result.slopes.get(key) if result.slopes.get(key) is not None else f[0]:.3f}")
    top = np.r_[loc, amp]
    top = top[np.isfinite(top) & (top > 0)]
    if len(lams) and top.size:
        ax.loglog(lams, lams / lams.max() * float(top.max()), color="0.6", lw=0.8, ls=":", label="slope 1")
    ax.set_xlabel("lam")
    ax.set_ylabel("error")
    c = result.critical.value
    ax.set_title(f"low-noise sweep, C = {result.noise_scale:.3g}, c_crit = {c:.3g}")
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    bx.semilogx(lams, [p.n_diracs for p in pts], marker="o", label="Diracs of (P_lam)")
    bx.axhline(len(result.atoms), color="k", ls="--", lw=0.8, label="atoms of (P_0)")
    bx.set_xlabel("lam")
    bx.set_ylabel("number of Diracs")
    bx.yaxis.get_major_locator().set_params(integer=True)
    bx.legend(fontsize=7)
    bx.grid(True, which="both", alpha=0.3)
    return save_figure(fig, path, dpi=110)


def plot_suite_summary(counts: dict, path: str | os.PathLike) -> str:
    """Stacked bars per statement: holds / hypothesis fails / VIOLATED.
    ``counts[statement][verdict] = int``.

    Parameters
    ----------
    counts : dict
    path : str or path-like

    Returns
    -------
    str
        The path written.
    """
    from relucert.experiments.theorems.outcomes import VERDICTS as verdicts

    plt = _pyplot()
    names = list(counts)
    colours = ("tab:green", "tab:gray", "tab:red")
    fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(names)), 4))
    bottom = np.zeros(len(names))
    for v, col in zip(verdicts, colours):
        vals = np.array([counts[s].get(v, 0) for s in names], dtype=float)
        ax.bar(names, vals, bottom=bottom, color=col, label=v)
        bottom += vals
    ax.set_ylabel("instances")
    ax.set_title("theorem suite: verdicts per statement")
    ax.legend(fontsize=8)
    plt.setp(ax.get_xticklabels(), rotation=20, ha="right", fontsize=8)
    return save_figure(fig, path, dpi=110)


def plot_suite_slopes(sweeps: list, path: str | os.PathLike) -> str:
    """Overlay of the low-noise error curves (amplitude and location) of every instance
    where the low-noise hypothesis held. ``sweeps``: list of (label, LowNoiseResult).

    Parameters
    ----------
    sweeps : list of (str, LowNoiseResult)
    path : str or path-like

    Returns
    -------
    str
        The path written.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for label, res in sweeps:
        pts = sorted(res.sweep, key=lambda p: p.lam)
        lams = np.array([p.lam for p in pts])
        amp = np.array([p.amp_err for p in pts])
        ok = amp > 0
        if np.any(ok):
            ax.loglog(lams[ok], amp[ok], marker=".", lw=0.8, label=f"{label} amp")
        free = [j for j in range(len(res.atoms)) if j not in res.pinned]
        if free:
            loc = np.array([float(np.max(p.loc_errs[free])) for p in pts])
            ok = np.isfinite(loc) & (loc > 0)
            if np.any(ok):
                ax.loglog(lams[ok], loc[ok], ls="--", lw=0.8, label=f"{label} loc")
    ax.set_xlabel("lam")
    ax.set_ylabel("error")
    ax.set_title("low-noise errors where the hypotheses hold")
    ax.grid(True, which="both", alpha=0.3)
    if sweeps:
        ax.legend(fontsize=5, ncol=2)
    return save_figure(fig, path, dpi=110)
