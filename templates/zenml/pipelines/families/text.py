"""Sentiment and entity recognition with scikit-learn, one model per language shard.

Why shards: a model per group of languages learns each language's words without the others
crowding it out, and the plan sizes those training jobs (``partition.shards`` shards of
``partitions_per_shard`` languages, ``concurrent_workers`` at a time). A fallback model trained
on every row answers for languages no shard holds and for rows whose language is missing, where
:mod:`.language` detects it first. Quality is reported per language because an aggregate hides
the language a model fails.

Plan fields read: ``task`` (``sentiment_analysis`` or ``entity_recognition``), ``target``,
``inputs`` (the ``text`` column), ``partition`` (``column``, ``values``, ``shards``,
``partitions_per_shard``, ``concurrent_workers``), ``gates`` (``metric``, ``by``), ``params``
(``text_column``; ``detect_language``: route by detection even when a row declares its
language).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import Pipeline, make_pipeline

from .common import (
    ModelSpec,
    classification_metrics,
    column_of_type,
    log_loss_of,
    partition_of,
    seed_everything,
    segment_metric,
    shard_values,
    waves,
)
from .language import FALLBACK, route
from .lexicon import ENTITIES, lexicon

__all__ = [
    "SENTIMENTS",
    "EntityTagger",
    "TextModel",
    "entities",
    "evaluate",
    "fit",
    "oracle",
    "predict",
    "routes",
    "sentences",
]

SENTIMENTS = ("negative", "neutral", "positive")
#: Columns of a synthetic source holding each row's true label (``pipelines.synthetic``).
ORACLE_PREFIX = "_oracle__"
TOKEN = re.compile(r"\w+")
ENTITY_TYPE = {name: kind for kind, names in ENTITIES.items() for name in names}


def sentences(language: str, sentiment: str | None, n: int, rng: np.random.Generator) -> list[str]:
    """``n`` support messages in ``language`` carrying ``sentiment`` (random when None).

    Sentiment lives in the opinion phrase; most messages name a person, an organisation or a
    place (see :func:`entities` for the labels). Languages without word lists get a stable
    pseudo-language.
    """
    words = lexicon(language)
    out = []
    for _ in range(n):
        mood = sentiment if sentiment in words.opinions else str(rng.choice(SENTIMENTS))
        template = str(rng.choice(words.templates))
        out.append(
            template.format(
                thing=rng.choice(words.things),
                opinion=rng.choice(words.opinions[mood]),
                person=rng.choice(ENTITIES["PER"]),
                org=rng.choice(ENTITIES["ORG"]),
                place=rng.choice(ENTITIES["LOC"]),
            )
        )
    return out


def entities(text: str) -> str:
    """The entity label of a generated message: ``TYPE:name`` joined by ``|`` in text order."""
    return "|".join(f"{ENTITY_TYPE[t]}:{t}" for t in TOKEN.findall(text) if t in ENTITY_TYPE)


def _mentions(label: object) -> set[str]:
    return {m for m in str(label).split("|") if m} if isinstance(label, str) else set()


def _token_features(tokens: Sequence[str], i: int) -> dict[str, Any]:
    token = tokens[i]
    return {
        "w": token.lower(),
        "title": token[:1].isupper() and token[1:].islower(),
        "suffix": token[-3:].lower(),
        "prev": tokens[i - 1].lower() if i else "<s>",
        "next": tokens[i + 1].lower() if i + 1 < len(tokens) else "</s>",
    }


@dataclass
class EntityTagger:
    """A token classifier (person, organisation, place or none) over word and context features."""

    seed: int
    pipeline: Pipeline | None = None

    def fit(self, texts: Sequence[str], labels: Sequence[object]) -> EntityTagger:
        """Learn token tags from each message's entity label."""
        rows, tags = [], []
        for text, label in zip(texts, labels, strict=True):
            kinds = dict(m.split(":", 1)[::-1] for m in _mentions(label) if ":" in m)
            tokens = TOKEN.findall(text)
            for i, token in enumerate(tokens):
                rows.append(_token_features(tokens, i))
                tags.append(kinds.get(token, "O"))
        classifier = LogisticRegression(max_iter=1000, random_state=self.seed)
        self.pipeline = make_pipeline(DictVectorizer(), classifier)
        if len(set(tags)) > 1:
            self.pipeline.fit(rows, tags)
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Each message's entity label, in the format of :func:`entities`."""
        out = []
        for text in texts:
            tokens = TOKEN.findall(text)
            if not tokens or self.pipeline is None or not hasattr(self.pipeline, "classes_"):
                out.append("")
                continue
            tags = self.pipeline.predict([_token_features(tokens, i) for i in range(len(tokens))])
            out.append("|".join(f"{t}:{w}" for w, t in zip(tokens, tags, strict=True) if t != "O"))
        return out


def _estimator(task: str, seed: int) -> Pipeline | EntityTagger:
    if task == "entity_recognition":
        return EntityTagger(seed)
    # Character n-grams read every script (Japanese has no spaces); a logistic loss fitted by
    # SGD gives the same accuracy as LBFGS here at a tenth of the time, with probabilities.
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    classifier = SGDClassifier(loss="log_loss", alpha=1e-4, average=True, random_state=seed)
    return make_pipeline(vectorizer, classifier)


@dataclass
class TextModel:
    """Shard models keyed by shard index, the fallback, and how to route rows to them.

    ``languages`` holds, per trained shard, the partition values it had rows of: a shard
    answers only for those, so a planned language with no training data goes to the fallback
    instead of to a model that never saw it.
    """

    task: str
    text_column: str
    column: str | None
    groups: list[list[str]]
    seed: int
    detect_language: bool
    fallback: Pipeline | EntityTagger
    shards: dict[int, Pipeline | EntityTagger] = field(default_factory=dict)
    waves: list[list[int]] = field(default_factory=list)
    languages: dict[int, list[str]] = field(default_factory=dict)


def _trainable(task: str, labels: pd.Series) -> bool:
    return len(labels) > 0 if task == "entity_recognition" else labels.nunique() > 1


def fit(model: ModelSpec, frame: pd.DataFrame, seed: int) -> TextModel:
    """Train one model per planned language shard (wave by wave) and the fallback on all rows."""
    seed_everything(seed)
    assert model.target is not None, "a text model needs a label"
    text_column = column_of_type(model, "text", "text")
    texts = frame[text_column].astype(str)
    labels = frame[model.target]
    if model.task != "entity_recognition":
        labels = labels.astype(str)
    fallback = _estimator(model.task, seed).fit(list(texts), list(labels))
    partition = partition_of(model)
    column = partition.column if partition and partition.column in frame.columns else None
    detect = bool(model.params.get("detect_language", False))
    fitted = TextModel(model.task, text_column, column, [], seed, detect, fallback)
    if partition is None or column is None:
        return fitted
    declared = frame[column].astype("string")
    fitted.groups = shard_values(partition, list(declared.dropna().unique()))
    fitted.waves = waves(len(fitted.groups), partition.concurrent_workers)
    for wave in fitted.waves:  # the shards of a wave are independent jobs on a cluster
        for index in wave:
            rows = declared.isin(fitted.groups[index]).fillna(False).to_numpy(dtype=bool)
            if _trainable(model.task, labels[rows]):
                estimator = _estimator(model.task, seed)
                fitted.shards[index] = estimator.fit(list(texts[rows]), list(labels[rows]))
                fitted.languages[index] = sorted(declared[rows].unique())
    return fitted


def routes(fitted: TextModel, frame: pd.DataFrame) -> np.ndarray:
    """The shard each row goes to: its declared language's, else the detected one's, else -1.

    A language routes to a shard only when that shard trained on it (see :class:`TextModel`).
    """
    owner = {v: i for i, values in fitted.languages.items() for v in values}
    texts = frame[fitted.text_column].astype(str)
    declared = (
        frame[fitted.column].astype("string")
        if fitted.column in frame.columns and not fitted.detect_language
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    out = np.array([owner.get(str(v), FALLBACK) if pd.notna(v) else -2 for v in declared])
    missing = out == -2
    if missing.any() and fitted.groups:
        trained = [fitted.languages.get(i, []) for i in range(len(fitted.groups))]
        out[missing] = route(texts[missing], trained, fitted.seed)
    out[out == -2] = FALLBACK
    return out


def predict(model: ModelSpec, fitted: TextModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Each row's label from the model its language routes to; ``score`` for sentiment."""
    texts = frame[fitted.text_column].astype(str).to_numpy()
    target = routes(fitted, frame)
    prediction = np.empty(len(frame), dtype=object)
    score = np.ones(len(frame), dtype=float)
    for shard in np.unique(target):
        at = target == shard
        estimator = fitted.fallback if shard == FALLBACK else fitted.shards[int(shard)]
        prediction[at] = estimator.predict(list(texts[at]))
        if isinstance(estimator, Pipeline):
            score[at] = estimator.predict_proba(list(texts[at])).max(axis=1)
    return pd.DataFrame({"prediction": prediction, "score": score}, index=frame.index)


def _entity_scores(gold: list[set[str]], found: list[set[str]]) -> tuple[float, float, float]:
    """Micro precision, recall and F1 over the mentions (``TYPE:name``) of every message."""
    hits = sum(len(g & f) for g, f in zip(gold, found, strict=True))
    precision = hits / max(1, sum(len(f) for f in found))
    recall = hits / max(1, sum(len(g) for g in gold))
    return precision, recall, 2 * precision * recall / (precision + recall) if hits else 0.0


def _entities(truth: Sequence[object], predicted: Sequence[object]) -> dict[str, float]:
    """Mention-level scores; ``macro_f1`` averages the F1 of each entity type in the truth,
    so a type the tagger misses (places, say) shows even when people dominate the counts."""
    gold = [_mentions(t) for t in truth]
    found = [_mentions(p) for p in predicted]
    precision, recall, f1 = _entity_scores(gold, found)
    per_type = []
    for kind in sorted({m.split(":", 1)[0] for mentions in gold for m in mentions}):
        of = [{m for m in g if m.startswith(f"{kind}:")} for g in gold]
        per_type.append(
            _entity_scores(of, [{m for m in f if m.startswith(f"{kind}:")} for f in found])[2]
        )
    exact = float(np.mean([g == f for g, f in zip(gold, found, strict=True)])) if gold else 0.0
    return {
        "f1": f1,
        "precision": precision,
        "recall": recall,
        "macro_f1": float(np.mean(per_type)) if per_type else 0.0,
        "accuracy": exact,
    }


def _quality(task: str, truth: Sequence[object], predicted: Sequence[object]) -> dict[str, float]:
    if task == "entity_recognition":
        return _entities(truth, predicted)
    return classification_metrics([str(t) for t in truth], [str(v) for v in predicted])


def _true_probability(fitted: TextModel, frame: pd.DataFrame, truth: pd.Series) -> np.ndarray:
    """The probability each row's model gave the row's true label (0 for a label it never saw)."""
    texts = frame[fitted.text_column].astype(str).to_numpy()
    labels = truth.astype(str).to_numpy()
    target = routes(fitted, frame)
    out = np.zeros(len(frame), dtype=float)
    for shard in np.unique(target):
        at = np.flatnonzero(target == shard)
        estimator = fitted.fallback if shard == FALLBACK else fitted.shards[int(shard)]
        if not isinstance(estimator, Pipeline):
            continue
        column = {str(c): i for i, c in enumerate(estimator.classes_)}
        probabilities = estimator.predict_proba(list(texts[at]))
        index = np.array([column.get(label, -1) for label in labels[at]], dtype=int)
        out[at] = np.where(index >= 0, probabilities[np.arange(len(at)), index], 0.0)
    return out


def _scores(
    model: ModelSpec, column: str | None, holdout: pd.DataFrame, predicted: Sequence[object]
) -> dict[str, float]:
    """Quality overall and per segment (the gates' ``by`` columns and the partition column)."""
    assert model.target is not None
    truth = holdout[model.target].tolist()
    metrics: dict[str, float] = dict(_quality(model.task, truth, predicted))
    columns = {gate.by for gate in model.gates if gate.by} | ({column} - {None})
    found = np.array(predicted, dtype=object)
    for name in sorted(c for c in columns if c and c in holdout.columns):
        values = holdout[name].astype("string")
        for value in sorted(values.dropna().unique()):
            at = (values == value).fillna(False).to_numpy(dtype=bool)
            part = _quality(
                model.task, [t for t, a in zip(truth, at, strict=True) if a], found[at].tolist()
            )
            metrics.update({segment_metric(k, name, value): v for k, v in part.items()})
    return metrics


def evaluate(model: ModelSpec, fitted: TextModel, holdout: pd.DataFrame) -> dict[str, float]:
    """Quality overall and per language, and how the plan's shards were covered.

    Sentiment reports accuracy, F1 (macro and weighted), precision, recall and log loss;
    entities report mention precision, recall, F1 and the per-type macro F1.

    ``shards_trained`` counts the planned shards that had rows to train on (an unpartitioned
    model is one shard); ``languages_without_data`` counts the planned languages no shard
    saw, whose messages the fallback answers; ``fallback_share`` is the hold-out's share
    routed to the fallback.
    """
    predicted = predict(model, fitted, holdout)["prediction"].tolist()
    metrics = _scores(model, fitted.column, holdout, predicted)
    if model.task != "entity_recognition" and model.target is not None:
        truth = holdout[model.target]
        metrics["log_loss"] = log_loss_of(_true_probability(fitted, holdout, truth))
    routed = routes(fitted, holdout)
    partition = partition_of(model)
    planned = [str(v) for v in (partition.values or ())] if partition else []
    seen = {language for values in fitted.languages.values() for language in values}
    metrics["shards_planned"] = float(partition.shards) if partition else 1.0
    metrics["shards_trained"] = float(len(fitted.shards)) if partition else 1.0
    metrics["languages_without_data"] = float(len(set(planned) - seen))
    metrics["fallback_share"] = float(np.mean(routed == FALLBACK)) if len(routed) else 0.0
    return metrics


def oracle(model: ModelSpec, holdout: pd.DataFrame) -> dict[str, float]:
    """The same quality metrics for the synthetic source's true labels, on the same rows."""
    column = ORACLE_PREFIX + (model.target or "")
    if model.target is None or column not in holdout:
        return {}
    partition = partition_of(model)
    segment = partition.column if partition and partition.column in holdout.columns else None
    return _scores(model, segment, holdout, holdout[column].tolist())
