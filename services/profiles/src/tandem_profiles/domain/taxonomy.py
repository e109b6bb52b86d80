"""The skill taxonomy: the closed vocabulary that mentoring profiles and matching share.

People type skills as free text ("K8s", "Social Media", "social_media"); everything
downstream compares ids, so free text is resolved here once, at the edge. Resolution
ignores case, accents, spaces and punctuation, because those differences never change
which skill a person means.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

SKILL_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SUGGESTIONS = 3
SUGGESTION_CUTOFF = 0.6
# A suggestion much further away than the best one is noise ("Kuberntes" is not a
# misspelling of "Keynotes", although the two share most letters).
SUGGESTION_SPREAD = 0.1

# Symbols that carry meaning in skill names ("C#", "C++", "M&A") are spelled out
# before punctuation is dropped, so that they do not collapse into other skills.
_SPELLED_OUT = str.maketrans({"#": " sharp ", "+": " plus ", "&": " and "})
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")


def normalise_term(text: str) -> str:
    """The matching key of a skill term: lower case, no accents, no punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPELLED_OUT))
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_ALPHANUMERIC.sub("", without_accents.casefold())


class TaxonomyError(ValueError):
    """The taxonomy data itself is inconsistent; raised while loading it."""


class UnknownSkillError(ValueError):
    """Free text that matches no skill, with the nearest known ids as suggestions."""

    def __init__(self, text: str, suggestions: Sequence[str]) -> None:
        self.text = text
        self.suggestions = tuple(suggestions)
        message = f"unknown skill {text!r}"
        if self.suggestions:
            message += f"; did you mean {', '.join(self.suggestions)}?"
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Skill:
    id: str
    name: str
    category: str
    synonyms: tuple[str, ...] = ()

    def terms(self) -> tuple[str, ...]:
        """Every spelling that resolves to this skill: id, name, then synonyms."""
        return (self.id, self.name, *self.synonyms)


@dataclass(frozen=True, slots=True)
class _Match:
    tier: int
    closeness: float
    skill: Skill

    def sort_key(self) -> tuple[int, float, str]:
        return (self.tier, -self.closeness, self.skill.name.casefold())


_EXACT, _PREFIX, _SUBSTRING, _FUZZY = range(4)


class SkillTaxonomy:
    """An immutable set of skills, validated on construction."""

    def __init__(self, categories: Iterable[Category], skills: Iterable[Skill]) -> None:
        self._categories = tuple(categories)
        self._skills = tuple(skills)
        self._by_id: dict[str, Skill] = {}
        self._by_term: dict[str, str] = {}
        self._validate_and_index()

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> SkillTaxonomy:
        """Build from the parsed data file (``categories`` and ``skills`` lists)."""
        categories = [
            Category(id=_text(entry, "id", "category"), name=_text(entry, "name", "category"))
            for entry in _entries(data, "categories")
        ]
        skills = [
            Skill(
                id=_text(entry, "id", "skill"),
                name=_text(entry, "name", "skill"),
                category=_text(entry, "category", "skill"),
                synonyms=_synonyms(entry),
            )
            for entry in _entries(data, "skills")
        ]
        return cls(categories, skills)

    def _validate_and_index(self) -> None:
        if not self._skills:
            raise TaxonomyError("the taxonomy has no skills")
        category_ids = [category.id for category in self._categories]
        duplicated = sorted({c for c in category_ids if category_ids.count(c) > 1})
        if duplicated:
            raise TaxonomyError(f"duplicate category ids: {', '.join(duplicated)}")
        for skill in self._skills:
            if not SKILL_ID_PATTERN.fullmatch(skill.id):
                raise TaxonomyError(f"skill id {skill.id!r} is not kebab-case")
            if skill.id in self._by_id:
                raise TaxonomyError(f"duplicate skill id {skill.id!r}")
            if skill.category not in category_ids:
                raise TaxonomyError(f"skill {skill.id!r} has unknown category {skill.category!r}")
            self._by_id[skill.id] = skill
        for skill in self._skills:
            for term in skill.terms():
                self._index_term(skill, term)

    def _index_term(self, skill: Skill, term: str) -> None:
        key = normalise_term(term)
        if not key:
            raise TaxonomyError(f"skill {skill.id!r} has a term without letters or digits: {term!r}")
        owner = self._by_term.setdefault(key, skill.id)
        if owner != skill.id:
            raise TaxonomyError(
                f"ambiguous term {term!r} of skill {skill.id!r}: it also resolves to {owner!r}"
            )

    def __len__(self) -> int:
        return len(self._skills)

    def __iter__(self) -> Iterator[Skill]:
        return iter(self._skills)

    def __contains__(self, skill_id: object) -> bool:
        return skill_id in self._by_id

    def categories(self) -> tuple[Category, ...]:
        return self._categories

    def skills_in(self, category_id: str) -> tuple[Skill, ...]:
        return tuple(skill for skill in self._skills if skill.category == category_id)

    def get(self, skill_id: str) -> Skill:
        """The skill with exactly this id; an unknown id raises UnknownSkillError."""
        skill = self._by_id.get(skill_id)
        if skill is None:
            raise UnknownSkillError(skill_id, self.suggest(skill_id))
        return skill

    def resolve(self, text: str) -> str:
        """The id of the skill that ``text`` names, through its id, name or a synonym."""
        skill_id = self._by_term.get(normalise_term(text))
        if skill_id is None:
            raise UnknownSkillError(text, self.suggest(text))
        return skill_id

    def suggest(self, text: str, limit: int = MAX_SUGGESTIONS) -> tuple[str, ...]:
        """The ids nearest to ``text``, closest first, above a similarity cutoff."""
        key = normalise_term(text)
        if not key:
            return ()
        best: dict[str, float] = {}
        matcher = SequenceMatcher(autojunk=False)
        matcher.set_seq2(key)
        for term, skill_id in self._by_term.items():
            matcher.set_seq1(term)
            if matcher.real_quick_ratio() < SUGGESTION_CUTOFF:
                continue
            if matcher.quick_ratio() < SUGGESTION_CUTOFF:
                continue
            ratio = matcher.ratio()
            if ratio >= SUGGESTION_CUTOFF and ratio > best.get(skill_id, 0.0):
                best[skill_id] = ratio
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        if not ranked:
            return ()
        floor = ranked[0][1] - SUGGESTION_SPREAD
        return tuple(skill_id for skill_id, ratio in ranked[:limit] if ratio >= floor)

    def search(self, query: str, limit: int = 10) -> list[Skill]:
        """Skills for a search box: exact, then prefix, then substring, then fuzzy matches.

        Within one tier, the skill whose best matching term is closest in length to the
        query comes first ("kube" ranks Kubernetes above "Kubernetes operators"), then
        the name decides, so the order is stable.
        """
        if limit <= 0:
            return []
        key = normalise_term(query)
        if not key:
            return sorted(self._skills, key=lambda skill: skill.name.casefold())[:limit]
        matches: dict[str, _Match] = {}
        for term, skill_id in self._by_term.items():
            match = _match_term(key, term, self._by_id[skill_id])
            if match is None:
                continue
            current = matches.get(skill_id)
            if current is None or match.sort_key() < current.sort_key():
                matches[skill_id] = match
        ranked = sorted(matches.values(), key=_Match.sort_key)
        return [match.skill for match in ranked[:limit]]


def _match_term(key: str, term: str, skill: Skill) -> _Match | None:
    closeness = len(key) / len(term) if len(term) >= len(key) else 0.0
    if term == key:
        return _Match(_EXACT, 1.0, skill)
    if term.startswith(key):
        return _Match(_PREFIX, closeness, skill)
    if key in term:
        return _Match(_SUBSTRING, closeness, skill)
    ratio = SequenceMatcher(None, key, term, autojunk=False).ratio()
    if ratio >= SUGGESTION_CUTOFF:
        return _Match(_FUZZY, ratio, skill)
    return None


def _entries(data: Mapping[str, object], field: str) -> list[Mapping[str, object]]:
    value = data.get(field)
    if not isinstance(value, list) or not all(isinstance(entry, Mapping) for entry in value):
        raise TaxonomyError(f"the taxonomy needs a list of {field}")
    return value


def _text(entry: Mapping[str, object], field: str, kind: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise TaxonomyError(f"a {kind} entry has no {field}: {dict(entry)!r}")
    return value.strip()


def _synonyms(entry: Mapping[str, object]) -> tuple[str, ...]:
    value = entry.get("synonyms", [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TaxonomyError(f"skill {entry.get('id')!r} needs synonyms as a list of strings")
    return tuple(item.strip() for item in value)
