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
