"""Synthetic images whose class is learnable, image decoding, and augmentations in torch alone.

Why synthetic images have structure: a stack must train and be judged with no external data, so
each label gets its own ring frequency, hatch angle and colour (drawn from a generator seeded by
the label's CRC32, so a label looks the same in every batch and every run); position, phase,
brightness and noise vary per image, so a model must learn the pattern, not memorise pixels.
Patterns are symmetric under horizontal flips, so flip augmentation keeps the class.
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from torch.nn import functional

__all__ = ["AUGMENTATIONS", "augment", "images", "to_tensor"]

AUGMENTATIONS = (
    "flip_horizontal",
    "random_crop",
    "rotate",
    "color_jitter",
    "gaussian_noise",
    "mixup",
)


#: The first bytes of a NumPy ``.npy`` file: how an image cell of a parquet frame starts.
NPY_MAGIC = b"\x93NUMPY"

NOISE = 0.12  # per-pixel noise: the pattern stays visible; the oracle gap is label noise


def _style(label: str) -> tuple[float, float, np.ndarray]:
    style = np.random.default_rng(zlib.crc32(label.encode("utf-8")))
    rings = float(style.uniform(1.5, 7.0))
    angle = float(style.uniform(0.0, math.pi / 2))
    colour = style.uniform(0.15, 0.85, size=3)
    return rings, angle, colour


def images(
    labels: Sequence[str], height: int, width: int, channels: int, rng: np.random.Generator
) -> np.ndarray:
    """One ``height``x``width``x``channels`` uint8 image per label (N x H x W x C)."""
    ys, xs = np.mgrid[0:height, 0:width]
    v, u = ys / max(height - 1, 1), xs / max(width - 1, 1)
    out = np.empty((len(labels), height, width, channels), dtype=np.uint8)
    for index, label in enumerate(labels):
        rings, angle, colour = _style(str(label))
        cy, cx = rng.uniform(0.3, 0.7, size=2)
        radius = np.hypot(v - cy, u - cx)
        phase = rng.uniform(0, 2 * math.pi)
        ring = np.cos(2 * math.pi * rings * radius + phase)
        along = u * math.cos(angle) + v * math.sin(angle)
        mirrored = (1 - u) * math.cos(angle) + v * math.sin(angle)
        hatch = np.cos(12 * along) + np.cos(12 * mirrored)  # flip-symmetric pair of stripes
        pattern = 0.5 + 0.25 * ring + 0.1 * hatch
        brightness = rng.uniform(0.7, 1.3)
        tint = colour + rng.normal(0, 0.05, size=3)
        pixels = pattern[..., None] * tint[None, None, :] * 2 * brightness
        pixels = pixels + rng.normal(0, NOISE, size=pixels.shape)
        if channels == 1:
            pixels = pixels.mean(axis=2, keepdims=True)
        elif channels != 3:
            pixels = np.repeat(pixels.mean(axis=2, keepdims=True), channels, axis=2)
        out[index] = np.clip(pixels * 255, 0, 255).astype(np.uint8)
    return out


def _array(cell: object) -> np.ndarray:
    """An H x W x C array from a cell: ``.npy`` bytes, an array, nested lists, or flat square
    bytes/values.

    ``.npy`` bytes are what the synthetic source writes: the shape travels with the pixels.
    """
    if isinstance(cell, bytes | bytearray | memoryview):
        raw = bytes(cell)
        if raw.startswith(NPY_MAGIC):
            return _array(np.load(io.BytesIO(raw), allow_pickle=False))
        flat = np.frombuffer(raw, dtype=np.uint8)
    else:
        flat = np.asarray(cell)
    if flat.ndim == 3:
        return flat
    if flat.ndim == 2:
        return flat[..., None]
    for channels in (3, 1, 4):
        side = math.isqrt(flat.size // channels)
        if side * side * channels == flat.size:
            return flat.reshape(side, side, channels)
    raise ValueError(f"cannot read an image of {flat.size} values: not square with 1, 3 or 4 bands")


def to_tensor(column: pd.Series, size: int) -> torch.Tensor:
    """N x C x size x size floats in [0, 1], resized by area averaging."""
    if len(column) == 0:
        return torch.zeros((0, 3, size, size))
    batch = np.stack([_array(cell) for cell in column]).astype(np.float32) / 255.0
    x = torch.from_numpy(batch).permute(0, 3, 1, 2).contiguous()
    if x.shape[-2:] != (size, size):
        x = functional.adaptive_avg_pool2d(x, size)
    return x


def augment(
    x: torch.Tensor,
    y: torch.Tensor,
    classes: int,
    names: Sequence[str],
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply the named augmentations to a batch; ``mixup`` turns the labels into mixtures."""
    n = len(x)

    def uniform(low: float, high: float, *shape: int) -> torch.Tensor:
        return low + (high - low) * torch.rand(*shape, generator=generator)

    if "flip_horizontal" in names:
        flip = torch.rand(n, generator=generator) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    if "random_crop" in names:
        pad = max(1, x.shape[-1] // 8)
        padded = functional.pad(x, (pad, pad, pad, pad), mode="reflect")
        dy, dx = torch.randint(0, 2 * pad + 1, (2, n), generator=generator)
        h, w = x.shape[-2:]
        x = torch.stack([padded[i, :, dy[i] : dy[i] + h, dx[i] : dx[i] + w] for i in range(n)])
    if "rotate" in names:
        theta = uniform(-math.pi / 12, math.pi / 12, n)
        cos, sin, zero = theta.cos(), theta.sin(), torch.zeros(n)
        matrix = torch.stack(
            [torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1
        )
        grid = functional.affine_grid(matrix, list(x.shape), align_corners=False)
        x = functional.grid_sample(x, grid, padding_mode="reflection", align_corners=False)
    if "color_jitter" in names:
        brightness = uniform(0.8, 1.2, n, 1, 1, 1)
        contrast = uniform(0.8, 1.2, n, 1, 1, 1)
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = ((x - mean) * contrast + mean) * brightness
    if "gaussian_noise" in names:
        x = x + 0.03 * torch.randn(x.shape, generator=generator)
    x = x.clamp(0.0, 1.0)
    target = functional.one_hot(y, classes).float()
    if "mixup" in names and n > 1:
        lam = float(torch.distributions.Beta(0.4, 0.4).sample())
        partner = torch.randperm(n, generator=generator)
        x = lam * x + (1 - lam) * x[partner]
        target = lam * target + (1 - lam) * target[partner]
    return x, target
