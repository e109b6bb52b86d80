"""``tandem up`` and ``tandem serve``: their parsers only.

The work happens in ``runtime.up`` and ``runtime.serve``, imported when the command runs
(see :mod:`tandem_common.cli`), so building the parser loads neither uvicorn nor FastAPI.
"""

from __future__ import annotations

import argparse

from tandem_common.cli import lazy_handler


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("up", help="start the whole platform on this machine (embedded default)")
    parser.add_argument("--demo", action="store_true", help="load the demonstration organisation once ready")
    parser.set_defaults(handler=lazy_handler("tandem_common.runtime.up:up_command"))
    parser = subparsers.add_parser("serve", help="run one Tandem service in the foreground")
    parser.add_argument("service", help="the service to run, e.g. profiles")
    parser.set_defaults(handler=lazy_handler("tandem_common.runtime.serve:serve_command"))
