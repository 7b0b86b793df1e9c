"""Learning-rate schedule: linear warmup, then cosine decay to min_lr_ratio (or constant)."""

from __future__ import annotations

import math

import torch

from workbench.config import TrainConfig


def lr_factor(step: int, total_steps: int, train: TrainConfig) -> float:
    if train.warmup_steps and step < train.warmup_steps:
        return (step + 1) / train.warmup_steps
    if train.schedule == "constant":
        return 1.0
    span = max(1, total_steps - train.warmup_steps)
    progress = min(1.0, (step - train.warmup_steps) / span)
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
    return train.min_lr_ratio + (1.0 - train.min_lr_ratio) * cosine


def build_scheduler(optimizer: torch.optim.Optimizer, total_steps: int, train: TrainConfig) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, total_steps, train))


def build_optimizer(model: torch.nn.Module, optim) -> torch.optim.Optimizer:  # optim: OptimConfig
    params = [p for p in model.parameters() if p.requires_grad]
    if optim.name == "sgd":
        return torch.optim.SGD(params, lr=optim.lr, momentum=optim.momentum, nesterov=optim.nesterov,
                               weight_decay=optim.weight_decay)
    cls = torch.optim.AdamW if optim.name == "adamw" else torch.optim.Adam
    return cls(params, lr=optim.lr, betas=tuple(optim.betas), weight_decay=optim.weight_decay)
