"""The matching database is unreachable while an exit arrives, then comes back: the
match ends and the partner is re-matched after recovery, exactly once."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from tandem_common.testing.backends import Infrastructure
from tests.support.backbone import scalar, wait_until
from tests.support.hr_lifecycle import HrMatching, enrol, left, propose, registrations, right, running_program
from tests.support.kafka import produce
from tests.support.matching import matching_events, rows
from tests.support.profile_snapshots import departed
from tests.support.proxy import CuttableProxy

SOCKET = ".s.PGSQL.5432"


class SocketProxy(CuttableProxy):
    """``CuttableProxy`` in front of PostgreSQL's Unix socket: the database goes away
    for the service (connections refused, open ones dropped) and comes back intact."""

    def __init__(self, listen_dir: Path, target_dir: Path) -> None:
        super().__init__(0, 0)
        self.listen_dir, self.target_dir = listen_dir, target_dir

    async def start(self) -> None:
        (self.listen_dir / SOCKET).unlink(missing_ok=True)
        self._server = await asyncio.start_unix_server(self._serve, str(self.listen_dir / SOCKET))

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_unix_connection(str(self.target_dir / SOCKET))


async def program_matches(database_url: str, program_id: str) -> list[dict]:
    return await rows(
        database_url,
        """
        SELECT m.match_id, m.status, m.end_reason, m.round_id,
               array_agg(mm.employee_id ORDER BY mm.position) AS members
        FROM matches m JOIN match_members mm ON mm.match_id = m.match_id
        WHERE m.program_id = :program_id GROUP BY m.match_id ORDER BY m.match_id
        """,
        program_id=program_id,
    )


async def test_an_exit_during_a_database_outage_is_applied_once_after_recovery(
    infrastructure: Infrastructure, database_url: str
) -> None:
    url = make_url(database_url)
    listen_dir = Path(tempfile.mkdtemp(prefix="pg-proxy-"))
    proxy = SocketProxy(listen_dir, Path(str(url.query["host"])))
    await proxy.start()
    through_proxy = url.update_query_dict({"host": str(listen_dir)}).render_as_string(hide_password=False)
    service = HrMatching(infrastructure, through_proxy)
    await service.start()
    try:
        async with service.client() as api:
            program_id = await running_program(api, acceptance="auto", auto_rematch=True)
            people = [left("OL1"), left("OL2"), right("OR1"), right("OR2"), right("OR3")]
            await service.publish_profiles(registrations(*people))
            await enrol(api, program_id, [{"employee_id": p["employee_id"]} for p in people])
            leaving, staying = await propose(
                service,
                program_id,
                (("OL1", "partner"), ("OR1", "partner")),
                (("OL2", "partner"), ("OR2", "partner")),
            )
        before = await program_matches(database_url, program_id)

        # The proposals' events are on the topic before the cut: a relay pass cut off
        # between sending and marking its rows sent would send them again (at least once).
        async def relayed() -> bool:
            return await scalar(database_url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0

        await wait_until(relayed, timeout=30)
        await proxy.cut()
        consumer = service.consumer
        handled = consumer.processed
        await produce(infrastructure.kafka_bootstrap, service.profiles_topic, [departed("OR1", 2)])
        await asyncio.sleep(4)
        # Nothing could be written, and the consumer is still retrying, not dead-lettering.
        assert await program_matches(database_url, program_id) == before
        assert (consumer.processed, consumer.dead_lettered) == (handled, 0)
        assert consumer.ready is False

        await proxy.start()

        async def recovered() -> bool:
            return len(await program_matches(database_url, program_id)) == len(before) + 1

        await wait_until(recovered, timeout=60)
        after = {m["match_id"]: m for m in await program_matches(database_url, program_id)}
        assert (after[leaving]["status"], after[leaving]["end_reason"]) == ("ended", "member_departed")
        assert after[staying] == next(m for m in before if m["match_id"] == staying)
        [new_id] = set(after) - {m["match_id"] for m in before}
        assert (after[new_id]["members"], after[new_id]["round_id"]) == (["OL1", "OR3"], None)
        assert consumer.processed == handled + 1

        events = await matching_events(infrastructure.kafka_bootstrap, {leaving, new_id}, expected=5)
        assert sorted((e.key, e.ce_type.split(".")[3]) for e in events) == sorted(
            [
                (leaving, "proposed"),
                (leaving, "started"),
                (leaving, "ended"),
                (new_id, "proposed"),
                (new_id, "started"),
            ]
        )
    finally:
        await service.stop()
        await proxy.cut()
