"""Loads the skill taxonomy shipped as package data."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from tandem_profiles.domain.taxonomy import SkillTaxonomy, TaxonomyError

DATA_PACKAGE = "tandem_profiles.data"
TAXONOMY_FILE = "skills.yaml"


def parse_taxonomy(text: str) -> SkillTaxonomy:
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise TaxonomyError("the taxonomy file must hold a mapping")
    return SkillTaxonomy.from_mapping(data)


@cache
def load_taxonomy() -> SkillTaxonomy:
    """The bundled taxonomy; read and validated once per process."""
    text = resources.files(DATA_PACKAGE).joinpath(TAXONOMY_FILE).read_text(encoding="utf-8")
    return parse_taxonomy(text)
