"""Matching benchmark: `python -m bench.matching [--quick] [--no-million]`.

Each case writes its input files, runs the real `tandem match` command in a child
process (time and peak RSS of that child only, through wait4), and compares the
objective with baselines computed here in the same run: greedy, and exact where it is
feasible (rustworkx blossom for pairs; min-cost flow is exact for bipartite and is
cross-checked with rustworkx on a capacity-expanded graph for small sizes).

Plans run on both synthetic vocabularies (`large`, the project's own, and `dense`, 14
skills). The recall rows compare, on a 5,000-person sample, the plan's objective with
the objective over every eligible pair (exhaustive candidates), and the number of
matched people with an upper bound on the maximum-cardinality matching under the same
rules. The full run includes the 1,000,000-participant plans (about 10 minutes each,
progress printed as they go); `--no-million` leaves them out, `--quick` always does.
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

from tandem_testkit.matching_synthetic import organisation, program

# Each case's size: (the full run's, the --quick run's).
SIZES: dict[str, tuple[Any, Any]] = {
    "pairs_small": (10_000, 3_000),
    "pairs_large": (1_000_000, 100_000),
    "bipartite": ((100_000, 30_000), (10_000, 3_000)),
    "reciprocal": (100_000, 10_000),
    "reverse": (100_000, 10_000),
    "group": (10_000, 2_000),
    "recall": (5_000, 1_500),
    "million": (1_000_000, None),
}


def run_child(argv: list[str], *, show_progress: bool = False) -> tuple[float, float]:
    """Run a `tandem match` command; return (seconds, peak RSS in MiB) of that child.

    With `show_progress` the command's progress lines are passed on as they come.
    """
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.matching.run_cli", *argv, *([] if show_progress else ["--quiet"])],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    lines: list[str] = []
    for line in child.stderr:
        lines.append(line)
        if show_progress and not line.startswith("peak_rss_kib="):
            print(f"    {line.rstrip()}", flush=True)
    code = child.wait()
    seconds = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"{argv} exited with {code}: {''.join(lines)}")
    peak = lines[-1].strip()
    return seconds, int(peak.removeprefix("peak_rss_kib=")) / 1024.0


def random_pairs(n: int, per_node: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    m = n * per_node // 2
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = u != v
    keys = np.unique(np.minimum(u, v)[keep] * n + np.maximum(u, v)[keep])
    return keys // n, keys % n, np.round(rng.uniform(0.05, 1.0, keys.size), 6)


def greedy_pairs(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> float:
    used = np.zeros(n, dtype=bool)
    total = 0.0
    for e in np.argsort(-w, kind="stable").tolist():
        a, b = u[e], v[e]
        if not used[a] and not used[b]:
            used[a] = used[b] = True
            total += w[e]
    return total


def rustworkx_pairs(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> tuple[float, float]:
    import rustworkx

    started = time.perf_counter()
    graph = rustworkx.PyGraph()
    graph.add_nodes_from(range(n))
    scaled = np.rint(w * 1e6).astype(np.int64)
    graph.add_edges_from(list(zip(u.tolist(), v.tolist(), scaled.tolist(), strict=True)))
    matching = rustworkx.max_weight_matching(graph, weight_fn=int)
    weight = {(int(a), int(b)): float(x) for a, b, x in zip(u, v, w, strict=True)}
    total = sum(weight.get((a, b), weight.get((b, a), 0.0)) for a, b in matching)
    return total, time.perf_counter() - started


def write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document), encoding="utf-8")


def case_pairs(directory: Path, n: int, exact: bool) -> dict[str, Any]:
    u, v, w = random_pairs(n, 10, seed=n)
    ids = [f"n{i}" for i in range(n)]
    graph = {
        "kind": "pairs",
        "nodes": [{"id": x} for x in ids],
        "edges": [
            [ids[a], ids[b], float(x)] for a, b, x in zip(u.tolist(), v.tolist(), w.tolist(), strict=True)
        ],
    }
    write_json(directory / "graph.json", graph)
    del graph
    out = directory / "result.json"
    seconds, rss = run_child(["match", "solve", "--in", str(directory / "graph.json"), "--out", str(out)])
    result = json.loads(out.read_text())
    row: dict[str, Any] = {
        "case": f"solve pairs n={n:,} ({u.size:,} edges)",
        "seconds": seconds,
        "rss_mib": rss,
        "objective": result["objective"],
        "solver": result["solver"],
        "match_rate": 2 * len(result["pairs"]) / n,
        "greedy_ratio": result["objective"] / greedy_pairs(u, v, w, n),
    }
    if exact:
        optimum, exact_seconds = rustworkx_pairs(u, v, w, n)
        row["exact_ratio"] = result["objective"] / optimum
        row["exact_seconds"] = exact_seconds
    return row


def case_bipartite(directory: Path, mentees: int, mentors: int) -> dict[str, Any]:
    rng = np.random.default_rng(5)
    v = np.repeat(np.arange(mentees), 10)
    u = rng.integers(0, mentors, v.size)
    keys = np.unique(u * mentees + v)
    u, v = keys // mentees, keys % mentees
    w = np.round(rng.uniform(0.05, 1.0, u.size), 6)
    capacity = rng.integers(1, 4, mentors)
    graph = {
        "kind": "bipartite",
        "mentors": [{"id": f"m{i}", "capacity": int(c)} for i, c in enumerate(capacity)],
        "mentees": [{"id": f"e{i}"} for i in range(mentees)],
        "edges": [
            [f"m{a}", f"e{b}", float(x)] for a, b, x in zip(u.tolist(), v.tolist(), w.tolist(), strict=True)
        ],
    }
    write_json(directory / "graph.json", graph)
    out = directory / "result.json"
    seconds, rss = run_child(["match", "solve", "--in", str(directory / "graph.json"), "--out", str(out)])
    result = json.loads(out.read_text())
    load = np.zeros(mentors, dtype=np.int64)
    taken = np.zeros(mentees, dtype=bool)
    greedy = 0.0
    for e in np.argsort(-w, kind="stable").tolist():
        if load[u[e]] < capacity[u[e]] and not taken[v[e]]:
            load[u[e]] += 1
            taken[v[e]] = True
            greedy += w[e]
    row: dict[str, Any] = {
        "case": f"solve bipartite {mentees:,} mentees x {mentors:,} mentors ({u.size:,} edges)",
        "seconds": seconds,
        "rss_mib": rss,
        "objective": result["objective"],
        "solver": result["solver"],
        "match_rate": len(result["pairs"]) / mentees,
        "greedy_ratio": result["objective"] / greedy,
    }
    if mentees <= 3_000:
        slots = np.concatenate([[0], np.cumsum(capacity)])
        eu, ev, ew = [], [], []
        for a, b, x in zip(u.tolist(), v.tolist(), w.tolist(), strict=True):
            for slot in range(int(capacity[a])):
                eu.append(int(slots[a]) + slot)
                ev.append(int(slots[-1]) + b)
                ew.append(x)
        optimum, exact_seconds = rustworkx_pairs(
            np.asarray(eu), np.asarray(ev), np.asarray(ew), int(slots[-1]) + mentees
        )
        row["exact_ratio"] = result["objective"] / optimum
        row["exact_seconds"] = exact_seconds
    return row


def case_plan(
    directory: Path,
    kind: str,
    n: int,
    style: str = "mentor",
    vocabulary: str = "large",
    show_progress: bool = False,
) -> dict[str, Any]:
    people = organisation(n, seed=11, vocabulary=vocabulary)
    prog = program(kind)
    if kind == "group":
        prog["group"] = {"style": style}
    with open(directory / "people.jsonl", "w", encoding="utf-8") as handle:
        for snapshot in people:
            handle.write(json.dumps(snapshot) + "\n")
    del people
    write_json(directory / "program.json", prog)
    out = directory / "plan.json"
    seconds, rss = run_child(
        [
            "match",
            "plan",
            "--program",
            str(directory / "program.json"),
            "--participants",
            str(directory / "people.jsonl"),
            "--out",
            str(out),
        ],
        show_progress=show_progress,
    )
    plan = json.loads(out.read_text())
    stats = plan["stats"]
    gap = stats["fairness"]["largest_gap"]["match_rate"]
    blocking = stats["fairness"].get("blocking_pairs")
    label = f"plan {kind}" + (f" ({style} circles)" if kind == "group" else "")
    if kind != "group":
        label += f", {vocabulary} vocabulary"
    return {
        "case": f"{label}, {n:,} participants",
        "seconds": seconds,
        "rss_mib": rss,
        "objective": stats["objective"],
        "matches": len(plan["matches"]),
        "match_rate": stats["matched"] / stats["participants"],
        "fairness_gap": (
            f"{gap['gap']:.3f} ({gap['dimension']}: {gap['high']['group']} vs {gap['low']['group']})"
            if gap
            else "n/a"
        ),
        "blocking": f"{blocking['blocking']}/{blocking['sampled']}" if blocking else "n/a",
    }


def case_recall(kind: str, n: int, vocabulary: str) -> dict[str, Any]:
    """Top-k plan against every eligible pair, and matched people against a cardinality bound."""
    from bench.matching.recall import recall

    people = organisation(n, seed=11, vocabulary=vocabulary)
    figures = recall(program(kind), people)
    return {"case": f"recall plan {kind}, {vocabulary} vocabulary, {n:,} participants", **figures}


def show_recall(row: dict[str, Any]) -> None:
    print(
        f"{row['case']}: top-k objective {row['objective']:.2f} = "
        f"{100 * row['recall']:.2f}% of the exhaustive {row['exhaustive']:.2f} "
        f"({row['eligible_pairs']:,} eligible pairs, {row['exhaustive_bound']}) "
        f"| matched {row['matched']:,} = {100 * row['cardinality_ratio']:.1f}% of the "
        f"maximum-cardinality bound {row['cardinality_bound']:,} "
        f"| top-k plan {row['seconds']:.1f} s, exhaustive {row['exhaustive_seconds']:.1f} s",
        flush=True,
    )


def show(row: dict[str, Any]) -> None:
    parts = [f"{row['case']}:", f"{row['seconds']:.1f} s", f"peak RSS {row['rss_mib']:.0f} MiB"]
    if "exact_ratio" in row:
        parts.append(
            f"objective {100 * row['exact_ratio']:.3f}% of exact "
            f"(exact {row['exact_seconds']:.1f} s, "
            f"{row['exact_seconds'] / row['seconds']:.0f}x slower)"
        )
    if "greedy_ratio" in row:
        parts.append(f"{100 * (row['greedy_ratio'] - 1):+.2f}% vs greedy")
    parts.append(f"match rate {100 * row['match_rate']:.1f}%")
    if "fairness_gap" in row:
        parts.append(f"largest match-rate gap {row['fairness_gap']}")
        parts.append(f"blocking pairs {row['blocking']}")
    if "solver" in row:
        parts.append(f"[{row['solver']}]")
    print(" | ".join(parts), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.matching")
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--no-million", action="store_true", help="leave out the 1,000,000-person plans")
    parser.add_argument("--only", help="run only cases whose name contains this text")
    args = parser.parse_args()
    sizes = {case: quick if args.quick else full for case, (full, quick) in SIZES.items()}
    cases: list[tuple[str, Any]] = [
        ("pairs-small", lambda d: case_pairs(d, sizes["pairs_small"], exact=True)),
        ("pairs-large", lambda d: case_pairs(d, sizes["pairs_large"], exact=False)),
        ("bipartite", lambda d: case_bipartite(d, *sizes["bipartite"])),
    ]
    for kind in ("reciprocal", "reverse"):
        for vocabulary in ("large", "dense"):
            cases.append(
                (
                    f"{kind}-{vocabulary}",
                    lambda d, k=kind, v=vocabulary: case_plan(d, k, sizes[k], vocabulary=v),
                )
            )
    cases += [
        ("group", lambda d: case_plan(d, "group", sizes["group"])),
        ("group-peer", lambda d: case_plan(d, "group", sizes["group"], style="peer")),
    ]
    for kind in ("reciprocal", "reverse"):
        for vocabulary in ("large", "dense"):
            cases.append(
                (
                    f"recall-{kind}-{vocabulary}",
                    lambda _d, k=kind, v=vocabulary: case_recall(k, sizes["recall"], v),
                )
            )
    if sizes["million"] is not None and not args.no_million:
        for vocabulary in ("large", "dense"):
            cases.append(
                (
                    f"million-reciprocal-{vocabulary}",
                    lambda d, v=vocabulary: case_plan(
                        d, "reciprocal", sizes["million"], vocabulary=v, show_progress=True
                    ),
                )
            )
    print(f"matching benchmark ({'quick' if args.quick else 'full'} sizes), {os.cpu_count()} CPUs")
    for name, run in cases:
        if args.only and args.only not in name:
            continue
        with tempfile.TemporaryDirectory(prefix="tandem-bench-") as directory:
            row = run(Path(directory))
            if "recall" in row:
                show_recall(row)
            else:
                show(row)


if __name__ == "__main__":
    main()
