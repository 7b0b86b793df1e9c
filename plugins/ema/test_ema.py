"""EMA against PyTorch's own EMA (AveragedModel + get_ema_multi_avg_fn) and by its effect in a run."""

from __future__ import annotations

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from workbench_plugins.ema import SPEC, EMAParams
from workbench_plugins.ema.technique import EMA

from workbench.config import DataConfig, ModelConfig, resolve
from workbench.data import batches, build_data
from workbench.engine.loop import classification_loss
from workbench.models import build_model


class _Ctx:
    def __init__(self, model):
        self.raw_model = model


def _float_state(module: torch.nn.Module) -> list[torch.Tensor]:
    return [t for t in list(module.parameters()) + list(module.buffers()) if t.is_floating_point()]


def test_matches_torch_averaged_model_on_the_same_trajectory():
    torch.manual_seed(0)
    data = build_data(DataConfig(name="digits", image_size=8), 0)
    model = build_model(ModelConfig(name="cnn", width=8, depth=1), data.spec)  # BatchNorm buffers included
    ema = EMA(EMAParams(decay=0.95))
    ema.setup(_Ctx(model))
    reference = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.95), use_buffers=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    generator = torch.Generator().manual_seed(0)
    for x, y in batches(data.train, 64, shuffle=True, generator=generator):
        optimizer.zero_grad()
        classification_loss(model(x), y).backward()
        optimizer.step()
        ema.update(model)
        reference.update_parameters(model)
    ours, theirs = _float_state(ema.shadow), _float_state(reference.module)
    assert len(ours) == len(theirs) > 10
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    # and it is a real average: different from the live weights
    assert any(not torch.allclose(a, b) for a, b in zip(ours, _float_state(model)))


def test_update_rule_and_warmup_schedule():
    model = torch.nn.Linear(3, 1, bias=False)
    ema = EMA(EMAParams(decay=0.9))
    ema.setup(_Ctx(model))
    with torch.no_grad():
        model.weight.fill_(1.0)
    ema.update(model)  # the first update copies
    with torch.no_grad():
        model.weight.fill_(2.0)
    ema.update(model)
    torch.testing.assert_close(ema.shadow.weight, torch.full((1, 3), 0.9 * 1.0 + 0.1 * 2.0))

    warm = EMA(EMAParams(decay=0.999, warmup=True, warmup_power=0.75))
    assert warm.decay_at(1) == 1 - 2 ** -0.75
    assert warm.decay_at(10**9) == 0.999
    assert all(warm.decay_at(t) <= warm.decay_at(t + 1) for t in range(1, 200))


def test_state_round_trip():
    model = torch.nn.Linear(3, 2)
    a = EMA(EMAParams())
    a.setup(_Ctx(model))
    a.update(model)
    b = EMA(EMAParams())
    b.setup(_Ctx(torch.nn.Linear(3, 2)))
    b.load_state_dict(a.state_dict())
    assert b.updates == 1 and torch.equal(b.shadow.weight, a.shadow.weight)


def test_spec_is_torch_free_and_declares_its_weight_set():
    assert SPEC.key == "ema" and SPEC.weight_sets == ("ema",)
    assert "When you need it" in SPEC.card
    config = resolve({"techniques": {"ema": {}}}, check_device=False)
    assert config.techniques["ema"]["decay"] == 0.999


def test_ema_weights_are_evaluated_beside_raw_in_a_run():
    from engine_helpers import (  # tests/ is on pytest's pythonpath
        make_config,
        make_engine,
    )

    engine, rec = make_engine(make_config(techniques={"ema": {"decay": 0.9}}))
    engine.run()
    evals = rec.of("eval")
    assert {e["weights"] for e in evals} == {"raw", "ema"}
    last = {e["weights"]: e["metrics"] for e in evals[-2:]}
    assert last["ema"]["val_acc"] > 0.8 and last["ema"] != last["raw"]
    assert any(e["source"] == "ema" for e in rec.of("event"))
