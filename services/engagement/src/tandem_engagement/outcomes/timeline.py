"""Observed time on the tenure scale, split where participation begins.

Time is counted in days since hire (tenure), so people are compared with others of
the same tenure, which adjusts for tenure as closely as it can be. Observation starts
on the first day anyone could participate (the earliest counted match start) and ends
at the exit or the as-of date, whichever comes first. Someone hired earlier enters at
the tenure they had then (delayed entry); someone who left before never enters.

A person is a participant only from their first match's start: before it, their time is
non-participant time. Each person therefore contributes one or two counting-process
episodes, intervals (start, stop] of tenure with constant participation. A fixed
"ever participated" flag would credit the program with the time people had to survive
before they could join (immortal time); these episodes do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tandem_engagement.outcomes.cohort import NEVER, BoolArray, Cohort, IntArray


class NothingToAnalyse(ValueError):
    """No participation, or no one observed, so there is nothing to compare."""


@dataclass(frozen=True)
class Timeline:
    """One row per observed person: index into the cohort and tenure days."""

    person: IntArray
    entry: IntArray  # tenure when observation starts for this person
    stop: IntArray  # tenure at the exit or the as-of date
    event: BoolArray  # a voluntary exit at `stop`
    join: IntArray  # tenure at the first match start; NEVER if never joined
    participant: BoolArray  # has participant time: joined before `stop`
    observation_start: int  # day ordinal


@dataclass(frozen=True)
class Episodes:
    """Counting-process rows: (start, stop] of tenure with constant participation."""

    person: IntArray  # index into the cohort
    start: IntArray
    stop: IntArray
    participating: BoolArray
    event: BoolArray  # the voluntary exit ends this episode


def observe(cohort: Cohort, as_of: int) -> Timeline:
    """Everyone's observed time up to ``as_of`` (a day ordinal)."""
    started = cohort.first_match[cohort.first_match <= as_of]
    if started.size == 0:
        raise NothingToAnalyse("no match started on or before the as-of date")
    observation_start = int(started.min())
    end = np.minimum(cohort.exit, as_of)
    first_day = np.maximum(cohort.hire, observation_start)
    person = np.flatnonzero(end > first_day)
    if person.size == 0:
        raise NothingToAnalyse("no employee was employed after the first match started")
    hire = cohort.hire[person]
    stop = end[person] - hire
    joined = cohort.first_match[person]
    join = np.where(joined < end[person], joined - hire, NEVER)
    return Timeline(
        person=person,
        entry=first_day[person] - hire,
        stop=stop,
        event=cohort.voluntary[person] & (cohort.exit[person] <= as_of),
        join=join,
        participant=join < stop,
        observation_start=observation_start,
    )


def episodes(timeline: Timeline) -> Episodes:
    """Split each participant's time at their first match start."""
    joined_later = timeline.participant & (timeline.join > timeline.entry)
    before = np.flatnonzero(~timeline.participant | joined_later)
    after = np.flatnonzero(timeline.participant)
    before_stop = np.where(timeline.participant, timeline.join, timeline.stop)[before]
    return Episodes(
        person=np.concatenate([timeline.person[before], timeline.person[after]]),
        start=np.concatenate([timeline.entry[before], timeline.join[after]]),
        stop=np.concatenate([before_stop, timeline.stop[after]]),
        participating=np.concatenate([np.zeros(before.size, np.bool_), np.ones(after.size, np.bool_)]),
        event=np.concatenate([timeline.event[before] & ~timeline.participant[before], timeline.event[after]]),
    )
