"""`digits`: scikit-learn's bundled 8×8 handwritten digits (1,797 real images, 10 classes).

Real data that ships with an installed dependency, so a first run needs no network and no path.
Pixel values 0..16 are scaled to [0, 1], optionally resized (bilinear), then standardised with
train-split statistics.
"""

from __future__ import annotations

import torch

from workbench.config import DataConfig
from workbench.data.core import Datasets, image_datasets, resize_images

NATIVE_SIZE = 8


def load_digits_tensors() -> tuple[torch.Tensor, torch.Tensor]:
    """All 1,797 images as float [N, 1, 8, 8] in [0, 1] and labels int64 [N]."""
    from sklearn.datasets import load_digits  # local: sklearn takes a while to import

    bunch = load_digits()
    x = torch.as_tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.as_tensor(bunch.target, dtype=torch.int64)
    return x, y


def build_digits(cfg: DataConfig, seed: int) -> Datasets:
    x, y = load_digits_tensors()
    size = cfg.image_size or NATIVE_SIZE
    x = resize_images(x, size)
    datasets, _ = image_datasets(
        x, y, val_fraction=cfg.val_fraction, seed=seed, source=cfg.name,
        classes=tuple(str(d) for d in range(10)),
    )
    return datasets
