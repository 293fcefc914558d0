"""The one description of the machine (and the code) that every benchmark prints.

``machine()`` is the line each script prints first; RESULTS.md copies it next to each
table. ``commit()`` and ``load()`` are its parts that ``run_all.py`` also reports alone.
"""
from __future__ import annotations

import os
import pathlib
import platform
import subprocess

#: BLAS / OpenMP thread settings that change the timings; printed when set.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def commit() -> str:
    """The short commit of the repository the benchmarks run from, ``+dirty`` when the
    working tree has uncommitted changes, ``unknown`` outside a git checkout."""
    root = pathlib.Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=30, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=30, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def load() -> str:
    """The 1, 5 and 15 minute load averages (the machines here are shared: wall times grow
    with the load)."""
    if not hasattr(os, "getloadavg"):
        return "load average unavailable"
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f}"


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """OS, CPU model, logical CPUs, Python, the thread settings, the commit, and the load
    average at the start."""
    threads = ", ".join(f"{k}={os.environ[k]}" for k in THREAD_VARIABLES if k in os.environ)
    return (f"{platform.platform()}, {cpu_model()}, {os.cpu_count()} logical CPUs, "
            f"Python {platform.python_version()}{', ' + threads if threads else ''}, "
            f"commit {commit()}, {load()} at start")
