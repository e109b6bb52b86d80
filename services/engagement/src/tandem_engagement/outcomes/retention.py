"""The hazard ratio of voluntary exit while participating against while not.

A Cox proportional hazards model on the tenure time scale (days since hire), so people
are compared with others at the same tenure, with entry at the observation start and
participation time-varying from the first match start (the episodes of
:mod:`tandem_engagement.outcomes.timeline`). Department and seniority level are
categorical covariates. Voluntary exits are events; other exits and the as-of date
censor, which assumes they tell nothing more about the risk of leaving voluntarily.
"""

from __future__ import annotations

import numpy as np

from tandem_engagement.outcomes.cohort import Cohort
from tandem_engagement.outcomes.cox import Ratio, fit_cox
from tandem_engagement.outcomes.design import patterns
from tandem_engagement.outcomes.timeline import Episodes, Timeline


def hazard_ratio(cohort: Cohort, rows: Episodes) -> Ratio | None:
    # Without exits in both states the ratio is 0 or infinite: nothing to report.
    if not rows.event[rows.participating].any() or not rows.event[~rows.participating].any():
        return None
    design = patterns(
        [
            ("participating", rows.participating.astype(np.int64), 0),
            ("department", cohort.department[rows.person], None),
            ("seniority_level", cohort.seniority[rows.person], None),
        ]
    )
    fit = fit_cox(design.pattern, design.design, rows.start, rows.stop, rows.event)
    return None if fit is None else fit.ratio(design.column("participating=1"))


def naive_hazard_ratio(timeline: Timeline) -> float | None:
    ever = timeline.participant
    if not timeline.event[ever].any() or not timeline.event[~ever].any():
        return None
    design = patterns([("participated", ever.astype(np.int64), 0)])
    fit = fit_cox(design.pattern, design.design, timeline.entry, timeline.stop, timeline.event)
    ratio = None if fit is None else fit.ratio(0)
    return None if ratio is None else ratio.estimate
