"""Recommendation benchmark: `python -m bench.matching.recommend [--quick]`.

Each case runs in a child process of its own (so its peak RSS is its own): it builds a
synthetic organisation, the `Population` (the part of a rebuild that reads the pool),
then the `RecommendationIndex`, and times `recommend` for randomly chosen enrolled
people (some of whom are inactive or have nobody eligible, as in a real pool). Two
baselines run in the same child, on the same viewers:

- loop: the same scoring, one candidate at a time, through the engine's own functions
  (`first_broken_rule`, `coverage`, `factor_values`, `weighted_score` on one pair), over
  1,000 random candidates. `recommend` scores every one of the n people in each call.
- one-row generate: the planner's candidate generator (`candidates.generate`) run for
  the viewer alone against the whole pool, which is how one person's partners are found
  without an index.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

import numpy as np

from tandem_matching.engine.candidates import generate
from tandem_matching.engine.people import build_population
from tandem_matching.engine.program import MENTOR_TYPES, parse_program
from tandem_matching.engine.recommend import RecommendationIndex
from tandem_matching.engine.scoring import coverage, factor_values, weighted_score
from tandem_testkit.matching_synthetic import organisation, program

CASES = (("reciprocal", "large"), ("reverse", "large"), ("reciprocal", "dense"), ("peer", "dense"))
LOOP_CANDIDATES = 1_000


def memory_mib() -> dict[str, float]:
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                found[line.split(":")[0]] = int(line.split()[1]) / 1024.0
    return found


def loop_seconds(index: RecommendationIndex, viewer: int, rng: np.random.Generator) -> float:
    """Score 1,000 random candidates one pair at a time with the engine's functions."""
    population, program_, checker = index.population, index.program, index.checker
    started = time.perf_counter()
    for other in rng.integers(0, population.size, LOOP_CANDIDATES).tolist():
        if program_.type in MENTOR_TYPES:
            a, b = np.array([other]), np.array([viewer])
        else:
            a, b = np.array([viewer]), np.array([other])
        if checker.first_broken_rule(a, b)[0] >= 0:
            continue
        cover_ab = coverage(population, a, b)
        cover_ba = coverage(population, b, a)
        values = factor_values(population, program_, a, b, cover_ab=cover_ab, cover_ba=cover_ba)
        weighted_score(program_, values)
    return time.perf_counter() - started


def one_row_generate_seconds(index: RecommendationIndex, viewer: int) -> float:
    """The planner's candidate generation for one person against everybody."""
    population, program_ = index.population, index.program
    started = time.perf_counter()
    if program_.type in MENTOR_TYPES:
        generate(
            population,
            program_,
            index.checker,
            np.array([viewer]),
            np.flatnonzero(index.as_mentor),
            two_way=False,
            top_k=10,
            pool_size=population.size + 1,
            progress=lambda _: None,
        )
    else:
        generate(
            population,
            program_,
            index.checker,
            np.array([viewer]),
            np.flatnonzero(index.as_partner),
            two_way=True,
            top_k=10,
            pool_size=population.size + 1,
            progress=lambda _: None,
        )
    return time.perf_counter() - started


def child(kind: str, vocabulary: str, n: int, calls: int, baseline_viewers: int) -> dict[str, Any]:
    people = organisation(n, seed=11, vocabulary=vocabulary)
    before = memory_mib()["VmRSS"]
    started = time.perf_counter()
    population = build_population(people)
    program_ = parse_program(program(kind))
    population_seconds = time.perf_counter() - started
    after_population = memory_mib()["VmRSS"]
    started = time.perf_counter()
    index = RecommendationIndex(population, program_)
    index_seconds = time.perf_counter() - started
    after_index = memory_mib()
    index_mib = (
        sum(
            part.nbytes
            for part in (
                index.busy,
                index.load,
                index.as_mentee,
                index.as_mentor,
                index.as_partner,
                index.wanted_total,
                index.goal_sizes,
                index.id_rank,
                index.offered_by_skill.data,
                index.offered_by_skill.indices,
                index.offered_by_skill.indptr,
                index.wanted_by_skill.data,
                index.wanted_by_skill.indices,
                index.wanted_by_skill.indptr,
            )
        )
        / 2**20
    )
    rng = np.random.default_rng(5)
    viewers = rng.integers(0, n, calls).tolist()
    times, eligible, empty = [], [], 0
    for viewer in viewers:
        started = time.perf_counter()
        result = index.recommend(population.ids[viewer], first=10)
        times.append(time.perf_counter() - started)
        eligible.append(result.eligible)
        empty += not result.partners
    # Baselines on viewers who have partners, so that every path does its full work.
    with_partners = [v for v, e in zip(viewers, eligible, strict=True) if e > 0][:baseline_viewers]
    loops = [loop_seconds(index, v, rng) for v in with_partners]
    rows = [one_row_generate_seconds(index, v) for v in with_partners[: max(1, baseline_viewers // 4)]]
    same_viewers = []
    for viewer in with_partners:
        started = time.perf_counter()
        index.recommend(population.ids[viewer], first=10)
        same_viewers.append(time.perf_counter() - started)
    milliseconds = np.asarray(times) * 1e3
    return {
        "case": f"{kind} ({vocabulary}), {n:,} people",
        "population_s": population_seconds,
        "index_s": index_seconds,
        "population_mib": after_population - before,
        "index_mib": index_mib,
        "rss_mib": after_index["VmRSS"],
        "calls": calls,
        "p50_ms": float(np.percentile(milliseconds, 50)),
        "p99_ms": float(np.percentile(milliseconds, 99)),
        "max_ms": float(milliseconds.max()),
        "empty": empty,
        "mean_eligible": float(np.mean(eligible)),
        "same_viewers_p50_ms": float(np.median(same_viewers) * 1e3),
        "loop_p50_ms": float(np.median(loops) * 1e3),
        "row_p50_ms": float(np.median(rows) * 1e3),
        "baseline_viewers": len(with_partners),
        "row_viewers": len(rows),
    }


def show(row: dict[str, Any], n: int) -> None:
    print(
        f"{row['case']}: population {row['population_s']:.1f} s (+{row['population_mib']:.0f} MiB), "
        f"index {row['index_s']:.2f} s ({row['index_mib']:.1f} MiB of arrays), RSS {row['rss_mib']:.0f} MiB",
        flush=True,
    )
    print(
        f"  recommend x{row['calls']}: p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms, "
        f"max {row['max_ms']:.1f} ms ({row['empty']} empty, {row['mean_eligible']:.0f} eligible on average)"
    )
    loop_all = row["loop_p50_ms"] * n / LOOP_CANDIDATES
    same = row["same_viewers_p50_ms"]
    print(
        f"  baseline, same {row['baseline_viewers']} viewers: recommend p50 {same:.1f} ms "
        f"(all {n:,} candidates) | per-pair loop {row['loop_p50_ms']:.0f} ms for {LOOP_CANDIDATES:,} "
        f"candidates ({row['loop_p50_ms'] / same:.0f}x; "
        f"{loop_all / same:,.0f}x extrapolated to all {n:,}) | one-row generate "
        f"{row['row_p50_ms']:.0f} ms over {row['row_viewers']} viewers "
        f"({row['row_p50_ms'] / same:.0f}x)",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matching.recommend")
    parser.add_argument("--quick", action="store_true", help="10,000 people, 200 calls")
    parser.add_argument("--child", nargs=5, metavar=("KIND", "VOCABULARY", "N", "CALLS", "BASELINE"))
    args = parser.parse_args()
    if args.child:
        kind, vocabulary, n, calls, baseline = args.child
        print(json.dumps(child(kind, vocabulary, int(n), int(calls), int(baseline))))
        return 0
    n, calls, baseline = (10_000, 200, 8) if args.quick else (100_000, 1_000, 20)
    print(f"recommendation benchmark ({'quick' if args.quick else 'full'} sizes), {os.cpu_count()} CPUs")
    worst = 0.0
    for kind, vocabulary in CASES:
        argv = [sys.executable, "-m", "bench.matching.recommend", "--child", kind, vocabulary]
        done = subprocess.run(
            [*argv, str(n), str(calls), str(baseline)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        row = json.loads(done.stdout.strip().splitlines()[-1])
        show(row, n)
        worst = max(worst, row["p99_ms"])
    print(f"worst p99 {worst:.1f} ms (goal: under 200 ms at 100,000 people)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
