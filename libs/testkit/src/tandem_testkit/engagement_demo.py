"""The demonstration's engagement: months of sessions, learning, goals and check-in answers.

Registered under the ``tandem.demo`` entry point group as ``engagement``; ``tandem up``
loads it after the matching demo (services load their demos in start order), whose
active matches it fills.

**How the demonstration gets a history.** The matching demo's matches start on the day
it runs, and the service refuses a session dated before its match started. So the
loader first moves each demonstration match's start (and end, by the same number of
days) in engagement's read model back by two to five months, within the program's
duration, and puts its check-in schedule on the new start. Everything after that goes
through the engagement service's own use cases, on its database, with a clock set to
the day each thing happens: a session is logged on its day by one of the members
(with what each taught the other, from the skills their mentoring profiles offer),
goals are set a few days after the start and some are done later, due check-ins are
announced by the check-in job's use case and most are answered a couple of days after
their due date. Matches differ in style (thriving, steady, fading, silent), so health
and analytics show real distributions. Matching still holds the real start dates; only
engagement's copy is moved, and a replay of ``matching.events`` would bring it back.

**Running it again changes nothing.** A match already started before
``RECENT_DAYS`` is not moved again; sessions carry a client request id (a repeat is
the same session); goals are set only on a match without any; the check-in job never
announces twice, and a check-in is answered only once, chosen by a seeded draw.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import TYPE_CHECKING, Any

import httpx

from tandem_common.http.service_token import authorization_headers, client_token
from tandem_testkit.matching_demo import PROGRAMS, DemoError, find_program

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from tandem_engagement.adapters.unit_of_work import SqlEngagementUnitOfWork
    from tandem_engagement.domain.matches import Match

SOURCE = "tandem/engagement"
# A match that started more recently than this many days ago has not been moved yet.
RECENT_DAYS = 30
# How far back a match is moved: between these many days (and never past its duration).
MOVED_BACK_DAYS = (60, 150)
STYLES = ("thriving", "steady", "fading", "silent")
STYLE_WEIGHTS = (4, 3, 2, 1)
# Days between sessions, by style (a fading match stops after its first weeks).
GAPS = {"thriving": (9, 16), "steady": (16, 30), "fading": (12, 20), "silent": (0, 0)}
SATISFACTION = {"thriving": (4, 5), "steady": (3, 4), "fading": (2, 3), "silent": (1, 3)}
ANSWERED_SHARE = {"thriving": 0.9, "steady": 0.8, "fading": 0.6, "silent": 0.3}
FALLBACK_SKILLS = ("stakeholder-management", "python", "public-speaking", "social-media")
READ_MODEL_WAIT_SECONDS = 120.0
CONCURRENT_MATCHES = 4


@dataclass(frozen=True)
class Seeded:
    matches: int
    sessions: int
    goals: int
    answers: int


async def load_engagement_demo(env: Mapping[str, str]) -> None:
    database_url = env.get("TANDEM_ENGAGEMENT_DATABASE_URL")
    if not database_url:
        raise DemoError("TANDEM_ENGAGEMENT_DATABASE_URL is not set")
    token = authorization_headers(client_token(env))
    profiles_url = f"http://127.0.0.1:{env.get('TANDEM_PROFILES_PORT', '8001')}"
    matching_url = f"http://127.0.0.1:{env.get('TANDEM_MATCHING_PORT', '8002')}"
    async with (
        httpx.AsyncClient(base_url=profiles_url, headers=token, timeout=60) as profiles,
        httpx.AsyncClient(base_url=matching_url, headers=token, timeout=60) as matching,
    ):
        skills = await offered_skills(profiles)
        match_ids: list[str] = []
        for spec in PROGRAMS:
            program_id = await find_program(matching, spec["name"])
            if program_id is not None:
                match_ids.extend(await active_matches(matching, program_id))
    if not match_ids:
        raise DemoError("the matching demo has no active matches")
    await seed_database(database_url, match_ids, skills, today=datetime.now(UTC).date())


async def offered_skills(profiles: httpx.AsyncClient) -> dict[str, tuple[str, ...]]:
    """The skills each active person's mentoring profile offers, by employee id."""
    found: dict[str, tuple[str, ...]] = {}
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"status": "active", "limit": 500, **({"cursor": cursor} if cursor else {})}
        response = await profiles.get("/v1/profiles", params=params)
        if response.status_code != 200:
            raise DemoError(f"listing profiles failed: {response.status_code} {response.text[:300]}")
        page = response.json()
        for item in page["items"]:
            offered = (item.get("mentoring") or {}).get("skills_offered") or ()
            found[item["employee_id"]] = tuple(s["skill"] for s in offered)
        cursor = page.get("next_cursor")
        if cursor is None:
            return found


async def active_matches(matching: httpx.AsyncClient, program_id: str) -> list[str]:
    found: list[str] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"first": 100, "status": "active", **({"after": after} if after else {})}
        response = await matching.get(f"/v1/programs/{program_id}/matches", params=params)
        if response.status_code != 200:
            raise DemoError(f"listing matches failed: {response.status_code} {response.text[:300]}")
        page = response.json()
        found.extend(edge["node"]["match_id"] for edge in page["edges"])
        if not page["page_info"]["has_next_page"]:
            return found
        after = page["page_info"]["end_cursor"]


async def seed_database(
    database_url: str, match_ids: Sequence[str], skills: Mapping[str, tuple[str, ...]], *, today: date
) -> Seeded:
    """Give ``match_ids`` their history in the engagement database at ``database_url``."""
    from tandem_common.db.engine import create_engine, create_session_factory

    engine = create_engine(database_url, pool_size=CONCURRENT_MATCHES, application_name="tandem-demo")
    try:
        seeder = _Seeder(create_session_factory(engine), skills, today)
        await seeder.wait_for(match_ids)
        await seeder.announce_checkins()
        limit = asyncio.Semaphore(CONCURRENT_MATCHES)

        async def one(match_id: str) -> Seeded:
            async with limit:
                return await seeder.seed(match_id)

        done = await asyncio.gather(*(one(match_id) for match_id in sorted(match_ids)))
        await seeder.announce_checkins()
        answers = sum(await asyncio.gather(*(seeder.answer(match_id) for match_id in sorted(match_ids))))
        return Seeded(
            matches=sum(d.matches for d in done),
            sessions=sum(d.sessions for d in done),
            goals=sum(d.goals for d in done),
            answers=answers,
        )
    finally:
        await engine.dispose()


def _at(day: date, hour: int = 17) -> datetime:
    return datetime.combine(day, clock_time(hour), tzinfo=UTC)


def _style(match_id: str) -> str:
    return random.Random(f"style:{match_id}").choices(STYLES, weights=STYLE_WEIGHTS)[0]


class _Seeder:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        skills: Mapping[str, tuple[str, ...]],
        today: date,
    ) -> None:
        from tandem_engagement.adapters.unit_of_work import SqlEngagementUnitOfWork
        from tandem_engagement.service.health import HealthRefresh

        self._session_factory = session_factory
        self._uow_class = SqlEngagementUnitOfWork
        # Health is recomputed as the service does, before each transaction commits.
        self._refresh = HealthRefresh(source=SOURCE)
        self._skills = skills
        self._today = today

    def _uow(self) -> SqlEngagementUnitOfWork:
        return self._uow_class(self._session_factory, before_commit=self._refresh)

    async def wait_for(self, match_ids: Sequence[str]) -> None:
        """Until engagement's read model has every match active (it follows matching.events)."""
        deadline = time.monotonic() + READ_MODEL_WAIT_SECONDS
        while True:
            async with self._uow() as uow:
                found = await uow.matches.get(match_ids)
            if all(m in found and found[m].started_on is not None for m in match_ids):
                return
            if time.monotonic() > deadline:
                raise DemoError(
                    f"engagement has not heard of the demo matches after {READ_MODEL_WAIT_SECONDS:.0f} s"
                )
            await asyncio.sleep(1.0)

    async def seed(self, match_id: str) -> Seeded:
        match = await self._moved_back(match_id)
        if match is None or match.started_on is None:
            return Seeded(0, 0, 0, 0)
        sessions = await self._sessions(match)
        goals = await self._goals(match)
        return Seeded(1, sessions, goals, 0)

    async def _moved_back(self, match_id: str) -> Match | None:
        from tandem_engagement.domain.checkins import next_due
        from tandem_engagement.domain.matches import DEFAULT_CHECKINS
        from tandem_engagement.service.read_models import schedule_of

        async with self._uow() as uow:
            match = (await uow.matches.get([match_id], for_update=True)).get(match_id)
            if match is None or match.status != "active" or match.started_on is None or match.ends_on is None:
                return match
            if match.started_on <= self._today - timedelta(days=RECENT_DAYS):
                return match
            duration = (match.ends_on - match.started_on).days
            low, high = MOVED_BACK_DAYS
            back = min(random.Random(f"start:{match_id}").randint(low, high), max(duration - 21, 0))
            shift = timedelta(days=(match.started_on - self._today).days + back)
            moved = replace(match, started_on=match.started_on - shift, ends_on=match.ends_on - shift)
            program = (await uow.programs.get([match.program_id])).get(match.program_id)
            schedule = schedule_of(program, DEFAULT_CHECKINS)
            moved = moved.scheduled(next_due(moved, schedule, after=None), None)
            await uow.matches.save([moved])
            await uow.commit()
            return moved

    def _skill(self, rng: random.Random, employee_id: str) -> str:
        return rng.choice(self._skills.get(employee_id) or FALLBACK_SKILLS)

    async def _sessions(self, match: Match) -> int:
        from tandem_common.user_errors import UserErrors
        from tandem_engagement.domain.policy import Viewer
        from tandem_engagement.service.sessions import LogSession, log_session

        assert match.started_on is not None
        style = _style(match.match_id)
        low, high = GAPS[style]
        if not high or len(match.members) < 2:
            return 0
        members = match.member_ids
        # A fading match meets in its first weeks only.
        last = self._today - timedelta(days=1)
        if style == "fading":
            last = min(last, match.started_on + timedelta(days=45))
        day = match.started_on + timedelta(days=random.Random(f"first:{match.match_id}").randint(2, 9))
        logged = 0
        number = 0
        while day <= last:
            # Each session's content depends on its number only, so a later run repeats it exactly.
            rng = random.Random(f"session:{match.match_id}:{number}")
            logger = members[number % len(members)]
            partner = members[(number + 1) % len(members)]
            body = {
                "held_on": day.isoformat(),
                "minutes": rng.choice((30, 45, 60, 60, 90)),
                "mode": rng.choice(("video", "video", "in_person", "phone", "chat")),
                "taught": [self._skill(rng, logger)] if rng.random() < 0.8 else [],
                "learned": [self._skill(rng, partner)] if rng.random() < 0.7 else [],
                "partner_id": partner,
                "client_request_id": f"demo-{match.match_id}-{number}",
            }
            try:
                async with self._uow() as uow:
                    await log_session(
                        uow,
                        LogSession(Viewer.of(logger, ["employee"]), match.match_id, body),
                        now=_at(day),
                        source=SOURCE,
                    )
                    await uow.commit()
                logged += 1
            except UserErrors as error:
                raise DemoError(f"logging a demo session failed: {error.errors}") from None
            number += 1
            day += timedelta(days=rng.randint(low, high))
        return logged

    async def _goals(self, match: Match) -> int:
        from tandem_common.user_errors import UserErrors
        from tandem_engagement.domain.policy import Viewer
        from tandem_engagement.service.goals import SetGoal, set_goal

        assert match.started_on is not None
        async with self._uow() as uow:
            if (await uow.goals.of_matches([match.match_id]))[match.match_id]:
                return 0
        style = _style(match.match_id)
        owner = match.member_ids[0]
        viewer = Viewer.of(owner, ["employee"])
        created_on = min(match.started_on + timedelta(days=5), self._today)
        plans = (
            ("Run a session on what we learned", 60, style in ("thriving", "steady")),
            ("Apply the new skill in a real project", 150, style == "thriving"),
        )
        made = 0
        try:
            for title, due_after, done in plans:
                fields = {
                    "title": title,
                    "success_criteria": "Both of us agree it happened",
                    "due_on": (match.started_on + timedelta(days=due_after)).isoformat(),
                    "progress": 20,
                }
                async with self._uow() as uow:
                    goal = await set_goal(
                        uow, SetGoal(viewer, match.match_id, None, fields), now=_at(created_on), source=SOURCE
                    )
                    await uow.commit()
                made += 1
                finished_on = match.started_on + timedelta(days=due_after - 5)
                if done and finished_on < self._today:
                    async with self._uow() as uow:
                        await set_goal(
                            uow,
                            SetGoal(viewer, match.match_id, goal.goal.goal_id, {"status": "done"}),
                            now=_at(finished_on),
                            source=SOURCE,
                        )
                        await uow.commit()
        except UserErrors as error:
            raise DemoError(f"setting a demo goal failed: {error.errors}") from None
        return made

    async def announce_checkins(self) -> None:
        """What the check-in job does: announce every check-in due by today, once."""
        from tandem_engagement.domain.matches import DEFAULT_CHECKINS
        from tandem_engagement.service.checkins import AnnounceDueCheckins, announce_due_checkins

        now = datetime.now(UTC)
        while True:
            async with self._uow() as uow:
                done = await announce_due_checkins(
                    uow, AnnounceDueCheckins(self._today, now, 200), defaults=DEFAULT_CHECKINS, source=SOURCE
                )
                await uow.commit()
            if done.matches < 200:
                return

    async def answer(self, match_id: str) -> int:
        """Answer most of the match's due check-ins, two days after their due date."""
        from tandem_engagement.domain.policy import Viewer
        from tandem_engagement.service.checkins import SubmitCheckin, submit_checkin

        style = _style(match_id)
        async with self._uow() as uow:
            waiting = [c for c in (await uow.checkins.of_matches([match_id]))[match_id] if c.status == "due"]
        answered = 0
        for checkin in waiting:
            rng = random.Random(f"answer:{checkin.checkin_id}")
            if rng.random() >= ANSWERED_SHARE[style]:
                continue
            low, high = SATISFACTION[style]
            answers = {
                "satisfaction": rng.randint(low, high),
                "career_support": rng.randint(low, high),
                "psychosocial_support": rng.randint(low, high),
                "role_modelling": rng.randint(max(1, low - 1), high),
            }
            on = min(checkin.due_on + timedelta(days=2), self._today)
            async with self._uow() as uow:
                await submit_checkin(
                    uow,
                    SubmitCheckin(Viewer.of(checkin.employee_id, ["employee"]), checkin.checkin_id, answers),
                    now=_at(on, 9),
                    source=SOURCE,
                )
                await uow.commit()
            answered += 1
        return answered
