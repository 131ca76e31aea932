"""An experiment's read-out: checks first, then each metric's lift, then the verdict.

The verdict is ``blocked`` when assignment is broken (exit :data:`EXIT_SRM` for a
sample-ratio mismatch, :data:`EXIT_ASSIGNMENT` for crossed units or unplanned variants):
the estimates are still computed and shown, but must not be acted on. Otherwise it is
``early`` until every arm has the planned sample (a fixed-horizon test read before its
horizon overstates significance every time it is looked at), then ``win`` or ``loss`` when
the primary metric moved significantly in or against the plan's direction, else ``flat``.

With several treatments each is compared with control at alpha / (arms − 1) (Bonferroni),
so the chance of any false win stays within the plan's alpha. Every other numeric outcome
column is reported as a secondary metric; only the primary decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from pipelines.experiments.assignment import SampleRatio, Stickiness, sample_ratio, stickiness
from pipelines.experiments.design import ExperimentDesign
from pipelines.experiments.estimates import Lift, compare, unit_data
from pipelines.experiments.saturation import Saturation, saturation

__all__ = [
    "EXIT_ASSIGNMENT",
    "EXIT_INPUT",
    "EXIT_SRM",
    "EXIT_VALID",
    "Comparison",
    "MetricResult",
    "Readout",
    "analyse",
]

EXIT_VALID = 0
EXIT_INPUT = 2
EXIT_SRM = 3
EXIT_ASSIGNMENT = 4


@dataclass(frozen=True)
class Comparison:
    """One treatment against control on one metric: all units, and the triggered ones."""

    treatment: str
    lift: Lift | None
    triggered: Lift | None
    outcome: str


@dataclass(frozen=True)
class MetricResult:
    """A metric's comparisons; the primary one is the experiment's planned metric."""

    metric: str
    primary: bool
    rate: bool
    direction: str | None
    comparisons: tuple[Comparison, ...]


@dataclass(frozen=True)
class Readout:
    """Everything the report shows, and the verdict with its reasons."""

    design: ExperimentDesign
    confidence: float
    stickiness: Stickiness
    sample_ratio: SampleRatio
    duplicate_exposures: int
    requests: dict[str, int]
    requests_with_outcome: dict[str, int]
    units_with_outcome: dict[str, int]
    sample_size_reached: bool
    metrics: tuple[MetricResult, ...]
    saturation: Saturation | None
    window: tuple[str, str] | None
    verdict: str
    reasons: tuple[str, ...]

    @property
    def exit_code(self) -> int:
        """0 for a valid read-out, 3 when SRM blocks it, 4 when assignment is broken."""
        if self.sample_ratio.mismatch:
            return EXIT_SRM
        if self.stickiness.broken:
            return EXIT_ASSIGNMENT
        return EXIT_VALID


def _outcome(lift: Lift | None, direction: str | None) -> str:
    if lift is None:
        return "no data"
    if lift.p_value >= 1 - lift.confidence:
        return "flat"
    if direction is None:
        return "different"
    better = lift.absolute > 0 if direction == "increase" else lift.absolute < 0
    return "win" if better else "loss"


def _is_rate(values: pd.Series) -> bool:
    known = values.dropna()
    return bool(len(known)) and bool(known.isin([0.0, 1.0]).all())


def _metric(
    design: ExperimentDesign,
    joined: pd.DataFrame,
    metric: str,
    direction: str | None,
    confidence: float,
    triggered: pd.Series | None,
    covariate: pd.Series | None,
) -> MetricResult:
    primary = metric == design.metric
    rate = design.metric_kind == "rate" if primary else _is_rate(joined[metric])
    by_arm = {arm.name: joined[joined["variant"] == arm.name] for arm in design.arms}

    def lift(treatment: str, rows: Mapping[str, pd.DataFrame]) -> Lift | None:
        names = (design.control.name, treatment)
        data = [unit_data(rows[name], metric, covariate) for name in names]
        return compare(names, data[0], data[1], confidence, rate=rate)

    comparisons = []
    for arm in design.treatments:
        whole = lift(arm.name, by_arm)
        subset = None
        if triggered is not None:
            keep = {n: r[r["prediction_id"].isin(triggered)] for n, r in by_arm.items()}
            subset = lift(arm.name, keep)
        comparisons.append(Comparison(arm.name, whole, subset, _outcome(whole, direction)))
    return MetricResult(metric, primary, rate, direction, tuple(comparisons))


def _verdict(
    design: ExperimentDesign,
    sticky: Stickiness,
    ratio: SampleRatio,
    reached: bool,
    primary: MetricResult,
) -> tuple[str, tuple[str, ...]]:
    reasons = []
    if ratio.mismatch:
        reasons.append(f"sample-ratio mismatch: chi-square p = {ratio.p_value:.2e} < 0.001")
    if sticky.crossed_units and sticky.broken:
        reasons.append(f"{sticky.crossed_units} units were exposed in more than one variant")
    if sticky.unplanned_variants:
        reasons.append(f"variants the plan lacks: {', '.join(sticky.unplanned_variants)}")
    if reasons:
        return "blocked", tuple(reasons)
    outcomes = [c.outcome for c in primary.comparisons]
    if not reached:
        return "early", (
            (
                f"an arm has fewer than the planned {design.sample_size_per_arm:,} units with "
                "outcomes; a fixed-horizon test read early overstates significance"
            ),
        )
    for verdict in ("win", "loss"):
        if verdict in outcomes:
            names = [c.treatment for c in primary.comparisons if c.outcome == verdict]
            return verdict, (f"{design.metric}: {verdict} for {', '.join(names)}",)
    return "flat", (f"{design.metric}: no significant difference at the planned sample",)


def analyse(
    design: ExperimentDesign,
    exposures: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    directions: Mapping[str, str | None] | None = None,
    disagreements: pd.DataFrame | None = None,
    covariates: Mapping[str, pd.Series] | None = None,
) -> Readout:
    """The read-out of ``design`` from its exposures and the outcomes of their predictions."""
    unique = exposures.drop_duplicates("prediction_id", keep="first")
    sticky, clean = stickiness(unique, design)
    ratio = sample_ratio(clean, design)
    joined = clean.merge(outcomes, on="prediction_id", how="left")
    confidence = 1 - design.alpha / max(1, len(design.treatments))
    triggered = None
    report = None
    if disagreements is not None:
        report = saturation(disagreements, design, 1 - design.alpha)
        triggered = pd.Series(disagreements.loc[disagreements["differs"], "prediction_id"])
    names = [
        design.metric,
        *(c for c in outcomes.columns if c not in ("prediction_id", design.metric)),
    ]
    wanted = {**(directions or {}), design.metric: design.direction}
    metrics = tuple(
        _metric(
            design,
            joined,
            name,
            wanted.get(name),
            confidence,
            triggered,
            (covariates or {}).get(name),
        )
        for name in names
    )
    has_outcome = joined[joined[design.metric].notna()]
    units = {
        a.name: int(has_outcome.loc[has_outcome["variant"] == a.name, "unit"].nunique())
        for a in design.arms
    }
    reached = min(units.values()) >= design.sample_size_per_arm
    primary = next(m for m in metrics if m.primary)
    verdict, reasons = _verdict(design, sticky, ratio, reached, primary)
    window = None
    if "at" in clean.columns and len(clean):
        at = pd.to_datetime(clean["at"], utc=True, format="ISO8601")
        window = (at.min().isoformat(), at.max().isoformat())
    return Readout(
        design=design,
        confidence=confidence,
        stickiness=sticky,
        sample_ratio=ratio,
        duplicate_exposures=int(len(exposures) - len(unique)),
        requests={a.name: int((joined["variant"] == a.name).sum()) for a in design.arms},
        requests_with_outcome={
            a.name: int((has_outcome["variant"] == a.name).sum()) for a in design.arms
        },
        units_with_outcome=units,
        sample_size_reached=reached,
        metrics=metrics,
        saturation=report,
        window=window,
        verdict=verdict,
        reasons=reasons,
    )
