"""``tandem hr generate``: write a synthetic organisation as ``hr.employees`` events.

The parser is in :mod:`tandem_testkit.hr_cli`; this module is imported when the
command runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO

from tqdm import tqdm

from tandem_common.cli import UsageError
from tandem_profiles.adapters.taxonomy_file import load_taxonomy
from tandem_testkit.hr_cli import MENTORING_SUFFIX
from tandem_testkit.hrfeed.generator import Chunk, FeedRequest, generate_feed

_MEBIBYTE = 1024 * 1024


def mentoring_path(out: Path) -> Path:
    """``org.jsonl`` -> ``org.mentoring.jsonl``, next to the events file."""
    return out.with_name(out.stem + MENTORING_SUFFIX)


def generate(args: argparse.Namespace) -> int:
    try:
        request = FeedRequest(employees=args.employees, seed=args.seed, churn=args.churn)
    except ValueError as error:
        raise UsageError(str(error)) from None
    out: Path = args.out
    profiles_out = mentoring_path(out)
    started = time.perf_counter()
    with ExitStack() as files:
        events_file = _open_for_writing(files, out)
        profiles_file = _open_for_writing(files, profiles_out)
        feed = generate_feed(request, load_taxonomy())
        with tqdm(
            total=feed.event_count + request.employees,
            unit=" lines",
            unit_scale=True,
            file=sys.stderr,
            disable=None,
        ) as progress:
            _write(events_file, feed.event_chunks(), progress)
            _write(profiles_file, feed.mentoring_chunks(), progress)
    elapsed = time.perf_counter() - started
    print(
        f"tandem hr generate: {request.employees:,} employees, "
        f"{request.employees:,} hired + {feed.changes:,} changed + {feed.exits:,} exited "
        f"events -> {out} ({_size(out)}); profiles -> {profiles_out} ({_size(profiles_out)}); "
        f"{elapsed:.1f} s",
        file=sys.stderr,
    )
    return 0


def _open_for_writing(files: ExitStack, path: Path) -> BinaryIO:
    try:
        return files.enter_context(path.open("wb"))
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None


def _write(target: BinaryIO, chunks: Iterator[Chunk], progress: tqdm[Any]) -> None:
    for chunk in chunks:
        target.write(chunk.data)
        progress.update(chunk.lines)


def _size(path: Path) -> str:
    return f"{path.stat().st_size / _MEBIBYTE:,.1f} MiB"
