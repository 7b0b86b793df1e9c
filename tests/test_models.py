"""Built-in models and model factories: shapes, gradients, structure, causality, pairing errors."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from workbench.config import DataConfig, ModelConfig
from workbench.data import DataSpec, batches, build_data
from workbench.errors import WorkbenchError
from workbench.models import build_model

IMAGES = DataSpec(task="classification", num_classes=10, in_channels=1, image_size=8, source="digits")
RGB = DataSpec(task="classification", num_classes=4, in_channels=3, image_size=12, source="shapes")
TEXT = DataSpec(task="lm", num_classes=50, seq_len=16, unit="tokens", source="pydoc")


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Training tests use one intra-op thread: stable timing when other jobs share the cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _backward_works(model: nn.Module, out: torch.Tensor) -> None:
    out.float().pow(2).mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)


# ---------------------------------------------------------------------------------------------
# mlp


def test_mlp_forward_backward() -> None:
    model = build_model(ModelConfig(name="mlp", width=24, depth=3, dropout=0.1), IMAGES)
    assert model.kind == "mlp"
    assert sum(isinstance(m, nn.Linear) for m in model.modules()) == 4  # 3 hidden + head
    out = model(torch.randn(5, 1, 8, 8))
    assert out.shape == (5, 10)
    _backward_works(model, out)


# ---------------------------------------------------------------------------------------------
# cnn


@pytest.mark.parametrize("size", [4, 8, 13, 32])
def test_cnn_any_image_size(size: int) -> None:
    model = build_model(ModelConfig(name="cnn", width=8, depth=1), RGB)
    out = model(torch.randn(3, 3, size, size))
    assert out.shape == (3, 4)


def test_cnn_structure_and_backward() -> None:
    model = build_model(ModelConfig(name="cnn", width=16, depth=2), IMAGES)
    assert model.kind == "cnn"
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert isinstance(model.blocks, nn.ModuleList) and len(model.blocks) == 4  # 2 stages × depth
    # Second stage doubles the width and halves the resolution.
    x = torch.randn(2, 1, 8, 8)
    h = model.stem(x)
    shapes = []
    for block in model.blocks:
        h = block(h)
        shapes.append(tuple(h.shape[1:]))
    assert shapes == [(16, 8, 8), (16, 8, 8), (32, 4, 4), (32, 4, 4)]
    out = model(x)
    assert torch.allclose(model.head(torch.flatten(model.pool(h), 1)), out)  # forward = stem → blocks → head
    _backward_works(model, out)


def test_cnn_learns_digits(one_thread: None) -> None:
    torch.manual_seed(0)
    data = build_data(DataConfig(name="digits"), 0)
    model = build_model(ModelConfig(name="cnn", width=32, depth=2), data.spec)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(3):
        model.train()
        for x, y in batches(data.train, 64, shuffle=True, generator=gen):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(data.val.x).argmax(1) == data.val.y).float().mean().item()
    assert acc > 0.8, acc


# ---------------------------------------------------------------------------------------------
# transformer


def test_transformer_forward_backward() -> None:
    model = build_model(ModelConfig(name="transformer", width=32, depth=2, heads=4, dropout=0.1), TEXT)
    assert model.kind == "transformer"
    assert isinstance(model.blocks, nn.ModuleList) and len(model.blocks) == 2
    attn = model.blocks[0].attn
    assert all(isinstance(getattr(attn, n), nn.Linear) for n in ("q", "k", "v", "out"))
    idx = torch.randint(0, 50, (3, 16))
    out = model(idx)
    assert out.shape == (3, 16, 50)
    _backward_works(model, out)
    assert model(idx[:, :5]).shape == (3, 5, 50)  # shorter contexts are fine
    with pytest.raises(ValueError, match="max_len"):
        model(torch.randint(0, 50, (1, 17)))


def test_transformer_is_causal() -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(name="transformer", width=32, depth=2, heads=4), TEXT).eval()
    idx = torch.randint(0, 50, (2, 16))
    changed = idx.clone()
    changed[:, 10] = (changed[:, 10] + 1) % 50
    with torch.no_grad():
        a, b = model(idx), model(changed)
    assert torch.allclose(a[:, :10], b[:, :10], atol=1e-6)  # the past cannot see the future
    assert not torch.allclose(a[:, 10:], b[:, 10:])  # but the changed token and later ones do change


def test_transformer_heads_must_divide_width() -> None:
    with pytest.raises(WorkbenchError, match=r"model.width = 30 must be divisible by model.heads = 4"):
        build_model(ModelConfig(name="transformer", width=30, heads=4), TEXT)


def test_transformer_learns_a_little_pydoc(one_thread: None) -> None:
    torch.manual_seed(0)
    data = build_data(DataConfig(name="pydoc", seq_len=32, num_samples=600), 0)
    model = build_model(ModelConfig(name="transformer", width=64, depth=2, heads=4), data.spec)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)

    def val_loss() -> float:
        model.eval()
        with torch.no_grad():
            logits = model(data.val.x)
            return F.cross_entropy(logits.flatten(0, 1), data.val.y.flatten()).item()

    start = val_loss()
    gen = torch.Generator().manual_seed(0)
    for _ in range(2):
        model.train()
        for x, y in batches(data.train, 32, shuffle=True, generator=gen):
            loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert val_loss() < start - 1.0


# ---------------------------------------------------------------------------------------------
# pairing and factories


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_image_model_on_text_is_an_error(name: str) -> None:
    with pytest.raises(WorkbenchError, match=rf"model.name = '{name}'.*data.name = 'pydoc'.*transformer"):
        build_model(ModelConfig(name=name), TEXT)


def test_transformer_on_images_is_an_error() -> None:
    with pytest.raises(WorkbenchError, match=r"model.name = 'transformer'.*data.name = 'digits'.*'cnn'"):
        build_model(ModelConfig(name="transformer"), IMAGES)


def test_model_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "wb_my_models.py").write_text(textwrap.dedent("""
        from torch import nn

        def linear(spec, bias=True):
            return nn.Sequential(nn.Flatten(), nn.Linear(spec.in_channels * spec.image_size ** 2,
                                                         spec.num_classes, bias=bias))

        def not_a_module(spec):
            return "hello"
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("wb_my_models", None)
    model = build_model(ModelConfig(name="wb_my_models:linear", kwargs={"bias": False}), IMAGES)
    assert model.kind == "custom" and model[1].bias is None
    assert model(torch.randn(2, 1, 8, 8)).shape == (2, 10)
    with pytest.raises(WorkbenchError, match="returned builtins.str.*nn.Module"):
        build_model(ModelConfig(name="wb_my_models:not_a_module"), IMAGES)
    with pytest.raises(WorkbenchError, match="cannot import module"):
        build_model(ModelConfig(name="wb_missing_models:linear"), IMAGES)
