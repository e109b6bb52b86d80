"""``tandem asyncapi``: write the AsyncAPI document, or check that it is current."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_PATH = Path("docs/asyncapi.yaml")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("asyncapi", help="generate the AsyncAPI document of Tandem's events")
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_PATH,
        help=f"where the document goes (default: {DEFAULT_PATH})",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the file differs from what would be generated",
    )
    parser.set_defaults(handler=_asyncapi)


def _asyncapi(args: argparse.Namespace) -> int:
    from tandem_common.asyncapi import generate

    path: Path = args.out
    text = generate()
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if args.check:
        if current != text:
            print(f"{path} is out of date; run `make asyncapi`", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    if current != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    else:
        print(f"{path} is up to date")
    return 0
