"""The JSON-lines files the ``tandem hr`` commands read, one item a line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import orjson

from tandem_common.cli import UsageError

Item = TypeVar("Item")


def read_json_lines(
    path: Path,
    what: str,
    convert: Callable[[Any], Item],
    refused: tuple[type[Exception], ...] = (),
) -> Iterator[tuple[int, Item]]:
    """Each line's number and what ``convert`` makes of its JSON; blank lines are skipped.

    A line that is not JSON, or whose JSON ``convert`` fails on with a missing key, a
    wrong type or one of ``refused``, is a usage error naming the line and ``what``
    it should have been.
    """
    caught: tuple[type[Exception], ...] = (orjson.JSONDecodeError, KeyError, TypeError, *refused)
    with path.open("rb") as source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                item = convert(orjson.loads(line))
            except caught as error:
                raise UsageError(f"{path}:{number}: not {what} ({error})") from None
            yield number, item
