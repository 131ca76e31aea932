"""Tabular models: binary and multiclass classification and regression.

Frameworks: scikit-learn (histogram gradient boosting), XGBoost and LightGBM. Inputs are
the model's columns in the training frame: numbers as floats, booleans as 0/1, categories as
integer codes over the values seen in training (unseen values become missing, which every
one of these learners handles). No ZenML and no Feast here: plain Python a user can call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from pipelines.stack_plan import ModelSpec
from pipelines.synthetic import ORACLE_PREFIX

__all__ = ["TabularModel", "evaluate", "fit", "metrics", "oracle", "predict"]

CLASSIFICATION = ("binary_classification", "multiclass_classification")


@dataclass
class TabularModel:
    """A fitted learner with what it needs to encode new rows the way it was trained."""

    estimator: Any
    columns: list[str]
    categories: dict[str, list[str]] = field(default_factory=dict)
    classes: list[Any] = field(default_factory=list)


def _categories(frame: pd.DataFrame, columns: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for column in columns:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            found[column] = [str(v) for v in values.cat.categories]
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            found[column] = sorted(str(v) for v in values.dropna().unique())
    return found


def encode(fitted: TabularModel, frame: pd.DataFrame) -> np.ndarray:
    """The model's input matrix for ``frame``: floats, categories as codes, NaN if missing."""
    columns = []
    for column in fitted.columns:
        values = frame[column]
        if column in fitted.categories:
            codes = pd.Categorical(values.astype("string"), categories=fitted.categories[column])
            columns.append(np.where(codes.codes < 0, np.nan, codes.codes).astype(float))
        else:
            columns.append(
                pd.to_numeric(values.astype("Float64"), errors="coerce").to_numpy(
                    dtype=float, na_value=np.nan
                )
            )
    return np.column_stack(columns) if columns else np.zeros((len(frame), 0))


def _estimator(model: ModelSpec, seed: int, classes: int) -> Any:
    params = dict(model.params)
    regression = model.task == "regression"
    if model.framework == "xgboost":
        import xgboost

        params.setdefault("n_estimators", 300)
        params.setdefault("max_depth", 4)
        params.setdefault("learning_rate", 0.08)
        params.setdefault("n_jobs", 1)
        if regression:
            return xgboost.XGBRegressor(random_state=seed, **params)
        return xgboost.XGBClassifier(random_state=seed, **params)
    if model.framework == "lightgbm":
        import lightgbm

        params.setdefault("n_estimators", 300)
        params.setdefault("learning_rate", 0.05)
        params.setdefault("num_leaves", 15)
        params.setdefault("n_jobs", 1)
        params.setdefault("verbose", -1)
        if regression:
            return lightgbm.LGBMRegressor(random_state=seed, **params)
        return lightgbm.LGBMClassifier(random_state=seed, **params)
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    params.setdefault("max_iter", 300)
    params.setdefault("learning_rate", 0.08)
    if regression:
        return HistGradientBoostingRegressor(random_state=seed, **params)
    return HistGradientBoostingClassifier(random_state=seed, **params)


def _target(model: ModelSpec, frame: pd.DataFrame) -> pd.Series:
    if model.target is None:
        raise ValueError(f"model {model.name} has no target")
    return frame[model.target]


def fit(model: ModelSpec, frame: pd.DataFrame, seed: int) -> TabularModel:
    """Train the model's learner on ``frame`` (rows with a label only)."""
    columns = list(model.columns)
    y_raw = _target(model, frame)
    fitted = TabularModel(estimator=None, columns=columns, categories=_categories(frame, columns))
    features = encode(fitted, frame)
    if model.task in CLASSIFICATION:
        fitted.classes = sorted(pd.unique(y_raw.dropna()).tolist())
        y = np.array([fitted.classes.index(v) for v in y_raw])
    else:
        y = y_raw.to_numpy(dtype=float)
    fitted.estimator = _estimator(model, seed, len(fitted.classes))
    fitted.estimator.fit(features, y)
    return fitted


def predict(model: ModelSpec, fitted: TabularModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Column ``prediction``; classifiers add ``score`` (the positive or top class probability)."""
    features = encode(fitted, frame)
    if model.task not in CLASSIFICATION:
        return pd.DataFrame({"prediction": fitted.estimator.predict(features)}, index=frame.index)
    probabilities = fitted.estimator.predict_proba(features)
    top = probabilities.argmax(axis=1)
    classes = np.array(fitted.classes, dtype=object)
    if model.task == "binary_classification" and len(fitted.classes) == 2:
        score = probabilities[:, 1]
        return pd.DataFrame(
            {"prediction": classes[(score >= 0.5).astype(int)], "score": score}, index=frame.index
        )
    return pd.DataFrame(
        {"prediction": classes[top], "score": probabilities.max(axis=1)}, index=frame.index
    )


def _at_recall(y: np.ndarray, score: np.ndarray, recall: float) -> tuple[float, float]:
    """False-positive rate and threshold at the highest threshold reaching ``recall``."""
    fpr, tpr, thresholds = skm.roc_curve(y, score)
    reached = np.flatnonzero(tpr >= recall)
    index = int(reached[0]) if len(reached) else len(fpr) - 1
    return float(fpr[index]), float(min(thresholds[index], 1.0))


def _binary(model: ModelSpec, y: np.ndarray, predictions: pd.DataFrame) -> dict[str, float]:
    score = predictions["score"].to_numpy(dtype=float)
    hard = (score >= 0.5).astype(int)
    out = {
        "accuracy": float(skm.accuracy_score(y, hard)),
        "precision": float(skm.precision_score(y, hard, zero_division=0)),
        "recall": float(skm.recall_score(y, hard, zero_division=0)),
        "f1": float(skm.f1_score(y, hard, zero_division=0)),
        "positive_rate": float(y.mean()),
    }
    if len(np.unique(y)) < 2:
        return out
    out["roc_auc"] = float(skm.roc_auc_score(y, score))
    out["pr_auc"] = float(skm.average_precision_score(y, score))
    out["log_loss"] = float(skm.log_loss(y, np.clip(score, 1e-15, 1 - 1e-15), labels=[0, 1]))
    out["brier_score"] = float(skm.brier_score_loss(y, score))
    negatives = max(int((y == 0).sum()), 1)
    positives = max(int((y == 1).sum()), 1)
    out["false_positive_rate"] = float(((hard == 1) & (y == 0)).sum() / negatives)
    out["false_negative_rate"] = float(((hard == 0) & (y == 1)).sum() / positives)
    recall = next((g.at_recall for g in model.gates if g.at_recall is not None), None)
    if recall is not None:
        out["false_positive_rate"], out["threshold_at_recall"] = _at_recall(y, score, recall)
    return out


def _regression(y: np.ndarray, prediction: np.ndarray) -> dict[str, float]:
    error = prediction - y
    nonzero = np.abs(y) > 1e-12
    denominator = np.abs(y) + np.abs(prediction)
    return {
        "mse": float(np.mean(error**2)),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": float(np.mean(np.abs(error))),
        "r2": float(skm.r2_score(y, prediction)) if len(y) > 1 else 0.0,
        "mape": float(np.mean(np.abs(error[nonzero] / y[nonzero]))) if nonzero.any() else 0.0,
        "smape": float(np.mean(2 * np.abs(error) / np.where(denominator == 0, 1, denominator))),
    }


def _overall(model: ModelSpec, frame: pd.DataFrame, predictions: pd.DataFrame) -> dict[str, float]:
    truth = _target(model, frame)
    if model.task == "regression":
        return _regression(truth.to_numpy(dtype=float), predictions["prediction"].to_numpy(float))
    if model.task == "binary_classification" and "score" in predictions:
        positive = predictions.attrs.get("positive", True)
        return _binary(model, (truth == positive).to_numpy(dtype=int), predictions)
    labels = truth.astype(str).to_numpy()
    guessed = predictions["prediction"].astype(str).to_numpy()
    out = {
        "accuracy": float(skm.accuracy_score(labels, guessed)),
        "f1": float(skm.f1_score(labels, guessed, average="macro", zero_division=0)),
        "macro_f1": float(skm.f1_score(labels, guessed, average="macro", zero_division=0)),
        "weighted_f1": float(skm.f1_score(labels, guessed, average="weighted", zero_division=0)),
        "precision": float(skm.precision_score(labels, guessed, average="macro", zero_division=0)),
        "recall": float(skm.recall_score(labels, guessed, average="macro", zero_division=0)),
    }
    probabilities = predictions.attrs.get("probabilities")
    if probabilities is not None and len(probabilities) == len(labels):
        classes = [str(c) for c in predictions.attrs["classes"]]
        out["log_loss"] = float(skm.log_loss(labels, probabilities, labels=classes))
    return out


def metrics(model: ModelSpec, frame: pd.DataFrame, predictions: pd.DataFrame) -> dict[str, float]:
    """Every metric the gates may name, overall and per segment of each gate's ``by``."""
    out = _overall(model, frame, predictions)
    for column in sorted({g.by for g in model.gates if g.by is not None}):
        for value, rows in frame.groupby(column, observed=True).groups.items():
            part = _overall(model, frame.loc[rows], predictions.loc[rows])
            out.update({f"{name}[{column}={value}]": v for name, v in part.items()})
    return out


def evaluate(model: ModelSpec, fitted: TabularModel, holdout: pd.DataFrame) -> dict[str, float]:
    """The model's metrics on ``holdout`` (rows with a label)."""
    predictions = predict(model, fitted, holdout)
    if model.task == "binary_classification" and len(fitted.classes) == 2:
        predictions.attrs["positive"] = fitted.classes[1]
    elif model.task in CLASSIFICATION:
        predictions.attrs["probabilities"] = fitted.estimator.predict_proba(encode(fitted, holdout))
        predictions.attrs["classes"] = list(fitted.classes)
    return metrics(model, holdout, predictions)


def oracle(model: ModelSpec, holdout: pd.DataFrame) -> dict[str, float]:
    """The same metrics for the true generating score, when the data is synthetic."""
    column = ORACLE_PREFIX + (model.target or "")
    if column not in holdout:
        return {}
    truth = holdout[column]
    if model.task == "binary_classification":
        score = truth.to_numpy(dtype=float)
        predictions = pd.DataFrame(
            {"prediction": score >= 0.5, "score": score}, index=holdout.index
        )
    else:
        predictions = pd.DataFrame({"prediction": truth}, index=holdout.index)
    return metrics(model, holdout, predictions)
