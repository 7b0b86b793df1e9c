"""`shapes`: procedurally generated shape images with a known, real per-sample difficulty.

Made for the techniques that need to know how hard a sample is (curriculum learning, self-paced
learning) or that change resolution (progressive resizing): images can be drawn at any size, and
each sample's difficulty in [0, 1] is the knob that drew it, not an estimate. A harder sample is
smaller, has less contrast against its background, more pixel noise and a stronger background
gradient, so a model really does find it harder.

Everything is vectorised with torch over chunks of samples (no Python loop per pixel or sample),
so 4,000 images at 32×32 take a small fraction of a second. The same seed gives the same images.

Optional label noise flips a fraction of the TRAIN labels to a different class, recorded in
`Datasets.noisy`; validation labels are always clean so accuracy stays an honest measure.
"""

from __future__ import annotations

import math

import torch

from workbench.config import DataConfig
from workbench.data.core import Datasets, image_datasets

CLASSES = ("circle", "square", "triangle", "cross")
DEFAULT_SIZE = 32

# Shape half-extent as a fraction of the image side: easy 0.30, hard 0.14 (±8 % jitter).
RADIUS_EASY, RADIUS_HARD = 0.30, 0.14
CONTRAST_EASY, CONTRAST_HARD = 0.9, 0.35
NOISE_EASY, NOISE_HARD = 0.03, 0.22
GRADIENT_HARD = 0.25
TRIANGLE_R = 1.4  # triangle circumradius in units of the radius: roughly area-matched to the circle


def _lerp(easy: float, hard: float, d: torch.Tensor) -> torch.Tensor:
    return easy + (hard - easy) * d


def _gauge(cls: torch.Tensor, u: torch.Tensor, v: torch.Tensor, bar: torch.Tensor) -> torch.Tensor:
    """Per-pixel "norm" of each shape: <= 1 inside, grows outward roughly like distance / radius.

    cls [B], u/v [B, S, S] in shape-local units, bar [B] (cross bar half-width).
    """
    au, av = u.abs(), v.abs()
    circle = torch.sqrt(u * u + v * v)
    square = torch.maximum(au, av) / 0.85
    # Equilateral triangle: inside iff every edge's outward-normal projection <= the inradius.
    normals = [math.pi / 2 + k * 2 * math.pi / 3 for k in range(3)]
    proj = torch.stack([u * math.cos(a) + v * math.sin(a) for a in normals]).amax(dim=0)
    triangle = proj / (TRIANGLE_R / 2)
    w = bar.view(-1, 1, 1)
    cross = torch.minimum(torch.maximum(au / w, av), torch.maximum(av / w, au))
    c = cls.view(-1, 1, 1)
    return torch.where(c == 0, circle, torch.where(c == 1, square, torch.where(c == 2, triangle, cross)))


def generate(n: int, size: int, seed: int, chunk_pixels: int = 1 << 22) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Draw `n` images: (images float [n, 1, size, size] roughly in [0, 1], labels int64 [n], difficulty [n]).

    Deterministic for (n, size, seed).
    """
    gen = torch.Generator().manual_seed(int(seed))
    k = len(CLASSES)
    labels = torch.randint(0, k, (n,), generator=gen)
    difficulty = torch.rand(n, generator=gen)

    def jitter(scale: float) -> torch.Tensor:
        return 1.0 + scale * (2.0 * torch.rand(n, generator=gen) - 1.0)

    radius = _lerp(RADIUS_EASY, RADIUS_HARD, difficulty) * jitter(0.08)
    contrast = _lerp(CONTRAST_EASY, CONTRAST_HARD, difficulty) * jitter(0.1)
    noise = _lerp(NOISE_EASY, NOISE_HARD, difficulty)
    angle = torch.rand(n, generator=gen) * (2 * math.pi)
    bar = 0.22 + 0.14 * torch.rand(n, generator=gen)  # cross thickness
    background = 0.1 + 0.2 * torch.rand(n, generator=gen)
    margin = radius * TRIANGLE_R  # keep every shape fully inside the frame
    cx = margin + torch.rand(n, generator=gen) * (1 - 2 * margin)
    cy = margin + torch.rand(n, generator=gen) * (1 - 2 * margin)
    grad_angle = torch.rand(n, generator=gen) * (2 * math.pi)
    grad_amp = GRADIENT_HARD * difficulty * torch.rand(n, generator=gen)

    coords = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    gy, gx = torch.meshgrid(coords, coords, indexing="ij")  # [S, S]
    images = torch.empty(n, 1, size, size)
    step = max(1, chunk_pixels // (size * size))
    for start in range(0, n, step):
        s = slice(start, min(n, start + step))

        def col(t: torch.Tensor) -> torch.Tensor:
            return t[s].view(-1, 1, 1)

        dx, dy = gx - col(cx), gy - col(cy)
        cos, sin = torch.cos(col(angle)), torch.sin(col(angle))
        r = col(radius)
        u = (dx * cos + dy * sin) / r
        v = (-dx * sin + dy * cos) / r
        f = _gauge(labels[s], u, v, bar[s])
        # Antialiased coverage: (1 - f) * radius_in_pixels approximates the signed distance to the edge.
        mask = ((1 - f) * r * size + 0.5).clamp(0, 1)
        ramp = (dx * torch.cos(col(grad_angle)) + dy * torch.sin(col(grad_angle))) * col(grad_amp)
        pixels = col(background) + ramp + col(contrast) * mask
        pixels = pixels + col(noise) * torch.randn(pixels.shape, generator=gen)
        images[s, 0] = pixels
    return images, labels, difficulty


def flip_labels(labels: torch.Tensor, fraction: float, num_classes: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Flip round(fraction * N) labels, each to a different (uniformly random) class.

    Returns (new labels, bool mask of the flipped ones).
    """
    n = labels.numel()
    noisy = torch.zeros(n, dtype=torch.bool)
    count = round(fraction * n)
    if count == 0:
        return labels.clone(), noisy
    gen = torch.Generator().manual_seed(int(seed) * 104729 + 3)
    idx = torch.randperm(n, generator=gen)[:count]
    offset = torch.randint(1, num_classes, (count,), generator=gen)
    out = labels.clone()
    out[idx] = (labels[idx] + offset) % num_classes
    noisy[idx] = True
    return out, noisy


def build_shapes(cfg: DataConfig, seed: int) -> Datasets:
    size = cfg.image_size or DEFAULT_SIZE
    images, labels, difficulty = generate(cfg.num_samples, size, seed)
    datasets, train_idx = image_datasets(
        images, labels, val_fraction=cfg.val_fraction, seed=seed, source=cfg.name, classes=CLASSES,
    )
    datasets.difficulty = difficulty[train_idx].contiguous()
    noisy_y, noisy = flip_labels(datasets.train.y, cfg.label_noise, len(CLASSES), seed)
    datasets.train.y = noisy_y
    datasets.noisy = noisy
    return datasets
