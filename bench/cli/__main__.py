"""CLI start-up benchmark: `python -m bench.cli [--quick] [--runs N]`.

Every `tandem` command builds its whole parser before doing anything, so a plugin that
imports a heavy library while registering slows every command (`tandem_common.cli`
describes the pattern that prevents it). This measures, process start to exit, over N
runs each after one unmeasured warm-up:

- `python -c pass`: the interpreter's own start, the baseline of this run;
- `tandem --help`;
- `tandem match solve` on a 10-node pairs graph (written per the matching CLI contract).

Each is printed with its minimum and median, its goal, and its ratio to the baseline.
The minimum is the figure compared with the goal: other load on the machine only ever
adds time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NODES = 10
RUNS = 30
QUICK_RUNS = 8


def tandem_command() -> list[str]:
    """The installed console script beside this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("tandem")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tandem_common.cli"]


def write_graph(path: Path) -> None:
    """A complete pairs graph on NODES nodes with fixed weights."""
    rng = random.Random(10)
    ids = [f"n{i}" for i in range(NODES)]
    edges = [[a, b, round(rng.uniform(0.1, 1.0), 4)] for i, a in enumerate(ids) for b in ids[i + 1 :]]
    graph = {"kind": "pairs", "nodes": [{"id": node} for node in ids], "edges": edges}
    path.write_text(json.dumps(graph), encoding="utf-8")


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    child = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {child.returncode}: {child.stderr}")
    return seconds


def measure(argv: list[str], runs: int) -> list[float]:
    timed(argv)  # warm-up: bytecode caches and the page cache, not start-up
    return [timed(argv) for _ in range(runs)]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cli")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_RUNS} runs each instead of {RUNS}")
    parser.add_argument("--runs", type=int, help="runs of each command (overrides --quick)")
    args = parser.parse_args()
    runs = args.runs or (QUICK_RUNS if args.quick else RUNS)
    tandem = tandem_command()
    with tempfile.TemporaryDirectory(prefix="tandem-bench-cli-") as directory:
        graph, result = Path(directory) / "graph.json", Path(directory) / "result.json"
        write_graph(graph)
        cases: list[tuple[str, list[str], float | None]] = [
            ("python -c pass", [sys.executable, "-c", "pass"], None),
            ("tandem --help", [*tandem, "--help"], 0.3),
            (
                f"tandem match solve ({NODES} nodes)",
                [*tandem, "match", "solve", "--in", str(graph), "--out", str(result)],
                0.6,
            ),
        ]
        print(f"CLI start-up benchmark: {runs} runs each, {os.cpu_count()} CPUs, {sys.executable}")
        print(f"{'command':<32} {'min':>8} {'median':>8} {'goal':>8} {'min/baseline':>13}")
        baseline = 0.0
        for name, argv, goal in cases:
            seconds = measure(argv, runs)
            fastest, median = min(seconds), statistics.median(seconds)
            baseline = baseline or fastest
            verdict = "baseline" if goal is None else ("met" if fastest <= goal else "NOT met")
            goal_text = "—" if goal is None else f"≤ {goal:.1f} s"
            print(
                f"{name:<32} {fastest:>7.3f}s {median:>7.3f}s {goal_text:>8} "
                f"{fastest / baseline:>12.1f}x  {verdict}"
            )
        solved = json.loads(result.read_text(encoding="utf-8"))
        pairs, objective = len(solved["pairs"]), solved["objective"]
        print(f"solve result: {pairs} pairs, objective {objective:.4f}, {solved['solver']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
