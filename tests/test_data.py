"""Data sources, splits and batching: real tensors, small sizes."""

from __future__ import annotations

import pickle
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from workbench.config import DataConfig
from workbench.data import (
    Datasets,
    DataSpec,
    TensorData,
    batches,
    build_data,
    num_batches,
)
from workbench.data.shapes import CLASSES, generate
from workbench.errors import WorkbenchError


def shapes(seed: int = 0, **kw: object) -> Datasets:
    params = {"name": "shapes", "num_samples": 800, "image_size": 16, **kw}
    return build_data(DataConfig(**params), seed)


# ---------------------------------------------------------------------------------------------
# shapes


def test_shapes_shapes_and_spec() -> None:
    d = shapes()
    assert d.spec.task == "classification" and d.spec.num_classes == len(CLASSES) >= 4
    assert d.spec.in_channels == 1 and d.spec.image_size == 16 and d.spec.unit == "samples"
    assert len(d.train) + len(d.val) == 800 and len(d.val) == 160
    assert d.train.x.dtype == torch.float32 and d.train.x.shape[1:] == (1, 16, 16)
    assert d.train.y.dtype == torch.int64
    assert d.difficulty is not None and d.difficulty.shape == (len(d.train),)
    assert 0.0 <= float(d.difficulty.min()) and float(d.difficulty.max()) <= 1.0
    assert abs(float(d.train.x.mean())) < 0.05 and abs(float(d.train.x.std()) - 1) < 0.05  # standardised
    assert set(d.train.y.unique().tolist()) == set(range(len(CLASSES)))


def test_shapes_default_size_is_32() -> None:
    d = build_data(DataConfig(name="shapes", num_samples=64), 0)
    assert d.spec.image_size == 32 and d.train.x.shape[-2:] == (32, 32)


def test_shapes_deterministic_by_seed() -> None:
    a, b, c = shapes(3), shapes(3), shapes(4)
    assert torch.equal(a.train.x, b.train.x) and torch.equal(a.train.y, b.train.y)
    assert torch.equal(a.difficulty, b.difficulty) and torch.equal(a.val.x, b.val.x)
    assert not torch.equal(a.train.x, c.train.x)


def test_shapes_fast_enough() -> None:
    import time

    start = time.process_time()  # CPU time: robust to other processes sharing the machine
    build_data(DataConfig(name="shapes", num_samples=4000, image_size=32), 0)
    assert time.process_time() - start < 4.0  # ~0.3 s wall on 2 idle cores


def _snr(raw: torch.Tensor) -> torch.Tensor:
    """Per-image signal-to-noise: brightest smoothed blob above the median, over the pixel noise."""
    smooth = F.avg_pool2d(raw, 3, stride=1)
    flat = raw.flatten(1)
    signal = smooth.flatten(1).amax(1) - flat.median(1).values
    noise = (raw[..., 1:] - raw[..., :-1]).flatten(1).std(1) / 2**0.5
    return signal / noise


def test_shapes_difficulty_controls_signal_to_noise() -> None:
    raw, _, difficulty = generate(1000, 32, seed=0)
    snr = _snr(raw)
    easy, hard = snr[difficulty < 0.5], snr[difficulty >= 0.5]
    assert easy.median() > 2 * hard.median()
    # And monotone: Spearman-like check on deciles.
    deciles = [snr[(difficulty >= q / 10) & (difficulty < (q + 1) / 10)].median() for q in range(10)]
    assert all(a > b for a, b in zip(deciles[:-1:3], deciles[3::3]))


def test_shapes_difficulty_makes_a_classifier_err_more() -> None:
    """A k-NN on translation-invariant features (|FFT|) is far more accurate on easy than hard samples.

    (k-NN rather than a trained CNN: deterministic and milliseconds, while still being a real model.)
    """
    from sklearn.neighbors import KNeighborsClassifier

    d = shapes(0, num_samples=3000)
    feats = torch.fft.rfft2(d.train.x[:, 0]).abs().flatten(1).log1p().numpy()
    labels = d.train.y.numpy()
    half = len(d.train) // 2
    knn = KNeighborsClassifier(5).fit(feats[:half], labels[:half])
    correct = knn.predict(feats[half:]) == labels[half:]
    diff = d.difficulty[half:].numpy()
    easy, hard = correct[diff < 0.4].mean(), correct[diff > 0.6].mean()
    assert easy > 0.8 and easy > hard + 0.4, (easy, hard)


def test_shapes_label_noise_only_on_train() -> None:
    clean, noisy = shapes(1), shapes(1, label_noise=0.25)
    assert torch.equal(clean.train.x, noisy.train.x)
    assert torch.equal(clean.val.y, noisy.val.y)  # validation labels stay clean
    flipped = clean.train.y != noisy.train.y
    assert noisy.noisy is not None and noisy.noisy.dtype == torch.bool
    assert torch.equal(flipped, noisy.noisy)  # every recorded flip really changed the label, and only those
    assert int(flipped.sum()) == round(0.25 * len(clean.train))
    assert clean.noisy is not None and not clean.noisy.any()


# ---------------------------------------------------------------------------------------------
# digits


def test_digits_total_and_native_size() -> None:
    d = build_data(DataConfig(name="digits"), 0)
    assert len(d.train) + len(d.val) == 1797
    assert d.train.x.shape[1:] == (1, 8, 8) and d.spec.image_size == 8 and d.spec.num_classes == 10
    assert len(d.val) == round(1797 * 0.2)


def test_digits_resize() -> None:
    d = build_data(DataConfig(name="digits", image_size=16, val_fraction=0.5), 0)
    assert d.train.x.shape[1:] == (1, 16, 16) and d.val.x.shape[1:] == (1, 16, 16)
    assert d.spec.image_size == 16 and len(d.train) + len(d.val) == 1797


def test_digits_split_deterministic_by_seed() -> None:
    a, b, c = (build_data(DataConfig(name="digits"), s) for s in (0, 0, 1))
    assert torch.equal(a.val.x, b.val.x) and torch.equal(a.train.y, b.train.y)
    assert a.val.x.shape == c.val.x.shape and not torch.equal(a.val.x, c.val.x)


# ---------------------------------------------------------------------------------------------
# pydoc


def test_pydoc_vocab_and_windows() -> None:
    from workbench.data.pydoc_text import corpus

    d = build_data(DataConfig(name="pydoc", seq_len=32, num_samples=500), 0)
    vocab = d.spec.classes
    assert d.spec.task == "lm" and d.spec.unit == "tokens" and d.spec.seq_len == 32
    assert d.spec.num_classes == len(vocab) == len(set(vocab)) and list(vocab) == sorted(vocab)
    assert len(d.train) + len(d.val) == 500
    for split in (d.train, d.val):
        assert split.x.dtype == split.y.dtype == torch.int64 and split.x.shape[1] == 32
        assert torch.equal(split.x[:, 1:], split.y[:, :-1])  # y is x shifted by one
        assert int(split.x.max()) < d.spec.num_classes
    # The windows really are the corpus: decode one and find it.
    text = "".join(vocab[i] for i in d.train.x[0].tolist()) + vocab[int(d.train.y[0, -1])]
    assert text in corpus()


def test_pydoc_vocab_independent_of_length() -> None:
    a = build_data(DataConfig(name="pydoc", seq_len=16, num_samples=100), 0)
    b = build_data(DataConfig(name="pydoc", seq_len=128, num_samples=20), 0)
    assert a.spec.classes == b.spec.classes


# ---------------------------------------------------------------------------------------------
# batches


def _data(n: int = 23) -> TensorData:
    return TensorData(torch.arange(n, dtype=torch.float32).view(n, 1), torch.arange(n))


def test_num_batches() -> None:
    assert num_batches(23, 5) == 5 and num_batches(20, 5) == 4 and num_batches(0, 5) == 0
    assert num_batches(1, 128) == 1


@pytest.mark.parametrize("shuffle", [False, True])
def test_batches_cover_each_sample_once(shuffle: bool) -> None:
    data = _data()
    got = list(batches(data, 5, shuffle=shuffle, generator=torch.Generator().manual_seed(0)))
    assert len(got) == num_batches(23, 5) and [len(y) for _, y in got] == [5, 5, 5, 5, 3]
    ys = torch.cat([y for _, y in got])
    assert sorted(ys.tolist()) == list(range(23))
    assert all(torch.equal(x.view(-1).long(), y) for x, y in got)  # x and y stay paired
    if not shuffle:
        assert ys.tolist() == list(range(23))


def test_batches_shuffle_reproducible_with_generator() -> None:
    def order(seed: int) -> list[int]:
        gen = torch.Generator().manual_seed(seed)
        return torch.cat([y for _, y in batches(_data(), 4, shuffle=True, generator=gen)]).tolist()

    assert order(1) == order(1) and order(1) != order(2) and order(1) != list(range(23))


def test_batches_respect_indices() -> None:
    idx = torch.tensor([7, 3, 11, 19, 0])
    ordered = torch.cat([y for _, y in batches(_data(), 2, shuffle=False, indices=idx)])
    assert ordered.tolist() == idx.tolist()
    shuffled = torch.cat([y for _, y in batches(_data(), 2, shuffle=True, indices=idx,
                                                 generator=torch.Generator().manual_seed(0))])
    assert sorted(shuffled.tolist()) == sorted(idx.tolist())
    mask = torch.zeros(23, dtype=torch.bool)
    mask[[2, 4]] = True
    assert torch.cat([y for _, y in batches(_data(), 8, shuffle=False, indices=mask)]).tolist() == [2, 4]


# ---------------------------------------------------------------------------------------------
# cifar10 and imagefolder


def _write_cifar(root: Path, n_per_batch: int = 6, batches_: int = 2) -> None:
    rng = np.random.default_rng(0)
    d = root / "cifar-10-batches-py"
    d.mkdir(parents=True)
    names = [f"data_batch_{i}" for i in range(1, batches_ + 1)] + ["test_batch"]
    for name in names:
        batch = {b"batch_label": name.encode(), b"labels": rng.integers(0, 10, n_per_batch).tolist(),
                 b"data": rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8),
                 b"filenames": [b"x.png"] * n_per_batch}
        (d / name).write_bytes(pickle.dumps(batch))
    meta = {b"label_names": [n.encode() for n in ("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")]}
    (d / "batches.meta").write_bytes(pickle.dumps(meta))


def test_cifar10_reads_the_python_batches(tmp_path: Path) -> None:
    _write_cifar(tmp_path)
    d = build_data(DataConfig(name="cifar10", path=str(tmp_path)), 0)
    assert len(d.train) == 12 and len(d.val) == 6  # data_batch_* train, test_batch validates
    assert d.train.x.shape[1:] == (3, 32, 32) and d.spec.in_channels == 3 and d.spec.num_classes == 10
    assert d.spec.classes[0] == "a"
    # Pixel layout: the first 1024 bytes are the red plane, row-major.
    raw = pickle.loads((tmp_path / "cifar-10-batches-py" / "data_batch_1").read_bytes())
    red = torch.as_tensor(raw[b"data"][0, :1024].reshape(32, 32), dtype=torch.float32)
    corr = torch.corrcoef(torch.stack([red.flatten(), d.train.x[0, 0].flatten()]))[0, 1]
    assert corr > 0.999
    assert d.train.y[:6].tolist() == raw[b"labels"]
    # Pointing at the batches directory itself works too, and resizing applies.
    small = build_data(DataConfig(name="cifar10", path=str(tmp_path / "cifar-10-batches-py"), image_size=8), 0)
    assert small.train.x.shape[1:] == (3, 8, 8)


def test_cifar10_missing_path(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match="data.path"):
        build_data(DataConfig(name="cifar10"), 0)
    with pytest.raises(WorkbenchError, match="not a directory"):
        build_data(DataConfig(name="cifar10", path=str(tmp_path / "nope")), 0)
    with pytest.raises(WorkbenchError, match="data_batch"):
        build_data(DataConfig(name="cifar10", path=str(tmp_path)), 0)


def test_imagefolder_without_torchvision_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "torchvision", None)  # make `import torchvision` fail
    with pytest.raises(WorkbenchError, match=r"pip install 'workbench\[vision\]'"):
        build_data(DataConfig(name="imagefolder", path=str(tmp_path)), 0)


# ---------------------------------------------------------------------------------------------
# factory


def _module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, source: str) -> None:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop(name, None)


def test_data_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _module(tmp_path, monkeypatch, "wb_my_data", """
        import torch
        from workbench.data import Datasets, DataSpec, TensorData

        def make(seed, n=10):
            g = torch.Generator().manual_seed(seed)
            x = torch.randn(n, 2, 4, 4, generator=g)
            y = torch.randint(0, 3, (n,), generator=g)
            return Datasets(TensorData(x, y), TensorData(x[:2], y[:2]),
                            DataSpec(task="classification", num_classes=3, in_channels=2, image_size=4))

        def wrong(seed):
            return [1, 2, 3]
    """)
    d = build_data(DataConfig(name="wb_my_data:make", kwargs={"n": 12}), 5)
    assert len(d.train) == 12 and d.spec.source == "wb_my_data:make"
    assert torch.equal(d.train.x, build_data(DataConfig(name="wb_my_data:make", kwargs={"n": 12}), 5).train.x)
    with pytest.raises(WorkbenchError, match="returned builtins.list.*Datasets"):
        build_data(DataConfig(name="wb_my_data:wrong"), 0)
    with pytest.raises(WorkbenchError, match="no attribute 'nope'"):
        build_data(DataConfig(name="wb_my_data:nope"), 0)
    with pytest.raises(WorkbenchError, match="cannot import module"):
        build_data(DataConfig(name="wb_no_such_module:make"), 0)
    with pytest.raises(WorkbenchError, match="TypeError"):
        build_data(DataConfig(name="wb_my_data:make", kwargs={"bogus": 1}), 0)


def test_spec_defaults() -> None:
    spec = DataSpec(task="lm", num_classes=5)
    assert spec.unit == "samples" and spec.seq_len == 0 and spec.in_channels == 0
