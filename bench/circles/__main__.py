"""Circles benchmark: `python -m bench.circles [--quick]`.

Quality: on several 60-person programs (a seeded sample of the synthetic organisation),
the circles' objective (docs/matching.md, "Circles") from the local search (the method
used for large programs) and from CP-SAT alone (its proven status and bound), and the
objective of the circles of the previous greedy code, all evaluated by the same function.

Scale: `plan` on 10,000 participants, mentor and peer circles, by the current code and
by the previous greedy code in the same run: time of `plan`, share of participants
placed, and objective. The previous code runs from a git worktree of HEAD
(/tmp/circles-old) in a child process; the current code in a child process too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from tandem_matching.engine.circles_exact import solve_exact
from tandem_matching.engine.circles_model import PLACEMENT_PREFERENCE, CircleProblem
from tandem_matching.engine.circles_search import search_circles
from tandem_matching.engine.groups import CircleRuleBroken, check_circles, circle_problem
from tandem_matching.engine.people import build_population
from tandem_matching.engine.program import parse_program
from tandem_matching.engine.rules import RuleChecker
from tandem_testkit.matching_synthetic import organisation, program

ROOT = Path(__file__).resolve().parents[2]
OLD_TREE = Path("/tmp/circles-old")


def group_program(style: str) -> dict[str, Any]:
    prog = program("group")
    prog["group"] = {"style": style}
    return prog


def build(people: list[dict[str, Any]], style: str) -> CircleProblem:
    prog = parse_program(group_program(style))
    population = build_population(people)
    checker = RuleChecker(population, prog)
    busy = np.zeros(population.size, dtype=bool)
    problem, _ = circle_problem(population, prog, checker, busy, top_k=30, progress=lambda _: None)
    problem.population_ids = population.ids  # type: ignore[attr-defined]
    problem.context = (population, prog, checker)  # type: ignore[attr-defined]
    return problem


def circles_of_plan(problem: CircleProblem, plan: dict[str, Any], style: str) -> tuple[float, int]:
    """The objective of a plan's circles, and how many circles break a hard rule.

    Each circle is first checked with the vectorised rule checker; a mentor's score for a
    member is computed directly, so a circle counts even when the pair is not among the
    current candidate generator's shortlist (the previous code had its own)."""
    index = {pid: i for i, pid in enumerate(problem.population_ids)}  # type: ignore[attr-defined]
    population, program, checker = problem.context  # type: ignore[attr-defined]
    total, broken = 0.0, 0
    for match in plan["matches"]:
        members = [index[m] for m in match["members"]]
        try:
            check_circles(population, program, checker, [members], mentor=style == "mentor")
        except CircleRuleBroken:
            broken += 1
            continue
        people = [problem.local[p] for p in members]
        leader, rest = (people[0], people[1:]) if style == "mentor" else (-1, people)
        value = PLACEMENT_PREFERENCE * len(people)
        if leader >= 0:
            value += sum(problem.pair_score(leader, j) for j in rest)
        value += problem.alpha * sum(
            problem.affinity(j, k) for i, j in enumerate(rest) for k in rest[i + 1 :]
        )
        total += value
    return total, broken


def run_plan(
    directory: Path, people: list[dict[str, Any]], style: str, old: bool
) -> tuple[dict[str, Any], float]:
    (directory / "program.json").write_text(json.dumps(group_program(style)), encoding="utf-8")
    people_path = directory / "people.jsonl"
    if not people_path.exists():
        with open(people_path, "w", encoding="utf-8") as handle:
            for snapshot in people:
                handle.write(json.dumps(snapshot) + "\n")
    env = dict(os.environ)
    if old:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(OLD_TREE / "services/matching/src"), env.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep)
    out = directory / ("old.json" if old else "new.json")
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.circles.run_plan",
            str(directory / "program.json"),
            str(people_path),
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        raise RuntimeError(child.stderr)
    seconds = float(child.stdout.strip().splitlines()[-1])
    return json.loads(out.read_text(encoding="utf-8")), seconds


def sample(n: int, seed: int) -> list[dict[str, Any]]:
    people = organisation(5 * n, seed=seed)
    picks = np.sort(np.random.default_rng(seed).choice(len(people), n, replace=False))
    return [people[i] for i in picks.tolist()]


def quality(seeds: list[int], style: str, exact_seconds: float) -> None:
    ratios, old_ratios = [], []
    for seed in seeds:
        people = sample(60, seed)
        problem = build(people, style)
        started = time.perf_counter()
        heuristic = problem.objective(search_circles(problem))
        heuristic_seconds = time.perf_counter() - started
        exact = solve_exact(problem, time_limit=exact_seconds, deterministic=False)
        with tempfile.TemporaryDirectory(prefix="tandem-circles-") as directory:
            plan, _ = run_plan(Path(directory), people, style, old=True)
        old, old_broken = circles_of_plan(problem, plan, style)
        reference = exact.objective if exact.objective > 0 else float("nan")
        ratios.append(heuristic / reference)
        old_ratios.append(old / reference)
        print(
            f"{style} circles, 60 people (seed {seed}, pool {problem.size}): local search {heuristic:.4f} "
            f"in {heuristic_seconds:.1f} s = {100 * heuristic / reference:.2f}% of "
            f"CP-SAT {exact.objective:.4f} "
            f"({exact.status}, bound {exact.bound:.4f}, {exact.seconds:.1f} s); previous greedy {old:.4f} = "
            f"{100 * old / reference:.2f}%" + (f" ({old_broken} circles broke a rule)" if old_broken else ""),
            flush=True,
        )
    print(
        f"{style} circles, 60 people: local search / CP-SAT min {100 * min(ratios):.2f}%, "
        f"mean {100 * float(np.mean(ratios)):.2f}%; "
        f"previous greedy mean {100 * float(np.mean(old_ratios)):.2f}%",
        flush=True,
    )


def scale(n: int, style: str) -> None:
    people = organisation(n, seed=0)
    problem = build(people, style)
    rows = {}
    counts: dict[bool, int] = {}
    with tempfile.TemporaryDirectory(prefix="tandem-circles-") as directory:
        for old in (True, False):
            plan, seconds = run_plan(Path(directory), people, style, old=old)
            objective, broken = circles_of_plan(problem, plan, style)
            rows[old] = (seconds, plan["stats"]["matched"] / n, objective, broken)
            counts[old] = plan["stats"]["matched"]
    (old_s, old_share, old_obj, old_broken), (new_s, new_share, new_obj, new_broken) = rows[True], rows[False]
    print(
        f"{style} circles, {n:,} participants: plan {new_s:.1f} s (previous {old_s:.1f} s, "
        f"{new_s / old_s:.1f}x); placed {100 * new_share:.1f}% = {counts[False]:,} "
        f"(previous {100 * old_share:.1f}% = {counts[True]:,}; pool {problem.size:,}); "
        f"objective {new_obj:.1f} (previous {old_obj:.1f}, {new_obj / old_obj:.3f}x)"
        + (
            f"; circles breaking a rule: {new_broken} new, {old_broken} previous"
            if new_broken or old_broken
            else ""
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.circles")
    parser.add_argument("--quick", action="store_true", help="fewer instances, 2,000 participants")
    args = parser.parse_args()
    if not OLD_TREE.exists():
        sys.exit(f"the previous code is expected in {OLD_TREE}: git worktree add {OLD_TREE} HEAD")
    seeds = [1, 2, 3] if args.quick else [1, 2, 3, 4, 5, 6]
    print(f"circles benchmark ({'quick' if args.quick else 'full'}), {os.cpu_count()} CPUs", flush=True)
    quality(seeds, "mentor", exact_seconds=20.0 if args.quick else 60.0)
    quality(seeds[:2] if args.quick else seeds[:3], "peer", exact_seconds=20.0 if args.quick else 60.0)
    n = 2_000 if args.quick else 10_000
    scale(n, "mentor")
    scale(n, "peer")


if __name__ == "__main__":
    main()
