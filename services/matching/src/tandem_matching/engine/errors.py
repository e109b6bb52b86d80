"""The one exception the engine raises for input it cannot accept."""

from __future__ import annotations


class InvalidInput(ValueError):
    """Input that breaks the matching contract; the message names the problem in one line."""
