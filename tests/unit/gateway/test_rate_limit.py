"""The per-viewer token bucket, on a fake clock (times are plain numbers)."""

from __future__ import annotations

import math

import pytest

from tandem_gateway.limits.rate_limit import NEVER, CostBudget, RateLimiter, retry_after
from tests.unit.gateway.test_limits_schema import settings


def test_a_full_bucket_takes_costs_until_it_runs_out():
    limiter = RateLimiter(capacity=100, refill_per_second=10)
    assert limiter.charge("E1", 60, now=0.0) is None
    assert limiter.tokens("E1", now=0.0) == 40
    assert limiter.charge("E1", 40, now=0.0) is None
    assert limiter.charge("E1", 1, now=0.0) == pytest.approx(0.1)
    assert limiter.tokens("E1", now=0.0) == 0  # a refusal takes nothing


def test_refill_arithmetic_and_the_wait():
    limiter = RateLimiter(capacity=100, refill_per_second=10)
    assert limiter.charge("E1", 100, now=10.0) is None
    # 30 tokens wanted, none held: 3 seconds.
    assert limiter.charge("E1", 30, now=10.0) == pytest.approx(3.0)
    # 1.5 s later 15 are held: 1.5 s more.
    assert limiter.charge("E1", 30, now=11.5) == pytest.approx(1.5)
    assert retry_after(1.5) == 2
    assert limiter.charge("E1", 30, now=13.0) is None
    assert limiter.tokens("E1", now=13.0) == pytest.approx(0.0)
    # The bucket never holds more than its capacity.
    assert limiter.tokens("E1", now=1000.0) == 100


def test_waiting_the_answered_time_lets_the_operation_through():
    limiter = RateLimiter(capacity=50, refill_per_second=4)
    limiter.charge("E1", 50, now=0.0)
    wait = limiter.charge("E1", 10, now=0.0)
    assert wait == pytest.approx(2.5)
    assert limiter.charge("E1", 10, now=2.4) == pytest.approx(0.1)
    assert limiter.charge("E1", 10, now=2.5) is None


def test_viewers_have_their_own_buckets():
    limiter = RateLimiter(capacity=10, refill_per_second=1)
    assert limiter.charge("E1", 10, now=0.0) is None
    assert limiter.charge("E1", 1, now=0.0) == pytest.approx(1.0)
    assert limiter.charge("E2", 10, now=0.0) is None


def test_a_cost_above_the_capacity_never_passes():
    limiter = RateLimiter(capacity=10, refill_per_second=1)
    assert limiter.charge("E1", 11, now=0.0) == NEVER == math.inf
    assert limiter.tokens("E1", now=0.0) == 10
    assert retry_after(NEVER) == 86_400


def test_a_zero_cost_always_passes():
    limiter = RateLimiter(capacity=10, refill_per_second=1)
    limiter.charge("E1", 10, now=0.0)
    assert limiter.charge("E1", 0, now=0.0) is None


def test_a_clock_stepping_back_refills_nothing():
    limiter = RateLimiter(capacity=10, refill_per_second=1)
    limiter.charge("E1", 10, now=100.0)
    assert limiter.charge("E1", 5, now=90.0) == pytest.approx(5.0)
    assert limiter.charge("E1", 5, now=105.0) is None


def test_retry_after_is_whole_seconds_at_least_one():
    assert [retry_after(wait) for wait in (0.01, 1.0, 1.0001, 59.2)] == [1, 1, 2, 60]
    assert retry_after(10**9) == 86_400


def test_full_buckets_are_dropped_so_memory_stays_bounded():
    limiter = RateLimiter(capacity=100, refill_per_second=10)  # full again after 10 s
    for index in range(1000):
        limiter.charge(f"E{index}", 50, now=0.0)
    assert limiter.tracked == 1000
    limiter.charge("E0", 80, now=5.0)  # full again at 5 s, 20 left; no sweep within 10 s
    assert limiter.tracked == 1000
    limiter.charge("late", 100, now=10.0)  # every bucket from t=0 is full again
    assert limiter.tracked == 2  # E0 (70 tokens at 10 s) and "late"
    assert limiter.tokens("E0", now=10.0) == pytest.approx(70.0)
    assert limiter.tokens("E1", now=10.0) == 100


def test_invalid_parameters_are_refused():
    with pytest.raises(ValueError, match="must be positive"):
        RateLimiter(capacity=0, refill_per_second=1)


def test_built_from_the_settings():
    limiter = RateLimiter.from_settings(settings(rate_limit_capacity=300, rate_limit_refill_per_second=7))
    assert (limiter.capacity, limiter.refill_per_second) == (300, 7)


async def test_it_serves_as_the_cost_budget_the_http_layer_asks():
    budget: CostBudget = RateLimiter(capacity=10, refill_per_second=2)
    assert await budget.acquire("E1", 10, 0.0) is None
    assert await budget.acquire("E1", 4, 0.0) == pytest.approx(2.0)
