"""Settings of the matching service (``TANDEM_*`` variables)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from tandem_common.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    service_name: ClassVar[str] = "matching"

    # A proposal nobody answers lapses (match.declined.v1 with declined_by null) this
    # many days after it was made: two weeks covers a holiday without leaving people
    # waiting on a partner who will not answer.
    proposal_expiry_days: int = Field(default=14, ge=1, le=365)
    # The most rows one bulk enrolment takes; the whole command is one transaction and
    # one statement, and 10,000 rows are about 0.6 MB of JSON.
    bulk_enrol_limit: int = Field(default=10_000, ge=1)
    # The most ids one batch read (the gateway's DataLoaders) takes.
    matching_batch_read_limit: int = Field(default=1000, ge=1)
    # How often the lifecycle jobs run: expiring unanswered proposals and completing
    # matches whose duration ran out. Both work in days, so a minute is prompt enough.
    match_lifecycle_interval_seconds: float = Field(default=60.0, gt=0)
    # Matches one lifecycle transaction expires or completes; a run repeats until
    # nothing is due, so this only bounds how long one transaction holds its locks.
    match_lifecycle_batch_size: int = Field(default=500, ge=1)
    # Match rounds run the engine in worker processes: this many rounds (of different
    # programs) at once. A 100,000-person round takes one core and about 2 GiB.
    round_workers: int = Field(default=1, ge=1, le=16)
    # How often an idle round runner looks for a queued round (or one whose runner died).
    round_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # A running round's lease: its runner renews it every third of this while the engine
    # works; once it lapses (the process was killed), another runner retries the round.
    round_lease_seconds: float = Field(default=60.0, gt=0, le=3600)
    # Attempts at one round before it is marked failed (each killed run counts one).
    round_max_attempts: int = Field(default=3, ge=1, le=20)
    # Recommendation indexes kept in memory, one per program, least recently used
    # dropped first: about 470 MiB each at 100,000 enrolled people.
    recommendation_cache_programs: int = Field(default=8, ge=1, le=1000)
    # An index is rebuilt after this long even if this process saw no change to its
    # program: the bound on how long another replica's writes can stay unseen.
    recommendation_max_age_seconds: float = Field(default=300.0, gt=0)
