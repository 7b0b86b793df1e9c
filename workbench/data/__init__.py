"""Data: every source becomes in-memory train/val tensors plus a `DataSpec` the model is built from.

Sources (all offline, never downloading): `digits`, `shapes`, `pydoc` are embedded;
`imagefolder` and `cifar10` read `data.path`; anything else is a `package.module:factory` called as
`factory(seed=seed, **data.kwargs)` that must return a `Datasets`.
"""

from __future__ import annotations

from collections.abc import Callable

from workbench.config import DataConfig
from workbench.data.core import (
    Datasets,
    DataSpec,
    TensorData,
    batches,
    num_batches,
    resize_images,
    split_indices,
)
from workbench.data.factory import call_factory
from workbench.errors import WorkbenchError

__all__ = [
    "DataSpec", "TensorData", "Datasets", "build_data", "batches", "num_batches", "resize_images",
    "split_indices",
]


def _builders() -> dict[str, Callable[[DataConfig, int], Datasets]]:
    # Imported on demand: each source pulls in its own heavy dependencies (sklearn, pickle readers).
    from workbench.data.digits import build_digits
    from workbench.data.folders import build_cifar10, build_imagefolder
    from workbench.data.pydoc_text import build_pydoc
    from workbench.data.shapes import build_shapes

    return {
        "digits": build_digits,
        "shapes": build_shapes,
        "pydoc": build_pydoc,
        "imagefolder": build_imagefolder,
        "cifar10": build_cifar10,
    }


def build_data(cfg: DataConfig, seed: int) -> Datasets:
    """Build the train/val splits named by `cfg.name`, deterministically from `seed`."""
    builders = _builders()
    if cfg.name in builders:
        return builders[cfg.name](cfg, seed)
    result = call_factory(cfg.name, "data.name", seed=seed, **cfg.kwargs)
    if not isinstance(result, Datasets):
        raise WorkbenchError(
            f"data.name = '{cfg.name}' returned {type(result).__module__}.{type(result).__qualname__}; "
            f"a data factory must return workbench.data.Datasets(train=TensorData(x, y), "
            f"val=TensorData(x, y), spec=DataSpec(...))"
        )
    if not result.spec.source:
        result = result.with_spec(source=cfg.name)
    return result
