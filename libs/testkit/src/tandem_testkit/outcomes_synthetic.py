"""A synthetic organisation whose mentoring program has a known true effect.

The files of `tandem engage outcomes` (EMPLOYEES.jsonl and PART.jsonl), drawn from a
model whose answer is known, so tests and the benchmark can check the analysis against
the truth rather than against itself.

The model, on the tenure time scale (days since hire):

- **Voluntary exit** has a hazard that falls with tenure (piecewise constant), differs
  by department and seniority, and is multiplied by ``hazard_ratio`` from the first
  match start on. Other exits (involuntary, retirement) arrive at a constant rate,
  independently, and censor.
- **Joining** is possible only once the program has launched, and only for people still
  employed (immortal time). Its rate is confounded with exit: it is higher in the
  departments where people leave less, rises with seniority (where people leave less)
  and with tenure (where people leave less).
- **Promotions** arrive as a Poisson process whose rate depends on department,
  seniority and tenure band, multiplied by ``promotion_rate_ratio`` while participating.

So a fixed "ever participated" comparison, unadjusted, overstates the benefit twice:
through the time participants had to survive before joining, and through who joins.
The true effects hold within every department, seniority level and tenure, which is
what the adjusted analysis estimates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# (name, share of people, log effect on voluntary exit, on joining, on promotion)
DEPARTMENTS = (
    ("Engineering", 0.22, 0.30, -0.40, -0.10),
    ("Sales", 0.18, 0.50, -0.60, -0.20),
    ("Operations", 0.16, 0.20, -0.20, -0.10),
    ("Finance", 0.10, -0.20, 0.40, 0.20),
    ("Marketing", 0.10, 0.10, 0.00, 0.00),
    ("HR", 0.08, -0.10, 0.50, 0.30),
    ("Legal", 0.06, -0.40, 0.60, 0.00),
    ("Research", 0.10, -0.30, 0.40, 0.20),
)
COUNTRIES = (("US", 0.30), ("IN", 0.20), ("GB", 0.15), ("DE", 0.15), ("BR", 0.10), ("SG", 0.10))
# Seniority levels 1-10: shares, and log effects per level above 3.
SENIORITY_SHARES = (0.20, 0.20, 0.17, 0.13, 0.10, 0.08, 0.05, 0.04, 0.02, 0.01)
EXIT_PER_LEVEL, JOIN_PER_LEVEL, PROMOTION_PER_LEVEL = -0.08, 0.15, -0.05
# Tenure pieces in days, and the rates per year in each (the last piece runs on).
EXIT_TENURE_EDGES, EXIT_BASE = (0.0, 365.0, 1095.0), (0.18, 0.12, 0.07)
JOIN_TENURE_EDGES, JOIN_MULTIPLIER = (0.0, 365.0, 1095.0), (0.2, 1.0, 1.5)
# The analysis' promotion model uses these tenure bands too.
PROMOTION_TENURE_EDGES, PROMOTION_BASE = (0.0, 365.0, 1096.0, 1826.0, 3652.0), (0.04, 0.12, 0.15, 0.10, 0.08)
OTHER_EXIT_RATE = 0.03
OTHER_EXIT_REASONS = ("involuntary", "retirement", "other")
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Scenario:
    """The true effects and the shape of the organisation."""

    hazard_ratio: float = 0.8  # voluntary exit while participating over while not
    promotion_rate_ratio: float = 1.25  # promotions per year while participating over while not
    join_rate: float = 0.048  # joins per person-year at the reference profile; about 10% join
    years_of_hires: float = 10.0  # hire dates spread over this many years before as_of
    program_years: float = 4.0  # the program launched this long before as_of
    as_of: date = date(2026, 11, 1)


@dataclass(frozen=True)
class OutcomesPopulation:
    employees: list[dict[str, Any]]
    participation: list[dict[str, Any]]
    scenario: Scenario

    @property
    def participants(self) -> int:
        return len({line["employee_id"] for line in self.participation})


def _cumulative(
    start: FloatArray, end: FloatArray, scale: FloatArray, edges: tuple[float, ...], rates: tuple[float, ...]
) -> FloatArray:
    """The integral of ``scale * rate(t)`` over [start, end), rates per year, times in days."""
    total = np.zeros(start.size)
    bounds = (*edges, np.inf)
    for low, high, rate in zip(bounds[:-1], bounds[1:], rates, strict=True):
        overlap = np.clip(np.minimum(end, high) - np.maximum(start, low), 0.0, None)
        total += overlap * rate / DAYS_PER_YEAR
    return total * scale


def _invert(
    start: FloatArray,
    target: FloatArray,
    scale: FloatArray,
    edges: tuple[float, ...],
    rates: tuple[float, ...],
) -> FloatArray:
    """The time t >= start at which the integral from ``start`` reaches ``target``."""
    result = np.full(start.size, np.inf)
    remaining = target.copy()
    bounds = (*edges, np.inf)
    open_ = np.ones(start.size, dtype=bool)
    for low, high, rate in zip(bounds[:-1], bounds[1:], rates, strict=True):
        per_day = scale * rate / DAYS_PER_YEAR
        begin = np.maximum(start, low)
        span = np.clip(high - begin, 0.0, None)
        capacity = per_day * span
        done = open_ & (remaining <= capacity)
        result[done] = begin[done] + remaining[done] / per_day[done]
        remaining = np.where(open_ & ~done, remaining - capacity, remaining)
        open_ &= ~done
    return result


def _iso_table(first: int, last: int) -> list[str]:
    return [date.fromordinal(day).isoformat() for day in range(first, last + 1)]


def population(size: int, *, seed: int, scenario: Scenario | None = None) -> OutcomesPopulation:
    """``size`` employees and their matches, drawn with ``seed``."""
    scenario = scenario or Scenario()
    rng = np.random.default_rng(seed)
    as_of = scenario.as_of.toordinal()
    department = rng.choice(len(DEPARTMENTS), size=size, p=[d[1] for d in DEPARTMENTS])
    country = rng.choice(len(COUNTRIES), size=size, p=[c[1] for c in COUNTRIES])
    level = rng.choice(np.arange(1, 11), size=size, p=SENIORITY_SHARES)
    hire = as_of - rng.integers(1, int(scenario.years_of_hires * 365) + 1, size=size)
    launch = as_of - int(scenario.program_years * 365)

    exit_scale = np.exp(np.asarray([d[2] for d in DEPARTMENTS])[department] + EXIT_PER_LEVEL * (level - 3))
    join_scale = scenario.join_rate * np.exp(
        np.asarray([d[3] for d in DEPARTMENTS])[department] + JOIN_PER_LEVEL * (level - 3)
    )
    promotion_scale = np.exp(
        np.asarray([d[4] for d in DEPARTMENTS])[department] + PROMOTION_PER_LEVEL * (level - 3)
    )
    zero = np.zeros(size)
    censor = (as_of - hire).astype(np.float64)

    # Joining: from the launch (or the hire, if later) on, at a tenure-dependent rate.
    eligible = np.maximum(launch - hire, 0).astype(np.float64)
    join = _invert(eligible, rng.exponential(size=size), join_scale, JOIN_TENURE_EDGES, JOIN_MULTIPLIER)
    # Voluntary exit: the hazard is multiplied by the hazard ratio from joining on.
    target = rng.exponential(size=size)
    before_join = _cumulative(zero, np.minimum(join, censor + 1.0), exit_scale, EXIT_TENURE_EDGES, EXIT_BASE)
    voluntary = np.where(
        target <= before_join,
        _invert(zero, target, exit_scale, EXIT_TENURE_EDGES, EXIT_BASE),
        _invert(
            np.minimum(join, censor + 1.0),
            (target - before_join) / scenario.hazard_ratio,
            exit_scale,
            EXIT_TENURE_EDGES,
            EXIT_BASE,
        ),
    )
    other = rng.exponential(DAYS_PER_YEAR / OTHER_EXIT_RATE, size=size)
    leaves = np.minimum(voluntary, other)
    exit_day = hire + np.ceil(leaves).astype(np.int64)
    exited = exit_day <= as_of
    end = np.where(exited, leaves, censor)
    joined = (join < end) & (hire + np.ceil(join).astype(np.int64) <= as_of)
    start_day = hire + np.ceil(np.where(joined, join, 0.0)).astype(np.int64)

    # Promotions: Poisson counts per tenure band and participation state, placed uniformly.
    promoted_person: list[IntArray] = []
    promoted_at: list[FloatArray] = []
    join_or_end = np.where(joined, join, end)
    bands = (*PROMOTION_TENURE_EDGES, np.inf)
    for low, high, base in zip(bands[:-1], bands[1:], PROMOTION_BASE, strict=True):
        for begin, finish, ratio in (
            (zero, join_or_end, 1.0),
            (join_or_end, end, scenario.promotion_rate_ratio),
        ):
            first = np.maximum(begin, low)
            span = np.clip(np.minimum(finish, high) - first, 0.0, None)
            counts = rng.poisson(promotion_scale * base * ratio * span / DAYS_PER_YEAR)
            people = np.repeat(np.arange(size), counts)
            promoted_person.append(people)
            promoted_at.append(first[people] + rng.random(people.size) * span[people])
    person_of_promotion = np.concatenate(promoted_person)
    promotion_day = hire[person_of_promotion] + np.ceil(np.concatenate(promoted_at)).astype(np.int64)
    order = np.lexsort((promotion_day, person_of_promotion))
    person_of_promotion, promotion_day = person_of_promotion[order], promotion_day[order]
    boundaries = np.searchsorted(person_of_promotion, np.arange(size + 1)).tolist()

    first_day = int(hire.min())
    iso = _iso_table(first_day, as_of + 800)
    promotion_iso = [iso[day - first_day] for day in promotion_day.tolist()]
    reasons = np.where(
        leaves == voluntary, 0, 1 + rng.choice(len(OTHER_EXIT_REASONS), size=size, p=(0.6, 0.25, 0.15))
    )
    reason_names = ("voluntary", *OTHER_EXIT_REASONS)
    department_names = [d[0] for d in DEPARTMENTS]
    country_names = [c[0] for c in COUNTRIES]
    employees: list[dict[str, Any]] = []
    for row, (dep, cty, lvl, hired, leaving, has_left, reason) in enumerate(
        zip(
            department.tolist(),
            country.tolist(),
            level.tolist(),
            hire.tolist(),
            exit_day.tolist(),
            exited.tolist(),
            reasons.tolist(),
            strict=True,
        )
    ):
        employees.append(
            {
                "employee_id": f"E{row:07d}",
                "department": department_names[dep],
                "country": country_names[cty],
                "seniority_level": lvl,
                "hire_date": iso[hired - first_day],
                "exit_date": iso[leaving - first_day] if has_left else None,
                "exit_reason": reason_names[reason] if has_left else None,
                "promotion_dates": promotion_iso[boundaries[row] : boundaries[row + 1]],
            }
        )

    participation = _memberships(
        rng, np.flatnonzero(joined), start_day, exit_day, exited, as_of, iso, first_day
    )
    return OutcomesPopulation(employees, participation, scenario)


def _memberships(
    rng: np.random.Generator,
    joiners: IntArray,
    start_day: IntArray,
    exit_day: IntArray,
    exited: npt.NDArray[np.bool_],
    as_of: int,
    iso: list[str],
    first_day: int,
) -> list[dict[str, Any]]:
    """Each joiner's first match (program P1 or P2), and for some a second one later."""
    last_day = np.where(exited, exit_day, as_of)[joiners]
    first_start = start_day[joiners]
    first_end = np.minimum(first_start + rng.integers(120, 366, joiners.size), last_day)
    second_start = first_end + rng.integers(10, 121, joiners.size)
    has_second = (rng.random(joiners.size) < 0.3) & (second_start < last_day)
    second_end = np.minimum(second_start + rng.integers(120, 366, joiners.size), last_day)
    program = rng.random(joiners.size) < 0.7
    lines: list[dict[str, Any]] = []

    def ended(day: int) -> str | None:
        # A match still running on the as-of date has no end yet.
        return None if day >= as_of else iso[day - first_day]

    for person, start, end, second, second_from, second_to, in_p1 in zip(
        joiners.tolist(),
        first_start.tolist(),
        first_end.tolist(),
        has_second.tolist(),
        second_start.tolist(),
        second_end.tolist(),
        program.tolist(),
        strict=True,
    ):
        employee = f"E{person:07d}"
        lines.append(
            {
                "employee_id": employee,
                "program_id": "P1" if in_p1 else "P2",
                "started_on": iso[start - first_day],
                "ended_on": ended(end),
            }
        )
        if second:
            lines.append(
                {
                    "employee_id": employee,
                    "program_id": "P2" if in_p1 else "P1",
                    "started_on": iso[second_from - first_day],
                    "ended_on": ended(second_to),
                }
            )
    return lines


def write_jsonl(path: Path, lines: list[dict[str, Any]]) -> None:
    with path.open("wb") as handle:
        for start in range(0, len(lines), 50_000):
            handle.write(b"".join(orjson.dumps(line) + b"\n" for line in lines[start : start + 50_000]))
