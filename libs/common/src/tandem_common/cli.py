"""The `tandem` command.

Subcommands are contributed by installed packages through the ``tandem.cli`` entry
point group. Each entry point names a ``register(subparsers)`` function that adds its
own sub-parser and sets ``handler`` on it (``handler(args) -> int``). This keeps the
common library from importing any service, and no service from importing another.

Every command starts by building the whole parser, so registration must stay cheap:
``tandem --help`` imports every registering module, and one that loaded FastAPI,
SQLAlchemy, OR-Tools or SciPy would make every command wait for it (about a second).
The pattern every ``tandem.cli`` entry point follows:

- The entry point names a small module (``…/cli.py``) whose top level imports only the
  standard library and this module. It builds argparse parsers and nothing else; help
  texts and defaults are literals there, never values imported from heavy modules.
- A handler imports what it needs when it is called, never while the parser is built:
  either ``lazy_handler("package.module:function")``, which names a function in the
  module that does the work and imports it on the call (``tandem up``, ``tandem hr``),
  or a thin function in the small module whose heavy imports sit inside its body
  (``tandem match``, ``tandem asyncapi``).
- ``tests/unit/common/test_cli_startup.py`` builds the parser in a fresh interpreter and
  fails if a heavy library was imported, and resolves every lazy handler.

A plugin that cannot be loaded is reported as a warning; the other commands still work.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path

ENTRY_POINT_GROUP = "tandem.cli"

Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """Bad input from the command line; reported as one line with exit code 2."""


def existing_file(path: Path) -> Path:
    """``path``, once it is known to name a file."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    return path


class LazyHandler:
    """A command handler named ``"module:function"``, imported only when the command runs."""

    def __init__(self, target: str) -> None:
        module, separator, function = target.partition(":")
        if not separator or not module or not function:
            raise ValueError(f"a lazy handler is named 'module:function', got {target!r}")
        self.target = target
        self._module = module
        self._function = function

    def resolve(self) -> Handler:
        handler: Handler = getattr(importlib.import_module(self._module), self._function)
        return handler

    def __call__(self, args: argparse.Namespace) -> int:
        return self.resolve()(args)

    def __repr__(self) -> str:
        return f"lazy_handler({self.target!r})"


def lazy_handler(target: str) -> LazyHandler:
    """The handler ``function`` of ``module`` (``"module:function"``), imported on first call."""
    return LazyHandler(target)


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
    # Under ``python -m`` this file runs as ``__main__``, a second copy of the module, and
    # handlers raise the UsageError of ``tandem_common.cli``: run that module's main so
    # the error is caught and reported as one line.
    from tandem_common.cli import main as tandem_main

    sys.exit(tandem_main())
