"""Which machine produced a result: stored next to benchmark and study results."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import numpy as np
import torch


def processor_name() -> str:
    """The CPU model as the operating system names it ("unknown" if it does not say)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe_machine() -> dict[str, str]:
    """CPU, core count, OS and the versions that decide the numbers (Python, numpy, torch)."""
    return {
        "processor": processor_name(),
        "cpus": str(os.cpu_count()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
    }


def machine_description() -> str:
    """The machine a result came from, one ``key: value`` per line (stored with it)."""
    return "".join(f"{key}: {value}\n" for key, value in describe_machine().items())
