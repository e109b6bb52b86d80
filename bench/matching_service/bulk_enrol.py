"""Bulk enrolment benchmark: the ``enrolment.changed.v1`` events of a 10,000-row bulk
enrolment, built in one pass, beside the same events built one call per row (the
baseline, in the same run).

``python -m bench.matching_service.bulk_enrol [--rows N] [--repeat R]``

No database or broker: what is measured is the work the events add to the use case in
this process. The best of ``repeat`` runs is printed for each.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime

from tandem_matching.domain.enrolment import Enrolment
from tandem_matching.service.events import enrolments_changed

SOURCE = "tandem/matching"


def _best(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1,000 rows, 3 runs")
    args = parser.parse_args()
    rows, repeat = (1_000, 3) if args.quick else (args.rows, args.repeat)
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    enrolments = [
        Enrolment("P1", f"E{n:06d}", ("mentor", "mentee"), "enrolled", now, now) for n in range(rows)
    ]
    assert len(enrolments_changed(enrolments, source=SOURCE)) == rows
    one_pass = _best(lambda: enrolments_changed(enrolments, source=SOURCE), repeat)
    per_row = _best(lambda: [enrolments_changed([e], source=SOURCE) for e in enrolments], repeat)
    print(f"enrolment.changed.v1 events of {rows:,} rows (best of {repeat})")
    print(f"  one pass           {one_pass * 1000:8.1f} ms  ({one_pass / rows * 1e6:.1f} us per row)")
    print(f"  one call per row   {per_row * 1000:8.1f} ms  (baseline, same run)")
    print(f"  ratio one pass / baseline  {one_pass / per_row:.2f}")


if __name__ == "__main__":
    main()
