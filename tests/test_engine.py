"""The engine loop: steps, accumulation, schedule, precision, evaluation, checkpoints, resume, divergence."""

from __future__ import annotations

import math

import pytest
import torch
from engine_helpers import flat_params, make_config, make_engine

from workbench.engine import checkpoint as ckpt
from workbench.engine.schedule import lr_factor
from workbench.technique import Technique, TechniqueParams, TechniqueSpec


def test_runs_the_planned_steps_and_evaluates_each_epoch():
    engine, rec = make_engine(make_config())
    outcome = engine.run()
    assert outcome.status == "completed" and outcome.step == engine.total_steps
    assert engine.total_steps == 2 * math.ceil(len(engine.ctx.data.train) / 64)
    evals = rec.of("eval")
    assert [e["step"] for e in evals] == [engine.ctx.steps_per_epoch, engine.total_steps]
    assert evals[-1]["metrics"]["val_acc"] > 0.8  # it learned the digits
    assert [t["step"] for t in rec.of("train")] == list(range(1, engine.total_steps + 1))


def test_max_steps_and_eval_every():
    engine, rec = make_engine(make_config(train={"max_steps": 7, "eval_every": 3}))
    assert engine.run().step == 7
    assert [e["step"] for e in rec.of("eval")] == [3, 6, 7]


def test_gradient_accumulation_equals_the_large_batch():
    # 2 micro-batches of 32 accumulate to exactly the gradient of one batch of 64 (same sample order).
    small, _ = make_engine(make_config(data={"batch_size": 32}, train={"grad_accum": 2, "max_steps": 3}, optim={"name": "sgd", "lr": 0.1}))
    large, _ = make_engine(make_config(data={"batch_size": 64}, train={"max_steps": 3}, optim={"name": "sgd", "lr": 0.1}))
    small.run()
    large.run()
    assert torch.allclose(flat_params(small.ctx.raw_model), flat_params(large.ctx.raw_model), atol=1e-6)


def test_gradient_clipping_bounds_the_update():
    engine, _ = make_engine(make_config(train={"max_steps": 1, "grad_clip": 1e-3}, optim={"name": "sgd", "lr": 1.0, "momentum": 0.0, "weight_decay": 0.0}))
    before = flat_params(engine.ctx.raw_model).clone()
    engine.run()
    step = flat_params(engine.ctx.raw_model) - before
    assert step.norm().item() == pytest.approx(1e-3, rel=1e-3)  # lr 1 x clipped gradient norm


def test_warmup_then_cosine():
    train = make_config(train={"warmup_steps": 10, "min_lr_ratio": 0.1}).train
    assert lr_factor(0, 110, train) == pytest.approx(0.1)
    assert lr_factor(9, 110, train) == pytest.approx(1.0)
    assert lr_factor(10, 110, train) == pytest.approx(1.0)
    assert lr_factor(60, 110, train) == pytest.approx(0.55)
    assert lr_factor(110, 110, train) == pytest.approx(0.1)


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_trains(precision):
    engine, rec = make_engine(make_config(train={"precision": precision, "epochs": 2}))
    assert engine.run().status == "completed"
    assert engine.scaler.is_enabled() == (precision == "fp16")
    assert rec.of("eval")[-1]["metrics"]["val_acc"] > 0.7


def test_activation_memory_is_measured():
    engine, rec = make_engine(make_config(train={"max_steps": 2}))
    engine.run()
    measured = engine.ctx.memory["activations"]
    # at least the input batch and the hidden layer's output for 64 samples are kept for backward
    assert measured >= 64 * 32 * 4
    assert rec.of("memory")[-1]["activations"] == measured


def test_stop_checkpoints_and_resume_continues_exactly(tmp_path):
    config = make_config(train={"epochs": 2}, techniques={"ema": {"decay": 0.9}})
    straight, _ = make_engine(config)
    straight.run()

    path = tmp_path / "last.pt"
    first, rec = make_engine(config, checkpoint=path)
    rec.stop_at = 7  # mid-epoch
    outcome = first.run()
    assert outcome.status == "stopped" and outcome.step == 7 and path.exists()

    resumed, _ = make_engine(config, checkpoint=path)
    state = ckpt.load(path, torch.device("cpu"))
    assert state["step"] == 7 and state["techniques"]["ema"]["updates"] == 7
    assert resumed.run(resume=state).status == "completed"
    assert torch.equal(flat_params(resumed.ctx.raw_model), flat_params(straight.ctx.raw_model))
    ema_resumed = resumed.techniques[0].shadow
    ema_straight = straight.techniques[0].shadow
    assert torch.equal(flat_params(ema_resumed), flat_params(ema_straight))


class PoisonParams(TechniqueParams):
    at_step: int = 5


class Poison(Technique):
    """Makes the loss NaN from a given step on (stands in for a real divergence)."""

    spec = TechniqueSpec(key="poison", title="poison", category="optimizer", summary="", params=PoisonParams,
                         implementation="")

    def compute_loss(self, loss, outputs, batch, ctx):
        return loss * float("nan") if ctx.step + 1 >= self.params.at_step else loss


def test_divergence_is_detected_at_its_step_and_no_checkpoint_is_written_after_it(tmp_path):
    path = tmp_path / "last.pt"
    engine, rec = make_engine(make_config(train={"log_every": 4, "checkpoint_every": 2}), checkpoint=path,
                              techniques=[Poison(PoisonParams(at_step=6))])
    outcome = engine.run()
    assert outcome.status == "diverged" and outcome.step == 6
    assert ckpt.load(path, torch.device("cpu"))["step"] == 4  # the last good one
    assert all(math.isfinite(t["loss"]) for t in rec.of("train"))


def test_a_technique_can_own_the_optimizer_step():
    calls = []

    class TwoPass(Technique):
        spec = TechniqueSpec(key="twopass", title="", category="optimizer", summary="", params=TechniqueParams,
                             implementation="")

        def optimizer_step(self, ctx, closure):
            first = [p.grad.clone() for p in ctx.raw_model.parameters()]
            loss = closure()  # recomputes forward+backward on the same batch
            second = [p.grad for p in ctx.raw_model.parameters()]
            calls.append(all(torch.allclose(a, b) for a, b in zip(first, second)) and torch.isfinite(loss).item())
            ctx.optimizer.step()
            return True

    engine, _ = make_engine(make_config(train={"max_steps": 3}), techniques=[TwoPass(TechniqueParams())])
    engine.run()
    assert calls == [True, True, True]
