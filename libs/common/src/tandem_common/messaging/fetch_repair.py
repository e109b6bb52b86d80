"""Reading past records that aiokafka cannot fetch at all.

Kafka's protocol calls a header name a string but no broker checks that it is UTF-8,
and producers built on librdkafka send whatever bytes they are given. aiokafka decodes
every header name strictly while it iterates a record batch, so one such name makes
each fetch of that producer batch raise: the records before it in the batch are lost
with the exception and the ones after it are never reached. Skipping the bad offset
does not help, because aiokafka decodes a batch from its first record even when the
fetch offset lies inside it.

The repair reads the partition's raw bytes from the committed offset with a Fetch
request of its own, parses the record batches here (the v2 format, compressed or not),
hands the readable records to the consumer as ordinary ``ConsumerRecord`` objects and
dead-letters the unreadable ones as stubs, then commits past the batch so that aiokafka
resumes after it.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import codec
from aiokafka import errors as kafka_errors
from aiokafka.protocol.fetch import FetchRequest
from aiokafka.record.util import calc_crc32c, decode_varint
from aiokafka.structs import ConsumerRecord, TopicPartition

from tandem_common.messaging.dead_letter import DeadLetter

log = logging.getLogger(__name__)

UNREADABLE_REASON = "a header name is not UTF-8"
# aiokafka's default max_partition_fetch_bytes: the subscriber fetches no more than this
# per partition, so a response this large covers whatever the failed fetch saw.
DEFAULT_FETCH_BYTES = 1024 * 1024
# The subscriber reads uncommitted records (aiokafka's default), so the repair does too.
_READ_UNCOMMITTED = 0
# aiokafka's default fetch_max_wait_ms. A broker answers as soon as it has a byte; the
# embedded tansu broker answers a wait of zero with no records at all.
_FETCH_MAX_WAIT_MS = 500

# v2 record batch header, up to and including the record count.
_BATCH = struct.Struct(">qiibIhiqqqhii")
_OFFSET_AND_LENGTH = struct.Struct(">qi")
_MAGIC_AT = 16  # the same position in every message format, legacy ones included
_CRC_FROM = 21  # the CRC covers the batch from its attributes to the end
_CODEC_MASK = 0x07
_LOG_APPEND_TIME = 0x08
_CONTROL = 0x20
_DECOMPRESS: dict[int, tuple[str, Callable[[], bool], Callable[[bytes], bytes]]] = {
    1: ("gzip", codec.has_gzip, codec.gzip_decode),
    2: ("snappy", codec.has_snappy, codec.snappy_decode),
    3: ("lz4", codec.has_lz4, codec.lz4_decode),
    4: ("zstd", codec.has_zstd, codec.zstd_decode),
}

Handle = Callable[[Sequence[Any]], Awaitable[None]]
DeadLetterSender = Callable[[Sequence[DeadLetter]], Awaitable[None]]


class FetchRepairError(Exception):
    """The bytes cannot be read even leniently; nothing is skipped."""


class UnreadableRecordError(Exception):
    """aiokafka could not decode a fetched record batch (see :func:`is_unreadable_record_error`)."""


def is_unreadable_record_error(error: BaseException) -> bool:
    """Whether ``error`` is aiokafka failing to decode a header name.

    The compiled record reader raises ``UnicodeDecodeError`` itself; the pure-Python one
    (``AIOKAFKA_NO_EXTENSIONS``) wraps it in ``CorruptRecordException``.
    """
    if isinstance(error, UnreadableRecordError | UnicodeDecodeError):
        return True
    return isinstance(error, kafka_errors.CorruptRecordException) and isinstance(
        error.__cause__, UnicodeDecodeError
    )


@dataclass(frozen=True, slots=True)
class RawRecord:
    offset: int
    timestamp: int
    timestamp_type: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[bytes, bytes | None], ...]

    @property
    def readable(self) -> bool:
        """Whether aiokafka could have decoded it: every header name is UTF-8."""
        try:
            for name, _ in self.headers:
                name.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    def consumer_record(self, topic: str, partition: int) -> ConsumerRecord[bytes, bytes]:
        """The record as aiokafka would have returned it; only for a readable one."""
        return ConsumerRecord(
            topic=topic,
            partition=partition,
            offset=self.offset,
            timestamp=self.timestamp,
            timestamp_type=self.timestamp_type,
            key=self.key,
            value=self.value,
            checksum=None,
            serialized_key_size=len(self.key) if self.key is not None else -1,
            serialized_value_size=len(self.value) if self.value is not None else -1,
            headers=[(name.decode("utf-8"), value) for name, value in self.headers],
        )


@dataclass(frozen=True, slots=True)
class RawBatch:
    base_offset: int
    next_offset: int
    is_control: bool
    records: tuple[RawRecord, ...]

    @property
    def unreadable(self) -> bool:
        return not all(record.readable for record in self.records)


def parse_record_batches(data: bytes) -> list[RawBatch]:
    """The complete record batches in a fetched message set.

    A fetch response may end in a partial batch (the size limit cut it); it is left out,
    as every Kafka client does, and read by the next fetch.
    """
    batches: list[RawBatch] = []
    position = 0
    while len(data) - position >= _OFFSET_AND_LENGTH.size:
        base_offset, length = _OFFSET_AND_LENGTH.unpack_from(data, position)
        end = position + _OFFSET_AND_LENGTH.size + length
        if end > len(data):
            break
        batches.append(_parse_batch(memoryview(data)[position:end], base_offset))
        position = end
    return batches


def _parse_batch(batch: memoryview, base_offset: int) -> RawBatch:
    if len(batch) > _MAGIC_AT and batch[_MAGIC_AT] != 2:
        # v0/v1 message sets have no headers, so they are never the batch being repaired.
        raise FetchRepairError(f"the batch at offset {base_offset} uses message format v{batch[_MAGIC_AT]}")
    if len(batch) < _BATCH.size:
        raise FetchRepairError(f"the batch at offset {base_offset} is shorter than its header")
    (_, _, _, _, crc, attributes, last_delta, first_timestamp, max_timestamp, _, _, _, count) = (
        _BATCH.unpack_from(batch)
    )
    if calc_crc32c(batch[_CRC_FROM:].tobytes()) != crc:
        raise FetchRepairError(f"the batch at offset {base_offset} fails its CRC check")
    body = batch[_BATCH.size :].tobytes()
    compression = attributes & _CODEC_MASK
    if compression:
        name, available, decompress = _DECOMPRESS.get(compression, (f"codec {compression}", None, None))
        if available is None or decompress is None or not available():
            raise FetchRepairError(
                f"the batch at offset {base_offset} is compressed with {name}, not installed"
            )
        body = decompress(body)
    append_time = max_timestamp if attributes & _LOG_APPEND_TIME else None
    try:
        records = _parse_records(body, count, base_offset, first_timestamp, append_time)
    except (IndexError, ValueError) as error:
        raise FetchRepairError(f"the batch at offset {base_offset} is malformed: {error}") from None
    return RawBatch(
        base_offset=base_offset,
        next_offset=base_offset + last_delta + 1,
        is_control=bool(attributes & _CONTROL),
        records=tuple(records),
    )


def _parse_records(
    body: bytes, count: int, base_offset: int, first_timestamp: int, append_time: int | None
) -> list[RawRecord]:
    records: list[RawRecord] = []
    position = 0

    def sized(at: int) -> tuple[bytes | None, int]:
        size, at = decode_varint(body, at)
        if size < 0:
            return None, at
        if at + size > len(body):
            raise ValueError("a field runs past the end of the batch")
        return body[at : at + size], at + size

    for _ in range(count):
        length, position = decode_varint(body, position)
        start = position
        position += 1  # record attributes: an int8 with no bits defined
        timestamp_delta, position = decode_varint(body, position)
        offset_delta, position = decode_varint(body, position)
        key, position = sized(position)
        value, position = sized(position)
        header_count, position = decode_varint(body, position)
        if header_count < 0:
            raise ValueError("a negative header count")
        headers: list[tuple[bytes, bytes | None]] = []
        for _ in range(header_count):
            name, position = sized(position)
            if name is None:
                raise ValueError("a header without a name")
            header_value, position = sized(position)
            headers.append((name, header_value))
        if position - start != length:
            raise ValueError("a record's length does not match its fields")
        records.append(
            RawRecord(
                offset=base_offset + offset_delta,
                timestamp=append_time if append_time is not None else first_timestamp + timestamp_delta,
                timestamp_type=1 if append_time is not None else 0,
                key=key,
                value=value,
                headers=tuple(headers),
            )
        )
    if position != len(body):
        raise ValueError("bytes left after the last record")
    return records


async def fetch_batches(client: Any, tp: TopicPartition, offset: int, max_bytes: int) -> list[RawBatch]:
    """One Fetch request for ``tp`` from ``offset``, through the consumer's own client."""
    node_id = client.cluster.leader_for_partition(tp)
    if node_id is None or node_id < 0:
        await client.force_metadata_update()
        node_id = client.cluster.leader_for_partition(tp)
        if node_id is None or node_id < 0:
            raise kafka_errors.LeaderNotAvailableError(f"no leader for {tp}")
    wanted = [(tp.topic, [(tp.partition, offset, max_bytes)])]
    request = FetchRequest(_FETCH_MAX_WAIT_MS, 1, max_bytes, _READ_UNCOMMITTED, wanted)
    response = await client.send(node_id, request)
    for topic, partitions in response.topics:
        for partition, error_code, _highwater, *rest in partitions:
            if (topic, partition) != (tp.topic, tp.partition):
                continue
            error = kafka_errors.for_code(error_code)
            if error is not kafka_errors.NoError:
                raise error(f"fetching {tp} at offset {offset}")
            data = bytes(rest[-1] or b"")
            batches = parse_record_batches(data)
            if data and not batches:
                raise FetchRepairError(
                    f"the batch at offset {offset} of {tp} is larger than {max_bytes} bytes"
                )
            return batches
    return []


async def _unreadable_stretch(
    client: Any, tp: TopicPartition, start: int, position: int, max_bytes: int
) -> list[RawBatch]:
    """The batches from ``start`` through the last unreadable one near ``position``.

    The failed fetch began at the consumer's ``position``; scanning from the committed
    offset up to one response past it covers everything that fetch saw. Empty when this
    partition has nothing unreadable there.
    """
    scanned: list[RawBatch] = []
    offset = start
    while True:
        batches = await fetch_batches(client, tp, offset, max_bytes)
        if not batches:
            return []
        scanned.extend(batches)
        unreadable = [index for index, batch in enumerate(scanned) if batch.unreadable]
        if unreadable:
            return scanned[: unreadable[-1] + 1]
        if offset > position:
            return []
        offset = batches[-1].next_offset


async def repair_partition(
    kafka_consumer: Any,
    tp: TopicPartition,
    *,
    handle: Handle,
    dead_letter: DeadLetterSender,
    max_records: int,
    max_bytes: int = DEFAULT_FETCH_BYTES,
) -> int | None:
    """Read ``tp`` past its unreadable batches; the new committed offset, or ``None``.

    Every record from the committed offset to the end of the last unreadable batch is
    handled: readable ones as usual (the inbox makes a redelivered one harmless), an
    unreadable one as a dead-letter stub. Offsets are committed after each chunk.
    """
    committed = await kafka_consumer.committed(tp)
    # Nothing committed, or retention removed what was: the subscription reads such a
    # partition from its first record, and so does the repair.
    start = max(committed or 0, (await kafka_consumer.beginning_offsets([tp]))[tp])
    position = await kafka_consumer.position(tp)
    # aiokafka keeps the client of a consumer private; the repair must fetch with it so
    # that it reaches the same broker with the same connection settings and credentials.
    stretch = await _unreadable_stretch(kafka_consumer._client, tp, start, position, max_bytes)
    if not stretch:
        return None
    records = [r for batch in stretch if not batch.is_control for r in batch.records if r.offset >= start]
    end = stretch[-1].next_offset
    stubs = 0
    for first in range(0, len(records), max_records):
        chunk = records[first : first + max_records]
        letters = [
            DeadLetter.stub(tp.topic, tp.partition, r.offset, r.key, UNREADABLE_REASON, "decode")
            for r in chunk
            if not r.readable
        ]
        readable = [r.consumer_record(tp.topic, tp.partition) for r in chunk if r.readable]
        if letters:
            await dead_letter(letters)
        if readable:
            await handle(readable)
        stubs += len(letters)
        finished = first + max_records >= len(records)
        await kafka_consumer.commit({tp: end if finished else chunk[-1].offset + 1})
    if not records:
        await kafka_consumer.commit({tp: end})
    log.warning(
        "read past records that could not be fetched",
        extra={
            "topic": tp.topic,
            "partition": tp.partition,
            "from_offset": start,
            "to_offset": end,
            "records": len(records),
            "dead_lettered": stubs,
            "reason": UNREADABLE_REASON,
        },
    )
    return end
