"""`tandem auth token` run as a user runs it, its token checked by the gateway's verifier."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tandem_gateway.auth.dev_issuer import key_path
from tandem_gateway.auth.verifier import build_verifier
from tandem_gateway.auth.viewer import Role, Viewer
from tandem_gateway.settings import GatewaySettings

TANDEM = Path(sys.executable).with_name("tandem")


def _tandem(home: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("TANDEM_")}
    env["TANDEM_HOME"] = str(home)
    return subprocess.run(
        [str(TANDEM), *arguments], env=env, capture_output=True, text=True, timeout=60, check=False
    )


async def test_the_printed_token_is_accepted_by_the_embedded_default_gateway(tmp_path: Path) -> None:
    before = int(time.time())
    completed = _tandem(
        tmp_path, "auth", "token", "--subject", "E000123", "--role", "employee", "--role", "program_admin"
    )
    after = int(time.time())
    assert (completed.returncode, completed.stderr) == (0, "")
    assert completed.stdout.count("\n") == 1 and completed.stdout.endswith("\n")
    assert key_path(tmp_path).is_file()

    settings = GatewaySettings(http_port=8000, home=tmp_path, embedded_default=True, dev_issuer_enabled=False)
    verifier = build_verifier(settings)
    await verifier.start()
    try:
        viewer = await verifier.verify(completed.stdout.strip())
        assert (viewer.employee_id, viewer.roles) == (
            "E000123",
            frozenset({Role.EMPLOYEE, Role.PROGRAM_ADMIN}),
        )
        assert before + 3600 <= viewer.expires_at.timestamp() <= after + 3600

        # A second token reuses the key the running gateway loaded.
        again = _tandem(tmp_path, "auth", "token", "--subject", "E000456", "--role", "admin", "--ttl", "60")
        assert again.returncode == 0
        second = await verifier.verify(again.stdout.strip())
        issued = second.expires_at.timestamp() - 60
        assert second == Viewer(
            "E000456", frozenset({Role.ADMIN}), datetime.fromtimestamp(issued + 60, tz=UTC)
        )
        assert before <= issued <= int(time.time())
    finally:
        await verifier.stop()


def test_a_role_that_does_not_exist_exits_with_code_2(tmp_path: Path) -> None:
    completed = _tandem(tmp_path, "auth", "token", "--subject", "E000123", "--role", "superuser")
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "tandem auth token: error: argument --role: invalid choice: 'superuser'" in completed.stderr
    assert not key_path(tmp_path).exists()


def test_a_subject_that_is_not_an_employee_id_exits_with_code_2(tmp_path: Path) -> None:
    completed = _tandem(tmp_path, "auth", "token", "--subject", "E 1", "--role", "employee")
    assert (completed.returncode, completed.stdout) == (2, "")
    assert (
        completed.stderr
        == "tandem: error: --subject 'E 1' is not an employee id (1 to 64 of A-Z a-z 0-9 . _ : -)\n"
    )
