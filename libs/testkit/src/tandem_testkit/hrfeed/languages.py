"""Which languages people speak: their country's, often English, sometimes one more.

Every country has the same number of variants, so a variant is drawn for everyone
at once from one uniform number and a per-country cumulative table.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tandem_testkit.hrfeed.reference_data import COUNTRIES, Country

ENGLISH = "en"


def language_variants(country: Country) -> tuple[tuple[tuple[str, ...], float], ...]:
    """(languages, probability) pairs for people based in ``country``."""
    base = country.languages
    if ENGLISH in base:
        first, second = country.extra_languages
        shares = (0.72, 0.18, 0.08, 0.02)
    else:
        first = ENGLISH
        second = next(tag for tag in country.extra_languages if tag != ENGLISH)
        shares = (0.25, 0.6, 0.05, 0.1)
    variants = (base, (*base, first), (*base, second), (*base, first, second))
    return tuple(zip(variants, shares, strict=True))


LANGUAGE_TABLE: tuple[tuple[tuple[str, ...], ...], ...] = tuple(
    tuple(languages for languages, _ in language_variants(country)) for country in COUNTRIES
)
_CUMULATIVE = np.array(
    [np.cumsum([share for _, share in language_variants(country)]) for country in COUNTRIES]
)


def draw_language_variants(
    country: npt.NDArray[np.int64], uniform: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    """Variant index per person, from one uniform number in [0, 1) each."""
    thresholds = _CUMULATIVE[country, :-1]
    variants: npt.NDArray[np.int64] = (uniform[:, None] >= thresholds).sum(axis=1, dtype=np.int64)
    return variants
