"""HR ingestion at scale: linear replay, a free event loop, a bounded log, one writer per employee."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from tandem_common.runtime.service import ServiceRuntime
from tandem_common.testing.backends import Infrastructure
from tandem_profiles.adapters.employee_repository import EmployeeRepository
from tests.support.backbone import scalar, wait_until
from tests.support.kafka import headers_of, read_all
from tests.support.profiles import (
    LoopLagProbe,
    apply_batch,
    changed,
    consumer_records,
    employee_row,
    hire_data,
    hired,
    ingest_batch,
    published,
    received_events,
    record,
    started_runtime,
)

# The longest the HR handler may hold the event loop (heartbeats, relay, API).
MAX_LOOP_LAG = 0.100


@pytest.fixture
async def runtime(infrastructure: Infrastructure, database_url: str):
    started = await started_runtime(infrastructure, database_url)
    yield started
    await started.stop()


@contextlib.contextmanager
def _earlier_heap_frozen() -> Iterator[None]:
    """Keep the objects that existed before the batch out of garbage collection.

    A full collection pauses the loop for a time that grows with the whole heap of the
    process (here, every span the session's in-memory exporter has kept), not with the
    batch: about 0.1 s in this test session. The batch's own objects are still
    collected, so the probe measures the batch's work, whatever ran before it.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def _relayed(database_url: str) -> None:
    async def drained() -> bool:
        return await scalar(database_url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0

    await wait_until(drained, timeout=120, every=0.2)


def _days(start: str, n: int) -> str:
    return (date.fromisoformat(start) + timedelta(days=n)).isoformat()


async def test_2000_events_of_one_employee_in_one_batch_are_stepped_with_a_snapshot_each(
    runtime: ServiceRuntime, database_url: str
) -> None:
    await ingest_batch(runtime, [hired("W1")])  # warms up imports and statements
    records = [hired("L1", hire_date="2021-01-01")]
    records += [changed("L1", _days("2021-01-01", n), job_title=f"Title {n}") for n in range(1, 2000)]
    events = received_events("hr.test", records)  # the consumer's part, not measured here
    with _earlier_heap_frozen():
        async with LoopLagProbe() as probe:
            await apply_batch(runtime, events)
    print(f"2,000 events of one employee: {probe.cpu_seconds:.2f}s CPU, max loop lag {probe.worst:.3f}s")

    snapshots = await published(database_url, "L1")
    assert [(e["type"], e["data"]["profile_version"]) for e in snapshots] == [("registered", 1)] + [
        ("updated", n) for n in range(2, 2001)
    ]
    assert [e["data"]["job_title"] for e in snapshots[:3]] == ["Data Analyst", "Title 1", "Title 2"]
    row = await employee_row(database_url, "L1")
    assert row is not None
    assert (row["profile_version"], row["job_title"]) == (2000, "Title 1999")
    assert row["hr_position_date"] == date(2021, 1, 1) + timedelta(days=1999)
    assert probe.worst < MAX_LOOP_LAG
    # Replaying the whole log for every event took about 15 s of CPU here.
    assert probe.cpu_seconds < 3.0


async def test_100_events_on_a_20000_event_log_step_or_replay_it_once_without_holding_the_loop(
    runtime: ServiceRuntime, database_url: str
) -> None:
    await ingest_batch(runtime, [hired("L2", hire_date="1960-01-01")])
    for start in range(1, 20_000, 2_000):
        await ingest_batch(
            runtime,
            [
                changed("L2", _days("1960-01-01", n), job_title=f"Title {n}")
                for n in range(start, min(start + 2_000, 20_000))
            ],
        )
    await _relayed(database_url)  # the relay's own work is not what is measured here
    assert await scalar(database_url, "SELECT count(*) FROM hr_events WHERE employee_id = 'L2'") == 20_000

    in_order = received_events(
        "hr.test", [changed("L2", _days("2020-01-01", n), job_title=f"Later {n}") for n in range(100)]
    )
    with _earlier_heap_frozen():
        async with LoopLagProbe() as stepped:
            await apply_batch(runtime, in_order)
    print(f"100 events after 20,000: {stepped.cpu_seconds:.2f}s CPU, max loop lag {stepped.worst:.3f}s")
    row = await employee_row(database_url, "L2")
    assert row is not None and (row["profile_version"], row["job_title"]) == (20_100, "Later 99")
    await _relayed(database_url)

    # The first event sorts 30 years back: one replay of the 20,100 logged events with
    # all 100 of the batch, and one snapshot for the lot.
    late_first = [changed("L2", "1990-06-15", "transfer", department="Risk")]
    late_first += [changed("L2", _days("2021-01-01", n), job_title=f"Last {n}") for n in range(99)]
    late_events = received_events("hr.test", late_first)
    with _earlier_heap_frozen():
        async with LoopLagProbe() as replayed:
            await apply_batch(runtime, late_events)
    print(f"100 events replaying 20,100: {replayed.cpu_seconds:.2f}s CPU, max loop lag {replayed.worst:.3f}s")

    snapshots = await published(database_url, "L2")
    assert len(snapshots) == 20_101
    last = snapshots[-1]["data"]
    assert (last["profile_version"], last["department"], last["job_title"]) == (20_101, "Risk", "Last 98")
    assert stepped.worst < MAX_LOOP_LAG
    assert replayed.worst < MAX_LOOP_LAG
    # Replaying the log for each of 100 events took about 12 s of CPU here.
    assert stepped.cpu_seconds < 0.5
    assert replayed.cpu_seconds < 3.0


async def test_an_event_sorting_before_the_last_applied_replays_once_for_the_rest_of_the_batch(
    runtime: ServiceRuntime, database_url: str
) -> None:
    await ingest_batch(runtime, [hired("O1")])
    await ingest_batch(
        runtime,
        [
            changed("O1", "2026-09-01", job_title="Lead"),
            # Sorts before September: the replay puts it there, so September's title wins.
            changed("O1", "2026-06-01", job_title="Senior", department="Audit"),
            changed("O1", "2026-10-01", "transfer", department="Risk"),
        ],
    )
    snapshots = await published(database_url, "O1")
    assert [
        (e["type"], e["data"]["profile_version"], e["data"]["job_title"], e["data"]["department"])
        for e in snapshots
    ] == [
        ("registered", 1, "Data Analyst", "Finance"),
        ("updated", 2, "Lead", "Finance"),
        ("updated", 3, "Lead", "Risk"),
    ]
    row = await employee_row(database_url, "O1")
    assert row is not None and row["hr_position_date"] == date(2026, 10, 1)


async def test_a_corrective_hire_clears_the_fields_it_nulls_and_keeps_the_ones_it_leaves_out(
    runtime: ServiceRuntime, database_url: str
) -> None:
    await ingest_batch(runtime, [hired("H1", manager_id="H0", birth_year=1990)])
    corrective = {
        key: value
        for key, value in hire_data("H1", manager_id=None, location={"country": "BR"}).items()
        if key != "languages"
    }
    await ingest_batch(runtime, [record("hired", corrective)])
    await ingest_batch(runtime, [record("hired", {**corrective, "birth_year": None})])

    snapshots = [e["data"] for e in await published(database_url, "H1")]
    assert [(s["profile_version"], s["manager_id"], s["location"], s["languages"]) for s in snapshots] == [
        (1, "H0", {"country": "BR", "city": "Sao Paulo"}, ["pt", "en"]),
        (2, None, {"country": "BR", "city": None}, ["pt", "en"]),
        (3, None, {"country": "BR", "city": None}, ["pt", "en"]),
    ]
    row = await employee_row(database_url, "H1")
    assert row is not None and (row["birth_year"], row["manager_id"], row["city"]) == (None, None, None)


async def test_a_corrective_hire_without_birth_year_keeps_it(
    runtime: ServiceRuntime, database_url: str
) -> None:
    await ingest_batch(runtime, [hired("H2", birth_year=1985)])
    await ingest_batch(runtime, [hired("H2", job_title="Analytics Lead")])
    row = await employee_row(database_url, "H2")
    assert row is not None and (row["birth_year"], row["job_title"], row["profile_version"]) == (
        1985,
        "Analytics Lead",
        2,
    )


async def test_a_change_nulling_a_required_field_is_dead_lettered_naming_the_field(
    infrastructure: Infrastructure, runtime: ServiceRuntime, database_url: str
) -> None:
    consumer = runtime.consumers[0]
    await consumer.handle_records(consumer_records(consumer.topic, [hired("N1")]))
    await consumer.handle_records(
        consumer_records(
            consumer.topic,
            [
                changed("N1", "2026-01-01", "correction", department=None),
                changed("N1", "2026-02-01", "manager_change", manager_id=None, languages=None),
            ],
            first_offset=1,
        )
    )
    letters = await read_all(infrastructure.kafka_bootstrap, f"{consumer.topic}.dlq", expected=1, timeout=15)
    assert [
        (
            headers_of(r)["x-error-stage"],
            headers_of(r)["x-error-reason"],
            headers_of(r)["x-original-offset"],
        )
        for r in letters
    ] == [
        (
            b"validate",
            b"field changes.department: must not be null "
            b"(a hire requires it; only manager_id and languages may be null)",
            b"1",
        )
    ]
    snapshots = [e["data"] for e in await published(database_url, "N1")]
    assert [(s["profile_version"], s["department"], s["manager_id"], s["languages"]) for s in snapshots] == [
        (1, "Finance", None, ["pt", "en"]),
        (2, "Finance", None, []),
    ]


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        pytest.param(
            lambda: changed("C1", "2021-01-01", job_title="Lead"),
            [("registered", 1, "Data Analyst"), ("updated", 2, "Lead")],
            id="hire-and-change",
        ),
        pytest.param(
            lambda: hired("C1", job_title="Lead"),
            [("registered", 1, "Data Analyst"), ("updated", 2, "Lead")],
            id="hire-and-corrective-hire",
        ),
    ],
)
async def test_two_consumers_with_events_of_one_new_employee_apply_them_one_after_the_other(
    infrastructure: Infrastructure, database_url: str, monkeypatch: pytest.MonkeyPatch, second, expected
) -> None:
    """What a rebalance does: two members hold different events of an employee not yet stored."""
    first_runtime = await started_runtime(infrastructure, database_url)
    second_runtime = await started_runtime(infrastructure, database_url)
    # Each transaction waits after loading the employee until the other has loaded too
    # (or a second has passed): without a lock both see no employee and both write one.
    loaded = 0
    both_loaded = asyncio.Event()
    load = EmployeeRepository.load

    async def load_then_meet(self, employee_ids, *, for_update=False):  # type: ignore[no-untyped-def]
        nonlocal loaded
        found = await load(self, employee_ids, for_update=for_update)
        loaded += 1
        if loaded == 2:
            both_loaded.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both_loaded.wait(), timeout=1.0)
        return found

    monkeypatch.setattr(EmployeeRepository, "load", load_then_meet)
    try:
        first = first_runtime.consumers[0]
        second_consumer = second_runtime.consumers[0]
        hire = asyncio.create_task(first.handle_records(consumer_records(first.topic, [hired("C1")])))

        async def first_has_loaded() -> bool:
            return loaded == 1

        await wait_until(first_has_loaded, timeout=10, every=0.01)
        await second_consumer.handle_records(consumer_records(second_consumer.topic, [second()]))
        await hire
    finally:
        await first_runtime.stop()
        await second_runtime.stop()

    snapshots = await published(database_url, "C1")
    assert [(e["type"], e["data"]["profile_version"], e["data"]["job_title"]) for e in snapshots] == expected
    row = await employee_row(database_url, "C1")
    assert row is not None and (row["profile_version"], row["job_title"]) == (2, "Lead")
    assert await scalar(database_url, "SELECT count(*) FROM hr_events WHERE employee_id = 'C1'") == 2
