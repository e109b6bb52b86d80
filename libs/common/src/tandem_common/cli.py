"""The `tandem` command.

Subcommands are contributed by installed packages through the ``tandem.cli`` entry
point group. Each entry point names a ``register(subparsers)`` function that adds its
own sub-parser and sets ``handler`` on it (``handler(args) -> int``). This keeps the
common library from importing any service, and no service from importing another.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path

ENTRY_POINT_GROUP = "tandem.cli"


class UsageError(Exception):
    """Bad input from the command line; reported as one line with exit code 2."""


def existing_file(path: Path) -> Path:
    """``path``, once it is known to name a file."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tandem", description="Tandem mentoring platform")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for entry_point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            register = entry_point.load()
        except Exception as error:  # a broken plugin must not take every command down
            print(
                f"tandem: warning: {entry_point.name} commands unavailable: {error}",
                file=sys.stderr,
            )
            continue
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except UsageError as error:
        print(f"tandem: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
