"""What `tandem auth token` does once its arguments are parsed (see ``tandem_gateway.cli``)."""

from __future__ import annotations

import argparse
import re

from tandem_common.cli import UsageError
from tandem_common.events.fields import EMPLOYEE_ID_PATTERN
from tandem_gateway.auth.dev_issuer import DevIssuer
from tandem_gateway.settings import GatewaySettings

GATEWAY_PORT = 8000


def print_token(args: argparse.Namespace) -> int:
    """Print one development token for ``args.subject`` with ``args.roles``, and a newline."""
    subject: str = args.subject
    if re.fullmatch(EMPLOYEE_ID_PATTERN, subject) is None:
        raise UsageError(f"--subject {subject!r} is not an employee id (1 to 64 of A-Z a-z 0-9 . _ : -)")
    # Any port: the command serves nothing, and naming one spares loading the gateway's
    # spec (and with it the whole gateway) just to learn its default port.
    settings = GatewaySettings(http_port=GATEWAY_PORT)
    issuer = DevIssuer.load(settings.home, audience=settings.oidc_audience)
    roles = list(dict.fromkeys(args.roles))  # each role once, in the order given
    print(issuer.sign(subject, roles, args.ttl))
    return 0
