"""``make bench``: every benchmark, one after another, each printing its own figures.

``python -m bench [--quick]``; each one also runs alone (``python -m bench.ingest``).
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    "bench.cli",
    "bench.backbone",
    "bench.ingest",
    "bench.matching",
    "bench.matching.loading",
    "bench.matching.recommend",
    "bench.circles",
    "bench.matching_service.round",
    "bench.matching_service.lifecycle",
    "bench.matching_service.recommend",
    "bench.matching_service.bulk_enrol",
    "bench.outcomes",
    "bench.engagement.health",
    "bench.gateway_subscriptions",
    "bench.gateway_dashboard",
)


def main() -> int:
    extra = sys.argv[1:]
    failed = []
    for module in BENCHMARKS:
        print(f"\n=== {module} {' '.join(extra)}".rstrip(), flush=True)
        if subprocess.call([sys.executable, "-m", module, *extra]) != 0:
            failed.append(module)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
