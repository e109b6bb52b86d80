"""Synthetic mentoring profiles that carry the pattern reverse mentoring relies on.

A person's "youth" shifts which skill categories they offer and want: early-career
people offer digital skills and want leadership ones, senior people the reverse. Youth
blends age (1 at 28 or younger, 0 at 55 or older) and seniority (1 at entry level, 0
from level 6), because both the generation and the career stage drive the exchange.
Everybody's category mix is also multiplied by random noise, their department's home
category is favoured for what they offer, and business, interpersonal and career
skills appear at every age.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tandem_profiles.domain.taxonomy import SkillTaxonomy
from tandem_testkit.hrfeed.arrays import BoolArray, FloatArray, IntArray
from tandem_testkit.hrfeed.organisation import EXECUTIVE_DEPARTMENT, Organisation
from tandem_testkit.hrfeed.reference_data import (
    DEPARTMENTS,
    GOAL_OFFERS,
    GOAL_OPENINGS,
    HOURS_PER_MONTH_CHOICES,
    LEADERSHIP,
    SKILL_CATEGORIES,
)

OFFERED_SLOTS = 5
WANTED_SLOTS = 4
HOME_CATEGORY_BOOST = 0.12
GENERATION_AWARE_CONSENT = 0.55
DEMOGRAPHICS_CONSENT = 0.35
_MENTOR, _MENTEE, _BOTH = 0, 1, 2
_ROLES: tuple[list[str], ...] = (["mentor"], ["mentee"], ["mentor", "mentee"])


@dataclass(frozen=True, slots=True)
class SkillCatalogue:
    """The taxonomy's skills grouped by the generator's categories, as flat arrays."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    category_start: IntArray
    category_size: IntArray

    @classmethod
    def from_taxonomy(cls, taxonomy: SkillTaxonomy) -> SkillCatalogue:
        ids: list[str] = []
        names: list[str] = []
        starts: list[int] = []
        sizes: list[int] = []
        for category in SKILL_CATEGORIES:
            skills = taxonomy.skills_in(category)
            if not skills:
                raise ValueError(f"the taxonomy has no skills in category {category!r}")
            starts.append(len(ids))
            sizes.append(len(skills))
            ids.extend(skill.id for skill in skills)
            names.extend(skill.name for skill in skills)
        return cls(
            ids=tuple(ids),
            names=tuple(names),
            category_start=np.array(starts, dtype=np.int64),
            category_size=np.array(sizes, dtype=np.int64),
        )


@dataclass(frozen=True, slots=True)
class MentoringProfiles:
    """Column arrays per employee (same rows as the Organisation)."""

    catalogue: SkillCatalogue
    offered_skill: IntArray  # (n, OFFERED_SLOTS) index into catalogue
    offered_level: IntArray
    offered_count: IntArray
    wanted_skill: IntArray  # (n, WANTED_SLOTS)
    wanted_level: IntArray
    wanted_count: IntArray
    roles: IntArray
    capacity: IntArray
    hours_per_month: IntArray
    goal_opening: IntArray
    goal_offer: IntArray
    generation_aware_pairing: BoolArray
    demographics_for_reporting: BoolArray

    def objects(self, start: int, stop: int) -> list[dict[str, Any]]:
        """The events.md ``mentoring`` objects of rows ``start`` to ``stop``."""
        ids = self.catalogue.ids
        names = self.catalogue.names
        columns = zip(
            self.offered_skill[start:stop].tolist(),
            self.offered_level[start:stop].tolist(),
            self.offered_count[start:stop].tolist(),
            self.wanted_skill[start:stop].tolist(),
            self.wanted_level[start:stop].tolist(),
            self.wanted_count[start:stop].tolist(),
            self.roles[start:stop].tolist(),
            self.capacity[start:stop].tolist(),
            self.hours_per_month[start:stop].tolist(),
            self.goal_opening[start:stop].tolist(),
            self.goal_offer[start:stop].tolist(),
            self.generation_aware_pairing[start:stop].tolist(),
            self.demographics_for_reporting[start:stop].tolist(),
            strict=True,
        )
        objects: list[dict[str, Any]] = []
        for (
            offered_skill,
            offered_level,
            offered_count,
            wanted_skill,
            wanted_level,
            wanted_count,
            roles,
            capacity,
            hours,
            opening,
            offer,
            generation_aware,
            demographics,
        ) in columns:
            offered = _distinct(offered_skill[:offered_count], set())
            wanted = _distinct(wanted_skill[:wanted_count], {skill for _, skill in offered})
            goals = GOAL_OPENINGS[opening].format(wanted=_join(names, wanted))
            if offered:
                goals += GOAL_OFFERS[offer].format(offered=_join(names, offered))
            objects.append(
                {
                    "skills_offered": [
                        {"skill": ids[skill], "level": offered_level[slot]} for slot, skill in offered
                    ],
                    "skills_wanted": [
                        {"skill": ids[skill], "level": wanted_level[slot]} for slot, skill in wanted
                    ],
                    "roles": _ROLES[roles],
                    "capacity": capacity,
                    "hours_per_month": hours,
                    "goals": goals,
                    "consents": {
                        "generation_aware_pairing": generation_aware,
                        "demographics_for_reporting": demographics,
                    },
                }
            )
        return objects


# Per skill category, in SKILL_CATEGORIES order, its weight in what a person offers and
# in what they want: a base, plus so much per unit of youth and per unit of age.
_CATEGORY_MIX: FloatArray = np.array(
    [
        # offered: base, youth, age; wanted: base, youth, age
        [0.08, 0.52, 0.00, 0.06, 0.00, 0.50],  # digital and technical
        [0.04, 0.00, 0.46, 0.06, 0.44, 0.00],  # leadership and management
        [0.18, 0.00, 0.00, 0.14, 0.00, 0.00],  # business domain
        [0.14, 0.00, 0.00, 0.14, 0.00, 0.00],  # interpersonal and cultural
        [0.06, 0.00, 0.10, 0.08, 0.14, 0.00],  # career
    ]
)


def _category_mix(weights: FloatArray, young: FloatArray, old: FloatArray) -> FloatArray:
    """Each person's weight per category (a row each), from ``weights``' columns base, youth, age."""
    base, per_youth, per_age = weights.T
    mix: FloatArray = base + young[:, None] * per_youth + old[:, None] * per_age
    return mix


def youth(age: IntArray, seniority: IntArray) -> FloatArray:
    by_age = np.clip((55.0 - age) / 27.0, 0.0, 1.0)
    by_seniority = np.clip((6.0 - seniority) / 5.0, 0.0, 1.0)
    blended: FloatArray = 0.5 * by_age + 0.5 * by_seniority
    return blended


def build_profiles(
    organisation: Organisation, catalogue: SkillCatalogue, rng: np.random.Generator
) -> MentoringProfiles:
    size = organisation.size
    young = youth(organisation.age, organisation.seniority)
    old = 1.0 - young
    home = _home_category(organisation.department)

    offered_mix = _category_mix(_CATEGORY_MIX[:, :3], young, old)
    offered_mix[np.arange(size), home] += HOME_CATEGORY_BOOST
    wanted_mix = _category_mix(_CATEGORY_MIX[:, 3:], young, old)
    offered_category = _draw_categories(offered_mix, OFFERED_SLOTS, rng)
    wanted_category = _draw_categories(wanted_mix, WANTED_SLOTS, rng)

    # Strength in what one offers follows the same generational pattern.
    affinity = np.select(
        [offered_category == 0, offered_category == 1],
        [young[:, None], old[:, None]],
        default=0.5,
    )
    offered_level = 1 + rng.binomial(4, 0.4 + 0.35 * affinity)
    roles = _roles(young, rng)
    mentors = roles != _MENTEE
    capacity = np.where(
        mentors,
        1 + rng.binomial(4, 0.15 + 0.35 * old),
        1 + (rng.random(size) < 0.2),
    )
    return MentoringProfiles(
        catalogue=catalogue,
        offered_skill=_draw_skills(offered_category, catalogue, rng),
        offered_level=offered_level.astype(np.int64),
        offered_count=(1 + rng.binomial(OFFERED_SLOTS - 1, 0.3 + 0.2 * old)).astype(np.int64),
        wanted_skill=_draw_skills(wanted_category, catalogue, rng),
        wanted_level=rng.integers(2, 5, size=(size, WANTED_SLOTS)),
        wanted_count=(1 + rng.binomial(WANTED_SLOTS - 1, 0.3 + 0.25 * young)).astype(np.int64),
        roles=roles,
        capacity=capacity.astype(np.int64),
        hours_per_month=rng.choice(np.array(HOURS_PER_MONTH_CHOICES, dtype=np.int64), size=size),
        goal_opening=rng.integers(0, len(GOAL_OPENINGS), size=size),
        goal_offer=rng.integers(0, len(GOAL_OFFERS), size=size),
        generation_aware_pairing=rng.random(size) < GENERATION_AWARE_CONSENT,
        demographics_for_reporting=rng.random(size) < DEMOGRAPHICS_CONSENT,
    )


def _home_category(department: IntArray) -> IntArray:
    homes = [SKILL_CATEGORIES.index(d.home_category) for d in DEPARTMENTS]
    homes.insert(EXECUTIVE_DEPARTMENT, SKILL_CATEGORIES.index(LEADERSHIP))
    return np.array(homes, dtype=np.int64)[department]


def _draw_categories(mix: FloatArray, slots: int, rng: np.random.Generator) -> IntArray:
    noisy = mix * rng.uniform(0.5, 1.5, size=mix.shape)
    cumulative = np.cumsum(noisy / noisy.sum(axis=1, keepdims=True), axis=1)
    uniform = rng.random((mix.shape[0], slots))
    drawn: IntArray = (uniform[:, :, None] >= cumulative[:, None, :-1]).sum(axis=2, dtype=np.int64)
    return drawn


def _draw_skills(category: IntArray, catalogue: SkillCatalogue, rng: np.random.Generator) -> IntArray:
    within = np.floor(rng.random(category.shape) * catalogue.category_size[category])
    return (catalogue.category_start[category] + within.astype(np.int64)).astype(np.int64)


def _roles(young: FloatArray, rng: np.random.Generator) -> IntArray:
    mentor_only = 0.10 + 0.45 * (1.0 - young)
    mentee_only = 0.05 + 0.35 * young
    uniform = rng.random(young.shape[0])
    return np.where(
        uniform < mentor_only,
        _MENTOR,
        np.where(uniform < mentor_only + mentee_only, _MENTEE, _BOTH),
    ).astype(np.int64)


def _distinct(skills: list[int], exclude: set[int]) -> list[tuple[int, int]]:
    """(slot, skill) pairs without repeats or excluded skills, in slot order."""
    chosen: list[tuple[int, int]] = []
    for slot, skill in enumerate(skills):
        if skill not in exclude:
            exclude.add(skill)
            chosen.append((slot, skill))
    return chosen


def _join(names: tuple[str, ...], skills: list[tuple[int, int]]) -> str:
    """The first two skill names, for the goals text."""
    return " and ".join(names[skill] for _, skill in skills[:2]) or "new things"
