from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from tandem_profiles.adapters.taxonomy_file import load_taxonomy
from tandem_profiles.domain.mentoring import validate_write
from tandem_profiles.domain.taxonomy import SkillTaxonomy
from tandem_testkit.hrfeed.generator import FeedRequest, HrFeed, generate_feed

from .hrfeed_checks import CHANGED, EXITED, HIRED, check_record

REFERENCE_DATE = date(2026, 11, 1)
SEED = 11


@dataclass
class Parsed:
    records: list[dict[str, Any]]
    profiles: list[dict[str, Any]]

    def hires(self) -> dict[str, dict[str, Any]]:
        return {r["key"]: r["value"] for r in self.records if r["headers"]["ce_type"] == HIRED}


def event_bytes(feed: HrFeed, chunk_size: int = 700) -> bytes:
    return b"".join(chunk.data for chunk in feed.event_chunks(chunk_size))


def profile_bytes(feed: HrFeed, chunk_size: int = 700) -> bytes:
    return b"".join(chunk.data for chunk in feed.mentoring_chunks(chunk_size))


def parse(feed: HrFeed) -> Parsed:
    return Parsed(
        records=[json.loads(line) for line in event_bytes(feed).splitlines()],
        profiles=[json.loads(line) for line in profile_bytes(feed).splitlines()],
    )


@pytest.fixture(scope="module")
def taxonomy() -> SkillTaxonomy:
    return load_taxonomy()


@pytest.fixture(scope="module")
def feed(taxonomy: SkillTaxonomy) -> HrFeed:
    return generate_feed(FeedRequest(employees=5000, seed=SEED, churn=0.2), taxonomy)


@pytest.fixture(scope="module")
def parsed(feed: HrFeed) -> Parsed:
    return parse(feed)


def test_same_seed_gives_identical_bytes_whatever_the_chunk_size(
    taxonomy: SkillTaxonomy, feed: HrFeed
) -> None:
    again = generate_feed(FeedRequest(employees=5000, seed=SEED, churn=0.2), taxonomy)
    assert event_bytes(again, chunk_size=50_000) == event_bytes(feed)
    assert profile_bytes(again, chunk_size=1) == profile_bytes(feed)


def test_different_seed_gives_different_output(taxonomy: SkillTaxonomy, feed: HrFeed) -> None:
    other = generate_feed(FeedRequest(employees=5000, seed=SEED + 1, churn=0.2), taxonomy)
    assert event_bytes(other) != event_bytes(feed)
    assert profile_bytes(other) != profile_bytes(feed)


def test_churn_does_not_change_hires_or_profiles(taxonomy: SkillTaxonomy, feed: HrFeed) -> None:
    calm = generate_feed(FeedRequest(employees=5000, seed=SEED), taxonomy)
    hires = b"".join(c.data for c in feed.event_chunks(5000) if b'"hire-' in c.data[:200])
    assert event_bytes(calm, chunk_size=5000) == hires
    assert profile_bytes(calm) == profile_bytes(feed)


def test_every_line_follows_the_contract(parsed: Parsed) -> None:
    ids = Counter(record["headers"]["ce_id"] for record in parsed.records)
    assert ids.most_common(1)[0][1] == 1
    kinds = Counter(check_record(r, f"tandem-hrfeed/seed-{SEED}")[0] for r in parsed.records)
    assert kinds[HIRED] == 5000
    assert kinds[CHANGED] > 0 and kinds[EXITED] > 0


def test_employee_ids_are_numbered_in_hire_order(parsed: Parsed) -> None:
    hires = list(parsed.hires())
    assert hires == [f"E{number:06d}" for number in range(1, 5001)]


def test_manager_tree_has_one_top_and_spans_of_five_to_ten(parsed: Parsed) -> None:
    hires = parsed.hires()
    managers = {key: value.get("manager_id") for key, value in hires.items()}
    assert sum(manager is None for manager in managers.values()) == 1
    assert all(manager is None or manager in hires for manager in managers.values())
    for key, manager in managers.items():
        seen = {key}
        current = manager
        while current is not None:
            assert current not in seen, f"cycle through {current}"
            seen.add(current)
            current = managers[current]
    spans = Counter(manager for manager in managers.values() if manager is not None)
    assert min(spans.values()) >= 5 and max(spans.values()) <= 10
    for key, value in hires.items():
        manager = value.get("manager_id")
        if manager is not None:
            assert hires[manager]["seniority_level"] > value["seniority_level"], key


@pytest.mark.parametrize(
    ("employees", "spans"),
    [(1, []), (2, [1]), (5, [4]), (6, [5]), (11, [10]), (12, [5, 6]), (13, [5, 7])],
)
def test_small_organisations_follow_the_span_rule(
    taxonomy: SkillTaxonomy, employees: int, spans: list[int]
) -> None:
    hires = parse(generate_feed(FeedRequest(employees, seed=3), taxonomy)).hires()
    counted = Counter(v["manager_id"] for v in hires.values() if v.get("manager_id"))
    assert sorted(counted.values()) == spans
    assert sum(v.get("manager_id") is None for v in hires.values()) == 1


def test_seniority_forms_a_pyramid_with_one_executive_at_the_top(parsed: Parsed) -> None:
    levels = Counter(value["seniority_level"] for value in parsed.hires().values())
    assert levels[10] == 1
    assert levels[1] > levels[2] > levels[3] > levels[4]
    assert levels[1] + levels[2] + levels[3] > 0.6 * 5000


def test_departments_geography_and_languages_are_consistent(parsed: Parsed) -> None:
    hires = parsed.hires().values()
    assert len({value["department"] for value in hires}) >= 6
    zones_by_country: dict[str, set[str]] = defaultdict(set)
    for value in hires:
        zones_by_country[value["location"]["country"]].add(value["timezone"])
    assert len(zones_by_country) >= 10
    assert zones_by_country["BR"] <= {
        "America/Sao_Paulo",
        "America/Recife",
        "America/Manaus",
    }
    assert zones_by_country["DE"] == {"Europe/Berlin"}
    assert zones_by_country["IN"] == {"Asia/Kolkata"}
    assert all(
        value["timezone"].startswith("America/") for value in hires if value["location"]["country"] == "US"
    )
    assert all("de" in value["languages"] for value in hires if value["location"]["country"] == "DE")
    assert all("ja" in value["languages"] for value in hires if value["location"]["country"] == "JP")


def test_hire_dates_span_twenty_years_up_to_the_reference_date(parsed: Parsed) -> None:
    hire_dates = [date.fromisoformat(v["hire_date"]) for v in parsed.hires().values()]
    assert max(hire_dates) <= REFERENCE_DATE
    assert min(hire_dates) >= date(2006, 11, 1)
    assert min(hire_dates) < date(2009, 1, 1)


def test_birth_years_cover_about_thirty_percent_and_follow_seniority(parsed: Parsed) -> None:
    hires = parsed.hires().values()
    with_year = [value for value in hires if "birth_year" in value]
    assert 0.27 < len(with_year) / 5000 < 0.33

    def mean_birth_year(low: int, high: int) -> float:
        years = [v["birth_year"] for v in with_year if low <= v["seniority_level"] <= high]
        return float(sum(years)) / len(years)

    assert mean_birth_year(1, 2) - mean_birth_year(5, 10) > 8
    for value in with_year:
        assert int(value["hire_date"][:4]) - value["birth_year"] >= 17


def test_events_are_in_file_order_hires_then_churn_by_date(parsed: Parsed) -> None:
    effective = [check_record(r, f"tandem-hrfeed/seed-{SEED}") for r in parsed.records]
    kinds = [kind for kind, _, _ in effective]
    first_churn = kinds.count(HIRED)
    assert set(kinds[:first_churn]) == {HIRED} and HIRED not in kinds[first_churn:]
    hire_days = [day for _, _, day in effective[:first_churn]]
    churn_days = [day for _, _, day in effective[first_churn:]]
    assert hire_days == sorted(hire_days)
    assert churn_days == sorted(churn_days)
    assert hire_days[-1] <= REFERENCE_DATE < churn_days[0]


def test_churn_follows_each_employees_history(parsed: Parsed) -> None:
    hires = parsed.hires()
    history: dict[str, list[tuple[str, date]]] = defaultdict(list)
    for record in parsed.records:
        kind, key, day = check_record(record, f"tandem-hrfeed/seed-{SEED}")
        history[key].append((kind, day))
    churned = {key for key, events in history.items() if len(events) > 1}
    assert len(churned) == round(0.2 * 5000)
    for key, events in history.items():
        assert events[0] == (HIRED, date.fromisoformat(hires[key]["hire_date"]))
        days = [day for _, day in events]
        assert days == sorted(days) and len(set(days)) == len(days), key
        assert all(kind != EXITED for kind, _ in events[:-1]), key
        assert all(kind != HIRED for kind, _ in events[1:]), key


def test_state_after_churn_keeps_the_tree_valid(parsed: Parsed) -> None:
    state = {key: dict(value) for key, value in parsed.hires().items()}
    departed: set[str] = set()
    reasons: Counter[str] = Counter()
    for record in parsed.records:
        value = record["value"]
        if record["headers"]["ce_type"] == CHANGED:
            reasons[value["reason"]] += 1
            person = state[value["employee_id"]]
            if value["reason"] == "promotion":
                assert value["changes"]["seniority_level"] == person["seniority_level"] + 1
                assert value["changes"]["job_title"] != person["job_title"]
            if value["reason"] == "transfer":
                assert value["changes"]["department"] != person["department"]
            person.update(value["changes"])
        elif record["headers"]["ce_type"] == EXITED:
            departed.add(value["employee_id"])
    assert {"promotion", "transfer", "manager_change"} <= set(reasons)
    for key, person in state.items():
        manager = person.get("manager_id")
        if key in departed or manager is None:
            continue
        assert manager not in departed, key
        assert state[manager]["seniority_level"] > person["seniority_level"], key
        if "manager_id" in person and person["department"] != state[manager]["department"]:
            assert state[manager]["department"] == "Executive Office", key


def test_every_mentoring_profile_is_a_valid_write_in_canonical_ids(
    parsed: Parsed, taxonomy: SkillTaxonomy
) -> None:
    assert [line["employee_id"] for line in parsed.profiles] == list(parsed.hires())
    for line in parsed.profiles:
        assert list(line) == ["employee_id", "mentoring"]
        mentoring = line["mentoring"]
        assert validate_write(mentoring, taxonomy).to_data() == mentoring
        for entry in [*mentoring["skills_offered"], *mentoring["skills_wanted"]]:
            assert entry["skill"] in taxonomy
        assert mentoring["roles"] and mentoring["goals"]
        assert 1 <= mentoring["capacity"] <= 5


def _category_shares(
    parsed: Parsed, taxonomy: SkillTaxonomy, selected: set[str]
) -> tuple[Counter[str], Counter[str]]:
    offered: Counter[str] = Counter()
    wanted: Counter[str] = Counter()
    for line in parsed.profiles:
        if line["employee_id"] in selected:
            mentoring = line["mentoring"]
            offered.update(taxonomy.get(e["skill"]).category for e in mentoring["skills_offered"])
            wanted.update(taxonomy.get(e["skill"]).category for e in mentoring["skills_wanted"])
    offered_total, wanted_total = offered.total(), wanted.total()
    return (
        Counter({k: v / offered_total for k, v in offered.items()}),
        Counter({k: v / wanted_total for k, v in wanted.items()}),
    )


def test_skills_follow_career_stage(parsed: Parsed, taxonomy: SkillTaxonomy) -> None:
    hires = parsed.hires()
    early = {key for key, value in hires.items() if value["seniority_level"] <= 2}
    senior = {key for key, value in hires.items() if value["seniority_level"] >= 6}
    assert len(early) > 2000 and len(senior) > 40
    early_offered, early_wanted = _category_shares(parsed, taxonomy, early)
    senior_offered, senior_wanted = _category_shares(parsed, taxonomy, senior)
    digital, leadership = "digital-technical", "leadership-management"
    assert early_offered[digital] > 0.4 and early_offered[leadership] < 0.12
    assert early_wanted[leadership] > 0.35 and early_wanted[digital] < 0.15
    assert senior_offered[leadership] > senior_offered[digital] + 0.08
    assert senior_wanted[digital] > senior_wanted[leadership] + 0.2
    for category in ("business-domain", "interpersonal-cultural", "career"):
        assert min(early_offered[category], senior_offered[category]) > 0.04


def test_skills_follow_age_where_birth_year_is_known(parsed: Parsed, taxonomy: SkillTaxonomy) -> None:
    hires = parsed.hires()
    young = {k for k, v in hires.items() if v.get("birth_year", 0) >= 1996}
    older = {k for k, v in hires.items() if 0 < v.get("birth_year", 9999) <= 1984}
    assert len(young) > 500 and len(older) > 40
    young_offered, young_wanted = _category_shares(parsed, taxonomy, young)
    older_offered, older_wanted = _category_shares(parsed, taxonomy, older)
    digital, leadership = "digital-technical", "leadership-management"
    assert young_offered[digital] > older_offered[digital] + 0.2
    assert older_offered[leadership] > young_offered[leadership] + 0.1
    assert older_wanted[digital] > young_wanted[digital] + 0.2
    assert young_wanted[leadership] > older_wanted[leadership] + 0.2


def test_requests_outside_the_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="--employees must be between 1 and 10,000,000"):
        FeedRequest(employees=0, seed=1)
    with pytest.raises(ValueError, match="--churn must be a fraction between 0 and 1"):
        FeedRequest(employees=10, seed=1, churn=1.5)
    with pytest.raises(ValueError, match="--seed must be a non-negative integer"):
        FeedRequest(employees=10, seed=-1)
