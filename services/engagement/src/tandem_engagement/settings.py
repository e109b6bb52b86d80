"""Settings of the engagement service (``TANDEM_*`` variables)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from tandem_common.settings import ServiceSettings


class EngagementSettings(ServiceSettings):
    service_name: ClassVar[str] = "engagement"

    # The most ids one batch read (the gateway's DataLoaders) takes.
    engagement_batch_read_limit: int = Field(default=1000, ge=1)
    # How often the check-in job looks for check-ins that have come due. Due dates are
    # days, so a minute is prompt enough; replicas share the work (SKIP LOCKED).
    checkin_interval_seconds: float = Field(default=60.0, gt=0)
    # Matches one check-in transaction claims; a run repeats until none is due, so this
    # only bounds how long one transaction holds its locks.
    checkin_batch_size: int = Field(default=500, ge=1)
    # The schedule of a match whose program engagement has not heard of (yet): the
    # first check-in this many days after the start...
    checkin_default_first_after_days: int = Field(default=30, ge=1)
    # ...then one every this many days until the match ends.
    checkin_default_every_days: int = Field(default=60, ge=1)
    # How often the health job looks for active matches not scored today. Scores are
    # per day, so a run after the first of the day finds nothing to do.
    health_interval_seconds: float = Field(default=300.0, gt=0)
    # Matches one health transaction claims and scores (SKIP LOCKED, so replicas share a run).
    health_batch_size: int = Field(default=1000, ge=1)
    # Transactions one process runs side by side in a health run: one waits on the
    # database while another computes.
    health_lanes: int = Field(default=2, ge=1)
    # How long an outcome analysis (GET /v1/outcomes) is reused before it is run again.
    outcomes_cache_seconds: float = Field(default=300.0, ge=0)
