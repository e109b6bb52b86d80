"""Outcome analytics benchmark: `python -m bench.outcomes [--quick]`.

Draws an organisation with a known true effect (``tandem_testkit.outcomes_synthetic``)
in a child process, then runs the real `tandem engage outcomes` command in another
child and measures its wall time and peak RSS (``wait4``; the benchmark process itself
stays small, so the inherited high-water mark is negligible). Goal at full size,
1,000,000 employees and about 100,000 participants: <= 60 s and <= 4 GiB.

It prints the adjusted hazard ratio with its interval beside the generator's true value
and the naive figure (likewise for promotions), and a baseline measured in the same
run: the same Cox model (time-varying participation, department and seniority) fitted
by statsmodels' PHReg on the same counting-process rows, which also cross-checks the
estimate at scale.
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

import numpy as np

SIZES = {"full": 1_000_000, "quick": 100_000}
SEED = 20261101
GOAL_SECONDS, GOAL_RSS_MIB = 60.0, 4096.0


def tandem() -> list[str]:
    script = Path(sys.executable).with_name("tandem")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tandem_common.cli"]


def run_command(argv: list[str]) -> tuple[float, float]:
    """Run a command; (seconds, peak RSS in MiB) of that child."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    errors = child.stderr.read().decode() if child.stderr else ""
    if child.returncode != 0:
        raise RuntimeError(f"{argv} exited with {child.returncode}: {errors}")
    return seconds, usage.ru_maxrss / 1024.0


def phreg_baseline(directory: Path, as_of: str) -> tuple[float, float, float, int]:
    """statsmodels PHReg on the command's own rows: (seconds to fit, hazard ratio, its SE, rows)."""
    from datetime import date

    from statsmodels.duration.hazard_regression import PHReg

    from tandem_engagement.outcomes.design import patterns
    from tandem_engagement.outcomes.files import read_cohort
    from tandem_engagement.outcomes.timeline import episodes, observe

    cohort = read_cohort(
        str(directory / "employees.jsonl"), str(directory / "participation.jsonl"), program=None
    )
    rows = episodes(observe(cohort, date.fromisoformat(as_of).toordinal()))
    design = patterns(
        [
            ("participating", rows.participating.astype(np.int64), 0),
            ("department", cohort.department[rows.person], None),
            ("seniority_level", cohort.seniority[rows.person], None),
        ]
    )
    started = time.perf_counter()
    # entry + 0.5: PHReg counts a row at risk at its entry time; counting-process
    # intervals (start, stop] do not, so one person's two rows never overlap.
    model = PHReg(
        rows.stop.astype(np.float64),
        design.design[design.pattern],
        status=rows.event.astype(np.int64),
        entry=rows.start + 0.5,
        ties="breslow",
    )
    fitted = model.fit()
    seconds = time.perf_counter() - started
    column = design.column("participating=1")
    return seconds, float(np.exp(fitted.params[column])), float(fitted.bse[column]), int(rows.stop.size)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.outcomes")
    parser.add_argument("--quick", action="store_true", help="100,000 employees instead of 1,000,000")
    parser.add_argument("--no-baseline", action="store_true", help="skip the statsmodels PHReg baseline")
    args = parser.parse_args()
    size = SIZES["quick" if args.quick else "full"]
    with tempfile.TemporaryDirectory(prefix="tandem-outcomes-") as temporary:
        directory = Path(temporary)
        started = time.perf_counter()
        drawn = subprocess.run(
            [sys.executable, "-m", "bench.outcomes.generate", str(directory), str(size), str(SEED)],
            capture_output=True,
            text=True,
            check=True,
        )
        truth = json.loads(drawn.stdout)
        print(
            f"input: {size:,} employees, {truth['participants']:,} participants "
            f"(drawn in {time.perf_counter() - started:.1f} s; "
            f"{(directory / 'employees.jsonl').stat().st_size / 2**20:.0f} MiB of JSON lines)",
            flush=True,
        )
        out = directory / "outcomes.json"
        seconds, rss = run_command(
            [
                *tandem(),
                "engage",
                "outcomes",
                "--employees",
                str(directory / "employees.jsonl"),
                "--participation",
                str(directory / "participation.jsonl"),
                "--as-of",
                truth["as_of"],
                "--out",
                str(out),
                "--quiet",
            ]
        )
        result = json.loads(out.read_text())
        retention, promotion = result["retention"], result["promotion"]
        low, high = retention["ci95"]
        verdict = "meets" if seconds <= GOAL_SECONDS and rss <= GOAL_RSS_MIB else "MISSES"
        print(
            f"tandem engage outcomes: {seconds:.1f} s, peak RSS {rss:,.0f} MiB "
            f"({verdict} the goal of <= {GOAL_SECONDS:.0f} s and <= {GOAL_RSS_MIB:,.0f} MiB; "
            f"analysed {result['population']['employees']:,} employees observed after the first match start, "
            f"{result['population']['participants']:,} participants)"
        )
        print(
            f"  voluntary exit hazard ratio {retention['hazard_ratio']} (95% CI {low}-{high}); "
            f"true value {truth['hazard_ratio']}; covered: {low <= truth['hazard_ratio'] <= high}; "
            f"naive {retention['naive_hazard_ratio']}"
        )
        low, high = promotion["ci95"]
        print(
            f"  promotion rate ratio {promotion['rate_ratio']} (95% CI {low}-{high}); "
            f"true value {truth['promotion_rate_ratio']}; "
            f"covered: {low <= truth['promotion_rate_ratio'] <= high}; naive {promotion['naive_rate_ratio']}"
        )
        if not args.no_baseline:
            baseline_seconds, baseline_ratio, baseline_error, rows = phreg_baseline(directory, truth["as_of"])
            print(
                f"baseline: statsmodels PHReg, same model and rows ({rows:,} episodes), "
                f"fit alone {baseline_seconds:.1f} s "
                f"(the whole command is {seconds / baseline_seconds:.2f}x that); hazard ratio "
                f"{baseline_ratio:.4f} (SE of log {baseline_error:.4f}) against the command's "
                f"{retention['hazard_ratio']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
