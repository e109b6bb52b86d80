"""The health formula on hand-made timelines, one factor at a time: exact contributions,
scores and bands (plain objects, no storage)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from tandem_engagement.domain.health import (
    HEALTH_FORMULA_VERSION,
    GoalState,
    Health,
    HealthInputs,
    Ratings,
    band_changed,
    compute_health,
)

START = date(2026, 1, 1)


def day(n: int) -> date:
    return START + timedelta(days=n)


def timeline(**changes) -> HealthInputs:
    base = HealthInputs(
        match_id="M1",
        program_id="P1",
        program_type="traditional",
        sessions_per_month=2,
        started_on=START,
        session_days=(),
        ratings=(),
        given=(("A", 0), ("B", 0)),
        goals=(),
    )
    return replace(base, **changes)


def factors(health: Health) -> dict[str, float]:
    return {f.factor: f.value for f in health.factors}


def detail(health: Health, name: str) -> str:
    return next(f.detail for f in health.factors if f.factor == name)


def test_a_new_match_in_its_first_days_is_healthy_with_every_factor_at_zero() -> None:
    health = compute_health(timeline(), day(10))
    assert (health.score, health.band, health.formula_version) == (100.0, "healthy", HEALTH_FORMULA_VERSION)
    assert factors(health) == {
        "cadence": 0.0,
        "days_since_last_session": 0.0,
        "first_session": 0.0,
        "checkin_ratings": 0.0,
        "checkin_disagreement": 0.0,
        "goals": 0.0,
    }
    assert detail(health, "first_session") == "no session yet, 10 of 14 days allowed"
    assert (health.match_id, health.program_id, health.computed_on) == ("M1", "P1", day(10))


def test_no_first_session_14_days_after_the_start_costs_15_points() -> None:
    at_14 = compute_health(timeline(), day(14))
    assert factors(at_14)["first_session"] == 0.0
    health = compute_health(timeline(), day(20))
    # 15 for the missing first session, 30 * (20 - 14) / 46 = 3.9 for the days since the start.
    assert factors(health)["first_session"] == -15.0
    assert factors(health)["days_since_last_session"] == -3.9
    assert (health.score, health.band) == (81.1, "healthy")
    assert detail(health, "first_session") == "no first session 20 days after the start (14 allowed)"
    assert detail(health, "days_since_last_session") == "20 days since the start, with no session yet"


def test_cadence_adherence_counts_session_days_against_the_programs_cadence() -> None:
    # 61 days at 2 a month: 4.01 expected, 2 days held (two logs of day 58 count once).
    given = timeline(session_days=(day(40), day(58), day(58)))
    health = compute_health(given, day(61))
    assert factors(health)["cadence"] == -15.0
    assert factors(health)["days_since_last_session"] == 0.0
    assert (health.score, health.band) == (85.0, "healthy")
    assert detail(health, "cadence") == "2 sessions in 61 days against 4.0 expected at 2 a month (50%)"
    # Keeping the cadence costs nothing, and more sessions than expected earn nothing extra.
    kept = compute_health(replace(given, session_days=tuple(day(n) for n in (5, 20, 35, 50, 58))), day(61))
    assert factors(kept)["cadence"] == 0.0
    assert kept.score == 100.0


def test_days_without_a_session_move_the_band_to_watch_after_30_and_at_risk_after_60() -> None:
    # Once a month, 4 sessions in the first 69 days: the cadence is kept up to day 100.
    given = timeline(sessions_per_month=1, session_days=(day(10), day(30), day(50), day(69)))
    at_30 = compute_health(given, day(99))
    assert factors(at_30)["days_since_last_session"] == -10.4
    assert (at_30.score, at_30.band) == (89.6, "healthy")
    at_31 = compute_health(given, day(100))
    # 30 * (31 - 14) / 46 = 11.09: the score is still healthy, the rule says watch.
    assert factors(at_31)["days_since_last_session"] == -11.1
    assert factors(at_31)["cadence"] == 0.0
    assert (at_31.score, at_31.band) == (88.9, "watch")
    at_60 = compute_health(given, day(129))
    assert factors(at_60)["days_since_last_session"] == -30.0
    assert at_60.band == "watch"
    at_61 = compute_health(given, day(130))
    assert factors(at_61)["days_since_last_session"] == -30.0
    assert at_61.band == "at_risk"
    assert detail(at_61, "days_since_last_session") == "61 days since the last session"


def ratings(employee_id: str, satisfaction: int, *items: int) -> Ratings:
    career, psychosocial, role = items or (satisfaction,) * 3
    return Ratings(employee_id, day(30), satisfaction, career, psychosocial, role)


def test_the_latest_ratings_and_a_disagreement_of_two_points() -> None:
    recent = (day(25),)
    agreeing = compute_health(
        timeline(session_days=recent, ratings=(ratings("A", 4), ratings("B", 5))), day(30)
    )
    # The lowest rating is 4: 15 * (5 - 4) / 4 = 3.75, one decimal.
    assert factors(agreeing)["checkin_ratings"] == -3.8
    assert factors(agreeing)["checkin_disagreement"] == 0.0
    assert (agreeing.score, agreeing.band) == (96.2, "healthy")

    apart = compute_health(
        timeline(session_days=recent, ratings=(ratings("A", 5), ratings("B", 3, 4, 4, 4))), day(30)
    )
    assert factors(apart)["checkin_ratings"] == -7.5
    assert factors(apart)["checkin_disagreement"] == -10.0
    # 82.5 is a healthy score, but members 2 points apart are at least watched.
    assert (apart.score, apart.band) == (82.5, "watch")
    assert detail(apart, "checkin_disagreement") == "latest satisfaction ratings 2 points apart"


def test_any_rating_of_two_or_below_is_at_risk() -> None:
    # Satisfied overall, but role modelling rated 2 by the only member who answered.
    given = timeline(session_days=(day(25),), ratings=(ratings("A", 4, 4, 4, 2),))
    health = compute_health(given, day(30))
    assert factors(health)["checkin_ratings"] == -11.2
    assert factors(health)["checkin_disagreement"] == 0.0
    assert (health.score, health.band) == (88.8, "at_risk")
    assert detail(health, "checkin_disagreement") == "only one member answered so far"
    at_three = compute_health(replace(given, ratings=(ratings("A", 4, 4, 4, 3),)), day(30))
    assert at_three.band == "healthy"


def test_reciprocity_counts_for_reciprocal_and_reverse_programs_only() -> None:
    given = timeline(session_days=(day(25),), given=(("A", 4), ("B", 1)))
    for program_type in ("reverse", "reciprocal"):
        health = compute_health(replace(given, program_type=program_type), day(30))
        # Index 1/4: 10 * (1 - 0.25) = 7.5.
        assert factors(health)["reciprocity"] == -7.5
        assert (health.score, health.band) == (92.5, "healthy")
        assert detail(health, "reciprocity") == "reciprocity index 0.25: 1 entries against 4 the other way"
    traditional = compute_health(given, day(30))
    assert "reciprocity" not in factors(traditional)
    assert traditional.score == 100.0
    nothing_yet = compute_health(replace(given, program_type="reverse", given=(("A", 0), ("B", 0))), day(30))
    assert factors(nothing_yet)["reciprocity"] == 0.0


def test_goals_past_due_and_not_done() -> None:
    goals = (
        GoalState(day(20), 100, "done"),
        GoalState(day(25), 50, "open"),
        GoalState(day(90), 10, "open"),
        GoalState(day(10), 0, "dropped"),
    )
    health = compute_health(timeline(session_days=(day(28),), goals=goals), day(30))
    # One of the three goals that count: 10 / 3.
    assert factors(health)["goals"] == -3.3
    assert (health.score, health.band) == (96.7, "healthy")
    assert detail(health, "goals") == "1 of 3 goals past due and not done"
    due_today = compute_health(timeline(session_days=(day(28),), goals=goals), day(25))
    assert factors(due_today)["goals"] == 0.0


def test_the_score_sets_the_band_when_no_rule_does_and_never_goes_below_zero() -> None:
    # Day 45, nothing held: 30 * 31/46 = 20.2 for the days, 15 for no first session,
    # 30 for the cadence (none of 2.96 expected): 34.8, at risk on the score alone.
    health = compute_health(timeline(), day(45))
    assert factors(health)["cadence"] == -30.0
    assert (health.score, health.band) == (34.8, "at_risk")
    watched = compute_health(timeline(sessions_per_month=0), day(25))
    # 15 + 30 * 11 / 46 = 22.2 off: 77.8 healthy; at day 30, 15 + 10.4 = 74.6: watch.
    assert (watched.score, watched.band) == (77.8, "healthy")
    later = compute_health(timeline(sessions_per_month=0), day(30))
    assert (later.score, later.band) == (74.6, "watch")
    worst = compute_health(
        timeline(
            program_type="reverse",
            given=(("A", 5), ("B", 0)),
            ratings=(ratings("A", 1), ratings("B", 5)),
            goals=(GoalState(day(5), 0, "open"),),
        ),
        day(200),
    )
    assert (worst.score, worst.band) == (0.0, "at_risk")


def test_a_band_is_news_when_it_differs_from_the_stored_one_or_from_healthy_at_first() -> None:
    assert band_changed(None, "healthy") is False
    assert band_changed(None, "watch") is True
    assert band_changed("watch", "watch") is False
    assert band_changed("watch", "healthy") is True
    assert band_changed("healthy", "at_risk") is True
