"""The profiles unit of work: commit makes work durable, anything else leaves no trace."""

from __future__ import annotations

import pytest

from tandem_common.events.profiles import ProfileErasedV1
from tandem_common.outbox.writer import OutgoingEvent
from tests.contract.backends import FakeBackend, OutboxRowView, PostgresBackend
from tests.support.stored_profiles import a_profile

EVENT = OutgoingEvent(
    data=ProfileErasedV1(employee_id="U1", profile_version=1), source="tandem/tests", id="U1.v1"
)


class UnitOfWorkContract:
    async def test_committed_work_is_what_the_next_unit_of_work_sees(self, backend) -> None:
        committed: list[str] = []
        async with backend.unit_of_work() as uow:
            uow.after_commit(lambda: committed.append("after"))
            await uow.employees.save([a_profile("U1")])
            await uow.publish_one(EVENT)
            assert committed == []
            await uow.commit()
        assert committed == ["after"]
        async with backend.unit_of_work() as uow:
            assert await uow.employees.load(["U1"]) == {"U1": a_profile("U1")}
        assert await backend.outbox_rows() == [OutboxRowView("U1", "U1.v1", True, False)]

    async def test_leaving_without_a_commit_leaves_no_trace(self, backend) -> None:
        called: list[str] = []
        async with backend.unit_of_work() as uow:
            uow.after_commit(lambda: called.append("after"))
            await uow.employees.save([a_profile("U1")])
            await uow.publish_one(EVENT)
        with pytest.raises(RuntimeError):
            async with backend.unit_of_work() as uow:
                await uow.employees.save([a_profile("U2")])
                raise RuntimeError("the use case failed")
        async with backend.unit_of_work() as uow:
            assert await uow.employees.load(["U1", "U2"]) == {}
        assert await backend.outbox_rows() == []
        assert called == []


class TestUnitOfWorkOnFakes(UnitOfWorkContract):
    @pytest.fixture
    def backend(self, fake_profiles: FakeBackend) -> FakeBackend:
        return fake_profiles


class TestUnitOfWorkOnPostgres(UnitOfWorkContract):
    @pytest.fixture
    def backend(self, postgres_profiles: PostgresBackend) -> PostgresBackend:
        return postgres_profiles
