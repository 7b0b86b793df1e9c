"""A user's own images from a local path: `imagefolder` (class-per-folder) and `cifar10` (python batches).

Nothing is ever downloaded: both read `data.path` and fail with a message that says what was
expected there. Images are loaded fully into memory (the engine slices batches from tensors).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from workbench.config import DataConfig
from workbench.data.core import (
    Datasets,
    DataSpec,
    TensorData,
    image_datasets,
    resize_images,
    standardise,
)
from workbench.errors import WorkbenchError

DEFAULT_SIZE = 32
CIFAR_DIR = "cifar-10-batches-py"
CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def _need_path(cfg: DataConfig, expected: str) -> Path:
    if not cfg.path:
        raise WorkbenchError(f"data.name = '{cfg.name}' needs data.path: a local directory with {expected}")
    path = Path(cfg.path).expanduser()
    if not path.is_dir():
        raise WorkbenchError(f"data.path '{path}' (for data.name = '{cfg.name}') is not a directory; expected {expected}")
    return path


# ---------------------------------------------------------------------------------------------
# imagefolder


def build_imagefolder(cfg: DataConfig, seed: int) -> Datasets:
    """torchvision's ImageFolder layout (root/CLASS/image.png), resized to image_size (None: 32), RGB."""
    try:
        from torchvision import datasets as tv_datasets
        from torchvision import transforms
    except ImportError:
        raise WorkbenchError(
            "data.name = 'imagefolder' needs torchvision, which is not installed; "
            "install it with: pip install 'workbench[vision]'"
        ) from None
    root = _need_path(cfg, "one sub-directory of images per class (root/CLASS/xxx.png)")
    size = cfg.image_size or DEFAULT_SIZE
    transform = transforms.Compose([transforms.Resize((size, size)), transforms.ToTensor()])
    try:
        folder = tv_datasets.ImageFolder(str(root), transform=transform)
    except (FileNotFoundError, RuntimeError) as exc:
        raise WorkbenchError(f"data.path '{root}' is not a usable image folder: {exc}") from None
    if len(folder) < 2:
        raise WorkbenchError(f"data.path '{root}' holds {len(folder)} image(s); need at least 2 to split train/val")
    x = torch.stack([folder[i][0] for i in range(len(folder))])
    y = torch.as_tensor(folder.targets, dtype=torch.int64)
    datasets, _ = image_datasets(
        x, y, val_fraction=cfg.val_fraction, seed=seed, source=cfg.name, classes=tuple(folder.classes),
    )
    return datasets


# ---------------------------------------------------------------------------------------------
# cifar10


def find_cifar_dir(cfg: DataConfig) -> Path:
    """Accept either the `cifar-10-batches-py` directory itself or a directory that contains it."""
    expected = f"the python-version CIFAR-10 batches ({CIFAR_DIR}/data_batch_1..5 and test_batch)"
    path = _need_path(cfg, expected)
    for candidate in (path, path / CIFAR_DIR):
        if sorted(candidate.glob("data_batch_*")) and (candidate / "test_batch").is_file():
            return candidate
    raise WorkbenchError(f"data.path '{path}' does not contain {expected}")


def read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One pickled batch -> (uint8 [N, 3, 32, 32], int64 [N])."""
    try:
        with path.open("rb") as fh:
            batch = pickle.load(fh, encoding="bytes")
        data = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (OSError, pickle.UnpicklingError, KeyError, ValueError, TypeError, EOFError) as exc:
        raise WorkbenchError(
            f"cannot read CIFAR-10 batch '{path}' ({exc}); expected a pickled dict with b'data' "
            f"(uint8, N×3072) and b'labels'"
        ) from None
    if data.shape[0] != labels.shape[0]:
        raise WorkbenchError(f"CIFAR-10 batch '{path}' has {data.shape[0]} images but {labels.shape[0]} labels")
    return data, labels


def _cifar_classes(root: Path) -> tuple[str, ...]:
    meta = root / "batches.meta"
    if meta.is_file():
        try:
            with meta.open("rb") as fh:
                names = pickle.load(fh, encoding="bytes")[b"label_names"]
            return tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)
        except Exception:  # the names are cosmetic: fall back to the standard ones
            pass
    return CIFAR_CLASSES


def _to_images(data: np.ndarray, size: int) -> torch.Tensor:
    return resize_images(torch.from_numpy(data).float().div_(255.0), size)


def build_cifar10(cfg: DataConfig, seed: int) -> Datasets:
    """The 50k `data_batch_*` images train, `test_batch` validates (val_fraction is not used).

    `seed` does not change anything here: the split is CIFAR-10's own.
    """
    root = find_cifar_dir(cfg)
    train = [read_cifar_batch(p) for p in sorted(root.glob("data_batch_*"))]
    val_data, val_labels = read_cifar_batch(root / "test_batch")
    size = cfg.image_size or DEFAULT_SIZE
    xt = _to_images(np.concatenate([d for d, _ in train]), size)
    xv = _to_images(val_data, size)
    (xt, xv), _, _ = standardise(xt, xv)
    classes = _cifar_classes(root)
    yt = torch.from_numpy(np.concatenate([lab for _, lab in train]))
    yv = torch.from_numpy(val_labels)
    spec = DataSpec(
        task="classification", num_classes=max(len(classes), int(max(yt.max(), yv.max())) + 1),
        in_channels=3, image_size=size, source=cfg.name, classes=classes,
    )
    return Datasets(train=TensorData(xt, yt), val=TensorData(xv, yv), spec=spec)
