"""The in-memory data types every data source returns, and the batching the engine uses.

Every built-in dataset is small enough to live in memory as two tensors per split. Batches are
made by slicing or `index_select` on those tensors instead of a DataLoader's per-item collate:
on CPU and GPU alike that is far faster for tiny images, and it keeps an epoch's order fully
determined by one `torch.Generator`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Literal

import torch
import torch.nn.functional as F


@dataclass
class DataSpec:
    """What a model needs to know about the data to build itself, and how to count throughput."""

    task: Literal["classification", "lm"]
    num_classes: int  # classification: classes; lm: vocabulary size
    in_channels: int = 0  # images
    image_size: int = 0  # images: side length of the stored tensors
    seq_len: int = 0  # lm: context length
    unit: str = "samples"  # throughput unit: "samples" for images, "tokens" for lm
    # Additions beyond the minimal contract, both optional:
    source: str = ""  # the `data.name` this came from (error messages, display)
    classes: tuple[str, ...] = ()  # class names (classification) or the characters (lm), index = label


@dataclass
class TensorData:
    """One split held in memory: images float32 [N, C, H, W] (normalised) or tokens int64 [N, T]."""

    x: torch.Tensor
    y: torch.Tensor

    def __post_init__(self) -> None:
        if self.x.shape[0] != self.y.shape[0]:
            raise ValueError(f"x has {self.x.shape[0]} samples but y has {self.y.shape[0]}")

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def to(self, device: torch.device | str) -> TensorData:
        """A copy on `device` (the engine moves small datasets to the GPU once, then slices there)."""
        return TensorData(self.x.to(device), self.y.to(device))

    def subset(self, indices: torch.Tensor) -> TensorData:
        idx = indices.to(self.x.device)
        return TensorData(self.x.index_select(0, idx), self.y.index_select(0, idx))


@dataclass
class Datasets:
    """Train and validation splits, their spec, and optional per-train-sample annotations."""

    train: TensorData
    val: TensorData
    spec: DataSpec
    difficulty: torch.Tensor | None = None  # float [N_train] in [0, 1]: 0 easy, 1 hard (shapes)
    noisy: torch.Tensor | None = None  # bool [N_train]: this train label was flipped (shapes)

    def with_spec(self, **changes: object) -> Datasets:
        return replace(self, spec=replace(self.spec, **changes))


def num_batches(n: int, batch_size: int) -> int:
    """Batches per epoch over `n` samples; the last partial batch counts (it is kept)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return math.ceil(n / batch_size) if n > 0 else 0


def batches(
    data: TensorData,
    batch_size: int,
    *,
    shuffle: bool,
    generator: torch.Generator | None = None,
    indices: torch.Tensor | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield (x, y) mini-batches, each sample (of `indices`, if given) exactly once.

    `indices` restricts and orders the samples used (curriculum passes a subset); a bool mask of
    length N is accepted too. `shuffle` permutes that order with `generator` (a CPU generator), so
    a seeded generator gives a reproducible epoch. The last partial batch is kept.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order: torch.Tensor | None = None
    if indices is not None:
        order = indices.detach().to("cpu")
        if order.dtype == torch.bool:
            order = order.nonzero().flatten()
        order = order.long().flatten()
    n = len(data) if order is None else int(order.numel())
    if shuffle:
        perm = torch.randperm(n, generator=generator)
        order = perm if order is None else order[perm]
    if order is None:  # plain contiguous slices: no copy at all
        for start in range(0, n, batch_size):
            yield data.x[start:start + batch_size], data.y[start:start + batch_size]
        return
    order = order.to(data.x.device)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield data.x.index_select(0, idx), data.y.index_select(0, idx.to(data.y.device))


# ---------------------------------------------------------------------------------------------
# Helpers shared by the image sources


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A deterministic random train/val split of range(n): same seed, same split.

    Both index lists are sorted, so a split is a stable view of the source order. Each side gets at
    least one sample.
    """
    if n < 2:
        raise ValueError(f"need at least 2 samples to split into train and val, got {n}")
    gen = torch.Generator().manual_seed(int(seed) * 7919 + 17)  # its own stream, apart from generation
    perm = torch.randperm(n, generator=gen)
    n_val = min(n - 1, max(1, round(n * val_fraction)))
    return perm[n_val:].sort().values, perm[:n_val].sort().values


def resize_images(x: torch.Tensor, size: int, chunk: int = 4096) -> torch.Tensor:
    """Bilinear resize of [N, C, H, W] to size×size (antialiased when shrinking), in chunks to bound memory."""
    if x.shape[-1] == size and x.shape[-2] == size:
        return x
    shrink = size < max(x.shape[-1], x.shape[-2])
    out = [
        F.interpolate(x[i:i + chunk], size=(size, size), mode="bilinear", align_corners=False, antialias=shrink)
        for i in range(0, x.shape[0], chunk)
    ]
    return torch.cat(out) if out else x.new_empty((0, x.shape[1], size, size))


def standardise(train: torch.Tensor, *others: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
    """Per-channel mean/std from the TRAIN images only (no peeking at val), applied to every split."""
    dims = (0, 2, 3)
    mean = train.mean(dim=dims, keepdim=True)
    std = train.std(dim=dims, keepdim=True).clamp_min(1e-6)
    return [(t - mean) / std for t in (train, *others)], mean.flatten(), std.flatten()


def image_datasets(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    val_fraction: float,
    seed: int,
    source: str,
    classes: tuple[str, ...],
    num_classes: int | None = None,
) -> tuple[Datasets, torch.Tensor]:
    """Split raw [0, 1] images by seed, standardise with train statistics, and describe them.

    Returns the datasets and the source indices of the train split (to align per-sample annotations).
    """
    train_idx, val_idx = split_indices(x.shape[0], val_fraction, seed)
    (xt, xv), _, _ = standardise(x[train_idx], x[val_idx])
    spec = DataSpec(
        task="classification",
        num_classes=num_classes if num_classes is not None else len(classes),
        in_channels=int(x.shape[1]),
        image_size=int(x.shape[-1]),
        source=source,
        classes=classes,
    )
    datasets = Datasets(
        train=TensorData(xt.contiguous(), y[train_idx].long()),
        val=TensorData(xv.contiguous(), y[val_idx].long()),
        spec=spec,
    )
    return datasets, train_idx
