"""The program-dashboard benchmark runs end to end at a tiny size and prints its figures.

No timing is asserted (``python -m bench.gateway_dashboard`` measures); what is
asserted is that both servers answered every request cleanly, that the figures are
printed, and the number of service calls one dashboard query makes.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_the_dashboard_benchmark_prints_its_figures() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.gateway_dashboard",
            "--clients",
            "4",
            "--requests",
            "12",
            "--warmup",
            "4",
            "--single",
            "3",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    figures = r"\s+\d+\.\d\s+\d+\.\d\s+\d+$"
    assert re.search(r"^baseline: bare Strawberry, 4 clients" + figures, out, re.MULTILINE), out
    assert re.search(r"^gateway \+ fake services, 4 clients" + figures, out, re.MULTILINE), out
    assert re.search(r"^ratio gateway / baseline throughput: \d+\.\d\d ", out, re.MULTILINE), out
    # The program, its page of matches, their people, their health, its analytics.
    calls = re.search(r"^service calls per dashboard query: (\d+) \((.*)\)$", out, re.MULTILINE)
    assert calls is not None, out
    assert int(calls.group(1)) == 5
    assert sorted(part.rsplit(" ", 1)[0] for part in calls.group(2).split(", ")) == [
        "GET /v1/programs/P-DASH/analytics",
        "GET /v1/programs/P-DASH/matches",
        "POST /v1/health/by-match",
        "POST /v1/profiles/batch",
        "POST /v1/programs/batch",
    ]
    assert "answers had errors" not in out
