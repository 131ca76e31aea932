"""Image classification in PyTorch alone: augmentation, a small CNN, pruning and int8 weights.

Why torch alone: torchvision does not import beside the CPU build the stack pins, so the
augmentations the plan lists are written with tensor operations (``vision_data.py``).

Why two models: :func:`fit` trains the float network; :func:`compress` turns it into what is
served, because serving cost is what compression buys. It prunes the float network by global
weight magnitude to the plan's ``pruning_sparsity`` in one shot (``torch.nn.utils.prune``, no
retraining: the compressed model is the float one minus what it cut, so the accuracy check
measures compression, not further training), then quantizes it to
int8 with PyTorch's eager static quantization (``torch.ao.quantization``: per-channel int8
weights, activations calibrated on training images), about 4x smaller on disk.

Compression may cost accuracy, so :func:`compression_metrics` checks the compressed model
against the float one on the hold-out. Its ``accuracy_drop`` is the expected accuracy lost, read
on probabilities rather than on hard predictions: the mean, over hold-out images, of the
probability of the true class that compression took away (only losses count; an image the
compressed model is surer of does not offset one it is less sure of). Hard accuracy moves in
steps of one image (a 300-image hold-out cannot show a loss under 0.0033) and would let a
small loss round to zero; any real change to the network moves some probabilities down, so
this drop is above 0 whenever compression changed anything and a bound of 0 always fails.
The compressed model's own accuracy still faces the ``accuracy`` gate, and the hard
difference is reported as ``hard_accuracy_drop``.

Plan fields read: ``target``, ``inputs`` (the ``image`` column), ``augmentation``,
``pruning_sparsity``, ``quantization``, ``max_accuracy_drop``, ``params`` (``image_column``,
``image_size``, ``epochs``).
"""

from __future__ import annotations

import io
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.ao import quantization
from torch.nn.utils import prune

from .common import (
    ModelSpec,
    classification_metrics,
    column_of_type,
    log_loss_of,
    planned,
    planned_list,
    planned_number,
    seed_everything,
    top_k_accuracy,
    top_ks,
)
from .vision_data import augment, images, to_tensor

__all__ = [
    "VisionModel",
    "compress",
    "compression_metrics",
    "evaluate",
    "fit",
    "images",
    "oracle",
    "predict",
    "size_on_disk",
    "weight_sparsity",
]

ORACLE_PREFIX = "_oracle__"
# torch leaves these untyped; their types, as the PyTorch documentation states them.
_qconfig = cast(Callable[[str], Any], quantization.get_default_qconfig)
_prepare = cast(Callable[[nn.Module], nn.Module], quantization.prepare)
_convert = cast(Callable[[nn.Module], nn.Module], quantization.convert)
_unprune = cast(Callable[[nn.Module, str], nn.Module], prune.remove)

#: Training images the int8 activations are calibrated on (observers see their ranges).
CALIBRATION_IMAGES = 256


def network(channels: int, classes: int) -> nn.Sequential:
    """Two convolution blocks and a two-layer head: small enough to train in seconds on a CPU;
    the head is wide enough that pruning a third of the weights costs little.

    The quant/dequant stubs are identities in the float network and mark where int8 starts
    and ends in the quantized one.
    """
    return nn.Sequential(
        quantization.QuantStub(),
        nn.Conv2d(channels, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(4),
        nn.Flatten(),
        nn.Linear(32 * 16, 256),
        nn.ReLU(),
        nn.Linear(256, classes),
        quantization.DeQuantStub(),
    )


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence eager quantization's deprecation and observer notices (they flood the log)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield


def _prepared(net: nn.Module, engine: str) -> nn.Module:
    net.eval()
    torch.backends.quantized.engine = engine
    net.qconfig = _qconfig(engine)
    with _quiet():
        return _prepare(net)


@dataclass
class VisionModel:
    """One network's weights and what inference needs to rebuild it.

    ``quantization`` is ``"none"`` for the float model :func:`fit` returns, else the form of
    the weights :func:`compress` wrote (``"int8"``, ``"fp16"``, or ``"pruned"`` when only
    pruned); ``engine`` is the quantized backend the int8 weights were packed for.
    """

    classes: list[str]
    channels: int
    image_size: int
    image_column: str
    state: dict[str, Any]
    quantization: str = "none"
    engine: str = ""
    sparsity: float = 0.0

    def network(self) -> nn.Module:
        """The network with these weights, in evaluation mode."""
        net: nn.Module = network(self.channels, len(self.classes))
        if self.quantization == "int8":
            with _quiet():
                net = _convert(_prepared(net, self.engine))
        state = self.state
        if self.quantization == "fp16":
            state = _cast(state, torch.float32)
        net.load_state_dict(state)
        return net.eval()


def _cast(state: dict[str, Any], dtype: torch.dtype) -> dict[str, Any]:
    """``state`` with its float tensors in ``dtype``, keeping the layers' version metadata."""
    out: dict[str, Any] = OrderedDict(
        (k, v.to(dtype) if isinstance(v, torch.Tensor) and v.is_floating_point() else v)
        for k, v in state.items()
    )
    metadata = getattr(state, "_metadata", None)
    if metadata is not None:
        out._metadata = metadata  # type: ignore[attr-defined]
    return out


def size_on_disk(fitted: VisionModel) -> int:
    """Bytes of the model's weights as ``torch.save`` writes them."""
    buffer = io.BytesIO()
    torch.save(fitted.state, buffer)
    return len(buffer.getvalue())


def _weight_layers(net: nn.Module) -> list[nn.Module]:
    return [m for m in net.modules() if isinstance(m, nn.Conv2d | nn.Linear)]


def weight_sparsity(fitted: VisionModel) -> float:
    """The share of convolution and linear weights that are exactly zero, measured."""
    zeros = total = 0
    for module in fitted.network().modules():
        weight = getattr(module, "weight", None)
        if callable(weight):  # quantized layers expose their packed weight as a method
            weight = weight()
        if not isinstance(weight, torch.Tensor) or isinstance(module, nn.BatchNorm2d):
            continue
        values = weight.int_repr() if weight.is_quantized else weight.detach()
        zeros += int((values == 0).sum())
        total += values.numel()
    return zeros / total if total else 0.0


def _labels(model: ModelSpec, frame: pd.DataFrame, classes: list[str]) -> torch.Tensor:
    assert model.target is not None, "an image classifier needs a label"
    lookup = {label: i for i, label in enumerate(classes)}
    codes = frame[model.target].astype(str).map(lookup).fillna(-1).to_numpy()
    return torch.tensor(codes, dtype=torch.long)


def _train(
    net: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    classes: int,
    model: ModelSpec,
    epochs: int,
    generator: torch.Generator,
) -> None:
    augmentations = [str(name) for name in planned_list(model, "augmentation")]
    optimiser = torch.optim.Adam(net.parameters(), lr=3e-3)
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(order), 64):
            at = order[start : start + 64]
            inputs, targets = augment(x[at], y[at], classes, augmentations, generator)
            loss = nn.functional.cross_entropy(net(inputs), targets)
            optimiser.zero_grad()
            torch.autograd.backward(loss)
            optimiser.step()
    net.eval()


def fit(model: ModelSpec, frame: pd.DataFrame, seed: int) -> VisionModel:
    """Train the float CNN with the planned augmentations (compression is :func:`compress`)."""
    seed_everything(seed)
    torch.set_num_threads(1)
    assert model.target is not None, "an image classifier needs a label"
    column = column_of_type(model, "image", "image")
    size = int(model.params.get("image_size", 32))
    x = to_tensor(frame[column], size)
    classes = sorted(frame[model.target].dropna().astype(str).unique())
    y = _labels(model, frame, classes)
    known = y >= 0
    x, y = x[known], y[known]
    generator = torch.Generator().manual_seed(seed)
    net = network(x.shape[1], len(classes))
    _train(net, x, y, len(classes), model, int(model.params.get("epochs", 12)), generator)
    state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    return VisionModel(classes, int(x.shape[1]), size, column, state)


def compress(model: ModelSpec, fitted: VisionModel, frame: pd.DataFrame, seed: int) -> VisionModel:
    """The served model: ``fitted`` pruned to ``pruning_sparsity`` and quantized as planned.

    ``frame`` holds training images: int8 activations are calibrated on their ranges.
    """
    seed_everything(seed)
    torch.set_num_threads(1)
    net = fitted.network()
    sparsity = planned_number(model, "pruning_sparsity", 0.0)
    if sparsity > 0:
        layers = [(module, "weight") for module in _weight_layers(net)]
        prune.global_unstructured(layers, pruning_method=prune.L1Unstructured, amount=sparsity)
        for module, name in layers:
            _unprune(module, name)
    mode = str(planned(model, "quantization", "none") or "none")
    engine = ""
    if mode == "int8":
        engine = str(torch.backends.quantized.engine)
        prepared = _prepared(net, engine)
        x = to_tensor(frame[fitted.image_column].iloc[:CALIBRATION_IMAGES], fitted.image_size)
        with torch.no_grad():
            prepared(x)
        with _quiet():
            net = _convert(prepared)
    # The state dict itself, not a copy: its ``_metadata`` tells quantized layers how to load.
    state: dict[str, Any] = net.state_dict()
    if mode == "fp16":
        state = _cast(state, torch.float16)
    served = mode if mode != "none" else ("pruned" if sparsity > 0 else "none")
    compressed = replace(fitted, state=state, quantization=served, engine=engine)
    return replace(compressed, sparsity=weight_sparsity(compressed))


def _probabilities(fitted: VisionModel, frame: pd.DataFrame) -> torch.Tensor:
    x = to_tensor(frame[fitted.image_column], fitted.image_size)
    net = fitted.network()
    with torch.no_grad():
        parts = [net(x[i : i + 256]).softmax(1) for i in range(0, len(x), 256)]
    return torch.cat(parts) if parts else torch.zeros((0, len(fitted.classes)))


def predict(model: ModelSpec, fitted: VisionModel, frame: pd.DataFrame) -> pd.DataFrame:
    """The class of each image and its probability (images of any size are resized)."""
    probabilities = _probabilities(fitted, frame)
    best = probabilities.argmax(1)
    return pd.DataFrame(
        {
            "prediction": [fitted.classes[i] for i in best.tolist()],
            "score": probabilities.max(1).values.numpy(),
        },
        index=frame.index,
    )


def _classification(
    model: ModelSpec,
    truth: pd.Series,
    predicted: pd.Series,
    probabilities: torch.Tensor | None = None,
    classes: Sequence[str] = (),
) -> dict[str, float]:
    """Classification metrics; with the class probabilities (known classes, in the model's
    order), also log loss and the ``top_<k>_accuracy`` the gates and monitors name."""
    metrics = classification_metrics(truth.astype(str).tolist(), predicted.astype(str).tolist())
    if probabilities is None:
        return metrics
    index = pd.Series(truth.astype(str).to_numpy()).map({c: i for i, c in enumerate(classes)})
    known = index.notna().to_numpy()
    p, y = probabilities.numpy()[known], index[known].to_numpy(dtype=int)
    metrics["log_loss"] = log_loss_of(p[np.arange(len(y)), y])
    for k in top_ks(model, ()):
        metrics[f"top_{k}_accuracy"] = top_k_accuracy(p, y, k)
    return metrics


def evaluate(model: ModelSpec, fitted: VisionModel, holdout: pd.DataFrame) -> dict[str, float]:
    """Accuracy, F1, precision, recall, log loss, top-k accuracy and the size on disk."""
    assert model.target is not None
    probabilities = _probabilities(fitted, holdout)
    served = pd.Series([fitted.classes[i] for i in probabilities.argmax(1).tolist()])
    metrics = _classification(model, holdout[model.target], served, probabilities, fitted.classes)
    return {**metrics, "model_bytes": float(size_on_disk(fitted))}


def compression_metrics(
    model: ModelSpec, float_model: VisionModel, compressed: VisionModel, holdout: pd.DataFrame
) -> dict[str, float]:
    """The compressed model's metrics, the float model's, and what compression cost.

    ``accuracy_drop`` is the mean true-class probability compression took away per image (see
    the module docstring); a promotion gate holds it to ``max_accuracy_drop``.
    """
    assert model.target is not None
    y = _labels(model, holdout, float_model.classes)
    known = (y >= 0).numpy()
    rows, y = holdout[known], y[y >= 0]
    before, after = _probabilities(float_model, rows), _probabilities(compressed, rows)
    float_metrics = evaluate(model, float_model, rows)
    metrics = evaluate(model, compressed, rows)
    at = torch.arange(len(y))
    lost = (before[at, y] - after[at, y]).clamp(min=0.0)
    float_bytes, served_bytes = float_metrics["model_bytes"], metrics["model_bytes"]
    return {
        **metrics,
        "float_accuracy": float_metrics["accuracy"],
        "float_macro_f1": float_metrics["macro_f1"],
        "accuracy_drop": float(lost.mean()) if len(y) else float("nan"),
        "hard_accuracy_drop": float_metrics["accuracy"] - metrics["accuracy"],
        "sparsity": compressed.sparsity,
        "float_bytes": float_bytes,
        "size_ratio": float_bytes / served_bytes if served_bytes else float("nan"),
    }


def oracle(model: ModelSpec, holdout: pd.DataFrame) -> dict[str, float]:
    """The same metrics for the synthetic source's true classes on the same rows."""
    assert model.target is not None
    column = ORACLE_PREFIX + model.target
    if column not in holdout:
        return {}
    metrics = _classification(model, holdout[model.target], holdout[column])
    return {**metrics, "accuracy_drop": 0.0}
