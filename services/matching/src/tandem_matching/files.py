"""File reading and atomic writing for the `tandem match` commands.

The engine never touches files; this module turns file problems into one-line
`UsageError`s and writes results so that a failure never leaves a partial file.

Documents are parsed with orjson, which is several times faster than the standard
library. The two parsers agree on every document orjson accepts, with one exception that
is checked for: orjson reads an integer beyond 64 bits as a float. Whatever orjson
rejects (NaN and Infinity literals, lone surrogates, an overflowing exponent, and every
malformed document) is parsed again with the standard library, so the values and the
error messages are exactly the standard library's.
"""

from __future__ import annotations

import gc
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from tandem_common.cli import UsageError

# orjson reads integers within 64 bits exactly; a run of 19 digits or more not after a
# decimal point may be a longer integer, and such a document goes to the standard library.
_LONG_DIGIT_RUN = b"0" * 19
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0000000000")


def _may_hold_a_long_integer(data: bytes) -> bool:
    marked = data.translate(_DIGITS_AS_ZERO)
    start = marked.find(_LONG_DIGIT_RUN)
    while start != -1:
        if start == 0 or marked[start - 1] != ord("."):
            return True
        end = start + len(_LONG_DIGIT_RUN)
        while end < len(marked) and marked[end] == ord("0"):
            end += 1
        start = marked.find(_LONG_DIGIT_RUN, end)
    return False


@contextmanager
def _parsing() -> Iterator[None]:
    """No garbage collection while parsing, and none of the parsed objects walked afterwards.

    Parsing builds millions of objects and no reference cycles, so a collection during it
    only costs time. A command keeps what it read until it exits: frozen (moved to the
    collector's permanent generation), those objects are never walked again by the
    collections that the rest of the command triggers, which would otherwise walk every
    parsed object several times over. Reference counting still frees them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None


def _text(path: str, data: bytes) -> str:
    """The text a text-mode read gives: UTF-8, universal newlines."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"malformed JSON in {path}: not UTF-8 ({error.reason})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def read_json(path: str) -> Any:
    data = _read_bytes(path)
    if not _may_hold_a_long_integer(data):
        try:
            with _parsing():
                return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # the standard library decides, and words the error
    try:
        return json.loads(_text(path, data))
    except json.JSONDecodeError as error:
        raise UsageError(
            f"malformed JSON in {path}: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def read_jsonl(path: str) -> list[Any]:
    """One JSON value per line; blank lines are skipped, and errors name the line."""
    data = _read_bytes(path)
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    check_each_line = _may_hold_a_long_integer(data)
    lines = data.split(b"\n")
    del data
    last = len(lines) - 1
    records: list[Any] = []
    append, loads = records.append, orjson.loads
    with _parsing():
        for position, line in enumerate(lines):
            if not check_each_line or not _may_hold_a_long_integer(line):
                try:
                    append(loads(line))
                    continue
                except orjson.JSONDecodeError:
                    pass
            # orjson refused the line (it also refuses bad UTF-8): the standard library sees
            # it as a text-mode read gives it, newline included, and decides.
            text = _text(path, line if position == last else line + b"\n")
            if not text.strip():
                continue
            try:
                append(json.loads(text))
            except json.JSONDecodeError as error:
                raise UsageError(
                    f"malformed JSON in {path} line {position + 1}: {error.msg} at column {error.colno}"
                ) from None
    return records


def write_json_atomic(path: str, document: Any) -> None:
    """Write to a temporary file beside `path`, then rename it into place."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    text = json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
