"""The lenient record-batch reader that gets a consumer past records aiokafka cannot decode."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import CorruptRecordException
from aiokafka.record.default_records import (
    DefaultRecordBatch,
    _DefaultRecordBatchBuilderPy,
    _DefaultRecordBatchPy,
)
from aiokafka.record.util import calc_crc32c
from aiokafka.structs import TopicPartition

from tandem_common.messaging.dead_letter import DeadLetter
from tandem_common.messaging.fetch_repair import (
    UNREADABLE_REASON,
    FetchRepairError,
    UnreadableRecordError,
    is_unreadable_record_error,
    parse_record_batches,
    repair_partition,
)
from tests.support.kafka import RawName

BAD_NAME = b"\xff\xfe"
T0 = 1_700_000_000_000


Record = tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]]]


def batch(base_offset: int, records: Sequence[Record], *, compression: int = 0) -> bytes:
    builder = _DefaultRecordBatchBuilderPy(2, compression, 0, -1, -1, 0, 1 << 20)
    for delta, (key, value, headers) in enumerate(records):
        assert builder.append(delta, T0 + delta, key, value, headers) is not None
    data = bytearray(builder.build())
    struct.pack_into(">q", data, 0, base_offset)  # the base offset is outside the CRC
    return bytes(data)


def with_attributes(data: bytes, set_bits: int, clear_bits: int = 0) -> bytes:
    """``data`` with batch attribute bits changed and its CRC recomputed."""
    changed = bytearray(data)
    (attributes,) = struct.unpack_from(">h", changed, 21)
    struct.pack_into(">h", changed, 21, (attributes & ~clear_bits) | set_bits)
    struct.pack_into(">I", changed, 17, calc_crc32c(bytes(changed[21:])))
    return bytes(changed)


GOOD = [(b"k1", b"v1", [("ce_id", b"1")]), (None, b"v2", []), (b"k3", None, [("h", None)])]
POISONED = [
    (b"k3", b"v3", [("ce_id", b"3")]),
    (b"k4", b"v4", [("ce_id", b"4"), (RawName(BAD_NAME), b"x")]),
    (b"k5", b"v5", [("ce_id", b"5")]),
]


def test_a_plain_batch_reads_as_aiokafka_reads_it() -> None:
    data = batch(10, GOOD)
    (parsed,) = parse_record_batches(data)
    assert (parsed.base_offset, parsed.next_offset) == (10, 13)
    assert not parsed.is_control and not parsed.unreadable
    records = [r.consumer_record("t", 2) for r in parsed.records]
    expected = list(DefaultRecordBatch(data))
    assert [(r.offset, r.timestamp, r.key, r.value, r.headers) for r in records] == [
        (e.offset, e.timestamp, e.key, e.value, e.headers) for e in expected
    ]
    assert records[0].topic == "t" and records[0].partition == 2 and records[0].timestamp_type == 0
    assert (records[1].serialized_key_size, records[2].serialized_value_size) == (-1, -1)


@pytest.mark.parametrize("compression", [0, 1], ids=["uncompressed", "gzip"])
def test_a_header_name_that_is_not_utf8_marks_only_its_record(compression: int) -> None:
    data = batch(3, POISONED, compression=compression)
    (parsed,) = parse_record_batches(data)
    assert parsed.unreadable
    assert [r.readable for r in parsed.records] == [True, False, True]
    assert parsed.records[1].headers == ((b"ce_id", b"4"), (BAD_NAME, b"x"))
    assert [r.offset for r in parsed.records] == [3, 4, 5]
    # aiokafka itself, compiled or not, cannot read past it: the defect being repaired.
    for reader in (DefaultRecordBatch, _DefaultRecordBatchPy):
        with pytest.raises(Exception) as raised:
            list(reader(data))
        assert is_unreadable_record_error(raised.value)


def test_several_batches_are_read_and_a_trailing_partial_one_is_left_for_the_next_fetch() -> None:
    second = batch(3, POISONED)
    parsed = parse_record_batches(batch(0, GOOD) + second + batch(6, GOOD)[:40])
    assert [(b.base_offset, b.next_offset, b.unreadable) for b in parsed] == [(0, 3, False), (3, 6, True)]
    assert parse_record_batches(second[:11]) == []


def test_log_append_time_and_control_batches() -> None:
    data = with_attributes(batch(0, GOOD), 0x08 | 0x20)
    (parsed,) = parse_record_batches(data)
    assert parsed.is_control
    assert {(r.timestamp, r.timestamp_type) for r in parsed.records} == {(T0 + 2, 1)}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        pytest.param(lambda d: d[:-1] + bytes([d[-1] ^ 1]), "CRC", id="crc"),
        pytest.param(lambda d: with_attributes(d, 0x02), "snappy", id="codec-not-installed"),
        pytest.param(lambda d: with_attributes(d, 0x07), "codec 7", id="unknown-codec"),
        pytest.param(lambda d: d[:16] + b"\x01" + d[17:], "format v1", id="legacy-format"),
    ],
)
def test_bytes_it_cannot_read_are_refused_not_skipped(damage: Any, message: str) -> None:
    with pytest.raises(FetchRepairError, match=message):
        parse_record_batches(damage(batch(0, GOOD)))


def test_which_errors_are_unreadable_records() -> None:
    decode_error = UnicodeDecodeError("utf-8", BAD_NAME, 0, 1, "invalid start byte")
    wrapped = CorruptRecordException("Found invalid record structure")
    wrapped.__cause__ = decode_error
    assert is_unreadable_record_error(decode_error)
    assert is_unreadable_record_error(wrapped)
    assert is_unreadable_record_error(UnreadableRecordError("x"))
    assert not is_unreadable_record_error(CorruptRecordException("Invalid CRC"))
    assert not is_unreadable_record_error(RuntimeError("other"))


class FakeKafkaConsumer:
    """The parts of AIOKafkaConsumer the repair uses, over one partition's bytes."""

    def __init__(self, log: bytes, committed: int | None, position: int) -> None:
        self.log = log
        self._committed = committed
        self._position = position
        self.commits: list[int] = []
        self.fetched_at: list[int] = []
        self._client = SimpleNamespace(
            cluster=SimpleNamespace(leader_for_partition=lambda tp: 1), send=self._send
        )

    async def _send(self, node_id: int, request: Any) -> Any:
        ((topic, ((partition, offset, _),)),) = request.topics
        self.fetched_at.append(offset)
        batches = [b for b in parse_record_batches(self.log) if b.next_offset > offset]
        # Like a broker: from the batch holding ``offset``, at most two batches a response.
        data = b"".join(batch_at(self.log, b.base_offset) for b in batches[:2])
        return SimpleNamespace(topics=[(topic, [(partition, 0, 99, 0, 0, [], data)])])

    async def committed(self, tp: TopicPartition) -> int | None:
        return self._committed

    async def beginning_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(tps, 0)

    async def position(self, tp: TopicPartition) -> int:
        return self._position

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.extend(offsets.values())


def batch_at(log: bytes, base_offset: int) -> bytes:
    position = 0
    while position < len(log):
        offset, length = struct.unpack_from(">qi", log, position)
        if offset == base_offset:
            return log[position : position + 12 + length]
        position += 12 + length
    raise KeyError(base_offset)


async def test_repair_handles_from_the_committed_offset_through_the_unreadable_batch() -> None:
    log = batch(0, GOOD) + batch(3, POISONED) + batch(6, GOOD)
    kafka = FakeKafkaConsumer(log, committed=1, position=1)
    handled: list[Any] = []
    letters: list[DeadLetter] = []

    async def handle(records: Sequence[Any]) -> None:
        handled.extend(records)

    async def dead_letter(stubs: Sequence[DeadLetter]) -> None:
        letters.extend(stubs)

    tp = TopicPartition("pings", 0)
    end = await repair_partition(kafka, tp, handle=handle, dead_letter=dead_letter, max_records=2)
    assert end == 6
    assert [r.offset for r in handled] == [1, 2, 3, 5]  # offset 0 was committed already
    assert [(r.key, r.value) for r in handled][2:] == [(b"k3", b"v3"), (b"k5", b"v5")]
    (stub,) = letters
    assert (stub.topic, stub.partition, stub.offset, stub.key, stub.value) == ("pings", 0, 4, b"k4", None)
    assert (stub.reason, stub.stage) == (UNREADABLE_REASON, "decode")
    assert {name for name, _ in stub.dlq_headers()} <= {
        "x-error-reason",
        "x-error-stage",
        "x-error-value-dropped",
        "x-original-topic",
        "x-original-partition",
        "x-original-offset",
    }
    assert kafka.commits == [3, 5, 6]  # after each chunk of two; the last one past the batch


async def test_repair_leaves_a_partition_with_nothing_unreadable_alone() -> None:
    kafka = FakeKafkaConsumer(batch(0, GOOD) + batch(3, GOOD) + batch(6, GOOD), committed=0, position=3)
    seen: list[Any] = []

    async def record(items: Sequence[Any]) -> None:
        seen.extend(items)

    tp = TopicPartition("pings", 0)
    assert await repair_partition(kafka, tp, handle=record, dead_letter=record, max_records=10) is None
    assert seen == [] and kafka.commits == []
    assert kafka.fetched_at == [0, 6]  # up to one response past the consumer's position
