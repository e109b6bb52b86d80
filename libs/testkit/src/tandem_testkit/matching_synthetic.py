"""A synthetic organisation: profile snapshots in the `profiles.events` shape.

People form a manager tree (seven reports per manager), so seniority falls with depth.
Departments follow the tree below the top level. Each person lives in one of a few
regions (country, IANA zone, local language, English for most). Juniors offer digital
skills and want leadership skills; seniors the other way round, which is what reverse
and reciprocal programs are for. Skill popularity is skewed, as in real taxonomies.

Two vocabularies:

- `"large"` (the default): 60 digital and 140 leadership skills, 2-4 offered and 1-3
  wanted, 14 regions, seven reports per manager.
- `"dense"`: the shape of a focused "digital for leadership" program. 14 skills (7
  digital, 7 leadership); everyone offers 3 and wants 2, so almost every two people
  are skill-compatible. Spans of about six, six countries with their time zones, and
  10% of people who speak only their local language (no English, so no language in
  common with most of the organisation). Roles mix mentor, mentee and both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

REGIONS = (
    ("US", "America/New_York", "en"),
    ("US", "America/Chicago", "en"),
    ("US", "America/Los_Angeles", "en"),
    ("BR", "America/Sao_Paulo", "pt"),
    ("GB", "Europe/London", "en"),
    ("FR", "Europe/Paris", "fr"),
    ("DE", "Europe/Berlin", "de"),
    ("ES", "Europe/Madrid", "es"),
    ("PL", "Europe/Warsaw", "pl"),
    ("IN", "Asia/Kolkata", "hi"),
    ("SG", "Asia/Singapore", "en"),
    ("JP", "Asia/Tokyo", "ja"),
    ("AU", "Australia/Sydney", "en"),
    ("ZA", "Africa/Johannesburg", "en"),
)
DEPARTMENTS = (
    "Finance",
    "Marketing",
    "Sales",
    "Engineering",
    "Operations",
    "Legal",
    "HR",
    "Product",
    "Support",
    "Research",
    "Procurement",
    "Communications",
)
DIGITAL = tuple(f"digital-{i:03d}" for i in range(60))
LEADERSHIP = tuple(f"leadership-{i:03d}" for i in range(140))
GOAL_WORDS = (
    "leadership",
    "strategy",
    "communication",
    "negotiation",
    "analytics",
    "automation",
    "cloud",
    "security",
    "storytelling",
    "coaching",
    "feedback",
    "delegation",
    "influence",
    "networking",
    "innovation",
    "product",
    "design",
    "research",
    "presentation",
    "career",
    "growth",
    "confidence",
    "culture",
    "inclusion",
    "finance",
    "budgeting",
    "planning",
    "social",
    "media",
    "trends",
    "customers",
    "markets",
)


def _skewed(rng: np.random.Generator, names: tuple[str, ...], count: int) -> list[str]:
    weights = 1.0 / np.arange(1, len(names) + 1) ** 0.8
    picks = rng.choice(len(names), size=count, replace=False, p=weights / weights.sum())
    return [names[i] for i in picks]


VOCABULARIES = ("large", "dense")
DENSE_REGIONS = (
    ("US", "America/New_York", "en"),
    ("BR", "America/Sao_Paulo", "pt"),
    ("GB", "Europe/London", "en"),
    ("DE", "Europe/Berlin", "de"),
    ("IN", "Asia/Kolkata", "hi"),
    ("JP", "Asia/Tokyo", "ja"),
)
DENSE_DIGITAL = tuple(f"digital-{i:03d}" for i in range(7))
DENSE_LEADERSHIP = tuple(f"leadership-{i:03d}" for i in range(7))
DENSE_FAN_OUT = 6
LOCAL_LANGUAGE_ONLY = 0.10


def organisation(
    n: int, seed: int = 0, *, fan_out: int = 7, vocabulary: str = "large"
) -> list[dict[str, Any]]:
    """`n` snapshots; every one is active except about 3% on leave.

    `vocabulary` picks the organisation's shape (module docs); `fan_out` applies to the
    large one, the dense one has spans of about six.
    """
    if vocabulary == "dense":
        return _dense_organisation(n, seed)
    if vocabulary != "large":
        raise ValueError(f"vocabulary must be one of {VOCABULARIES}, not {vocabulary!r}")
    rng = np.random.default_rng(seed)
    parent = np.maximum((np.arange(n) - 1) // fan_out, -1)
    depth = np.zeros(n, dtype=np.int64)
    for person in range(1, n):
        depth[person] = depth[parent[person]] + 1
    seniority = np.clip(10 - np.rint(depth * 1.4 + rng.normal(0, 0.8, n)), 1, 10).astype(int)
    department = np.zeros(n, dtype=np.int64)
    for person in range(1, n):
        department[person] = (
            rng.integers(len(DEPARTMENTS)) if depth[person] <= 1 else department[parent[person]]
        )
    home = rng.integers(len(REGIONS), size=len(DEPARTMENTS))
    region = np.where(rng.random(n) < 0.6, home[department], rng.integers(len(REGIONS), size=n))
    people: list[dict[str, Any]] = []
    for person in range(n):
        country, zone, language = REGIONS[int(region[person])]
        level = int(seniority[person])
        junior = level <= 5
        teach_pool, learn_pool = (DIGITAL, LEADERSHIP) if junior else (LEADERSHIP, DIGITAL)
        if rng.random() < 0.25:
            teach_pool, learn_pool = learn_pool, teach_pool
        offered = _skewed(rng, teach_pool, int(rng.integers(2, 5)))
        wanted = _skewed(rng, learn_pool, int(rng.integers(1, 4)))
        languages = [language] + (["en"] if language != "en" and rng.random() < 0.85 else [])
        roll = rng.random()
        roles = ["mentor", "mentee"] if roll < 0.7 else (["mentor"] if roll < 0.85 else ["mentee"])
        people.append(
            {
                "employee_id": f"E{person:07d}",
                "profile_version": 1,
                "status": "active" if rng.random() > 0.03 else "on_leave",
                "display_name": f"Person {person}",
                "job_title": "Staff",
                "department": DEPARTMENTS[int(department[person])],
                "manager_id": f"E{int(parent[person]):07d}" if person else None,
                "location": {"country": country},
                "timezone": zone,
                "seniority_level": level,
                "hire_date": "2020-01-01",
                "birth_year": int(1998 - 3 * level + rng.integers(-4, 5)),
                "languages": languages,
                "mentoring": {
                    "skills_offered": [{"skill": s, "level": int(rng.integers(3, 6))} for s in offered],
                    "skills_wanted": [{"skill": s, "level": int(rng.integers(1, 4))} for s in wanted],
                    "roles": roles,
                    "capacity": int(rng.integers(1, 4)),
                    "hours_per_month": 4,
                    "goals": " ".join(rng.choice(GOAL_WORDS, size=5, replace=False)),
                    "consents": {
                        "generation_aware_pairing": bool(rng.random() < 0.4),
                        "demographics_for_reporting": bool(rng.random() < 0.5),
                    },
                },
            }
        )
    return people


def _dense_organisation(n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    # Spans of about six: each person's manager is drawn among the earlier people so that
    # the tree fills level by level with 4 to 8 reports per manager.
    span = rng.integers(DENSE_FAN_OUT - 2, DENSE_FAN_OUT + 3, size=max(n, 1))
    first_report = np.concatenate([[1], 1 + np.cumsum(span)])
    parent = np.full(n, -1, dtype=np.int64)
    parent[1:] = np.searchsorted(first_report, np.arange(1, n), side="right") - 1
    depth = np.zeros(n, dtype=np.int64)
    for person in range(1, n):
        depth[person] = depth[parent[person]] + 1
    seniority = np.clip(10 - np.rint(depth * 1.3 + rng.normal(0, 0.8, n)), 1, 10).astype(int)
    department = np.zeros(n, dtype=np.int64)
    for person in range(1, n):
        department[person] = (
            rng.integers(len(DEPARTMENTS)) if depth[person] <= 1 else department[parent[person]]
        )
    home = rng.integers(len(DENSE_REGIONS), size=len(DEPARTMENTS))
    region = np.where(rng.random(n) < 0.7, home[department], rng.integers(len(DENSE_REGIONS), size=n))
    # English is the common language; in the four countries whose language is not
    # English, enough people speak only their own for 10% of everyone.
    non_english = np.asarray([r[2] != "en" for r in DENSE_REGIONS])[region]
    local_only = non_english & (rng.random(n) < LOCAL_LANGUAGE_ONLY * n / max(int(non_english.sum()), 1))
    swapped = rng.random(n) < 0.4
    people: list[dict[str, Any]] = []
    for person in range(n):
        country, zone, language = DENSE_REGIONS[int(region[person])]
        level = int(seniority[person])
        junior = level <= 5
        teach_pool, learn_pool = (
            (DENSE_DIGITAL, DENSE_LEADERSHIP) if junior else (DENSE_LEADERSHIP, DENSE_DIGITAL)
        )
        if swapped[person]:
            teach_pool, learn_pool = learn_pool, teach_pool
        offered = _skewed(rng, teach_pool, 3)
        wanted = _skewed(rng, learn_pool, 2)
        languages = [language] if local_only[person] or language == "en" else [language, "en"]
        roll = rng.random()
        roles = ["mentor", "mentee"] if roll < 0.6 else (["mentor"] if roll < 0.8 else ["mentee"])
        people.append(
            {
                "employee_id": f"D{person:07d}",
                "profile_version": 1,
                "status": "active" if rng.random() > 0.03 else "on_leave",
                "display_name": f"Person {person}",
                "job_title": "Staff",
                "department": DEPARTMENTS[int(department[person])],
                "manager_id": f"D{int(parent[person]):07d}" if person else None,
                "location": {"country": country},
                "timezone": zone,
                "seniority_level": level,
                "hire_date": "2021-01-01",
                "birth_year": int(1998 - 3 * level + rng.integers(-4, 5)),
                "languages": languages,
                "mentoring": {
                    "skills_offered": [{"skill": s, "level": int(rng.integers(2, 6))} for s in offered],
                    "skills_wanted": [{"skill": s, "level": int(rng.integers(1, 5))} for s in wanted],
                    "roles": roles,
                    "capacity": int(rng.integers(1, 4)),
                    "hours_per_month": 4,
                    "goals": " ".join(rng.choice(GOAL_WORDS, size=5, replace=False)),
                    "consents": {
                        "generation_aware_pairing": bool(rng.random() < 0.4),
                        "demographics_for_reporting": bool(rng.random() < 0.5),
                    },
                },
            }
        )
    return people


def program(kind: str, **rules: Any) -> dict[str, Any]:
    return {
        "program_id": f"bench-{kind}",
        "type": kind,
        "rules": {
            "exclude_reporting_line": True,
            "exclude_same_department": False,
            "min_timezone_overlap_hours": 2,
            "require_common_language": True,
            "exclude_previous_pairs": [],
            **rules,
        },
        "weights": {
            "skill_complementarity": 1.0,
            "reciprocity_balance": 1.0,
            "cross_department": 0.2,
            "cross_generation": 0.1,
            "timezone_overlap": 0.1,
            "common_goals": 0.2,
        },
    }
