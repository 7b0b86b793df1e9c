"""EMA implementation: a shadow model updated in place with fused foreach ops after optimizer steps."""

from __future__ import annotations

import copy
from typing import Any

import torch
from workbench_plugins.ema import EMAParams

from workbench.engine.context import EngineContext
from workbench.technique import Technique


class EMA(Technique):
    params: EMAParams

    def __init__(self, params: EMAParams) -> None:
        super().__init__(params)
        self.shadow: torch.nn.Module | None = None
        self.updates = 0  # averaging updates done (0: the next update copies the weights)

    def setup(self, ctx: EngineContext) -> None:
        self.shadow = copy.deepcopy(ctx.raw_model).eval()
        for p in self.shadow.parameters():
            p.requires_grad_(False)

    def decay_at(self, update: int) -> float:
        """The decay used for the `update`-th averaging update (1-based, after the initial copy)."""
        p = self.params
        if not p.warmup:
            return p.decay
        warm = 1.0 - (1.0 + update / p.warmup_gamma) ** -p.warmup_power
        return max(p.min_decay, min(p.decay, warm))

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        assert self.shadow is not None
        shadow_floats, model_floats = [], []
        for s, m in zip(
            list(self.shadow.parameters()) + list(self.shadow.buffers()),
            list(model.parameters()) + list(model.buffers()),
            strict=True,
        ):
            if self.updates == 0 or not s.is_floating_point():
                s.copy_(m.detach())
            else:
                shadow_floats.append(s)
                model_floats.append(m.detach())
        if shadow_floats:
            torch._foreach_lerp_(shadow_floats, model_floats, 1.0 - self.decay_at(self.updates))
        self.updates += 1

    def on_step_end(self, ctx: EngineContext) -> None:
        if ctx.step < self.params.start_step or (ctx.step - self.params.start_step) % self.params.update_every:
            return
        first = self.updates == 0
        self.update(ctx.raw_model)
        if first:
            ctx.event("ema", f"EMA started at step {ctx.step} (decay {self.params.decay})")
        elif self.params.warmup and self.decay_at(self.updates - 1) < self.params.decay <= self.decay_at(self.updates):
            ctx.event("ema", f"EMA warmup finished at step {ctx.step}")

    def eval_weight_sets(self, ctx: EngineContext) -> dict[str, Any]:
        assert self.shadow is not None
        return {"ema": self.shadow}

    def state_dict(self) -> dict[str, Any]:
        assert self.shadow is not None
        return {"shadow": self.shadow.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        assert self.shadow is not None
        self.shadow.load_state_dict(state["shadow"])
        self.updates = state["updates"]
