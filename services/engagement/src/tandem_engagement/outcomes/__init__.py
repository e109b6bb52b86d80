"""Outcome analytics: retention and promotion of participants against comparable others.

A pure library: it reads no files and keeps no state. Feed a
:class:`~tandem_engagement.outcomes.cohort.CohortBuilder` with employees and match
memberships, build the cohort, and :func:`tandem_engagement.outcomes.report.analyse`
returns the document of `outcomes-cli.md`. The `tandem engage outcomes` command reads
JSON-lines files into the builder (:mod:`tandem_engagement.outcomes.files`); the
engagement service feeds it from its read models.

This package imports nothing itself, so reading and checking the files (which fails
fast on bad input) never waits for the statistics libraries.
"""
