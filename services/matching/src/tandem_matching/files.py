"""File reading and atomic writing for the `tandem match` commands.

The engine never touches files; this module turns file problems into one-line
`UsageError`s and writes results so that a failure never leaves a partial file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tandem_common.cli import UsageError


def read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"malformed JSON in {path}: not UTF-8 ({error.reason})") from None
    except json.JSONDecodeError as error:
        raise UsageError(
            f"malformed JSON in {path}: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def read_jsonl(path: str) -> list[Any]:
    records: list[Any] = []
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise UsageError(
                        f"malformed JSON in {path} line {number}: {error.msg} at column {error.colno}"
                    ) from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"malformed JSON in {path}: not UTF-8 ({error.reason})") from None
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
