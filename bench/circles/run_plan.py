"""Runs `plan` of whichever `tandem_matching` is first on the path (a child of the benchmark).

`python -m bench.circles.run_plan PROGRAM.json PEOPLE.jsonl OUT.json`: writes the plan
and prints the seconds `plan` took as its last line.
"""

from __future__ import annotations

import json
import sys
import time

from tandem_matching.engine.planner import plan


def main(program_path: str, people_path: str, out_path: str) -> None:
    with open(program_path, encoding="utf-8") as handle:
        program = json.load(handle)
    with open(people_path, encoding="utf-8") as handle:
        people = [json.loads(line) for line in handle]
    started = time.perf_counter()
    result = plan(program, people)
    seconds = time.perf_counter() - started
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    print(f"{seconds:.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
