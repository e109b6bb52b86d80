"""Writes the benchmark's input files (a child process, so the benchmark itself stays small).

`python -m bench.outcomes.generate DIR EMPLOYEES SEED`: DIR/employees.jsonl and
DIR/participation.jsonl, and the scenario's true effects on stdout as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tandem_testkit.outcomes_synthetic import population, write_jsonl


def main(argv: list[str]) -> int:
    directory, size, seed = Path(argv[0]), int(argv[1]), int(argv[2])
    drawn = population(size, seed=seed)
    write_jsonl(directory / "employees.jsonl", drawn.employees)
    write_jsonl(directory / "participation.jsonl", drawn.participation)
    print(
        json.dumps(
            {
                "hazard_ratio": drawn.scenario.hazard_ratio,
                "promotion_rate_ratio": drawn.scenario.promotion_rate_ratio,
                "as_of": drawn.scenario.as_of.isoformat(),
                "participants": drawn.participants,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
