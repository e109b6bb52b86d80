"""The one failure of token verification that the edge turns into HTTP 401."""

from __future__ import annotations


class InvalidToken(Exception):
    """A token that is not accepted.

    Its message is shown to the client, so it only ever says *why* in general terms:
    never the token, its claims or its header.
    """
