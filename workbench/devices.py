"""GPU discovery without importing torch (the CLI's validate and the TUI must stay torch-free).

NVML (nvidia-ml-py) answers how many CUDA devices exist and how busy they are. No GPU, or no NVIDIA
driver, is a normal state: every function here then returns an empty answer instead of raising.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any


@cache
def _nvml() -> Any | None:
    try:
        import pynvml

        pynvml.nvmlInit()
        return pynvml
    except Exception:  # no driver, no library, no GPU: all mean "no NVML here"
        return None


def cuda_device_count() -> int:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return 0
    nvml = _nvml()
    if nvml is None:
        return 0
    try:
        count = nvml.nvmlDeviceGetCount()
    except Exception:
        return 0
    if visible:
        count = min(count, len([v for v in visible.split(",") if v.strip()]))
    return count


def gpu_stats() -> list[dict[str, float]]:
    """Per GPU: NVML memory used/total (bytes), utilisation (%), temperature (C), power (W)."""
    nvml = _nvml()
    if nvml is None:
        return []
    stats = []
    for index in range(cuda_device_count()):
        try:
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            mem = nvml.nvmlDeviceGetMemoryInfo(handle)
            row: dict[str, float] = {"index": index, "nvml_used": float(mem.used), "nvml_total": float(mem.total)}
            row["utilization"] = float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
            row["temperature"] = float(nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU))
            row["power_w"] = nvml.nvmlDeviceGetPowerUsage(handle) / 1000.0
        except Exception:
            continue
        stats.append(row)
    return stats
