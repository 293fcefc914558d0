"""The one description of the machine that every benchmark prints."""
from __future__ import annotations

import os
import platform


def machine() -> str:
    """OS, CPU model, logical CPUs, Python, and the load average at the start (the
    machines here are shared: wall times grow with the load)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.platform()}, {cpu}, {os.cpu_count()} logical CPUs, "
            f"Python {platform.python_version()}, load average {load:.1f} at start")
