from __future__ import annotations

import re

import pytest

from tandem_profiles.adapters.taxonomy_file import load_taxonomy, parse_taxonomy
from tandem_profiles.domain.taxonomy import (
    Category,
    Skill,
    SkillTaxonomy,
    TaxonomyError,
    UnknownSkillError,
    normalise_term,
)

CATEGORIES = {
    "digital-technical",
    "leadership-management",
    "business-domain",
    "interpersonal-cultural",
    "career",
}


@pytest.fixture(scope="module")
def taxonomy() -> SkillTaxonomy:
    return load_taxonomy()


def test_bundled_taxonomy_is_large_enough_and_covers_every_category(
    taxonomy: SkillTaxonomy,
) -> None:
    assert len(taxonomy) >= 150
    assert {category.id for category in taxonomy.categories()} == CATEGORIES
    for category in CATEGORIES:
        assert len(taxonomy.skills_in(category)) >= 20, category
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", skill.id) for skill in taxonomy)


def test_skills_the_mentoring_programmes_rely_on_exist(taxonomy: SkillTaxonomy) -> None:
    expected = {
        "ai-tools": "digital-technical",
        "prompt-engineering": "digital-technical",
        "data-analysis": "digital-technical",
        "social-media": "digital-technical",
        "cloud-computing": "digital-technical",
        "kubernetes": "digital-technical",
        "cybersecurity": "digital-technical",
        "strategy": "leadership-management",
        "stakeholder-management": "leadership-management",
        "coaching": "leadership-management",
        "finance": "business-domain",
        "product-management": "business-domain",
        "sales": "business-domain",
        "cross-cultural-communication": "interpersonal-cultural",
        "inclusive-leadership": "interpersonal-cultural",
        "navigating-the-organisation": "interpersonal-cultural",
        "career-planning": "career",
        "professional-networking": "career",
        "personal-brand": "career",
    }
    assert {skill_id: taxonomy.get(skill_id).category for skill_id in expected} == expected
    assert "K8s" in taxonomy.get("kubernetes").synonyms
    assert {"Social Media", "SoMe"} <= {*taxonomy.get("social-media").synonyms, "Social Media"}


def test_no_term_of_the_bundled_taxonomy_resolves_to_two_skills(taxonomy: SkillTaxonomy) -> None:
    owners: dict[str, str] = {}
    for skill in taxonomy:
        for term in skill.terms():
            owner = owners.setdefault(normalise_term(term), skill.id)
            assert owner == skill.id, f"{term!r} of {skill.id} also names {owner}"
            assert taxonomy.resolve(term) == skill.id


@pytest.mark.parametrize(
    ("text", "skill_id"),
    [
        ("K8s", "kubernetes"),
        ("k8s", "kubernetes"),
        ("Kubernetes", "kubernetes"),
        ("Social Media", "social-media"),
        ("social_media", "social-media"),
        (" SOCIAL-MEDIA ", "social-media"),
        ("social.media!", "social-media"),
        ("SoMe", "social-media"),
        ("C#", "c-sharp"),
        ("c++", "c-plus-plus"),
        ("FP&A", "financial-analysis"),
        ("M&A", "mergers-and-acquisitions"),
        ("CI/CD", "ci-cd"),
        ("Résumé", "cv-writing"),
        ("Navigating the organization", "navigating-the-organisation"),
        ("networking", "professional-networking"),
        ("computer networking", "computer-networks"),
    ],
)
def test_resolve_ignores_case_spaces_accents_and_punctuation(
    taxonomy: SkillTaxonomy, text: str, skill_id: str
) -> None:
    assert taxonomy.resolve(text) == skill_id


def test_unknown_skill_names_the_text_and_suggests_the_nearest_id(
    taxonomy: SkillTaxonomy,
) -> None:
    with pytest.raises(UnknownSkillError) as caught:
        taxonomy.resolve("Kuberntes")
    assert caught.value.text == "Kuberntes"
    assert caught.value.suggestions == ("kubernetes",)
    assert str(caught.value) == "unknown skill 'Kuberntes'; did you mean kubernetes?"


@pytest.mark.parametrize(
    ("text", "suggestions"),
    [
        ("stakeholdr managment", ("stakeholder-management",)),
        ("Social medai", ("social-media",)),
        ("Program managment", ("programme-management",)),
        ("Analysis", ("business-case-development", "data-analysis")),
        ("Sales managment", ("stress-management", "people-management", "treasury")),
    ],
)
def test_suggestions_are_ranked_by_similarity_and_capped_at_three(
    taxonomy: SkillTaxonomy, text: str, suggestions: tuple[str, ...]
) -> None:
    with pytest.raises(UnknownSkillError) as caught:
        taxonomy.resolve(text)
    assert caught.value.suggestions == suggestions


def test_text_far_from_every_skill_gets_no_suggestion(taxonomy: SkillTaxonomy) -> None:
    with pytest.raises(UnknownSkillError) as caught:
        taxonomy.resolve("xyzzy")
    assert caught.value.suggestions == ()
    assert str(caught.value) == "unknown skill 'xyzzy'"


def test_get_takes_exact_ids_only(taxonomy: SkillTaxonomy) -> None:
    assert taxonomy.get("kubernetes").name == "Kubernetes"
    with pytest.raises(UnknownSkillError) as caught:
        taxonomy.get("K8s")
    assert caught.value.suggestions == ("kubernetes",)


def test_search_ranks_exact_then_prefix_then_substring_then_fuzzy(
    taxonomy: SkillTaxonomy,
) -> None:
    assert [s.id for s in taxonomy.search("k8s")] == ["kubernetes"]
    assert [s.id for s in taxonomy.search("kube")] == ["kubernetes"]
    assert [s.id for s in taxonomy.search("cloud")] == ["cloud-computing", "finops", "google-cloud"]
    assert [s.id for s in taxonomy.search("soc")] == [
        "social-media",
        "seo",
        "supply-chain-management",
    ]
    assert [s.id for s in taxonomy.search("leadrship", limit=3)] == [
        "leadership",
        "team-leadership",
        "change-management",
    ]
    assert taxonomy.search("xyzzy") == []
    assert taxonomy.search("data", limit=0) == []


def test_search_with_an_empty_query_lists_skills_by_name(taxonomy: SkillTaxonomy) -> None:
    assert [s.id for s in taxonomy.search("  ", limit=3)] == [
        "account-management",
        "accountability",
        "accounting",
    ]


def _taxonomy(*skills: Skill) -> SkillTaxonomy:
    return SkillTaxonomy([Category("digital", "Digital")], skills)


def test_validation_rejects_an_ambiguous_synonym() -> None:
    with pytest.raises(TaxonomyError) as caught:
        _taxonomy(
            Skill("computer-networks", "Networks", "digital", ("NET",)),
            Skill("dotnet", ".NET", "digital"),
        )
    assert str(caught.value) == (
        "ambiguous term '.NET' of skill 'dotnet': it also resolves to 'computer-networks'"
    )


def test_validation_rejects_duplicate_and_malformed_ids_and_unknown_categories() -> None:
    with pytest.raises(TaxonomyError, match="duplicate skill id 'sql'"):
        _taxonomy(Skill("sql", "SQL", "digital"), Skill("sql", "Structured", "digital"))
    with pytest.raises(TaxonomyError, match="'Social_Media' is not kebab-case"):
        _taxonomy(Skill("Social_Media", "Social media", "digital"))
    with pytest.raises(TaxonomyError, match="unknown category 'career'"):
        _taxonomy(Skill("cv-writing", "CV writing", "career"))
    with pytest.raises(TaxonomyError, match="without letters or digits"):
        _taxonomy(Skill("sql", "SQL", "digital", ("--",)))


def test_parse_reports_a_malformed_file() -> None:
    with pytest.raises(TaxonomyError, match="needs a list of skills"):
        parse_taxonomy("categories: []\n")
    with pytest.raises(TaxonomyError, match="a skill entry has no name"):
        parse_taxonomy("categories: [{id: digital, name: Digital}]\nskills: [{id: sql, category: digital}]\n")
