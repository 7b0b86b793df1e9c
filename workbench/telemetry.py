"""Process, system and GPU telemetry for the trainer.

Process RSS and CPU always; CUDA allocated/reserved/peak when training on CUDA; NVML device memory,
utilisation, temperature and power wherever NVML exists. No GPU is a normal state.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import psutil
import torch

from workbench.devices import gpu_stats


class Telemetry:
    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.process = psutil.Process()
        self.process.cpu_percent(None)  # the first call only starts the measurement interval

    def sample(self) -> dict[str, Any]:
        sample: dict[str, Any] = {
            "rss": float(self.process.memory_info().rss),
            "cpu_percent": self.process.cpu_percent(None),
            "ram_percent": psutil.virtual_memory().percent,
        }
        if self.device.type == "cuda":
            sample["cuda_allocated"] = float(torch.cuda.memory_allocated(self.device))
            sample["cuda_reserved"] = float(torch.cuda.memory_reserved(self.device))
            sample["cuda_peak"] = float(torch.cuda.max_memory_allocated(self.device))
        gpus = gpu_stats()
        if gpus:
            sample["gpus"] = gpus
        return sample


@contextmanager
def count_saved_activations(exclude: set[int]) -> Iterator[dict[str, int]]:
    """Measure the bytes autograd keeps for the backward pass during the enclosed forward.

    Every tensor saved for backward passes through the pack hook; distinct storages are counted once,
    and storages in `exclude` (the parameters' data pointers: saved too, but not activations) are
    skipped. Under gradient checkpointing a segment's inner activations are not saved (they are
    recomputed in backward), which is exactly the saving this figure shows.
    """
    seen: set[int] = set()
    result = {"bytes": 0}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        try:
            storage = tensor.untyped_storage()
            ptr, size = storage.data_ptr(), storage.nbytes()
        except (RuntimeError, NotImplementedError):  # tensors without a plain storage
            return tensor
        if ptr not in seen and ptr not in exclude:
            seen.add(ptr)
            result["bytes"] += size
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        yield result
