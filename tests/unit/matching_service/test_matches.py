"""The match aggregate's state machine."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tandem_common.user_errors import UserErrors
from tandem_matching.domain.matches import Match, member_roles, pairs_of
from tests.unit.matching_service.support import T0, a_match

LATER = T0 + timedelta(days=1)


def refused(action) -> tuple[str, str]:
    with pytest.raises(UserErrors) as raised:
        action()
    [error] = raised.value.errors
    return error.field, error.code


def test_a_proposal_is_open_and_expires_after_its_days() -> None:
    match = a_match()
    assert (match.status, match.open, match.expires_at) == ("proposed", True, T0 + timedelta(days=14))
    assert [m.response for m in match.members] == [None, None]


def test_a_match_needs_two_different_members() -> None:
    with pytest.raises(ValueError):
        a_match(members=(("A", "partner"),))
    with pytest.raises(ValueError):
        a_match(members=(("A", "partner"), ("A", "partner")))


def test_it_starts_once_every_member_accepted() -> None:
    first = a_match().accept("A", now=LATER, duration_days=90)
    assert (first.status, first.member("A").response, first.member("B").response) == (
        "proposed",
        "accepted",
        None,
    )
    both = first.accept("B", now=LATER, duration_days=90)
    assert (both.status, both.started_on, both.ends_on) == (
        "active",
        LATER.date(),
        LATER.date() + timedelta(days=90),
    )
    assert both.open


def test_one_decline_ends_the_proposal_for_everyone() -> None:
    declined = a_match().accept("A", now=LATER, duration_days=90).decline("B", now=LATER)
    assert (declined.status, declined.declined_by, declined.open) == ("declined", "B", False)
    assert declined.member("B").response == "declined"


def test_a_member_may_change_their_mind_while_the_proposal_is_open() -> None:
    declined = a_match().accept("A", now=LATER, duration_days=90).decline("A", now=LATER)
    assert (declined.status, declined.declined_by) == ("declined", "A")


def test_only_members_answer() -> None:
    assert refused(lambda: a_match().accept("Z", now=LATER, duration_days=90)) == ("match_id", "FORBIDDEN")
    assert refused(lambda: a_match().decline("Z", now=LATER)) == ("match_id", "FORBIDDEN")


def test_an_answered_proposal_cannot_be_answered_again() -> None:
    declined = a_match().decline("A", now=LATER)
    assert refused(lambda: declined.accept("B", now=LATER, duration_days=90)) == ("match_id", "CONFLICT")
    active = a_match().accept("A", now=LATER, duration_days=9).accept("B", now=LATER, duration_days=9)
    assert refused(lambda: active.decline("A", now=LATER)) == ("match_id", "CONFLICT")


def test_expiry_comes_only_at_expires_at_and_names_nobody() -> None:
    match = a_match()
    assert refused(lambda: match.expire(now=match.expires_at - timedelta(seconds=1))) == (
        "match_id",
        "CONFLICT",
    )
    expired = match.expire(now=match.expires_at)
    assert (expired.status, expired.declined_by) == ("declined", None)


def test_lapse_withdraws_an_open_proposal_only() -> None:
    assert a_match().lapse(now=LATER).status == "declined"
    active = a_match().start(date(2026, 12, 2), duration_days=10, now=LATER)
    assert refused(lambda: active.lapse(now=LATER)) == ("match_id", "CONFLICT")


def test_an_active_match_ends_with_its_reason() -> None:
    active = a_match().start(date(2026, 12, 2), duration_days=10, now=LATER)
    ended = active.end("ended_by_member", today=date(2026, 12, 5), now=LATER, note="moving on")
    assert (ended.status, ended.ended_on, ended.end_reason, ended.end_note) == (
        "ended",
        date(2026, 12, 5),
        "ended_by_member",
        "moving on",
    )
    assert refused(lambda: ended.end("completed", today=date(2026, 12, 6), now=LATER)) == (
        "match_id",
        "CONFLICT",
    )


def test_a_proposal_is_not_ended_but_answered() -> None:
    assert refused(lambda: a_match().end("ended_by_admin", today=date(2026, 12, 5), now=LATER)) == (
        "match_id",
        "CONFLICT",
    )


def test_a_started_match_cannot_start_again() -> None:
    active = a_match().start(date(2026, 12, 2), duration_days=10, now=LATER)
    assert refused(lambda: active.start(date(2026, 12, 3), duration_days=10, now=LATER)) == (
        "match_id",
        "CONFLICT",
    )


def test_pairs_are_unordered_and_cover_a_circle() -> None:
    circle = a_match(members=(("C", "mentor"), ("A", "mentee"), ("B", "mentee")))
    assert circle.pairs() == {("A", "C"), ("B", "C"), ("A", "B")}
    assert pairs_of([a_match(members=(("Z", "partner"), ("Y", "partner"))), circle]) >= {("Y", "Z")}


@pytest.mark.parametrize(
    ("program_type", "style", "roles"),
    [
        ("reciprocal", "mentor", ["partner", "partner"]),
        ("peer", "mentor", ["partner", "partner"]),
        ("reverse", "mentor", ["mentor", "mentee"]),
        ("traditional", "mentor", ["mentor", "mentee"]),
        ("group", "mentor", ["mentor", "mentee", "mentee", "mentee"]),
        ("group", "peer", ["facilitator", "partner", "partner", "partner"]),
    ],
)
def test_member_roles_follow_the_plan_order(program_type, style, roles) -> None:
    assert member_roles(program_type, len(roles), circle_style=style) == roles


def test_at_risk_flag() -> None:
    match: Match = a_match()
    flagged = match.flag_at_risk(True, now=LATER)
    assert flagged.at_risk and flagged.flag_at_risk(True, now=LATER) is flagged
