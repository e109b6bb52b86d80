"""`tandem hr …`: the synthetic HR feed, its parsers only.

``register`` builds the ``hr`` sub-parser and hands its subcommand table to one
function per subcommand, so another subcommand is one more function in ``SUBCOMMANDS``.
Each handler is named with ``lazy_handler`` and lives in the module that does the work
(``hr_generate``, ``hr_publish``, ``mentoring_loader``): building the parser imports
none of them, so neither Kafka's client nor the feed generator slows other commands.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tandem_common.cli import lazy_handler

MENTORING_SUFFIX = ".mentoring.jsonl"

SubcommandTable = Any  # argparse's _SubParsersAction is private


def register(subparsers: SubcommandTable) -> None:
    hr = subparsers.add_parser("hr", help="synthetic HR feed for hr.employees")
    commands = hr.add_subparsers(dest="hr_command", metavar="SUBCOMMAND")
    for add_subcommand in SUBCOMMANDS:
        add_subcommand(commands)


def add_generate(commands: SubcommandTable) -> None:
    parser = commands.add_parser(
        "generate",
        help="write a synthetic organisation as hr.employees events (JSON lines)",
        description=(
            "Write hired events (then changed and exited events with --churn) to FILE, "
            f"one Kafka record per line, and the mentoring profiles to <FILE stem>"
            f"{MENTORING_SUFFIX}. The output is identical for the same arguments."
        ),
    )
    parser.add_argument("--employees", type=int, required=True, metavar="N")
    parser.add_argument("--seed", type=int, required=True, metavar="S")
    parser.add_argument(
        "--churn",
        type=float,
        default=0.0,
        metavar="R",
        help="fraction of employees with later changed/exited events (default 0)",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.jsonl")
    parser.set_defaults(handler=lazy_handler("tandem_testkit.hr_generate:generate"))


def add_publish(commands: SubcommandTable) -> None:
    parser = commands.add_parser(
        "publish",
        help="produce a generated feed (JSON lines) to Kafka",
        description="Send each line of FILE as one Kafka record with its key and CloudEvents headers.",
    )
    parser.add_argument("file", type=Path, metavar="FILE.jsonl")
    parser.add_argument(
        "--rate", type=float, metavar="R", help="events per second (default: as fast as possible)"
    )
    parser.add_argument("--topic", help="send to this topic instead of each line's")
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers (default: TANDEM_KAFKA_BOOTSTRAP)")
    parser.set_defaults(handler=lazy_handler("tandem_testkit.hr_publish:publish"))


def add_load_mentoring(commands: SubcommandTable) -> None:
    parser = commands.add_parser(
        "load-mentoring",
        help="load mentoring profiles (from hr generate) through the profiles API",
    )
    parser.add_argument("file", type=Path, metavar="FILE.mentoring.jsonl")
    parser.add_argument(
        "--url", help="profiles service URL (default: http://127.0.0.1:$TANDEM_PROFILES_PORT)"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to retry employees not known yet (default 60)",
    )
    parser.set_defaults(handler=lazy_handler("tandem_testkit.mentoring_loader:load_mentoring"))


SUBCOMMANDS: tuple[Callable[[SubcommandTable], None], ...] = (
    add_generate,
    add_publish,
    add_load_mentoring,
)
