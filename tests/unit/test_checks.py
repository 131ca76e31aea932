"""Cross-field checks of data, features, models and training: one passing, one failing spec each.

Cases start from tests/data/minimal.yaml with a few edits (see spec_edits.py); the codes of
all diagnostics, errors and warnings, must be exactly the expected set, so a check that fires
too often fails the passing cases.
"""

from __future__ import annotations

import pytest
import yaml

from mlopsgen.spec.checks.metrics import MODEL_METRICS, produces
from mlopsgen.spec.loader import load_spec_text
from tests.unit.spec_edits import (
    ANOMALY,
    BACKUP,
    BASE,
    DEC,
    DECISION,
    DELETE,
    EX,
    EXPERIMENT,
    INFRA,
    M0,
    MERCHANTS,
    TWO_MODELS,
    V0,
    WITH_DECISION,
    WITH_EXPERIMENT,
    Edit,
    apply,
    codes,
    diagnostics_of,
)

CASES: list[tuple[str, list[Edit], set[str]]] = [
    ("minimal spec", [], set()),
    # E301 duplicate names
    ("two distinct models", TWO_MODELS, set()),
    ("duplicate model", [(("models", 1), {**BACKUP, "name": "scorer"})], {"E301"}),
    ("duplicate feature", [((*V0, "features", 1, "name"), "txn_count_1h")], {"E301"}),
    ("duplicate source", [(("data", "sources", 1), {**MERCHANTS, "name": "events"})], {"E301"}),
    (
        "duplicate entity",
        [(("features", "entities", 1), {"name": "user", "key": "user_id", "cardinality": 5})],
        {"E301"},
    ),
    ("duplicate metric", [(("business", "metrics", 1), BASE["business"]["metrics"][0])], {"E301"}),
    (
        "duplicate rule",
        [*WITH_DECISION, ((*DEC, "rules", 1), DECISION["rules"][0])],
        {"E301"},
    ),
    ("duplicate experiment", [*WITH_EXPERIMENT, ((*EX[:2], 1), EXPERIMENT)], {"E301"}),
    # sources
    ("no event_time", [(("data", "sources", 0, "event_time"), DELETE)], set()),
    ("event_time unknown", [(("data", "sources", 0, "event_time"), "tss")], {"E304"}),
    ("event_time not timestamp", [(("data", "sources", 0, "event_time"), "amount")], {"E307"}),
    ("label unknown", [(("data", "sources", 0, "label"), "bad")], {"E304"}),
    # entities and views
    (
        "entity key in another source",
        [
            (("data", "sources", 1), MERCHANTS),
            (
                ("features", "entities", 1),
                {"name": "merchant", "key": "merchant_id", "cardinality": 9},
            ),
        ],
        set(),
    ),
    ("entity key unknown", [(("features", "entities", 0, "key"), "userid")], {"E304"}),
    ("view entity unknown", [((*V0, "entity"), "usr")], {"E303"}),
    ("view source unknown", [((*V0, "source"), "evnts")], {"E302"}),
    (
        "view source lacks the entity key",
        [
            (("data", "sources", 1), MERCHANTS),
            (
                ("features", "entities", 1),
                {"name": "merchant", "key": "merchant_id", "cardinality": 9},
            ),
            ((*V0, "entity"), "merchant"),
        ],
        {"E304"},
    ),
    ("stream view over stream", [((*V0, "compute"), "stream")], set()),
    (
        "stream view over table",
        [((*V0, "compute"), "stream"), (("data", "sources", 0, "kind"), "table")],
        {"E318"},
    ),
    ("feature column unknown", [((*V0, "features", 1, "column"), "amt")], {"E304"}),
    ("mean of a category", [((*V0, "features", 1, "column"), "country")], {"E307"}),
    (
        "distinct count of a category",
        [
            (
                (*V0, "features", 1),
                {"name": "c", "agg": "count_distinct", "column": "country", "window": "1d"},
            )
        ],
        set(),
    ),
    (
        "max of a timestamp",
        [((*V0, "features", 1), {"name": "c", "agg": "max", "column": "ts", "window": "1d"})],
        set(),
    ),
    # models
    ("target unknown", [((*M0, "target"), "is_bat")], {"E304"}),
    ("supervised without target", [((*M0, "target"), DELETE)], {"E316"}),
    ("anomaly without target", [(("models", 1), ANOMALY)], set()),
    ("input column unknown", [((*M0, "inputs", 0), "amt")], {"E304"}),
    ("input view unknown", [((*M0, "inputs", 2), "user_stat.*")], {"E305"}),
    ("input feature unknown", [((*M0, "inputs", 2), "user_stats.count")], {"E305"}),
    ("input with two dots", [((*M0, "inputs", 2), "user_stats.a.b")], {"E305"}),
    ("input feature known", [((*M0, "inputs", 2), "user_stats.txn_count_1h")], set()),
    ("input is the target", [((*M0, "inputs", 3), "is_bad")], {"E317"}),
    ("partition by category", [((*M0, "partition_by"), "country")], set()),
    ("partition by entity", [((*M0, "partition_by"), "user_id")], set()),
    ("partition by float", [((*M0, "partition_by"), "amount")], {"E307"}),
    ("partition by unknown", [((*M0, "partition_by"), "region")], {"E304"}),
    (
        "partition by open category",
        [
            (("data", "sources", 0, "schema", "country", "values"), DELETE),
            ((*M0, "partition_by"), "country"),
        ],
        {"E307"},
    ),
    (
        "partition by entity column without entity",
        [
            (("data", "sources", 0, "schema", "session"), {"type": "string", "role": "entity"}),
            ((*M0, "partition_by"), "session"),
        ],
        {"E307"},
    ),
    ("gate metric of the task", [((*M0, "gates", 0, "metric"), "false_positive_rate")], set()),
    ("gate metric of another task", [((*M0, "gates", 0, "metric"), "mape")], {"E312"}),
    (
        "ranking gate with a cut-off",
        [
            ((*M0, "task"), "ranking"),
            ((*M0, "framework"), "lightgbm"),
            ((*M0, "gates", 0, "metric"), "ndcg_at_5"),
        ],
        set(),
    ),
    ("framework the task supports", [((*M0, "framework"), "xgboost")], set()),
    ("framework the task lacks", [((*M0, "framework"), "pytorch")], {"E333"}),
    ("gate placeholder is not a metric", [((*M0, "gates", 0, "metric"), "ndcg_at_k")], {"E312"}),
    ("gate slice known", [((*M0, "gates", 0, "by"), "country")], set()),
    ("gate slice unknown", [((*M0, "gates", 0, "by"), "county")], {"E304"}),
    # training
    (
        "continuous with triggers",
        [
            (
                ("training",),
                {"cadence": "continuous", "triggers": [{"kind": "drift", "threshold": 0.2}]},
            )
        ],
        set(),
    ),
    ("continuous without triggers", [(("training",), {"cadence": "continuous"})], {"E326"}),
    (
        "performance trigger known",
        [(("training", "triggers"), [{"kind": "performance", "metric": "roc_auc", "min": 0.8}])],
        set(),
    ),
    (
        "performance trigger unknown",
        [(("training", "triggers"), [{"kind": "performance", "metric": "mape", "min": 0.8}])],
        {"E312"},
    ),
    # serving references
    ("served model unknown", [(("serving", "models", 0), "scorr")], {"E306"}),
    ("request field unknown", [(("serving", "request_fields"), ["amount", "amnt"])], {"E304"}),
    ("cache key unknown column", [(("serving", "cache"), {"key": ["usr"]})], {"E304"}),
    (
        "cache key is a request field",
        [
            (("serving", "request_fields"), ["user_id"]),
            (("serving", "cache"), {"key": ["user_id"]}),
        ],
        set(),
    ),
    (
        "cache key not a request field",
        [
            (("serving", "request_fields"), ["user_id"]),
            (("serving", "cache"), {"key": ["country"]}),
        ],
        {"E304"},
    ),
]


@pytest.mark.parametrize(("edits", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check(edits: list[Edit], expected: set[str]) -> None:
    assert codes(edits) == expected


def test_all_checks_report_together() -> None:
    edits = [
        *WITH_DECISION,
        ((*M0, "target"), "is_bat"),
        ((*DEC, "ensemble", "backup"), 0.6),
        ((*DEC, "rules", 0, "when"), "amount > 'x'"),
        ((INFRA,), {"cloud": "aws", "zones": 1}),
    ]
    assert codes(edits) == {"E304", "E309", "E403", "E324", "E327"}


def test_warnings_do_not_stop_loading() -> None:
    data = apply([((INFRA,), {"region": "home"})])
    loaded = load_spec_text(yaml.safe_dump(data), "t.yaml")
    assert [w.code for w in loaded.warnings] == ["W328"]
    assert all(not w.is_error for w in loaded.warnings)


def test_duplicate_points_at_the_second_and_names_the_first_line() -> None:
    text = yaml.safe_dump(apply([(("models", 1), {**BACKUP, "name": "scorer"})]), sort_keys=False)
    (diagnostic,) = diagnostics_of(text)
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines, 1) if line.endswith("name: scorer"))
    assert f"first defined at line {first}" in diagnostic.message
    assert diagnostic.span is not None and diagnostic.span.line > first


def test_misspelt_reference_hint_has_did_you_mean_and_the_valid_names() -> None:
    (diagnostic,) = diagnostics_of(yaml.safe_dump(apply([(("serving", "models", 0), "scorr")])))
    assert diagnostic.hint == "did you mean 'scorer'? models: scorer"


def test_every_metric_in_the_table_is_produced_by_its_task() -> None:
    for task, metrics in MODEL_METRICS.items():
        for metric in metrics:
            written = metric.replace("_at_k", "_at_10").replace("top_k", "top_5")
            assert produces(task, written), (task, written)
