"""Image fields of requests: base64 text of a NumPy ``.npy`` array, checked against the plan.

Why ``.npy``: the stack has no image codec (no Pillow), and ``.npy`` is what the synthetic
source stores and what the vision family reads (``pipelines.families.vision_data``: bytes
that start with the ``.npy`` magic carry their own shape). A request sends
``base64(numpy.save(array))`` of a ``uint8`` array of the plan's height x width x channels;
the schema checks it with :func:`checker` (a bad image is refused before any model runs, the
error naming the field) and the request frame holds the decoded bytes (:func:`decode`).
Arrays load with ``allow_pickle=False``: a payload can never run code.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable

import numpy as np

__all__ = ["ENCODING", "NPY_MAGIC", "blank", "checker", "decode", "load"]

#: The first bytes of a NumPy ``.npy`` file (``numpy.lib.format.MAGIC_PREFIX``).
NPY_MAGIC = b"\x93NUMPY"
#: How an image field is encoded, as the request schema describes it.
ENCODING = "base64 (ASCII) of NumPy .npy bytes (numpy.save) of a uint8 array"

Shape = tuple[int | None, int | None, int | None]


def decode(text: str) -> bytes:
    """The ``.npy`` bytes of a base64 image field.

    Raises:
        ValueError: the text is not base64 or does not hold ``.npy`` bytes.
    """
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as err:
        raise ValueError(f"not base64 text: {err}") from None
    if not raw.startswith(NPY_MAGIC):
        raise ValueError(f"not a NumPy .npy array; expected {ENCODING}")
    return raw


def load(text: str) -> np.ndarray:
    """The array of a base64 image field (no pickled objects are loaded).

    Raises:
        ValueError: the text does not decode to a ``.npy`` array.
    """
    try:
        array: np.ndarray = np.load(io.BytesIO(decode(text)), allow_pickle=False)
    except (OSError, EOFError) as err:  # a truncated or malformed .npy payload
        raise ValueError(f"unreadable .npy array: {err}") from None
    return array


def _check(array: np.ndarray, shape: Shape) -> None:
    if array.dtype != np.uint8:
        raise ValueError(f"the array's dtype is {array.dtype}, not uint8")
    expected = tuple("any" if size is None else size for size in shape)
    if array.ndim != len(shape) or any(
        size is not None and size != got for size, got in zip(shape, array.shape, strict=True)
    ):
        raise ValueError(f"the array's shape is {array.shape}, not {expected} (H x W x C)")


def checker(shape: Shape) -> Callable[[str], str]:
    """A pydantic after-validator: the text must hold a ``uint8`` ``.npy`` array of the
    declared (height, width, channels); a size the plan leaves out (``None``) may be anything.
    """

    def check_image(text: str) -> str:
        _check(load(text), shape)
        return text

    return check_image


def blank(height: int, width: int, channels: int) -> str:
    """A black image of the given size, encoded as a request sends it (for warm-up rows)."""
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((height, width, channels), dtype=np.uint8), allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
