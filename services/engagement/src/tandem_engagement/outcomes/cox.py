"""Cox proportional hazards for categorical covariates, with delayed entry.

The model is the one statsmodels' ``PHReg(..., entry=..., ties="breslow")`` fits, and
the unit tests check that both give the same estimates and standard errors. It is fitted
here because every covariate is categorical: rows that share a covariate pattern share
their hazard, so the Breslow partial likelihood needs only, for each distinct event
time, how many rows of each pattern are at risk and how many fail. Those two tables
(patterns x event times) are built once with counting sorts, and each Newton step is
then a few small matrix products. PHReg walks the rows in Python for its setup and each
iteration (about 70 s for a million rows on this project's reference machine), which
the organisation-wide analysis cannot afford.

Risk sets follow counting-process intervals (start, stop]: a row is at risk at event
time t when start < t <= stop, so the two episodes of one person never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tandem_engagement.outcomes.cohort import BoolArray, IntArray

FloatArray = npt.NDArray[np.float64]

_Z95 = 1.959963984540054
_MAX_ITERATIONS = 60
# Beyond exp(+-700) a float is 0 or infinite: such an interval bounds nothing.
_LOG_RANGE = 700.0


@dataclass(frozen=True)
class Ratio:
    """A ratio (exp of a coefficient) with its 95% Wald interval."""

    estimate: float
    low: float
    high: float

    @classmethod
    def of(cls, coefficient: float, error: float) -> Ratio | None:
        """exp(coefficient) and its interval; None when the data cannot bound it.

        Tiny or separated data (say, every exit in one department) leave the coefficient
        unidentified: its standard error is then so large that the interval runs from 0
        to infinity, and the estimate says nothing.
        """
        low, high = coefficient - _Z95 * error, coefficient + _Z95 * error
        if not (np.isfinite(error) and low > -_LOG_RANGE and high < _LOG_RANGE):
            return None
        return cls(float(np.exp(coefficient)), float(np.exp(low)), float(np.exp(high)))


@dataclass(frozen=True)
class CoxFit:
    coefficients: FloatArray
    covariance: FloatArray
    log_likelihood: float
    iterations: int

    def ratio(self, column: int) -> Ratio | None:
        return Ratio.of(float(self.coefficients[column]), float(np.sqrt(self.covariance[column, column])))


@dataclass(frozen=True)
class _RiskTables:
    at_risk: FloatArray  # patterns x event times
    failures: FloatArray  # events per event time
    pattern_failures: FloatArray  # events per pattern


def _risk_tables(
    pattern: IntArray, patterns: int, start: IntArray, stop: IntArray, event: BoolArray
) -> _RiskTables:
    times = np.unique(stop[event])
    width = times.size + 1
    # Rows at risk at event times [first, last): first is the first time > start, last
    # the first time > stop. A +1/-1 at those two places, summed along time, counts them.
    first = np.searchsorted(times, start, side="right")
    last = np.searchsorted(times, stop, side="right")
    marks = np.bincount(pattern * width + first, minlength=patterns * width) - np.bincount(
        pattern * width + last, minlength=patterns * width
    )
    at_risk = np.cumsum(marks.reshape(patterns, width), axis=1)[:, :-1].astype(np.float64)
    failed_at = np.searchsorted(times, stop[event])
    failures = np.bincount(failed_at, minlength=times.size).astype(np.float64)
    pattern_failures = np.bincount(pattern[event], minlength=patterns).astype(np.float64)
    return _RiskTables(at_risk, failures, pattern_failures)


def _log_likelihood(design: FloatArray, tables: _RiskTables, beta: FloatArray) -> float:
    linear = design @ beta
    shift = float(linear.max())
    risk = tables.at_risk.T @ np.exp(linear - shift)
    return float(tables.pattern_failures @ linear - tables.failures @ (np.log(risk) + shift))


def _derivatives(design: FloatArray, tables: _RiskTables, beta: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The score and the observed information (minus the Hessian)."""
    weight = np.exp(design @ beta - float((design @ beta).max()))
    s0 = tables.at_risk.T @ weight  # per event time
    s1 = tables.at_risk.T @ (design * weight[:, None])  # event times x columns
    mean = s1 / s0[:, None]
    score = design.T @ tables.pattern_failures - tables.failures @ mean
    # sum_t d_t * S2_t / S0_t, with S2_t = sum_c n_ct w_c x_c x_c', is X' diag(a) X.
    a = weight * (tables.at_risk @ (tables.failures / s0))
    scaled = mean * np.sqrt(tables.failures)[:, None]
    information = (design * a[:, None]).T @ design - scaled.T @ scaled
    return score, information


def fit_cox(
    pattern: IntArray, design: FloatArray, start: IntArray, stop: IntArray, event: BoolArray
) -> CoxFit | None:
    """Fit by Newton-Raphson with step halving; None when there is no event at all.

    ``pattern[i]`` is row i's covariate pattern and ``design[pattern]`` its covariates.
    A coefficient whose category has no event runs off towards minus infinity; the log
    likelihood then stops improving, which ends the iterations, and that coefficient's
    variance comes out huge while the others are unaffected.
    """
    if not event.any():
        return None
    tables = _risk_tables(pattern, design.shape[0], start, stop, event)
    beta = np.zeros(design.shape[1])
    current = _log_likelihood(design, tables, beta)
    iterations = 0
    for iterations in range(1, _MAX_ITERATIONS + 1):  # noqa: B007 - the count is reported
        score, information = _derivatives(design, tables, beta)
        step = np.linalg.lstsq(information, score, rcond=None)[0]
        for _ in range(40):
            candidate = _log_likelihood(design, tables, beta + step)
            if np.isfinite(candidate) and candidate >= current - 1e-12 * abs(current):
                break
            step = step / 2
        beta = beta + step
        improvement = candidate - current
        current = candidate
        if abs(improvement) < 1e-10 * (1.0 + abs(current)):
            break
    _, information = _derivatives(design, tables, beta)
    covariance: FloatArray = np.linalg.pinv(information, hermitian=True).astype(np.float64)
    return CoxFit(beta, covariance, current, iterations)
