"""Whether assignment worked: sticky units, planned variants, and the planned split.

Randomisation is per unit, so both checks count units, never requests (a heavy user in one
arm would otherwise look like a skewed split). A unit exposed in two variants saw both
treatments and belongs to neither: it is left out of every estimate and reported; more
than :data:`CROSSED_LIMIT` of units crossed, or units in a variant the plan does not have,
means assignment is broken and the read-out is blocked.

The sample-ratio-mismatch (SRM) test is Pearson's chi-square of units per arm against the
plan's split. A mismatch means units were lost or moved by something correlated with the
arm (a crash in one model, a redirect, a logging bug), and no estimate on such data can be
trusted, however significant. The threshold is strict, p < :data:`SRM_P_VALUE` (0.001, the
customary one): the check runs on every read-out, so at 0.05 one healthy experiment in
twenty would be blocked.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from scipy import stats

from pipelines.experiments.design import ExperimentDesign

__all__ = [
    "CROSSED_LIMIT",
    "SRM_P_VALUE",
    "SampleRatio",
    "Stickiness",
    "sample_ratio",
    "stickiness",
]

SRM_P_VALUE = 0.001
CROSSED_LIMIT = 0.01
_EXAMPLES = 5


@dataclass(frozen=True)
class Stickiness:
    """Units seen in more than one variant, and variants the plan does not have."""

    units: int
    crossed_units: int
    crossed_share: float
    crossed_examples: tuple[str, ...]
    unplanned_variants: tuple[str, ...]

    @property
    def broken(self) -> bool:
        """Too many crossed units, or any unplanned variant: the arms are not what was planned."""
        return self.crossed_share > CROSSED_LIMIT or bool(self.unplanned_variants)


@dataclass(frozen=True)
class SampleRatio:
    """Units per arm against the planned split, and Pearson's chi-square test of the two."""

    observed: dict[str, int]
    expected: dict[str, float]
    chi_square: float
    p_value: float

    @property
    def mismatch(self) -> bool:
        """The split is off beyond chance at the strict threshold."""
        return self.p_value < SRM_P_VALUE


def stickiness(
    exposures: pd.DataFrame, design: ExperimentDesign
) -> tuple[Stickiness, pd.DataFrame]:
    """The stickiness report and the exposures of units seen in exactly one variant."""
    variants = exposures.groupby("unit", sort=True)["variant"].nunique()
    crossed = variants[variants > 1].index
    planned = {arm.name for arm in design.arms}
    unplanned = tuple(sorted(set(exposures["variant"].unique()) - planned))
    units = len(variants)
    report = Stickiness(
        units=units,
        crossed_units=len(crossed),
        crossed_share=len(crossed) / units if units else 0.0,
        crossed_examples=tuple(str(u) for u in crossed[:_EXAMPLES]),
        unplanned_variants=unplanned,
    )
    clean = exposures[~exposures["unit"].isin(crossed) & exposures["variant"].isin(planned)]
    return report, clean.reset_index(drop=True)


def sample_ratio(exposures: pd.DataFrame, design: ExperimentDesign) -> SampleRatio:
    """Chi-square of distinct units per planned arm against the planned split."""
    per_arm = exposures.groupby("variant")["unit"].nunique()
    observed = {arm.name: int(per_arm.get(arm.name, 0)) for arm in design.arms}
    total = sum(observed.values())
    split = sum(arm.split_percent for arm in design.arms)
    expected = {arm.name: total * arm.split_percent / split for arm in design.arms}
    if total == 0:
        return SampleRatio(observed, expected, 0.0, 1.0)
    result = stats.chisquare(list(observed.values()), list(expected.values()))
    return SampleRatio(observed, expected, float(result.statistic), float(result.pvalue))
