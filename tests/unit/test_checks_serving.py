"""Cross-field checks of serving, decisions, experiments, monitors and infrastructure.

Same scheme as test_checks.py: each case is the minimal spec with a few edits and the exact
set of codes its diagnostics must have; an empty set is a spec that must pass the check.
"""

from __future__ import annotations

import pytest

from tests.unit.spec_edits import (
    ANOMALY,
    BACKUP,
    DEC,
    DELETE,
    EX,
    EXPERIMENT,
    INFRA,
    LANG_ID,
    M0,
    WITH_DECISION,
    WITH_EXPERIMENT,
    Edit,
    codes,
)

ROUTED = [
    (("models", 1), BACKUP),
    (("models", 2), LANG_ID),
    ((*M0, "partition_by"), "country"),
    (("serving", "models"), ["lang", "scorer"]),
    (
        ("serving", "routing"),
        {"key": "country", "detector": "lang", "targets": ["scorer"], "fallback": "backup"},
    ),
]
ROUTING = ("serving", "routing")
CASES: list[tuple[str, list[Edit], set[str]]] = [
    ("routing", ROUTED, set()),
    ("routing key unknown", [*ROUTED, ((*ROUTING, "key"), "cntry")], {"E304"}),
    ("routing detector unknown", [*ROUTED, ((*ROUTING, "detector"), "lng")], {"E306"}),
    ("routing detector task", [*ROUTED, ((*ROUTING, "detector"), "backup")], {"E308"}),
    (
        "routing target unpartitioned",
        [*ROUTED, ((*ROUTING, "targets"), ["scorer", "backup"])],
        {"E308"},
    ),
    ("routing fallback partitioned", [*ROUTED, ((*ROUTING, "fallback"), "scorer")], {"E308"}),
    # decision
    ("decision", WITH_DECISION, set()),
    (
        "ensemble member unknown",
        [*WITH_DECISION, ((*DEC, "ensemble"), {"scorer": 0.5, "bkup": 0.5})],
        {"E306"},
    ),
    ("ensemble member not served", [*WITH_DECISION, (("serving", "models"), ["scorer"])], {"E308"}),
    (
        "ensemble weight zero",
        [*WITH_DECISION, ((*DEC, "ensemble"), {"scorer": 1.0, "backup": 0.0})],
        {"E309"},
    ),
    ("ensemble weights sum", [*WITH_DECISION, ((*DEC, "ensemble", "backup"), 0.6)], {"E309"}),
    (
        "ensemble weights with rounding",
        [
            *WITH_DECISION,
            (("models", 2), {**BACKUP, "name": "third"}),
            (("serving", "models"), ["scorer", "backup", "third"]),
            ((*DEC, "ensemble"), {"scorer": 0.1, "backup": 0.2, "third": 0.7}),
        ],
        set(),
    ),
    (
        "anomaly model",
        [*WITH_DECISION, (("models", 2), ANOMALY), ((*DEC, "anomaly_model"), "odd")],
        set(),
    ),
    ("anomaly model task", [*WITH_DECISION, ((*DEC, "anomaly_model"), "backup")], {"E308"}),
    ("threshold zero", [*WITH_DECISION, ((*DEC, "thresholds", "review"), 0)], {"E310"}),
    ("threshold one", [*WITH_DECISION, ((*DEC, "thresholds", "decline"), 1.0)], {"E310"}),
    # experiments
    ("experiment", WITH_EXPERIMENT, set()),
    ("experiment metric unknown", [*WITH_EXPERIMENT, ((*EX, "metric"), "approvals")], {"E311"}),
    ("experiment unit unknown", [*WITH_EXPERIMENT, ((*EX, "unit"), "usr")], {"E304"}),
    (
        "experiment unit by id",
        [*WITH_EXPERIMENT, ((*EX, "unit"), "event_id"), ((*EX, "daily_units"), 5000)],
        set(),
    ),
    (
        "experiment unit by id, units per day unknown",
        [*WITH_EXPERIMENT, ((*EX, "unit"), "event_id")],
        {"E332"},
    ),
    (
        "effect as a bare number",
        [*WITH_EXPERIMENT, ((*EX, "minimum_detectable_effect"), 0.05)],
        {"E330"},
    ),
    (
        "effect absolute",
        [*WITH_EXPERIMENT, ((*EX, "minimum_detectable_effect"), {"absolute": 0.02})],
        set(),
    ),
    (
        "effect both kinds",
        [
            *WITH_EXPERIMENT,
            ((*EX, "minimum_detectable_effect"), {"absolute": 0.02, "relative": 0.1}),
        ],
        {"E204"},
    ),
    (
        "mean metric",
        [
            *WITH_EXPERIMENT,
            ((*EX, "baseline_rate"), None),
            ((*EX, "baseline_mean"), 3.0),
            ((*EX, "baseline_stddev"), 9.0),
        ],
        set(),
    ),
    (
        "mean without stddev",
        [*WITH_EXPERIMENT, ((*EX, "baseline_rate"), None), ((*EX, "baseline_mean"), 3.0)],
        {"E331"},
    ),
    (
        "rate and mean",
        [*WITH_EXPERIMENT, ((*EX, "baseline_mean"), 3.0), ((*EX, "baseline_stddev"), 9.0)],
        {"E331"},
    ),
    ("experiment unit not an id", [*WITH_EXPERIMENT, ((*EX, "unit"), "country")], {"E307"}),
    (
        "variant model unknown",
        [*WITH_EXPERIMENT, ((*EX, "variants", "treatment", "model"), "bkp")],
        {"E306"},
    ),
    (
        "variant ensemble unknown",
        [
            *WITH_DECISION,
            (("serving", "experiments"), [EXPERIMENT]),
            ((*EX, "variants", "treatment"), {"ensemble": {"scorer": 0.5, "bkp": 0.5}}),
        ],
        {"E306"},
    ),
    (
        "variant ensemble weights",
        [
            *WITH_DECISION,
            (("serving", "experiments"), [EXPERIMENT]),
            ((*EX, "variants", "treatment"), {"ensemble": {"scorer": 0.5, "backup": 0.4}}),
        ],
        {"E309"},
    ),
    (
        "split names unknown variant",
        [*WITH_EXPERIMENT, ((*EX, "split"), {"control": 50, "treat": 50})],
        {"E313"},
    ),
    ("split sum", [*WITH_EXPERIMENT, ((*EX, "split", "control"), 60)], {"E314"}),
    (
        "split thirds",
        [
            *WITH_EXPERIMENT,
            ((*EX, "variants", "third"), {"model": "scorer", "stage": "staging"}),
            ((*EX, "split"), {"control": 33.3, "treatment": 33.3, "third": 33.4}),
        ],
        set(),
    ),
    (
        "effect too large",
        [*WITH_EXPERIMENT, ((*EX, "minimum_detectable_effect"), {"relative": 3.0})],
        {"E315"},
    ),
    # guardrails and quality monitors
    (
        "guardrail business",
        [(("business", "guardrails"), [{"metric": "approval_rate", "min": 0.5}])],
        set(),
    ),
    (
        "guardrail model metric",
        [(("business", "guardrails"), [{"metric": "recall", "min": 0.5}])],
        set(),
    ),
    (
        "guardrail unknown",
        [(("business", "guardrails"), [{"metric": "ndcg_at_10", "min": 0.5}])],
        {"E311"},
    ),
    (
        "quality",
        [
            (
                ("monitoring", "quality"),
                [{"model": "scorer", "metric": "f1", "min": 0.5, "by": "country"}],
            )
        ],
        set(),
    ),
    (
        "quality model unknown",
        [(("monitoring", "quality"), [{"model": "scor", "metric": "f1", "min": 0.5}])],
        {"E306"},
    ),
    (
        "quality metric",
        [(("monitoring", "quality"), [{"model": "scorer", "metric": "mae", "max": 5}])],
        {"E312"},
    ),
    (
        "quality slice",
        [(("monitoring", "quality"), [{"model": "scorer", "metric": "f1", "min": 0.5, "by": "c"}])],
        {"E304"},
    ),
    # infrastructure
    (
        "gpu on aws a10g",
        [
            ((*M0, "gpu"), {"serving": 1}),
            ((INFRA,), {"cloud": "aws", "region": "r", "gpu_class": "a10g"}),
        ],
        set(),
    ),
    (
        "gpu on gcp t4",
        [
            ((*M0, "gpu"), {"training": 2}),
            ((INFRA,), {"cloud": "gcp", "region": "r", "gpu_class": "t4"}),
        ],
        set(),
    ),
    ("gpu on local", [((*M0, "gpu"), {"training": 1})], {"E320"}),
    (
        "gpu without class",
        [((*M0, "gpu"), {"serving": 1}), ((INFRA,), {"cloud": "aws", "region": "r"})],
        {"E321"},
    ),
    (
        "gpu class not on gcp",
        [
            ((*M0, "gpu"), {"serving": 1}),
            ((INFRA,), {"cloud": "gcp", "region": "r", "gpu_class": "a10g"}),
        ],
        {"E322"},
    ),
    ("gpu class on local", [((INFRA,), {"gpu_class": "t4"})], {"E322"}),
    (
        "gpu class unused",
        [((INFRA,), {"cloud": "aws", "region": "r", "gpu_class": "t4"})],
        {"W323"},
    ),
    ("99.99 in three zones", [(("slo", "availability"), 99.99), ((INFRA, "zones"), 3)], set()),
    ("99.99 zones left to the plan", [(("slo", "availability"), 99.99)], set()),
    ("99.99 in one zone", [(("slo", "availability"), 99.99), ((INFRA, "zones"), 1)], {"E324"}),
    ("99.9 in one zone", [((INFRA, "zones"), 1)], {"E324"}),
    ("99.5 in one zone", [(("slo", "availability"), 99.5), ((INFRA, "zones"), 1)], set()),
    (
        "batch without latency",
        [
            (("slo", "latency_p95_ms"), DELETE),
            (("serving", "mode"), "batch"),
            (("serving", "batch"), {"output_uri": "s3://o/"}),
        ],
        set(),
    ),
    (
        "batch with latency",
        [(("serving", "mode"), "batch"), (("serving", "batch"), {"output_uri": "s3://o/"})],
        {"E325"},
    ),
    ("realtime without latency", [(("slo", "latency_p95_ms"), DELETE)], {"E325"}),
    ("cloud with region", [((INFRA,), {"cloud": "gcp", "region": "europe-west4"})], set()),
    ("cloud without region", [((INFRA,), {"cloud": "gcp"})], {"E327"}),
    ("region on local", [((INFRA,), {"region": "home"})], {"W328"}),
]


@pytest.mark.parametrize(("edits", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check(edits: list[Edit], expected: set[str]) -> None:
    assert codes(edits) == expected
