"""The lift of one metric between two arms, with its interval, at the randomisation unit.

Units were randomised, not requests: a user's requests share the user's habits, so they are
not independent draws, and treating them as such understates the variance (by the *design
effect*) and overstates significance. Every estimate here is therefore built from per-unit
sums: ``S`` (the metric summed over the unit's requests) and ``N`` (its requests).

The metric's value in an arm is the per-request mean R = ΣS / ΣN (a ratio of two unit-level
means: loss per transaction, clicks per impression). Its variance comes from the delta
method, linearising each unit as L = (S − R·N) / mean(N), so Var(R) ≈ var(L) / n over the
arm's n units. We take this ratio rather than the mean of per-unit means because it is the
quantity the business counts (every request weighs the same; a user with one request does
not weigh as much as one with a thousand), and the delta method keeps its variance honest
at the unit level. When every unit sent one request, L is the unit's value minus the mean
and the test is exactly Welch's t-test on per-unit values; a rate metric with one trial per
unit takes the textbook two-proportion z-test (pooled variance for the p-value, unpooled for
the interval).

CUPED: with a pre-period covariate X per unit, each arm's L is replaced by L − θ(X − X̄)
with θ = cov(L, X) / var(X) pooled over both arms (L is centred within each arm, so the
treatment effect does not leak into θ), and R by R − θ(X̄_arm − X̄). Randomisation makes
X̄_arm − X̄ zero in expectation, so the estimate stays unbiased while the variance shrinks by
the share of it X explains. Units without a covariate get the pooled mean (no adjustment).

Intervals are two-sided at the given confidence, with Welch–Satterthwaite degrees of
freedom; the relative lift R_t / R_c − 1 takes the delta method over both arms' variances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

__all__ = ["ArmEstimate", "Lift", "UnitData", "compare", "unit_data"]

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class UnitData:
    """One arm's metric aggregated to units: sums, request counts, sums of squares, covariate."""

    sums: Array
    counts: Array
    squares: Array
    covariate: Array | None = None

    @property
    def units(self) -> int:
        """Units with at least one outcome."""
        return int(self.sums.size)


@dataclass(frozen=True)
class ArmEstimate:
    """An arm's per-request mean, its unit-level standard error, and its sample."""

    name: str
    units: int
    requests: int
    value: float
    stderr: float


@dataclass(frozen=True)
class Lift:
    """Treatment against control: absolute and relative lift, intervals, p-value, method."""

    method: str
    confidence: float
    control: ArmEstimate
    treatment: ArmEstimate
    absolute: float
    absolute_ci: tuple[float, float]
    relative: float | None
    relative_ci: tuple[float, float] | None
    p_value: float
    degrees_of_freedom: float | None
    request_level_stderr: float
    request_level_ci: tuple[float, float]
    design_effect: float | None
    """Unit-level variance of the lift (before CUPED) over its variance with requests
    taken as independent: how much the naive analysis would understate it."""
    cuped_theta: float | None = None
    variance_reduction: float | None = None
    covariate_missing_units: int = 0

    @property
    def stderr(self) -> float:
        """The unit-level standard error of the absolute lift."""
        return math.hypot(self.control.stderr, self.treatment.stderr)


def unit_data(rows: pd.DataFrame, metric: str, covariates: pd.Series | None = None) -> UnitData:
    """Aggregate one arm's request rows (``unit`` and ``metric``) to per-unit sums.

    Requests without an outcome are left out; a unit none of whose requests has one is not
    counted. ``covariates`` (indexed by unit) are aligned to the units, NaN where absent.
    """
    known = rows[rows[metric].notna()]
    values = known[metric].astype(float)
    grouped = known.assign(_square=values * values).groupby("unit", sort=True)
    sums = grouped[metric].sum()
    counts = grouped[metric].count()
    squares = grouped["_square"].sum()
    covariate = None
    if covariates is not None:
        covariate = np.asarray(covariates.reindex(sums.index), dtype=np.float64)
    return UnitData(
        sums=np.asarray(sums, dtype=np.float64),
        counts=np.asarray(counts, dtype=np.float64),
        squares=np.asarray(squares, dtype=np.float64),
        covariate=covariate,
    )


def _linearised(data: UnitData) -> tuple[float, Array]:
    ratio = float(data.sums.sum() / data.counts.sum())
    return ratio, (data.sums - ratio * data.counts) / data.counts.mean()


def _request_level(data: UnitData) -> tuple[float, float]:
    """Mean and variance of the mean when every request is taken as independent."""
    n = float(data.counts.sum())
    mean = float(data.sums.sum()) / n
    variance = max(float(data.squares.sum()) - n * mean * mean, 0.0) / max(n - 1, 1)
    return mean, variance / n


def _cuped(
    control: UnitData, treatment: UnitData, lin_c: Array, lin_t: Array
) -> tuple[float, float, float, int, Array, Array] | None:
    """θ, both arms' mean shifts, units without covariate, and the adjusted linearisations."""
    if control.covariate is None or treatment.covariate is None:
        return None
    x = np.concatenate([control.covariate, treatment.covariate])
    missing = int(np.isnan(x).sum())
    if missing == x.size:
        return None
    x = np.where(np.isnan(x), np.nanmean(x), x)
    centred = x - x.mean()
    spread = float((centred * centred).sum())
    if spread == 0:
        return None
    lin = np.concatenate([lin_c, lin_t])
    theta = float((lin * centred).sum() / spread)
    x_c, x_t = x[: control.units], x[control.units :]
    adjusted_c = lin_c - theta * (x_c - x_c.mean())
    adjusted_t = lin_t - theta * (x_t - x_t.mean())
    shift_c = theta * float(x_c.mean() - x.mean())
    shift_t = theta * float(x_t.mean() - x.mean())
    return theta, shift_c, shift_t, missing, adjusted_c, adjusted_t


def _two_proportion(control: UnitData, treatment: UnitData) -> bool:
    values = np.concatenate([control.sums, treatment.sums])
    counts = np.concatenate([control.counts, treatment.counts])
    return bool((counts == 1).all() and np.isin(values, (0.0, 1.0)).all())


def _welch(v_c: float, v_t: float, n_c: int, n_t: int) -> float | None:
    denominator = v_c * v_c / (n_c - 1) + v_t * v_t / (n_t - 1)
    return (v_c + v_t) ** 2 / denominator if denominator > 0 else None


def _p_value(difference: float, stderr: float, df: float | None) -> float:
    if stderr == 0:
        return 1.0 if difference == 0 else 0.0
    z = abs(difference) / stderr
    if df is None:
        return float(2 * stats.norm.sf(z))
    return float(2 * stats.t.sf(z, df))


def _quantile(confidence: float, df: float | None) -> float:
    upper = 0.5 + confidence / 2
    return float(stats.norm.ppf(upper) if df is None else stats.t.ppf(upper, df))


def _two_proportion_test(
    control: UnitData, treatment: UnitData, r_c: float, r_t: float
) -> tuple[float, float, float]:
    """Unpooled variances of both rates (for the interval) and the pooled test's p-value."""
    n_c, n_t = control.units, treatment.units
    pooled = float(control.sums.sum() + treatment.sums.sum()) / (n_c + n_t)
    null = math.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    return r_c * (1 - r_c) / n_c, r_t * (1 - r_t) / n_t, _p_value(r_t - r_c, null, None)


def _relative(
    r_c: float, r_t: float, v_c: float, v_t: float, q: float
) -> tuple[float | None, tuple[float, float] | None]:
    """R_t / R_c − 1 and its interval (delta method); None when control's value is 0."""
    if r_c == 0:
        return None, None
    relative = r_t / r_c - 1
    spread = q * math.sqrt(v_t / r_c**2 + r_t**2 * v_c / r_c**4)
    return relative, (relative - spread, relative + spread)


def _naive(
    control: UnitData, treatment: UnitData, confidence: float
) -> tuple[float, tuple[float, float]]:
    """Standard error and interval of the lift with every request taken as independent."""
    (m_c, v_c), (m_t, v_t) = _request_level(control), _request_level(treatment)
    stderr = math.sqrt(v_c + v_t)
    z = _quantile(confidence, None)
    return stderr, (m_t - m_c - z * stderr, m_t - m_c + z * stderr)


def compare(
    names: tuple[str, str],
    control: UnitData,
    treatment: UnitData,
    confidence: float,
    *,
    rate: bool,
) -> Lift | None:
    """Treatment (``names[1]``) against control (``names[0]``); None below two units an arm."""
    if control.units < 2 or treatment.units < 2:
        return None
    r_c, lin_c = _linearised(control)
    r_t, lin_t = _linearised(treatment)
    unadjusted = (
        float(lin_c.var(ddof=1)) / control.units + float(lin_t.var(ddof=1)) / treatment.units
    )
    cuped = _cuped(control, treatment, lin_c, lin_t)
    theta = reduction = None
    missing = 0
    one_request = bool((control.counts == 1).all() and (treatment.counts == 1).all())
    method = "Welch t-test on per-unit values" if one_request else "delta method on ΣS/ΣN"
    if cuped is not None:
        theta, shift_c, shift_t, missing, adj_c, adj_t = cuped
        before = float(np.concatenate([lin_c, lin_t]).var(ddof=1))
        after = float(np.concatenate([adj_c, adj_t]).var(ddof=1))
        reduction = 1 - after / before if before > 0 else 0.0
        r_c, r_t, lin_c, lin_t = r_c - shift_c, r_t - shift_t, adj_c, adj_t
        method += " with CUPED"
    v_c = float(lin_c.var(ddof=1)) / control.units
    v_t = float(lin_t.var(ddof=1)) / treatment.units
    difference = r_t - r_c
    df = _welch(v_c, v_t, control.units, treatment.units)
    p_value = _p_value(difference, math.sqrt(v_c + v_t), df)
    if rate and cuped is None and _two_proportion(control, treatment):
        method, df = "two-proportion z-test", None
        v_c, v_t, p_value = _two_proportion_test(control, treatment, r_c, r_t)
    q = _quantile(confidence, df)
    stderr = math.sqrt(v_c + v_t)
    relative, relative_ci = _relative(r_c, r_t, v_c, v_t, q)
    naive_se, naive_ci = _naive(control, treatment, confidence)
    naive_variance = naive_se * naive_se
    return Lift(
        method=method,
        confidence=confidence,
        control=_estimate(names[0], control, r_c, v_c),
        treatment=_estimate(names[1], treatment, r_t, v_t),
        absolute=difference,
        absolute_ci=(difference - q * stderr, difference + q * stderr),
        relative=relative,
        relative_ci=relative_ci,
        p_value=p_value,
        degrees_of_freedom=df,
        request_level_stderr=naive_se,
        request_level_ci=naive_ci,
        design_effect=unadjusted / naive_variance if naive_variance > 0 else None,
        cuped_theta=theta,
        variance_reduction=reduction,
        covariate_missing_units=missing,
    )


def _estimate(name: str, data: UnitData, value: float, variance: float) -> ArmEstimate:
    return ArmEstimate(
        name=name,
        units=data.units,
        requests=int(data.counts.sum()),
        value=value,
        stderr=math.sqrt(variance),
    )
