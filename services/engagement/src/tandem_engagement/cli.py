"""`tandem engage outcomes`: the outcome analytics on plain files (`outcomes-cli.md`).

Building this parser imports only the standard library and :mod:`tandem_common.cli`;
the handler imports numpy, statsmodels and the analysis when it runs, so `tandem --help`
and every other command stay fast.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from typing import Any

from tandem_common.cli import UsageError


def _log(args: argparse.Namespace, started: float, message: str) -> None:
    if not args.quiet:
        print(
            f"tandem engage: [{time.perf_counter() - started:7.2f}s] {message}", file=sys.stderr, flush=True
        )


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not an ISO 8601 date") from None


def _outcomes_command(args: argparse.Namespace) -> int:
    from tandem_engagement.outcomes.files import read_cohort, write_json_atomic
    from tandem_engagement.outcomes.timeline import NothingToAnalyse

    started = time.perf_counter()
    as_of = _as_of(args.as_of)
    cohort = read_cohort(args.employees, args.participation, program=args.program)
    _log(args, started, f"read {cohort.size} employees")
    # The statistics libraries load only once the input is known to be good.
    from tandem_engagement.outcomes.report import analyse

    try:
        document = analyse(cohort, as_of=as_of, min_group=args.min_group)
    except NothingToAnalyse as error:
        raise UsageError(f"nothing to analyse: {error}") from None
    document["seconds"] = round(time.perf_counter() - started, 2)
    write_json_atomic(args.out, document)
    _log(args, started, f"wrote {args.out}")
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def register(subparsers: Any) -> None:
    """Add `engage outcomes` to the `tandem` command."""
    engage = subparsers.add_parser("engage", help="engagement analytics on plain files")
    commands = engage.add_subparsers(dest="engage_command", metavar="SUBCOMMAND", required=True)
    outcomes = commands.add_parser(
        "outcomes", help="retention and promotion of participants against comparable non-participants"
    )
    outcomes.add_argument("--employees", required=True, metavar="EMPLOYEES.jsonl")
    outcomes.add_argument("--participation", required=True, metavar="PART.jsonl")
    outcomes.add_argument("--as-of", required=True, metavar="DATE", help="ISO 8601 date the data describe")
    outcomes.add_argument("--out", required=True, metavar="OUTCOMES.json")
    outcomes.add_argument(
        "--program", metavar="P1", help="count only this program's matches as participation"
    )
    outcomes.add_argument(
        "--min-group", type=_positive_int, default=10, help="smallest group shown (default 10)"
    )
    outcomes.add_argument("--quiet", action="store_true", help="no progress on stderr")
    outcomes.set_defaults(handler=_outcomes_command)
