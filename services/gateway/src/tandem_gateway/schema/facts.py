"""The facts of what belongs to a match (its sessions, goals, check-ins): the match's
members and its program's admins, read through the loaders (one batch each per request)."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from tandem_gateway.context import GatewayContext
from tandem_gateway.policy import Facts


async def program_admins(info: Info[GatewayContext, Any], program_id: str) -> frozenset[str]:
    program = await info.context.loaders.programs.load(program_id)
    return program.admins_ids if program is not None else frozenset()


async def match_facts(info: Info[GatewayContext, Any], match_id: str) -> Facts:
    """Members and program admins of a match; none (so only an admin passes) if it is gone."""
    match = await info.context.loaders.matches.load(match_id)
    if match is None:
        return Facts()
    return Facts(members=match.member_ids, program_admins=await program_admins(info, match.program_id))
