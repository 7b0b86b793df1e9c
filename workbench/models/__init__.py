"""Models: `mlp`, `cnn` (small ResNet), `transformer` (causal char LM), or a `package.module:factory`.

`build_model` checks that the model fits the data (image classifiers for images, the transformer
for language modelling) before building anything, and tags every model with `model.kind`.
"""

from __future__ import annotations

from torch import nn

from workbench.config import ModelConfig
from workbench.data.core import DataSpec
from workbench.data.factory import call_factory
from workbench.errors import WorkbenchError
from workbench.models.cnn import BasicBlock, ResNet
from workbench.models.mlp import MLP
from workbench.models.transformer import CharTransformer

__all__ = ["build_model", "MLP", "ResNet", "BasicBlock", "CharTransformer"]

IMAGE_MODELS = ("mlp", "cnn")
LM_MODELS = ("transformer",)


def _data_name(spec: DataSpec) -> str:
    return f"data.name = '{spec.source}'" if spec.source else "data.name"


def _check_pairing(cfg: ModelConfig, spec: DataSpec) -> None:
    if cfg.name in IMAGE_MODELS and spec.task != "classification":
        raise WorkbenchError(
            f"model.name = '{cfg.name}' is an image classifier, but {_data_name(spec)} is "
            f"{spec.task} data (token sequences); use model.name = 'transformer' with it, or pick "
            f"image data (digits, shapes, imagefolder, cifar10) for '{cfg.name}'"
        )
    if cfg.name in LM_MODELS and spec.task != "lm":
        raise WorkbenchError(
            f"model.name = 'transformer' is a causal language model, but {_data_name(spec)} is "
            f"{spec.task} image data; use model.name = 'cnn' or 'mlp' with it, or data.name = 'pydoc' "
            f"for the transformer"
        )
    if cfg.name in IMAGE_MODELS and (spec.in_channels < 1 or spec.image_size < 1):
        raise WorkbenchError(
            f"model.name = '{cfg.name}' needs image data, but {_data_name(spec)} reports "
            f"in_channels={spec.in_channels}, image_size={spec.image_size}"
        )


def build_model(cfg: ModelConfig, spec: DataSpec) -> nn.Module:
    """Build the model named by `cfg.name` for data described by `spec`."""
    if cfg.name not in IMAGE_MODELS + LM_MODELS:
        model = call_factory(cfg.name, "model.name", spec=spec, **cfg.kwargs)
        if not isinstance(model, nn.Module):
            raise WorkbenchError(
                f"model.name = '{cfg.name}' returned {type(model).__module__}.{type(model).__qualname__}; "
                f"a model factory must return a torch.nn.Module"
            )
        model.kind = "custom"
        return model

    _check_pairing(cfg, spec)
    model: nn.Module
    if cfg.name == "mlp":
        in_features = spec.in_channels * spec.image_size * spec.image_size
        model = MLP(in_features, spec.num_classes, cfg.width, cfg.depth, cfg.dropout)
    elif cfg.name == "cnn":
        model = ResNet(spec.in_channels, spec.num_classes, cfg.width, cfg.depth, cfg.dropout)
    else:
        if cfg.width % cfg.heads:
            raise WorkbenchError(
                f"model.width = {cfg.width} must be divisible by model.heads = {cfg.heads} "
                f"(each head gets width / heads dimensions); e.g. width = {cfg.heads * max(1, round(cfg.width / cfg.heads))}"
            )
        if spec.seq_len < 1:
            raise WorkbenchError(f"model.name = 'transformer' needs {_data_name(spec)} to report seq_len >= 1")
        model = CharTransformer(spec.num_classes, spec.seq_len, cfg.width, cfg.depth, cfg.heads, cfg.dropout)
    model.kind = cfg.name
    return model
