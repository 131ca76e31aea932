"""Anomaly detection: an isolation forest over the model's numeric inputs.

The score is the forest's anomaly score (higher is more unusual); a row is flagged when its
score passes the threshold that flags the expected share of anomalies in training. When the
data is synthetic, the planted anomalies give evaluation a ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.ensemble import IsolationForest

from pipelines.families.common import cut_offs
from pipelines.families.tabular import TabularModel, encode
from pipelines.stack_plan import ModelSpec
from pipelines.synthetic import PLANTED_ANOMALY

__all__ = ["AnomalyModel", "evaluate", "fit", "oracle", "predict"]

CONTAMINATION = 0.02


@dataclass
class FlatForest:
    """Every tree of a fitted isolation forest in one set of node arrays, walked at once.

    scikit-learn scores a forest one tree at a time through joblib, which costs about 13 ms
    for 200 trees whatever the number of rows: the whole budget of a real-time request. Here
    the trees' nodes are concatenated (children as global indices, leaves holding their path
    length), and all (row, tree) pairs descend together, one vectorised step per level. The
    comparison is scikit-learn's (features as float32, ``x <= threshold`` goes left) and the
    trees' path lengths are added in tree order, so the scores are the forest's own.
    """

    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    path: np.ndarray
    denominator: float

    @classmethod
    def of(cls, forest: Any) -> FlatForest:
        """The flat form of a fitted ``IsolationForest``."""
        features: list[np.ndarray] = []
        thresholds: list[np.ndarray] = []
        lefts: list[np.ndarray] = []
        rights: list[np.ndarray] = []
        paths: list[np.ndarray] = []
        roots: list[int] = []
        offset = 0
        for index, tree in enumerate(forest.estimators_):
            nodes = tree.tree_
            leaf = nodes.children_left == -1
            used = np.asarray(forest.estimators_features_[index])
            features.append(np.where(leaf, 0, used[np.maximum(nodes.feature, 0)]))
            thresholds.append(nodes.threshold)
            lefts.append(np.where(leaf, -1, nodes.children_left + offset))
            rights.append(np.where(leaf, -1, nodes.children_right + offset))
            lengths = forest._decision_path_lengths[index]
            paths.append(lengths + forest._average_path_length_per_tree[index] - 1.0)
            roots.append(offset)
            offset += nodes.node_count
        average = _average_path_length(forest._max_samples)
        return cls(
            roots=np.asarray(roots),
            feature=np.concatenate(features),
            threshold=np.concatenate(thresholds),
            left=np.concatenate(lefts),
            right=np.concatenate(rights),
            path=np.concatenate(paths),
            denominator=len(forest.estimators_) * average,
        )

    def scores(self, matrix: np.ndarray) -> np.ndarray:
        """The anomaly score of each row (``-forest.score_samples``: higher is more unusual)."""
        values = np.asarray(matrix, dtype=np.float32)
        shape = (len(values), len(self.roots))
        node = np.broadcast_to(self.roots, shape).copy()
        row = np.broadcast_to(np.arange(len(values))[:, None], shape)
        inner = self.left[node] != -1
        while inner.any():
            at = node[inner]
            goes_left = values[row[inner], self.feature[at]] <= self.threshold[at]
            node[inner] = np.where(goes_left, self.left[at], self.right[at])
            inner = self.left[node] != -1
        depths = np.zeros(len(values))
        for tree in range(node.shape[1]):  # tree by tree, as scikit-learn adds them
            depths += self.path[node[:, tree]]
        if self.denominator == 0:
            return np.ones(len(values))
        return np.asarray(2.0 ** (-depths / self.denominator), dtype=float)


def _average_path_length(samples: int) -> float:
    """Average path length of an unsuccessful search in a tree of ``samples`` points."""
    if samples <= 1:
        return 0.0
    if samples == 2:
        return 1.0
    return float(2.0 * (np.log(samples - 1.0) + np.euler_gamma) - 2.0 * (samples - 1.0) / samples)


@dataclass
class AnomalyModel:
    """The fitted forest (and its flat form for scoring), the input encoding and the threshold."""

    encoding: TabularModel
    forest: Any
    threshold: float
    flat: FlatForest | None = None

    def scores(self, matrix: np.ndarray) -> np.ndarray:
        """Anomaly scores of ``matrix``'s rows, through the flat forest (built once)."""
        if self.flat is None:
            self.flat = FlatForest.of(self.forest)
        return self.flat.scores(matrix)


def _matrix(encoding: TabularModel, frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(np.nan_to_num(encode(encoding, frame), nan=0.0), dtype=float)


def fit(model: ModelSpec, frame: pd.DataFrame, seed: int) -> AnomalyModel:
    """Fit the forest on ``frame`` and set the threshold at the expected anomaly share."""
    columns = list(model.columns)
    encoding = TabularModel(estimator=None, columns=columns)
    matrix = _matrix(encoding, frame)
    forest = IsolationForest(n_estimators=200, random_state=seed, **model.params).fit(matrix)
    flat = FlatForest.of(forest)
    threshold = float(np.quantile(flat.scores(matrix), 1.0 - CONTAMINATION))
    return AnomalyModel(encoding=encoding, forest=forest, threshold=threshold, flat=flat)


def predict(model: ModelSpec, fitted: AnomalyModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Column ``score`` (higher is more anomalous) and ``prediction`` (flagged or not)."""
    scores = fitted.scores(_matrix(fitted.encoding, frame))
    return pd.DataFrame(
        {"prediction": scores >= fitted.threshold, "score": scores}, index=frame.index
    )


#: The review-queue sizes always reported: the ``k`` most anomalous rows an analyst reads.
DEFAULT_CUT_OFFS = (100,)


def _at_k(truth: np.ndarray, scores: np.ndarray, ks: list[int]) -> dict[str, float]:
    """Precision and recall among the ``k`` highest-scored rows, for each ``k``.

    Why: anomalies go to a review queue of fixed size; what matters is how many of the rows
    read are real, and how many real ones the queue holds.
    """
    order = np.argsort(-scores, kind="stable")
    found = max(int(truth.sum()), 1)
    out: dict[str, float] = {}
    for k in ks:
        hits = int(truth[order[:k]].sum())
        out[f"precision_at_{k}"] = hits / min(k, len(truth))
        out[f"recall_at_{k}"] = hits / found
    return out


def _scored(
    model: ModelSpec, truth: np.ndarray, flagged: np.ndarray, scores: np.ndarray
) -> dict[str, float]:
    out = {"anomaly_rate": float(flagged.mean()) if len(flagged) else 0.0}
    if len(np.unique(truth)) == 2:
        negatives = max(int((truth == 0).sum()), 1)
        out["roc_auc"] = float(skm.roc_auc_score(truth, scores))
        out["pr_auc"] = float(skm.average_precision_score(truth, scores))
        out["precision"] = float(skm.precision_score(truth, flagged, zero_division=0))
        out["recall"] = float(skm.recall_score(truth, flagged, zero_division=0))
        out["f1"] = float(skm.f1_score(truth, flagged, zero_division=0))
        out["false_positive_rate"] = float(((flagged == 1) & (truth == 0)).sum() / negatives)
        out.update(_at_k(truth, scores, cut_offs(model, DEFAULT_CUT_OFFS)))
    return out


def evaluate(model: ModelSpec, fitted: AnomalyModel, holdout: pd.DataFrame) -> dict[str, float]:
    """Share flagged and, against planted anomalies when known, how well they are found.

    With the ground truth: ROC and PR AUC of the score, precision, recall, F1 and false
    positive rate of the flags, and precision and recall among the top ``k`` scores. Without
    it only the share flagged can be measured.
    """
    predictions = predict(model, fitted, holdout)
    flagged = predictions["prediction"].to_numpy(dtype=int)
    if PLANTED_ANOMALY not in holdout:
        return {"anomaly_rate": float(flagged.mean()) if len(flagged) else 0.0}
    truth = holdout[PLANTED_ANOMALY].to_numpy(dtype=int)
    return _scored(model, truth, flagged, predictions["score"].to_numpy(dtype=float))


def oracle(model: ModelSpec, holdout: pd.DataFrame) -> dict[str, float]:
    """The metrics of a detector that knows the planted anomalies."""
    if PLANTED_ANOMALY not in holdout:
        return {}
    truth = holdout[PLANTED_ANOMALY].to_numpy(dtype=int)
    return _scored(model, truth, truth, truth.astype(float))
