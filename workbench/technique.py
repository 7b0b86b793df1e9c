"""The technique API: how a training technique declares itself and plugs into the engine.

A technique is two things:

* a `TechniqueSpec` — its key, category, parameter schema (a pydantic model the UI renders as a form),
  method card, conflicts and needs. Specs import neither torch nor Textual, so the CLI catalog and the
  TUI builder can list and validate techniques instantly;
* an implementation, a subclass of `Technique`, named by the spec as "module:Class" and imported only in
  the trainer process. It sees the engine solely through the hook methods below and the `ctx` object
  (`workbench.engine.context.EngineContext`), and keeps all of its state inside itself.

Specs are discovered through the `workbench.techniques` entry-point group; the built-ins in `plugins/`
register exactly like a third-party package would.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:  # the engine side is only ever imported by the trainer
    from workbench.config import RunConfig
    from workbench.engine.context import EngineContext

ENTRY_POINT_GROUP = "workbench.techniques"

CATEGORIES = (
    "weight averaging",
    "training strategy",
    "memory & compute",
    "optimizer",
    "distributed",
)


class TechniqueParams(BaseModel):
    """Base for a technique's parameter schema: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Needs:
    """What a technique requires of the run; checked when a config is validated."""

    device: str | None = None  # "cuda": needs a CUDA device
    model: tuple[str, ...] = ()  # built-in model names it works with (empty: any)
    data: tuple[str, ...] = ()  # built-in data names it works with (empty: any)

    def unmet(self, config: RunConfig) -> list[str]:
        reasons = []
        if self.device == "cuda" and config.train.device == "cpu":
            reasons.append("needs a CUDA device; set train.device = \"cuda\" or \"auto\" on a GPU machine")
        if self.model and config.model.name not in self.model:
            reasons.append(f"needs model.name in {list(self.model)}, not {config.model.name!r}")
        if self.data and config.data.name not in self.data:
            reasons.append(f"needs data.name in {list(self.data)}, not {config.data.name!r}")
        return reasons

    def describe(self) -> str:
        parts = []
        if self.device:
            parts.append(f"device {self.device}")
        if self.model:
            parts.append("model " + "/".join(self.model))
        if self.data:
            parts.append("data " + "/".join(self.data))
        return ", ".join(parts) or "nothing special"


@dataclass(frozen=True)
class TechniqueSpec:
    key: str
    title: str
    category: str
    summary: str  # one line: what it does
    params: type[TechniqueParams]
    implementation: str  # "package.module:Class", imported only by the trainer
    card: str = ""  # the method card (Markdown): what it does, when you need it, cost
    conflicts: tuple[str, ...] = ()
    needs: Needs = field(default_factory=Needs)
    weight_sets: tuple[str, ...] = ()  # extra weight sets it evaluates beside "raw" (e.g. "ema")

    def load(self) -> type[Technique]:
        module, _, attr = self.implementation.partition(":")
        return getattr(importlib.import_module(module), attr)

    def param_fields(self) -> list[dict[str, Any]]:
        """The parameter schema flattened for forms and the catalog."""
        rows = []
        for name, info in self.params.model_fields.items():
            rows.append(
                {
                    "name": name,
                    "type": getattr(info.annotation, "__name__", str(info.annotation)),
                    "default": info.get_default(call_default_factory=True),
                    "description": info.description or "",
                    "constraints": ", ".join(_constraint_text(m) for m in info.metadata),
                }
            )
        return rows


def _constraint_text(meta: Any) -> str:
    for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if getattr(meta, attr, None) is not None:
            return f"{sym} {getattr(meta, attr)}"
    return str(meta)


def read_card(module_file: str) -> str:
    """A plugin keeps its method card in CARD.md beside its code."""
    path = Path(module_file).with_name("CARD.md")
    return path.read_text(encoding="utf-8") if path.exists() else ""


@cache
def registry() -> dict[str, TechniqueSpec]:
    """All installed techniques by key, discovered through the entry-point group."""
    specs: dict[str, TechniqueSpec] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        spec = ep.load()
        if not isinstance(spec, TechniqueSpec):
            raise TypeError(f"entry point {ep.name} = {ep.value} is not a TechniqueSpec")
        if spec.key != ep.name:
            raise ValueError(f"entry point {ep.name} points at technique {spec.key!r}")
        specs[spec.key] = spec
    return dict(sorted(specs.items()))


class Technique:
    """Base class of a technique implementation. Override only the hooks you need.

    Hooks run in this order (see docs/engine.md):

    setup → wrap_model → wrap_optimizer → [per epoch: on_epoch_start → per batch: transform_batch →
    compute_loss → (optimizer_step | engine step) → on_step_end → on_eval*] → on_train_end.

    Everything the technique needs to survive a resume goes through state_dict/load_state_dict.
    """

    spec: TechniqueSpec  # set by the engine

    def __init__(self, params: TechniqueParams) -> None:
        self.params = params

    def setup(self, ctx: EngineContext) -> None:
        """Called once the model, optimizer and data exist, before any wrapping."""

    def wrap_model(self, model: Any, ctx: EngineContext) -> Any:
        return model

    def wrap_optimizer(self, optimizer: Any, ctx: EngineContext) -> Any:
        return optimizer

    def transform_batch(self, batch: Any, ctx: EngineContext) -> Any:
        return batch

    def compute_loss(self, loss: Any, outputs: Any, batch: Any, ctx: EngineContext) -> Any:
        return loss

    # Return True if the technique performed the optimizer step itself (e.g. SAM's two passes).
    # `closure()` recomputes forward+loss+backward on the current batch and returns the loss.
    def optimizer_step(self, ctx: EngineContext, closure: Callable[[], Any]) -> bool:
        return False

    def on_epoch_start(self, ctx: EngineContext) -> None: ...

    def on_step_end(self, ctx: EngineContext) -> None:
        """After each optimizer step (weights have just changed)."""

    def on_epoch_end(self, ctx: EngineContext) -> None: ...

    def eval_weight_sets(self, ctx: EngineContext) -> dict[str, Any]:
        """Extra models to evaluate beside the raw weights, by weight-set name."""
        return {}

    def on_eval(self, results: dict[str, dict[str, float]], ctx: EngineContext) -> None: ...

    def on_train_end(self, ctx: EngineContext) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None: ...
