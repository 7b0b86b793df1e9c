"""`pydoc`: character-level text from the documentation bundled with CPython (`pydoc_data.topics`).

Every Python install carries ~0.5 MB of English-and-code prose, which makes a real, offline
language-modelling corpus for the transformer.

Choices (documented because they change what a run sees):
- corpus: the `topics` dict's values joined in sorted-key order (stable across runs), capped at
  MAX_CHARS characters;
- vocabulary: the sorted set of characters of the whole (capped) corpus, so `num_classes` does not
  depend on `seq_len` or `num_samples` and checkpoints of different runs stay compatible;
- sequences: non-overlapping windows of `seq_len + 1` characters from the start of the corpus,
  x = window[:-1], y = window[1:]; at most `data.num_samples` windows are kept (the default 4,000 ×
  64 tokens trains in seconds per epoch on a CPU);
- split: windows are assigned to train/val at random by seed and `val_fraction`.
"""

from __future__ import annotations

import numpy as np
import torch

from workbench.config import DataConfig
from workbench.data.core import Datasets, DataSpec, TensorData, split_indices
from workbench.errors import WorkbenchError

MAX_CHARS = 1_000_000


def corpus() -> str:
    """The joined pydoc topics text, capped at MAX_CHARS."""
    from pydoc_data import topics

    return "".join(topics.topics[key] for key in sorted(topics.topics))[:MAX_CHARS]


def encode(text: str, vocab: str) -> torch.Tensor:
    """Characters -> vocabulary indices; `vocab` is sorted, so a binary search over code points does it."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    table = np.frombuffer(vocab.encode("utf-32-le"), dtype=np.uint32)
    idx = np.searchsorted(table, points)
    if idx.size and (idx.max() >= table.size or not np.array_equal(table[idx], points)):
        raise ValueError("text contains characters outside the vocabulary")
    return torch.from_numpy(idx.astype(np.int64))


def windows(tokens: torch.Tensor, seq_len: int, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Cut into non-overlapping (seq_len + 1)-windows: x = w[:-1], y = w[1:] (next-character targets)."""
    count = tokens.numel() // (seq_len + 1)
    if limit is not None:
        count = min(count, limit)
    w = tokens[: count * (seq_len + 1)].view(count, seq_len + 1)
    return w[:, :-1].contiguous(), w[:, 1:].contiguous()


def build_pydoc(cfg: DataConfig, seed: int) -> Datasets:
    text = corpus()
    vocab = "".join(sorted(set(text)))
    x, y = windows(encode(text, vocab), cfg.seq_len, cfg.num_samples)
    if x.shape[0] < 2:
        raise WorkbenchError(
            f"data.seq_len = {cfg.seq_len} leaves fewer than 2 sequences in the {len(text):,}-character "
            f"pydoc corpus; use a smaller data.seq_len (e.g. 64-512)"
        )
    train_idx, val_idx = split_indices(x.shape[0], cfg.val_fraction, seed)
    spec = DataSpec(
        task="lm", num_classes=len(vocab), seq_len=cfg.seq_len, unit="tokens", source=cfg.name,
        classes=tuple(vocab),
    )
    return Datasets(
        train=TensorData(x[train_idx], y[train_idx]),
        val=TensorData(x[val_idx], y[val_idx]),
        spec=spec,
    )
