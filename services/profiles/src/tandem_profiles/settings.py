"""Settings of the profiles service (``TANDEM_*`` variables)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from tandem_common.settings import ServiceSettings


class ProfilesSettings(ServiceSettings):
    service_name: ClassVar[str] = "profiles"

    # HR feeds arrive in bulk (a first load is the whole organisation), and a batch of
    # 2,000 applies in one transaction with one statement per table.
    default_overrides: ClassVar[Mapping[str, Any]] = {"consumer_max_records": 2000}

    # Employees who exited more than this many days ago lose their personal data; a
    # year covers the usual re-hire and audit questions.
    erasure_retention_days: int = Field(default=365, ge=0)
    # How often the erasure job looks for employees past the retention period.
    erasure_interval_seconds: float = Field(default=3600.0, gt=0)
    # The largest page `GET /v1/profiles` returns, whatever `limit` asks for.
    api_page_limit: int = Field(default=500, ge=1)

    # HR ingestion does its CPU work (folding events, building snapshots) in slices of
    # this many milliseconds, handing the event loop back in between, so heartbeats, the
    # outbox relay and the API keep running during a large batch or a long replay. At
    # 10 ms the longest wait this work causes was about 30 ms (2,000 events in a batch),
    # and a pause costs a few microseconds.
    hr_ingest_time_slice_ms: float = Field(default=10.0, gt=0)

    # HR log compaction. Events dated more than this many days before today are folded
    # into a per-employee snapshot and deleted; events inside the window stay in the
    # log, so a late event dated inside it still replays exactly in its place. An event
    # dated before an employee's snapshot follows the rules in domain/employee.py (an
    # exit still ends the employment; an old change loses to the newer values folded
    # in). Two years covers the retroactive corrections HR systems send in practice.
    hr_replay_window_days: int = Field(default=730, ge=1)
    # Only employees with at least this many events dated before the window are
    # compacted: a short log costs less to replay than a snapshot row costs to keep,
    # and 200 events replay in about a millisecond.
    hr_compaction_min_events: int = Field(default=200, ge=1)
    # At most this many events are folded and deleted per transaction, so compaction
    # holds an employee's lock briefly: 5,000 events fold in a few tens of milliseconds.
    hr_compaction_batch_events: int = Field(default=5000, ge=1)
    # How many candidate employees one query of a compaction run fetches; a run pages
    # through all of them, so this only bounds the size of one result.
    hr_compaction_page_size: int = Field(default=500, ge=1)
    # How often compaction runs (it also runs once at start-up). Logs only grow by what
    # HR sends in that time, so hourly keeps them near the window at little cost.
    hr_compaction_interval_seconds: float = Field(default=3600.0, gt=0)
