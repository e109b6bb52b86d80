"""`tandem auth token`: its arguments, checked before anything is signed."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tandem_common.cli import LazyHandler, build_parser, main
from tandem_gateway.auth.dev_issuer import DevIssuer
from tandem_gateway.auth.viewer import Role
from tandem_gateway.cli import MAX_TTL_SECONDS, ROLES


def _token_parser() -> argparse.ArgumentParser:
    parser = build_parser()
    (auth,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    (token,) = (a for a in auth.choices["auth"]._actions if isinstance(a, argparse._SubParsersAction))
    return token.choices["token"]


def test_the_role_choices_are_the_viewer_roles() -> None:
    assert tuple(role.value for role in Role) == ROLES


def test_the_arguments_parse_into_subject_roles_and_lifetime() -> None:
    args = build_parser().parse_args(
        [
            "auth",
            "token",
            "--subject",
            "E000123",
            "--role",
            "employee",
            "--role",
            "program_admin",
            "--ttl",
            "60",
        ]
    )
    assert (args.subject, args.roles, args.ttl) == ("E000123", ["employee", "program_admin"], 60)
    defaults = build_parser().parse_args(["auth", "token", "--subject", "E1", "--role", "admin"])
    assert defaults.ttl == 3600
    assert MAX_TTL_SECONDS == 30 * 86400


def test_the_handler_is_imported_only_when_the_command_runs() -> None:
    handler = _token_parser().get_default("handler")
    assert isinstance(handler, LazyHandler)
    assert handler.target == "tandem_gateway.auth.token_command:print_token"
    assert callable(handler.resolve())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--role", "boss"], "argument --role: invalid choice: 'boss'"),
        ([], "the following arguments are required: --role"),
        (["--role", "admin", "--ttl", "0"], "argument --ttl: 0 is not between 1 and 2592000 seconds"),
        (
            ["--role", "admin", "--ttl", "2592001"],
            "argument --ttl: 2592001 is not between 1 and 2592000 seconds",
        ),
        (["--role", "admin", "--ttl", "soon"], "argument --ttl: 'soon' is not a whole number of seconds"),
    ],
)
def test_bad_arguments_exit_with_code_2_and_say_why(
    arguments: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["auth", "token", "--subject", "E000123", *arguments])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_a_subject_that_is_not_an_employee_id_exits_with_code_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TANDEM_HOME", str(tmp_path))
    assert main(["auth", "token", "--subject", "not an id", "--role", "employee"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        "tandem: error: --subject 'not an id' is not an employee id (1 to 64 of A-Z a-z 0-9 . _ : -)\n"
    )
    assert captured.out == ""
    assert not (tmp_path / "dev-issuer").exists()


def test_the_command_prints_one_token_of_the_development_issuer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import jwt

    monkeypatch.setenv("TANDEM_HOME", str(tmp_path))
    before = int(time.time())
    code = main(
        ["auth", "token", "--subject", "E000123", "--role", "admin", "--role", "admin", "--ttl", "120"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert out.endswith("\n") and out.count("\n") == 1
    issuer = DevIssuer.load(tmp_path, audience="tandem")
    claims = jwt.decode(
        out.strip(), key=issuer.key_set()[issuer.kid], algorithms=["EdDSA"], audience="tandem"
    )
    assert (claims["sub"], claims["roles"], claims["exp"] - claims["iat"]) == ("E000123", ["admin"], 120)
    assert before <= claims["iat"] <= int(time.time())
    assert datetime.fromtimestamp(claims["exp"], tz=UTC) > datetime.now(tz=UTC)
