"""In-process engine construction for tests (the trainer process does the same with real I/O)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from workbench.config import RunConfig, resolve
from workbench.data import build_data
from workbench.engine.loop import Engine
from workbench.models import build_model
from workbench.trainer import build_techniques


class ListRecorder:
    """Keeps what the engine reports, and can ask the engine to stop at a given step."""

    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []
        self.engine: Engine | None = None
        self.stop_at: int | None = None

    def _add(self, kind: str, **fields: Any) -> None:
        self.records.append((kind, fields))

    def train(self, **f: Any) -> None:
        self._add("train", **f)
        if self.stop_at is not None and self.engine and f["step"] >= self.stop_at:
            self.engine.request_stop()

    def eval(self, **f: Any) -> None:
        self._add("eval", **f)

    def memory(self, sample: dict[str, Any]) -> None:
        self._add("memory", **sample)

    def event(self, source: str, message: str, **data: Any) -> None:
        self._add("event", source=source, message=message, **data)

    def checkpoint(self, **f: Any) -> None:
        self._add("checkpoint", **f)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [f for k, f in self.records if k == kind]


def make_config(**sections: Any) -> RunConfig:
    raw: dict[str, Any] = {
        "model": {"name": "mlp", "width": 32, "depth": 1},
        "data": {"name": "digits", "batch_size": 64},
        "train": {"epochs": 2, "device": "cpu", "log_every": 1},
        "optim": {"name": "adamw", "lr": 3e-3},
    }
    for key, value in sections.items():
        raw[key] = {**raw.get(key, {}), **value} if isinstance(value, dict) and key != "techniques" else value
    return resolve(raw, "test", check_device=False)


def make_engine(config: RunConfig, checkpoint: Path | None = None, techniques: list | None = None,
                recorder: ListRecorder | None = None) -> tuple[Engine, ListRecorder]:
    torch.manual_seed(config.seed)
    data = build_data(config.data, config.seed)
    model = build_model(config.model, data.spec)
    recorder = recorder or ListRecorder()
    techs = build_techniques(config) + list(techniques or [])
    engine = Engine(config, data, model, techs, torch.device("cpu"), recorder, checkpoint)
    recorder.engine = engine
    return engine, recorder


def flat_params(module: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in module.parameters()])
