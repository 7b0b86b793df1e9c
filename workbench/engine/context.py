"""The small object a technique sees of the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import torch

if TYPE_CHECKING:
    from workbench.config import RunConfig
    from workbench.data import Datasets


@dataclass
class EngineContext:
    config: RunConfig
    device: torch.device
    data: Datasets
    raw_model: torch.nn.Module  # the unwrapped model: its parameters are the trained weights
    model: torch.nn.Module  # what the loop calls (possibly wrapped by techniques)
    optimizer: torch.optim.Optimizer
    total_steps: int
    steps_per_epoch: int
    autocast: Callable[[], Any]  # context manager factory for the run's precision
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    emit: Callable[..., None]  # emit(source, message, **data): a timeline event
    step: int = 0  # optimizer steps completed
    epoch: int = 0  # current epoch (0-based)
    # A technique may restrict or order the samples of the coming epoch (curriculum learning).
    train_indices: torch.Tensor | None = None
    scheduler: Any = None
    memory: dict[str, float] = field(default_factory=dict)  # peak figures techniques may add (bytes)

    def event(self, source: str, message: str, **data: Any) -> None:
        self.emit(source, message, **data)
