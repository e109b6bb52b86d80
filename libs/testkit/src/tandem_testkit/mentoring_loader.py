"""``tandem hr load-mentoring FILE``: load generated mentoring profiles through the API.

The profiles must belong to employees the service already knows, so employees not
found yet (their hire still in flight) are retried until ``--wait`` runs out. Requests
carry the service token: ``TANDEM_SERVICE_TOKEN``, else ``.tandem/service-token``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from tandem_common.cli import UsageError, existing_file
from tandem_common.http.service_token import authorization_headers, client_token
from tandem_testkit.json_lines import read_json_lines

CHUNK = 500


def default_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('TANDEM_PROFILES_PORT', '8001')}"


def _profile(item: Any) -> dict[str, Any]:
    return {"employee_id": str(item["employee_id"]), "mentoring": dict(item["mentoring"])}


def read_profiles(path: Path) -> list[dict[str, Any]]:
    return [
        profile for _, profile in read_json_lines(path, "a mentoring profile line", _profile, (ValueError,))
    ]


async def load_profiles(
    items: list[dict[str, Any]], *, url: str, wait_seconds: float, token: str | None = None
) -> Counter[str]:
    outcome: Counter[str] = Counter()
    pending = items
    deadline = time.monotonic() + wait_seconds
    async with httpx.AsyncClient(base_url=url, timeout=60, headers=authorization_headers(token)) as client:
        while pending:
            retry = []
            for start in range(0, len(pending), CHUNK):
                chunk = pending[start : start + CHUNK]
                response = await client.post("/v1/mentoring/bulk", json=chunk)
                if response.status_code == 401:
                    raise UsageError(
                        f"{url} refused the service token; set TANDEM_SERVICE_TOKEN to the one "
                        "the service runs with (`tandem up` keeps it in .tandem/service-token)"
                    )
                response.raise_for_status()
                for item, result in zip(chunk, response.json()["results"], strict=True):
                    if result["status"] == "not_found" and time.monotonic() < deadline:
                        retry.append(item)
                    else:
                        outcome[result["status"]] += 1
            pending = retry
            if pending:
                await asyncio.sleep(1.0)
    return outcome


def load_mentoring(args: Any) -> int:
    path = existing_file(args.file)
    items = read_profiles(path)
    try:
        outcome = asyncio.run(
            load_profiles(items, url=args.url or default_url(), wait_seconds=args.wait, token=client_token())
        )
    except httpx.HTTPError as error:
        raise UsageError(f"the profiles service did not answer: {error}") from None
    summary = ", ".join(f"{count:,} {status}" for status, count in sorted(outcome.items()))
    print(f"tandem hr load-mentoring: {len(items):,} profiles: {summary}", file=sys.stderr)
    return 0 if outcome.get("ok", 0) == len(items) else 1
