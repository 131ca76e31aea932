"""Image classification in PyTorch alone: augmentation, a small CNN, pruning and int8 weights.

Why torch alone: torchvision does not import beside the CPU build the stack pins, so the
augmentations the plan lists are written with tensor operations here. Serving cost is what
compression buys: the trained float network is pruned by weight magnitude to the plan's
``pruning_sparsity`` in one shot (no retraining, so the compressed model is the float one minus
what it cut), and its weights stored as int8 with one scale per output channel (about 4x smaller
on disk). Compression may cost accuracy, so the
compressed model is checked against the float one on the hold-out: the drop is the larger of the
accuracy drop and the drop in mean probability of the true class (a finer measure that a small
hold-out cannot round to zero), and a drop above ``max_accuracy_drop`` fails the check.

Plan fields read: ``target``, ``inputs`` (the ``image`` column), ``augmentation``,
``pruning_sparsity``, ``quantization``, ``max_accuracy_drop``, ``params`` (``image_column``,
``image_size``, ``epochs``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import torch
from sklearn.metrics import f1_score
from torch import nn

from .common import (
    ModelSpec,
    column_of_type,
    planned,
    planned_list,
    planned_number,
    seed_everything,
)
from .vision_data import augment, images, to_tensor

__all__ = [
    "AccuracyCheckFailed",
    "VisionModel",
    "check_accuracy",
    "evaluate",
    "fit",
    "images",
    "predict",
]

Tensors = dict[str, torch.Tensor]


class AccuracyCheckFailed(Exception):
    """The compressed model lost more accuracy than the plan's ``max_accuracy_drop`` allows."""


def network(channels: int, classes: int) -> nn.Sequential:
    """Two convolution blocks and a two-layer head: small enough to train in seconds on a CPU."""
    return nn.Sequential(
        nn.Conv2d(channels, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(4),
        nn.Flatten(),
        nn.Linear(32 * 16, 128),
        nn.ReLU(),
        nn.Linear(128, classes),
    )


@dataclass
class VisionModel:
    """Float and int8 weights of one network, and what inference needs to rebuild it."""

    classes: list[str]
    channels: int
    image_size: int
    image_column: str
    float_state: Tensors
    int8_state: Tensors
    sparsity: float
    serve_int8: bool

    def float_network(self) -> nn.Sequential:
        """The trained float network (before pruning and quantization)."""
        net = network(self.channels, len(self.classes))
        net.load_state_dict(self.float_state)
        return net.eval()

    def int8_network(self) -> nn.Sequential:
        """The pruned network with int8 weights dequantized: what serving runs."""
        net = network(self.channels, len(self.classes))
        net.load_state_dict(dequantize(self.int8_state))
        return net.eval()


def _bound(model: ModelSpec) -> float:
    """The accuracy the compressed model may lose (the plan's ``max_accuracy_drop``)."""
    return planned_number(model, "max_accuracy_drop", 0.01)


def _weights(net: nn.Module) -> list[str]:
    return [
        f"{name}.weight"
        for name, module in net.named_modules()
        if isinstance(module, nn.Conv2d | nn.Linear)
    ]


def quantize(state: Tensors, names: Sequence[str]) -> Tensors:
    """Symmetric per-output-channel int8 for the named weights; the rest stays float."""
    out: Tensors = {}
    for key, value in state.items():
        if key not in names:
            out[key] = value.clone()
            continue
        flat = value.reshape(value.shape[0], -1)
        scale = flat.abs().amax(dim=1).clamp(min=1e-12) / 127.0
        out[key] = torch.round(flat / scale[:, None]).clamp(-127, 127).to(torch.int8)
        out[key] = out[key].reshape(value.shape)
        out[f"{key}.__scale"] = scale.to(torch.float32)
    return out


def dequantize(state: Tensors) -> Tensors:
    """Float weights from :func:`quantize`'s int8 weights and scales."""
    out: Tensors = {}
    for key, value in state.items():
        if key.endswith(".__scale"):
            continue
        if value.dtype == torch.int8:
            scale = state[f"{key}.__scale"]
            shape = (-1,) + (1,) * (value.dim() - 1)
            out[key] = value.to(torch.float32) * scale.reshape(shape)
        else:
            out[key] = value
    return out


def size_on_disk(state: Tensors) -> int:
    """Bytes of ``state`` as ``torch.save`` writes it."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return len(buffer.getvalue())


def _prune_masks(net: nn.Module, sparsity: float) -> dict[str, torch.Tensor]:
    """Global magnitude pruning: the smallest ``sparsity`` share of weights becomes zero."""
    params = dict(net.named_parameters())
    names = _weights(net)
    if sparsity <= 0:
        return {name: torch.ones_like(params[name]) for name in names}
    magnitudes = torch.cat([params[name].detach().abs().flatten() for name in names])
    cut = torch.kthvalue(magnitudes, max(1, int(sparsity * magnitudes.numel()))).values
    return {name: (params[name].detach().abs() > cut).float() for name in names}


def _train(
    net: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    model: ModelSpec,
    epochs: int,
    generator: torch.Generator,
) -> None:
    augmentations = [str(name) for name in planned_list(model, "augmentation")]
    optimiser = torch.optim.Adam(net.parameters(), lr=3e-3)
    classes = int(y.max()) + 1 if len(y) else 1
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
    """Train the float CNN, then prune and quantize it as the plan says."""
    seed_everything(seed)
    torch.set_num_threads(1)
    assert model.target is not None, "an image classifier needs a label"
    column = column_of_type(model, "image", "image")
    size = int(model.params.get("image_size", 32))
    x = to_tensor(frame[column], size)
    classes = sorted(frame[model.target].astype(str).unique())
    lookup = {label: i for i, label in enumerate(classes)}
    y = torch.tensor(frame[model.target].astype(str).map(lookup).to_numpy(), dtype=torch.long)
    generator = torch.Generator().manual_seed(seed)
    net = network(x.shape[1], len(classes))
    epochs = int(model.params.get("epochs", 12))
    _train(net, x, y, model, epochs, generator)
    float_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    sparsity = planned_number(model, "pruning_sparsity", 0.0)
    masks = _prune_masks(net, sparsity)
    with torch.no_grad():  # one-shot: the compressed model is the float one, minus what it cut
        for name, param in net.named_parameters():
            param.mul_(masks.get(name, torch.ones_like(param)))
    names = _weights(net)
    int8_state = quantize({k: v.detach() for k, v in net.state_dict().items()}, names)
    zeros = sum(int((int8_state[n] == 0).sum()) for n in names)
    total = sum(int8_state[n].numel() for n in names)
    serve_int8 = planned(model, "quantization") == "int8" or sparsity > 0
    return VisionModel(
        classes, x.shape[1], size, column, float_state, int8_state, zeros / total, serve_int8
    )


def _probabilities(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([net(x[i : i + 256]).softmax(1) for i in range(0, len(x), 256)])


def predict(model: ModelSpec, fitted: VisionModel, frame: pd.DataFrame) -> pd.DataFrame:
    """The class of each image (served model: int8 when compressed) and its probability."""
    x = to_tensor(frame[fitted.image_column], fitted.image_size)
    net = fitted.int8_network() if fitted.serve_int8 else fitted.float_network()
    probabilities = _probabilities(net, x)
    best = probabilities.argmax(1)
    return pd.DataFrame(
        {
            "prediction": [fitted.classes[i] for i in best.tolist()],
            "score": probabilities.max(1).values.numpy(),
        },
        index=frame.index,
    )


def _scores(fitted: VisionModel, net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> list[float]:
    probabilities = _probabilities(net, x)
    accuracy = float((probabilities.argmax(1) == y).float().mean())
    confidence = float(probabilities[torch.arange(len(y)), y].mean())
    return [accuracy, confidence]


def evaluate(model: ModelSpec, fitted: VisionModel, holdout: pd.DataFrame) -> dict[str, float]:
    """Accuracy and macro F1 of the served model, and the compression check's figures."""
    assert model.target is not None
    truth = holdout[model.target].astype(str)
    x = to_tensor(holdout[fitted.image_column], fitted.image_size)
    lookup = {label: i for i, label in enumerate(fitted.classes)}
    y = torch.tensor(truth.map(lookup).fillna(-1).to_numpy(), dtype=torch.long)
    known = y >= 0
    x, y = x[known], y[known]
    float_accuracy, float_confidence = _scores(fitted, fitted.float_network(), x, y)
    int8_accuracy, int8_confidence = _scores(fitted, fitted.int8_network(), x, y)
    served = predict(model, fitted, holdout)["prediction"]
    drop = max(float_accuracy - int8_accuracy, float_confidence - int8_confidence)
    float_bytes = size_on_disk(fitted.float_state)
    int8_bytes = size_on_disk(fitted.int8_state)
    return {
        "accuracy": float((served == truth).mean()),
        "macro_f1": float(f1_score(truth, served, average="macro")),
        "float_accuracy": float_accuracy,
        "int8_accuracy": int8_accuracy,
        "accuracy_drop": drop,
        "accuracy_check_passed": float(drop <= _bound(model)),
        "sparsity": fitted.sparsity,
        "float_bytes": float(float_bytes),
        "int8_bytes": float(int8_bytes),
        "size_ratio": float_bytes / int8_bytes,
    }


def check_accuracy(
    model: ModelSpec, fitted: VisionModel, holdout: pd.DataFrame
) -> dict[str, float]:
    """:func:`evaluate`, raising when compression cost more than ``max_accuracy_drop``.

    Raises:
        AccuracyCheckFailed: the drop against the float model exceeds the plan's bound.
    """
    metrics = evaluate(model, fitted, holdout)
    if metrics["accuracy_drop"] > _bound(model):
        raise AccuracyCheckFailed(
            f"{model.name}: pruned int8 model drops {metrics['accuracy_drop']:.4f} against the "
            f"float model (accuracy {metrics['float_accuracy']:.4f} -> "
            f"{metrics['int8_accuracy']:.4f}); the plan allows {_bound(model)}"
        )
    return metrics
