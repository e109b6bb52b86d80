"""`tandem auth token`: a development token for the gateway (graphql.md).

Built on every `tandem` command, so this module imports only the standard library and
``tandem_common.cli``; the signing code (PyJWT, cryptography) is imported when the
command runs (``tandem_gateway.auth.token_command``).
"""

from __future__ import annotations

import argparse

from tandem_common.cli import lazy_handler

# graphql.md's roles, spelled as `tandem_gateway.auth.viewer.Role` spells them (a test
# keeps the two equal; importing the enum here is kept off the start-up path).
ROLES = ("employee", "program_admin", "hr_analyst", "admin")
DEFAULT_TTL_SECONDS = 3600
MAX_TTL_SECONDS = 30 * 86400


def ttl_seconds(text: str) -> int:
    """A token lifetime in seconds: 1 to 30 days' worth."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if not 1 <= value <= MAX_TTL_SECONDS:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and {MAX_TTL_SECONDS} seconds")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    auth = subparsers.add_parser(
        "auth",
        help="development tokens for the gateway",
        description="Tokens of the local development issuer, which the gateway trusts on the embedded "
        "default only.",
    )
    commands = auth.add_subparsers(dest="auth_command", metavar="COMMAND", required=True)
    token = commands.add_parser(
        "token",
        help="print a signed development token",
        description="Print one token signed by the development issuer (its key is created under "
        "TANDEM_HOME on first use). Paste it as 'Authorization: Bearer <token>'.",
    )
    token.add_argument("--subject", required=True, help="the employee id the token names, e.g. E000123")
    token.add_argument(
        "--role",
        dest="roles",
        action="append",
        required=True,
        choices=ROLES,
        help="a role of the viewer; repeat for more than one",
    )
    token.add_argument(
        "--ttl",
        type=ttl_seconds,
        default=DEFAULT_TTL_SECONDS,
        help=f"seconds until the token expires (default {DEFAULT_TTL_SECONDS}, at most {MAX_TTL_SECONDS})",
    )
    token.set_defaults(handler=lazy_handler("tandem_gateway.auth.token_command:print_token"))
