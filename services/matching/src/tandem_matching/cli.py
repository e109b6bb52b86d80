"""`tandem match solve` and `tandem match plan`: the engine on plain files.

Building these parsers imports nothing beyond the standard library (see
:mod:`tandem_common.cli`): each handler imports the engine and the file helpers when
it runs, so `tandem --help` and the other commands never load numpy or OR-Tools.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from tandem_common.cli import UsageError


class _PhaseLog:
    """Timed progress lines on stderr, so stdout stays free for other uses."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            elapsed = time.perf_counter() - self.started
            print(f"tandem match: [{elapsed:7.2f}s] {message}", file=sys.stderr, flush=True)


def _solve_command(args: argparse.Namespace) -> int:
    from tandem_matching.engine import InvalidInput, solve
    from tandem_matching.engine.pairs import EXACT_MAX_EDGES
    from tandem_matching.files import read_json, write_json_atomic

    log = _PhaseLog(args.quiet)
    graph = read_json(args.input)
    log(f"read {args.input}")
    exact_max_edges = EXACT_MAX_EDGES if args.exact_max_edges is None else args.exact_max_edges
    try:
        result = solve(graph, exact_max_edges=exact_max_edges, progress=log)
    except InvalidInput as error:
        raise UsageError(f"{args.input}: {error}") from None
    write_json_atomic(args.out, result)
    log(f"wrote {len(result['pairs'])} pairs to {args.out}")
    return 0


def _plan_command(args: argparse.Namespace) -> int:
    from tandem_matching.engine import InvalidInput
    from tandem_matching.engine.planner import plan
    from tandem_matching.files import read_json, read_jsonl, write_json_atomic

    log = _PhaseLog(args.quiet)
    program = read_json(args.program)
    participants = read_jsonl(args.participants)
    org: list[Any] = read_jsonl(args.org) if args.org else []
    keep = read_json(args.keep) if args.keep else None
    log(f"read {len(participants)} participants")
    try:
        result = plan(program, participants, org=org, keep=keep, top_k=args.top_k, progress=log)
    except InvalidInput as error:
        raise UsageError(str(error)) from None
    write_json_atomic(args.out, result)
    log(f"wrote {len(result['matches'])} matches to {args.out}")
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def register(subparsers: Any) -> None:
    """Add `match solve` and `match plan` to the `tandem` command."""
    match = subparsers.add_parser("match", help="matching engine on plain files")
    commands = match.add_subparsers(dest="match_command", metavar="SUBCOMMAND", required=True)

    solve_parser = commands.add_parser("solve", help="maximum-weight matching of a graph")
    solve_parser.add_argument("--in", dest="input", required=True, metavar="GRAPH.json")
    solve_parser.add_argument("--out", required=True, metavar="RESULT.json")
    solve_parser.add_argument(
        "--exact-max-edges",
        type=int,
        help="largest pairs graph (in edges) solved by exact blossom (default 4000)",
    )
    solve_parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    solve_parser.set_defaults(handler=_solve_command)

    plan_parser = commands.add_parser("plan", help="proposed matches with explanations")
    plan_parser.add_argument("--program", required=True, metavar="PROGRAM.json")
    plan_parser.add_argument("--participants", required=True, metavar="PEOPLE.jsonl")
    plan_parser.add_argument("--org", metavar="ORG.jsonl")
    plan_parser.add_argument("--keep", metavar="EXISTING.json")
    plan_parser.add_argument("--out", required=True, metavar="PLAN.json")
    plan_parser.add_argument("--top-k", type=_positive_int, default=30, help="candidates kept per person")
    plan_parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    plan_parser.set_defaults(handler=_plan_command)
