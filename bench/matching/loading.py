"""Loading benchmark: `python -m bench.matching.loading [--quick]`.

Two rows, each with a baseline measured in the same run:

- **Loading**: 100,000 snapshots of the synthetic organisation (the dense vocabulary
  where the generator has it) are written as JSONL, then read and turned into the
  Population columns (`files.read_jsonl` + `people.build_population`, what
  `tandem match plan` does before it plans). The previous loader is the baseline: it is
  checked out of git into a temporary worktree and imported from there. Each version
  runs in its own fresh process, alternately, and the median is reported. Goal: ≤ 3 s.
- **`solve pairs` n=10,000** (about 10 edges per node): the whole command in a child
  process (Python start, reading, solving, writing) against exact blossom (rustworkx)
  on the same graph. Goal: ≥ 20x faster at ≥ 99.5% of the exact objective. The same
  command on the previous code is shown beside it.

Timings are wall-clock on a shared machine; the CPU time of the loading is printed too,
as it is less disturbed by other work.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[2]
BASELINE = "32b6e5411f76742cfed9a736d253c6df9badaf75"
"""The last commit with the previous loader (per-person validation into numpy, stdlib json)."""

# (the full run's, the --quick run's)
SNAPSHOTS = (100_000, 10_000)
PAIRS_NODES = (10_000, 3_000)
REPEATS = (3, 1)
LOADING_GOAL_SECONDS = 3.0
SOLVE_GOAL_SPEEDUP = 20.0
SOLVE_GOAL_RATIO = 0.995


@contextmanager
def baseline_source(ref: str | None) -> Iterator[Path | None]:
    """The matching package's source at `ref`, in a temporary git worktree removed afterwards."""
    if ref is None:
        yield None
        return
    directory = Path(tempfile.mkdtemp(prefix="loading-old-"))
    added = subprocess.run(
        ["git", "-C", str(REPOSITORY), "worktree", "add", "--detach", str(directory), ref],
        capture_output=True,
        text=True,
        check=False,
    )
    if added.returncode != 0:
        directory.rmdir()
        print(f"no baseline: git worktree add failed: {added.stderr.strip()}", flush=True)
        yield None
        return
    try:
        yield directory / "services" / "matching" / "src"
    finally:
        subprocess.run(
            ["git", "-C", str(REPOSITORY), "worktree", "remove", "--force", str(directory)],
            capture_output=True,
            check=False,
        )


def child_environment(source: Path | None) -> dict[str, str]:
    environment = dict(os.environ)
    if source is not None:
        # Ahead of the editable install's path entry, so this copy of the package wins.
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(source), environment.get("PYTHONPATH")])
        )
    return environment


def write_snapshots(path: Path, n: int) -> str:
    from tandem_testkit.matching_synthetic import organisation

    dense = "vocabulary" in inspect.signature(organisation).parameters
    people = organisation(n, seed=11, vocabulary="dense") if dense else organisation(n, seed=11)
    with open(path, "w", encoding="utf-8") as handle:
        for snapshot in people:
            handle.write(json.dumps(snapshot) + "\n")
    return "dense vocabulary" if dense else "large vocabulary"


def time_loading_here(path: str, expect_source: str | None) -> dict[str, Any]:
    """Runs in the child: read + build, timed in-process, after the imports."""
    import tandem_matching
    from tandem_matching.engine.people import build_population
    from tandem_matching.files import read_jsonl

    origin = str(Path(tandem_matching.__file__).resolve())
    if expect_source is not None and not origin.startswith(str(Path(expect_source).resolve())):
        raise RuntimeError(f"imported {origin}, not the baseline in {expect_source}")
    wall, cpu = time.perf_counter(), time.process_time()
    participants = read_jsonl(path)
    read_wall, read_cpu = time.perf_counter() - wall, time.process_time() - cpu
    population = build_population(participants, [])
    return {
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "read": read_wall,
        "read_cpu": read_cpu,
        "people": population.size,
        "origin": origin,
    }


def run_loading_child(path: Path, source: Path | None) -> dict[str, Any]:
    argv = [sys.executable, "-m", "bench.matching.loading", "--child", str(path)]
    if source is not None:
        argv += ["--expect-source", str(source)]
    child = subprocess.run(
        argv, cwd=REPOSITORY, env=child_environment(source), capture_output=True, text=True, check=False
    )
    if child.returncode != 0:
        raise RuntimeError(f"loading child failed: {child.stderr.strip()}")
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(run[key] for run in runs))


def loading_row(directory: Path, n: int, repeats: int, source: Path | None) -> None:
    path = directory / "people.jsonl"
    shape = write_snapshots(path, n)
    megabytes = path.stat().st_size / 1e6
    new_runs: list[dict[str, Any]] = []
    old_runs: list[dict[str, Any]] = []
    for _ in range(repeats):
        new_runs.append(run_loading_child(path, None))
        if source is not None:
            old_runs.append(run_loading_child(path, source))
    assert all(run["people"] == n for run in new_runs + old_runs)
    new = median_of(new_runs, "seconds")
    parts = [
        f"loading {n:,} snapshots ({shape}), {megabytes:.1f} MB, read + build columns:",
        f"new {new:.2f} s (read {median_of(new_runs, 'read'):.2f} s; "
        f"CPU {median_of(new_runs, 'cpu'):.2f} s), {megabytes / new:.0f} MB/s",
    ]
    if old_runs:
        old = median_of(old_runs, "seconds")
        parts.append(
            f"old {old:.2f} s (read {median_of(old_runs, 'read'):.2f} s; "
            f"CPU {median_of(old_runs, 'cpu'):.2f} s), {megabytes / old:.0f} MB/s"
        )
        parts.append(f"{old / new:.1f}x faster")
    parts.append(f"median of {repeats}")
    if n == SNAPSHOTS[0]:
        parts.append(
            f"goal ≤ {LOADING_GOAL_SECONDS:g} s: {'met' if new <= LOADING_GOAL_SECONDS else 'NOT met'}"
        )
    print(" | ".join(parts), flush=True)


def run_command(argv: list[str], source: Path | None) -> float:
    """Wall time of one `tandem match` command in a fresh process (start-up included)."""
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-m", "bench.matching.run_cli", *argv, "--quiet"],
        cwd=REPOSITORY,
        env=child_environment(source),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"{argv} exited with {child.returncode}: {child.stderr}")
    return seconds


def solve_row(directory: Path, n: int, repeats: int, source: Path | None) -> None:
    from bench.matching.__main__ import random_pairs, rustworkx_pairs

    u, v, w = random_pairs(n, 10, seed=n)
    ids = [f"n{i}" for i in range(n)]
    graph = {
        "kind": "pairs",
        "nodes": [{"id": x} for x in ids],
        "edges": [[ids[a], ids[b], x] for a, b, x in zip(u.tolist(), v.tolist(), w.tolist(), strict=True)],
    }
    (directory / "graph.json").write_text(json.dumps(graph), encoding="utf-8")
    out = directory / "result.json"
    argv = ["match", "solve", "--in", str(directory / "graph.json"), "--out", str(out)]
    new_times, old_times = [], []
    for _ in range(repeats):
        new_times.append(run_command(argv, None))
        if source is not None:
            old_times.append(run_command(argv, source))
    run_command(argv, None)  # the result file checked below is the new code's
    result = json.loads(out.read_text(encoding="utf-8"))
    optimum, exact_seconds = rustworkx_pairs(u, v, w, n)
    new = statistics.median(new_times)
    ratio = result["objective"] / optimum
    speedup = exact_seconds / new
    parts = [
        f"solve pairs n={n:,} ({u.size:,} edges), whole command:",
        f"new {new:.2f} s",
    ]
    if old_times:
        parts.append(f"old {statistics.median(old_times):.2f} s")
    parts += [
        f"exact blossom {exact_seconds:.1f} s, {speedup:.0f}x slower than the command",
        f"objective {100 * ratio:.3f}% of exact",
        f"median of {repeats}",
        f"[{result['solver']}]",
    ]
    if n == PAIRS_NODES[0]:
        met = speedup >= SOLVE_GOAL_SPEEDUP and ratio >= SOLVE_GOAL_RATIO
        parts.append(
            f"goal ≥ {SOLVE_GOAL_SPEEDUP:g}x at ≥ {100 * SOLVE_GOAL_RATIO:g}%: {'met' if met else 'NOT met'}"
        )
    print(" | ".join(parts), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.matching.loading")
    parser.add_argument("--quick", action="store_true", help="10,000 snapshots and 3,000 nodes, one run each")
    parser.add_argument(
        "--baseline", default=BASELINE, help="git revision of the previous code (default: %(default)s)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="measure the current code only")
    parser.add_argument("--only", choices=("loading", "solve"), help="run one row")
    parser.add_argument("--child", metavar="PEOPLE.jsonl", help=argparse.SUPPRESS)
    parser.add_argument("--expect-source", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(time_loading_here(args.child, args.expect_source)))
        return
    pick = 1 if args.quick else 0
    print(f"loading benchmark ({'quick' if args.quick else 'full'} sizes), {os.cpu_count()} CPUs", flush=True)
    with (
        baseline_source(None if args.no_baseline else args.baseline) as source,
        tempfile.TemporaryDirectory(prefix="tandem-bench-") as directory,
    ):
        if source is not None:
            print(f"baseline: {args.baseline[:12]} (temporary worktree)", flush=True)
        if args.only in (None, "loading"):
            loading_row(Path(directory), SNAPSHOTS[pick], REPEATS[pick], source)
        if args.only in (None, "solve"):
            solve_row(Path(directory), PAIRS_NODES[pick], REPEATS[pick], source)


if __name__ == "__main__":
    main()
