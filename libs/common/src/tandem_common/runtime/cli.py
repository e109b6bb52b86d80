"""``tandem up`` and ``tandem serve``."""

from __future__ import annotations

import argparse
import asyncio

from tandem_common.runtime import serve


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("up", help="start the whole platform on this machine (embedded default)")
    parser.add_argument("--demo", action="store_true", help="load the demonstration organisation once ready")
    parser.set_defaults(handler=_up)
    serve.register(subparsers)


def _up(args: argparse.Namespace) -> int:
    from tandem_common.runtime.up import run_platform

    return asyncio.run(run_platform(args.demo))
