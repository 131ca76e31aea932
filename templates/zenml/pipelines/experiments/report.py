"""The read-out as ``report.json`` (every number) and ``report.md`` (for people).

Both are built from the :class:`~pipelines.experiments.readout.Readout` alone, with keys and
rows in a fixed order, so the same logs always give the same bytes.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pipelines.experiments.assignment import CROSSED_LIMIT, SRM_P_VALUE
from pipelines.experiments.estimates import Lift
from pipelines.experiments.readout import EXIT_ASSIGNMENT, EXIT_SRM, Readout
from pipelines.experiments.saturation import SATURATED_BELOW, Saturation

__all__ = ["as_json", "as_markdown"]


def _lift(lift: Lift | None) -> dict[str, Any] | None:
    if lift is None:
        return None
    out = asdict(lift)
    out["stderr"] = lift.stderr
    return out


def _saturation(report: Saturation | None) -> dict[str, Any] | None:
    if report is None:
        return None
    out = asdict(report)
    out["saturated_below"] = SATURATED_BELOW
    out["warnings"] = list(report.warnings)
    out["note"] = (
        "the plan's effect is read as the effect on triggered requests (where the arms "
        "decide differently); over the whole population it is diluted to effect × rate, "
        "and since n grows as 1/effect², the whole-population analysis needs n / rate² "
        "units per arm, the triggered analysis n triggered units (about n / rate enrolled)"
    )
    return out


def as_json(readout: Readout) -> dict[str, Any]:
    """Every number of the read-out, as a JSON-ready mapping."""
    design = readout.design
    ratio = readout.sample_ratio
    return {
        "experiment": design.name,
        "unit": design.unit,
        "metric": design.metric,
        "verdict": readout.verdict,
        "reasons": list(readout.reasons),
        "exit_code": readout.exit_code,
        "window": list(readout.window) if readout.window else None,
        "plan": asdict(design),
        "confidence": readout.confidence,
        "assignment": {
            **asdict(readout.stickiness),
            "crossed_limit": CROSSED_LIMIT,
            "broken": readout.stickiness.broken,
            "duplicate_exposures": readout.duplicate_exposures,
        },
        "sample_ratio": {**asdict(ratio), "threshold": SRM_P_VALUE, "mismatch": ratio.mismatch},
        "requests": readout.requests,
        "requests_with_outcome": readout.requests_with_outcome,
        "units_with_outcome": readout.units_with_outcome,
        "sample_size_per_arm": design.sample_size_per_arm,
        "sample_size_reached": readout.sample_size_reached,
        "metrics": [
            {
                "metric": m.metric,
                "primary": m.primary,
                "kind": "rate" if m.rate else "mean",
                "direction": m.direction,
                "comparisons": [
                    {
                        "treatment": c.treatment,
                        "outcome": c.outcome,
                        "whole": _lift(c.lift),
                        "triggered": _lift(c.triggered),
                    }
                    for c in m.comparisons
                ],
            }
            for m in readout.metrics
        ],
        "saturation": _saturation(readout.saturation),
    }


def _num(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}g}"


def _lift_row(label: str, lift: Lift | None) -> str:
    if lift is None:
        return f"| {label} | fewer than two units with outcomes in an arm | | | | |"
    rel = "n/a"
    if lift.relative is not None and lift.relative_ci is not None:
        low, high = lift.relative_ci
        rel = f"{lift.relative:+.2%} [{low:+.2%}, {high:+.2%}]"
    low, high = lift.absolute_ci
    return (
        f"| {label} | {_num(lift.control.value)} → {_num(lift.treatment.value)} | "
        f"{_num(lift.absolute)} [{_num(low)}, {_num(high)}] | {rel} | {lift.p_value:.3g} | "
        f"{lift.method}; design effect {_num(lift.design_effect, 3)} |"
    )


def _metrics_md(readout: Readout) -> list[str]:
    level = f"{readout.confidence:.1%}"
    lines = [
        "## Metrics",
        "",
        f"Intervals at {level}, every variance computed at the unit ({readout.design.unit}).",
        "",
        (
            "| metric / arm | control → treatment | absolute lift [CI] | relative lift [CI] | p | "
            "method |"
        ),
        "|---|---|---|---|---|---|",
    ]
    for m in readout.metrics:
        tag = "primary" if m.primary else "secondary"
        for c in m.comparisons:
            lines.append(_lift_row(f"{m.metric} ({tag}) {c.treatment}: {c.outcome}", c.lift))
            if c.triggered is not None or readout.saturation is not None:
                lines.append(_lift_row(f"{m.metric} {c.treatment}, triggered only", c.triggered))
    return lines


def _saturation_md(report: Saturation | None) -> list[str]:
    if report is None:
        return ["## Saturation", "", "No disagreement sample was given."]
    low, high = report.rate_ci
    lines = [
        "## Saturation",
        "",
        (
            f"The arms' decisions differ on {report.rate:.2%} [{low:.2%}, {high:.2%}] of "
            f"{report.sampled_requests:,} sampled requests ({report.sampled_units:,} units); "
            f"saturated below {SATURATED_BELOW:.0%}: **{'yes' if report.saturated else 'no'}**."
        ),
        "",
        (
            "The plan's effect is read as the effect where the arms differ. Over everyone it is "
            "diluted to effect × rate, so the whole-population analysis needs n / rate² units per "
            "arm; the triggered analysis needs n triggered units, about n / rate enrolled."
        ),
        "",
        "| analysis | units per arm | duration (days) | read-out (day) | reachable |",
        "|---|---|---|---|---|",
    ]
    for need in (report.whole, report.triggered):
        units = "unbounded" if need.units_per_arm is None else f"{need.units_per_arm:,}"
        lines.append(
            f"| {need.population} ({need.formula}) | {units} | {_num(need.duration_days, 6)} | "
            f"{_num(need.readout_days, 6)} | {'yes' if need.reachable else 'no'} |"
        )
    lines += ["", *(f"- {warning}" for warning in report.warnings)]
    return lines


def as_markdown(readout: Readout) -> str:
    """The read-out for people: verdict, checks, lifts, saturation."""
    design, ratio, sticky = readout.design, readout.sample_ratio, readout.stickiness
    counts = ", ".join(
        f"{arm}: {n:,} (planned {readout.sample_ratio.expected[arm]:,.0f})"
        for arm, n in ratio.observed.items()
    )
    lines = [
        f"# Experiment {design.name}: {readout.verdict}",
        "",
        *(f"- {reason}" for reason in readout.reasons),
        "",
        "## Assignment",
        "",
        (
            f"Units per arm: {counts}; chi-square {ratio.chi_square:.3g}, p = {ratio.p_value:.3g} "
            f"(blocks below {SRM_P_VALUE}, exit {EXIT_SRM})."
        ),
        (
            f"Units in more than one variant: {sticky.crossed_units:,} of {sticky.units:,} "
            f"(blocks above {CROSSED_LIMIT:.0%}, exit {EXIT_ASSIGNMENT}); they are left out."
        ),
        f"Planned sample: {design.sample_size_per_arm:,} units per arm; with outcomes: "
        + ", ".join(f"{a}: {n:,}" for a, n in readout.units_with_outcome.items())
        + f" (reached: {'yes' if readout.sample_size_reached else 'no'}).",
        "",
        *_metrics_md(readout),
        "",
        *_saturation_md(readout.saturation),
    ]
    return "\n".join(lines) + "\n"
