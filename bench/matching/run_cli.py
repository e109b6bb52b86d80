"""Runs one `tandem match` command in this process (used as a child by the benchmark).

Only the matching package's sub-commands are registered, as `tandem` would, so the
measurement is the real command's code path and nothing else. At exit it prints this
process's peak resident memory (VmHWM, which starts afresh at exec, unlike the rusage
of a child, which inherits the parent's high-water mark) as the last stderr line.
"""

from __future__ import annotations

import argparse
import sys

from tandem_common.cli import UsageError
from tandem_matching.cli import register


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tandem")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except UsageError as error:
        print(f"tandem: error: {error}", file=sys.stderr)
        return 2


def peak_rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    print(f"peak_rss_kib={peak_rss_kib()}", file=sys.stderr)
    sys.exit(code)
