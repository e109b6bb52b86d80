"""The matching engine: a pure library (plain data in, plain data out, no I/O).

- `solve` finds a maximum-weight matching of a weighted graph (pairs or bipartite).
- `plan` turns participants and program rules into explained, rule-abiding matches.
"""

from tandem_matching.engine.errors import InvalidInput
from tandem_matching.engine.solve import solve

__all__ = ["InvalidInput", "solve"]
