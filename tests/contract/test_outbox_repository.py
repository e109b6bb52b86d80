"""The outbox repository (``uow.publish``, ``uow.outbox``): one suite, two backends."""

from __future__ import annotations

import pytest

from tandem_common.events.profiles import ProfileErasedV1
from tandem_common.outbox.writer import OutgoingEvent
from tests.contract.backends import FakeBackend, OutboxRowView, PostgresBackend


def _event(employee_id: str, version: int) -> OutgoingEvent:
    return OutgoingEvent(
        data=ProfileErasedV1(employee_id=employee_id, profile_version=version),
        source="tandem/tests",
        id=f"{employee_id}.v{version}",
    )


class OutboxContract:
    async def test_published_events_wait_unsent_in_the_order_they_were_published(self, backend) -> None:
        async with backend.unit_of_work() as uow:
            await uow.publish([_event("E1", 1), _event("E2", 1)])
            await uow.publish_one(_event("E1", 2))
            await uow.publish([])
            await uow.commit()
        assert await backend.outbox_rows() == [
            OutboxRowView("E1", "E1.v1", True, False),
            OutboxRowView("E2", "E2.v1", True, False),
            OutboxRowView("E1", "E1.v2", True, False),
        ]

    async def test_redact_sent_drops_the_payloads_of_one_keys_sent_rows_only(self, backend) -> None:
        async with backend.unit_of_work() as uow:
            await uow.publish([_event("E1", 1), _event("E2", 1)])
            await uow.commit()
        await backend.mark_outbox_sent()
        async with backend.unit_of_work() as uow:
            await uow.publish([_event("E1", 2)])
            assert await uow.outbox.redact_sent("E1") == 1
            await uow.commit()
        assert await backend.outbox_rows() == [
            OutboxRowView("E1", "E1.v1", False, True),
            OutboxRowView("E2", "E2.v1", True, True),
            # Not sent yet: the relay still publishes it.
            OutboxRowView("E1", "E1.v2", True, False),
        ]
        async with backend.unit_of_work() as uow:
            assert await uow.outbox.redact_sent("E1") == 0
            assert await uow.outbox.redact_sent("nobody") == 0


class TestOutboxOnFakes(OutboxContract):
    @pytest.fixture
    def backend(self, fake_backbone: FakeBackend) -> FakeBackend:
        return fake_backbone


class TestOutboxOnPostgres(OutboxContract):
    @pytest.fixture
    def backend(self, postgres_backbone: PostgresBackend) -> PostgresBackend:
        return postgres_backbone
