"""The training loop and its hook points (documented in docs/engine.md).

One optimizer step consumes `train.grad_accum` micro-batches. The loop owns precision (autocast and,
for fp16, a GradScaler), clipping, the lr schedule, evaluation, checkpoints and divergence detection;
techniques change its behaviour only through the `Technique` hooks.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

import torch
import torch.nn.functional as F

from workbench.config import RunConfig
from workbench.data import Datasets, TensorData, batches, num_batches
from workbench.engine import checkpoint as ckpt
from workbench.engine.context import EngineContext
from workbench.engine.schedule import build_optimizer, build_scheduler
from workbench.technique import Technique
from workbench.telemetry import Telemetry, count_saved_activations


class Recorder(Protocol):
    """Where the engine reports: the trainer writes these to the event log and the tracker."""

    def train(self, *, step: int, epoch: int, loss: float, lr: float, step_time_s: float, throughput: float) -> None: ...
    def eval(self, *, step: int, epoch: int, weights: str, metrics: dict[str, float]) -> None: ...
    def memory(self, sample: dict[str, Any]) -> None: ...
    def event(self, source: str, message: str, **data: Any) -> None: ...
    def checkpoint(self, *, step: int, epoch: int, path: str) -> None: ...


@dataclass
class Outcome:
    status: str  # completed | stopped | diverged
    step: int
    epoch: int


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def classification_loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    if outputs.dim() == 3:  # language model: [B, T, V] against [B, T]
        return F.cross_entropy(outputs.flatten(0, 1), targets.flatten())
    return F.cross_entropy(outputs, targets)


class Engine:
    def __init__(
        self,
        config: RunConfig,
        data: Datasets,
        model: torch.nn.Module,
        techniques: list[Technique],
        device: torch.device,
        recorder: Recorder,
        checkpoint_path: Path | None = None,
    ) -> None:
        self.config = config
        self.train_cfg = config.train
        self.techniques = techniques
        self.device = device
        self.recorder = recorder
        self.checkpoint_path = checkpoint_path
        self.stop_requested = False

        model = model.to(device)
        optimizer = build_optimizer(model, config.optim)
        batches_per_epoch = num_batches(len(data.train), config.data.batch_size)
        steps_per_epoch = math.ceil(batches_per_epoch / self.train_cfg.grad_accum)
        total = self.train_cfg.max_steps or steps_per_epoch * self.train_cfg.epochs
        self.epochs = math.ceil(total / steps_per_epoch)

        precision = self.train_cfg.precision
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
        self.scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")

        def autocast() -> Any:
            if dtype is None:
                return contextlib.nullcontext()
            return torch.autocast(device_type=device.type, dtype=dtype)

        self.ctx = EngineContext(
            config=config,
            device=device,
            data=data,
            raw_model=model,
            model=model,
            optimizer=optimizer,
            total_steps=total,
            steps_per_epoch=steps_per_epoch,
            autocast=autocast,
            criterion=classification_loss,
            emit=recorder.event,
        )
        for tech in techniques:
            tech.setup(self.ctx)
        for tech in techniques:
            self.ctx.model = tech.wrap_model(self.ctx.model, self.ctx)
        for tech in techniques:
            self.ctx.optimizer = tech.wrap_optimizer(self.ctx.optimizer, self.ctx)
        self.ctx.scheduler = build_scheduler(self.ctx.optimizer, total, self.train_cfg)
        self.telemetry = Telemetry(device)
        self.unit_per_sample = data.spec.seq_len if data.spec.unit == "tokens" else 1
        self.batch_in_epoch = 0
        self._activations_measured = False

    # -- public -------------------------------------------------------------------------------
    @property
    def total_steps(self) -> int:
        return self.ctx.total_steps

    def request_stop(self) -> None:
        self.stop_requested = True

    def run(self, resume: dict[str, Any] | None = None) -> Outcome:
        ctx = self.ctx
        if resume is not None:
            self._load_state(resume)
        cfg = self.train_cfg
        last_sample_t = 0.0
        window_loss: list[torch.Tensor] = []
        window_t0 = time.perf_counter()
        window_samples = 0
        evaluated_at = -1
        ctx.model.train()

        while ctx.step < ctx.total_steps:
            if self.batch_in_epoch == 0:
                for tech in self.techniques:
                    tech.on_epoch_start(ctx)
            for micro_batches in self._epoch_steps(ctx.epoch, skip=self.batch_in_epoch):
                loss = self._optimizer_step(micro_batches)
                window_loss.append(loss)
                window_samples += sum(len(mb[0]) for mb in micro_batches)
                self.batch_in_epoch += len(micro_batches)
                ctx.step += 1
                for tech in self.techniques:
                    tech.on_step_end(ctx)

                at_end = ctx.step >= ctx.total_steps
                checkpoint_due = bool(cfg.checkpoint_every and ctx.step % cfg.checkpoint_every == 0)
                # Losses stay on the device between log points (no per-step sync); they are checked
                # whenever they are logged and always before a checkpoint, so no checkpoint ever holds
                # weights from after a NaN/Inf.
                if ctx.step % cfg.log_every == 0 or at_end or self.stop_requested or checkpoint_due:
                    bad_step = self._first_nonfinite_step(window_loss)
                    if bad_step is not None:
                        return Outcome("diverged", bad_step, ctx.epoch)
                if ctx.step % cfg.log_every == 0 or at_end or self.stop_requested:
                    elapsed = time.perf_counter() - window_t0
                    self.recorder.train(
                        step=ctx.step, epoch=ctx.epoch, loss=float(torch.stack(window_loss).mean()),
                        lr=ctx.optimizer.param_groups[0]["lr"],
                        step_time_s=elapsed / len(window_loss),
                        throughput=window_samples * self.unit_per_sample / max(elapsed, 1e-9),
                    )
                    now = time.monotonic()
                    if now - last_sample_t >= self.config.tracking.system_every_s:
                        self._record_memory()
                        last_sample_t = now
                    window_loss, window_samples, window_t0 = [], 0, time.perf_counter()

                if cfg.eval_every and ctx.step % cfg.eval_every == 0:
                    self.evaluate()
                    evaluated_at = ctx.step
                if checkpoint_due and not at_end:
                    self.save_checkpoint()
                if self.stop_requested:
                    self.save_checkpoint()
                    return Outcome("stopped", ctx.step, ctx.epoch)
                if at_end:
                    break
            else:  # the epoch ran to its end
                bad_step = self._first_nonfinite_step(window_loss)
                if bad_step is not None:
                    return Outcome("diverged", bad_step, ctx.epoch)
                for tech in self.techniques:
                    tech.on_epoch_end(ctx)
                self.batch_in_epoch = 0
                ctx.epoch += 1
                if not cfg.eval_every:
                    self.evaluate()
                    evaluated_at = ctx.step
                if not cfg.checkpoint_every and ctx.step < ctx.total_steps:
                    self.save_checkpoint()
                continue
            break  # reached total_steps mid-epoch

        for tech in self.techniques:
            tech.on_train_end(ctx)
        if evaluated_at != ctx.step:
            self.evaluate()
        self.save_checkpoint()  # the finished weights: a teacher for distillation, or a start for fine-tuning
        return Outcome("completed", ctx.step, ctx.epoch)

    def _first_nonfinite_step(self, window_loss: list[torch.Tensor]) -> int | None:
        if not window_loss:
            return None
        finite = torch.isfinite(torch.stack(window_loss).float().cpu())
        if bool(finite.all()):
            return None
        return self.ctx.step - len(window_loss) + int((~finite).nonzero()[0]) + 1

    # -- the step -----------------------------------------------------------------------------
    def _epoch_steps(self, epoch: int, skip: int = 0):
        """Groups of micro-batches, one group per optimizer step. Each epoch's order is a pure
        function of (seed, epoch), so a resumed run continues exactly where it stopped."""
        ctx = self.ctx
        generator = torch.Generator().manual_seed(self.config.seed * 100_003 + epoch)
        stream = batches(ctx.data.train, self.config.data.batch_size, shuffle=True, generator=generator,
                         indices=ctx.train_indices)
        group: list[tuple[torch.Tensor, torch.Tensor]] = []
        for index, (x, y) in enumerate(stream):
            if index < skip:
                continue
            group.append((x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)))
            if len(group) == self.train_cfg.grad_accum:
                yield group
                group = []
        if group:
            yield group

    def _forward_backward(self, micro_batches: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        ctx = self.ctx
        total = torch.zeros((), device=self.device)
        for index, batch in enumerate(micro_batches):
            for tech in self.techniques:
                batch = tech.transform_batch(batch, ctx)
            x, y = batch
            measure = index == 0 and not self._activations_measured
            with self._activation_probe() if measure else contextlib.nullcontext(), ctx.autocast():
                outputs = ctx.model(x)
                loss = ctx.criterion(outputs, y)
                for tech in self.techniques:
                    loss = tech.compute_loss(loss, outputs, batch, ctx)
            self.scaler.scale(loss / len(micro_batches)).backward()
            total += loss.detach().float()
        return total / len(micro_batches)

    @contextlib.contextmanager
    def _activation_probe(self):
        """The first forward of a trainer also measures the activation memory kept for backward."""
        params = {p.untyped_storage().data_ptr() for p in self.ctx.raw_model.parameters()}
        with count_saved_activations(params) as saved:
            yield
        self.ctx.memory["activations"] = float(saved["bytes"])
        self._activations_measured = True

    def _optimizer_step(self, micro_batches: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        ctx = self.ctx
        ctx.optimizer.zero_grad(set_to_none=True)
        loss = self._forward_backward(micro_batches)

        def closure() -> torch.Tensor:
            ctx.optimizer.zero_grad(set_to_none=True)
            return self._forward_backward(micro_batches)

        if not any(tech.optimizer_step(ctx, closure) for tech in self.techniques):
            if self.train_cfg.grad_clip is not None:
                self.scaler.unscale_(ctx.optimizer)
                torch.nn.utils.clip_grad_norm_(ctx.raw_model.parameters(), self.train_cfg.grad_clip)
            self.scaler.step(ctx.optimizer)
            self.scaler.update()
        ctx.scheduler.step()
        return loss

    # -- evaluation, telemetry, checkpoints ----------------------------------------------------
    def weight_sets(self) -> dict[str, torch.nn.Module]:
        sets: dict[str, torch.nn.Module] = {"raw": self.ctx.model}
        for tech in self.techniques:
            sets.update(tech.eval_weight_sets(self.ctx))
        return sets

    @torch.no_grad()
    def evaluate(self) -> dict[str, dict[str, float]]:
        ctx = self.ctx
        results = {}
        for name, model in self.weight_sets().items():
            results[name] = evaluate_model(model, ctx.data.val, self.config.data.batch_size, self.device, ctx.autocast,
                                           ctx.criterion)
            self.recorder.eval(step=ctx.step, epoch=ctx.epoch, weights=name, metrics=results[name])
        ctx.model.train()
        for tech in self.techniques:
            tech.on_eval(results, ctx)
        self._record_memory()
        return results

    def _record_memory(self) -> None:
        sample = self.telemetry.sample()
        sample.update(self.ctx.memory)
        self.recorder.memory(sample)

    def state_dict(self) -> dict[str, Any]:
        ctx = self.ctx
        return {
            "model": ctx.raw_model.state_dict(),
            "optimizer": ctx.optimizer.state_dict(),
            "scheduler": ctx.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "techniques": {tech.spec.key: tech.state_dict() for tech in self.techniques},
            "step": ctx.step,
            "epoch": ctx.epoch,
            "batch_in_epoch": self.batch_in_epoch,
            "train_indices": ctx.train_indices,
            "rng": ckpt.rng_state(),
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        ctx = self.ctx
        ctx.raw_model.load_state_dict(state["model"])
        ctx.optimizer.load_state_dict(state["optimizer"])
        ctx.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        for tech in self.techniques:
            if tech.spec.key in state["techniques"]:
                tech.load_state_dict(state["techniques"][tech.spec.key])
        ctx.step, ctx.epoch = state["step"], state["epoch"]
        self.batch_in_epoch = state["batch_in_epoch"]
        ctx.train_indices = state.get("train_indices")
        ckpt.set_rng_state(state["rng"])

    def save_checkpoint(self) -> None:
        if self.checkpoint_path is None:
            return
        ckpt.save_atomic(self.state_dict(), self.checkpoint_path)
        self.recorder.checkpoint(step=self.ctx.step, epoch=self.ctx.epoch, path=str(self.checkpoint_path))


@torch.no_grad()
def evaluate_model(
    model: torch.nn.Module,
    data: TensorData,
    batch_size: int,
    device: torch.device,
    autocast: Callable[[], Any],
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> dict[str, float]:
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=device, dtype=torch.float64)
    correct = torch.zeros((), device=device, dtype=torch.int64)
    count = 0
    for x, y in batches(data, batch_size, shuffle=False):
        x, y = x.to(device), y.to(device)
        with autocast():
            outputs = model(x)
        outputs = outputs.float()
        n = y.numel()
        loss_sum += criterion(outputs, y).double() * n
        correct += (outputs.argmax(-1) == y).sum()
        count += n
    model.train(was_training)
    return {"val_loss": float(loss_sum) / max(count, 1), "val_acc": float(correct) / max(count, 1)}
