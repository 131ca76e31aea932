"""Language identification with langdetect, and routing of text to per-language models.

Why langdetect: it ships its language profiles inside the package, so nothing downloads at run
time. Its detector is randomised; ``DetectorFactory.seed`` makes every answer repeatable. The
router sends a text to the shard that trains its language, and to the fallback model when the
language is unknown to every shard, undetectable, or detected with low confidence: a wrong
specialist is worse than a generalist.

Plan fields read: ``inputs`` (the ``text`` column), ``params`` (``language_column``, default
``language``; ``min_probability``; ``text_column``).
The model is not trained (``trainable: false``): :func:`fit` only fixes the seed and records
the languages the data declares.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd
from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

from .common import ModelSpec, classification_metrics, column_of_type, segment_metric

__all__ = ["FALLBACK", "LanguageIdentifier", "detect", "evaluate", "fit", "predict", "route"]

FALLBACK = -1
UNDETERMINED = "und"
MIN_PROBABILITY = 0.5
#: langdetect names some languages more finely than a partition column does.
ALIASES = {"zh-cn": "zh", "zh-tw": "zh"}


def detect(texts: Iterable[str], seed: int = 0) -> list[tuple[str, float]]:
    """The most probable language of each text and its probability (``und``, 0 when none)."""
    DetectorFactory.seed = seed
    found: list[tuple[str, float]] = []
    for text in texts:
        try:
            best = detect_langs(str(text))[0]
        except LangDetectException:
            found.append((UNDETERMINED, 0.0))
            continue
        found.append((ALIASES.get(best.lang, best.lang), float(best.prob)))
    return found


def route(
    texts: Iterable[str],
    shards: Sequence[Iterable[str]],
    seed: int = 0,
    min_probability: float = MIN_PROBABILITY,
) -> list[int]:
    """The shard index that trains each text's detected language, or :data:`FALLBACK`."""
    owner = {language: index for index, values in enumerate(shards) for language in values}
    routes = []
    for language, probability in detect(texts, seed):
        known = probability >= min_probability and language in owner
        routes.append(owner[language] if known else FALLBACK)
    return routes


@dataclass
class LanguageIdentifier:
    """The seeded detector's settings and the languages the training data declared."""

    seed: int
    column: str
    text_column: str
    min_probability: float
    languages: list[str] = field(default_factory=list)


def fit(model: ModelSpec, frame: pd.DataFrame, seed: int) -> LanguageIdentifier:
    """Fix the detector's seed; langdetect's profiles are the model."""
    column = str(model.params.get("language_column", "language"))
    declared: list[str] = []
    if column in frame.columns:
        declared = [str(v) for v in frame[column].dropna().unique()]
    threshold = float(model.params.get("min_probability", MIN_PROBABILITY))
    text = column_of_type(model, "text", "text")
    return LanguageIdentifier(seed, column, text, threshold, sorted(declared))


def predict(model: ModelSpec, fitted: LanguageIdentifier, frame: pd.DataFrame) -> pd.DataFrame:
    """The detected language of each row's text (``und`` below the threshold) and its score."""
    found = detect(frame[fitted.text_column].astype(str), fitted.seed)
    labels = [lang if p >= fitted.min_probability else UNDETERMINED for lang, p in found]
    return pd.DataFrame(
        {"prediction": labels, "score": [p for _, p in found]},
        index=frame.index,
    )


def evaluate(
    model: ModelSpec, fitted: LanguageIdentifier, holdout: pd.DataFrame
) -> dict[str, float]:
    """Accuracy and macro F1 against the declared language, accuracy per language, coverage.

    ``f1`` is the macro F1 over the declared languages: a language detected badly counts as
    much as a common one. ``und`` (undetermined) is a miss, not a language of its own.
    """
    known = holdout[holdout[fitted.column].notna()] if fitted.column in holdout else holdout[:0]
    if known.empty:
        return {
            "accuracy": float("nan"),
            "f1": float("nan"),
            "macro_f1": float("nan"),
            "coverage": 0.0,
        }
    predicted = predict(model, fitted, known)["prediction"]
    truth = known[fitted.column].astype(str)
    right = predicted == truth
    metrics = classification_metrics(truth.tolist(), predicted.astype(str).tolist())
    metrics = {name: metrics[name] for name in ("accuracy", "f1", "macro_f1")}
    metrics["coverage"] = float((predicted != UNDETERMINED).mean())
    for language, hits in right.groupby(truth):
        metrics[segment_metric("accuracy", fitted.column, language)] = float(hits.mean())
    return metrics
