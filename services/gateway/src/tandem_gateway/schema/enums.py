"""Every closed set of the schema. GraphQL names are the upper-case forms of the
lower-case values of events.md, which are the Python values: ``MatchStatus("active")``
turns a service's JSON into the enum, ``.value`` turns it back."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class MatchStatus(Enum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    DECLINED = "declined"
    ENDED = "ended"


@strawberry.enum
class RoundStatus(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@strawberry.enum
class ProgramType(Enum):
    RECIPROCAL = "reciprocal"
    REVERSE = "reverse"
    TRADITIONAL = "traditional"
    PEER = "peer"
    GROUP = "group"


@strawberry.enum
class ProgramStatus(Enum):
    DRAFT = "draft"
    ENROLLING = "enrolling"
    RUNNING = "running"
    CLOSED = "closed"


@strawberry.enum
class MentoringRole(Enum):
    MENTOR = "mentor"
    MENTEE = "mentee"


@strawberry.enum(description="A member's place in a match: a pair's mentor and mentee, or a circle's.")
class MemberRole(Enum):
    MENTOR = "mentor"
    MENTEE = "mentee"
    PARTNER = "partner"
    FACILITATOR = "facilitator"


@strawberry.enum
class Acceptance(Enum):
    BOTH = "both"
    AUTO = "auto"


@strawberry.enum
class HealthBand(Enum):
    HEALTHY = "healthy"
    WATCH = "watch"
    AT_RISK = "at_risk"


@strawberry.enum
class SessionMode(Enum):
    IN_PERSON = "in_person"
    VIDEO = "video"
    PHONE = "phone"
    CHAT = "chat"


@strawberry.enum
class Role(Enum):
    EMPLOYEE = "employee"
    PROGRAM_ADMIN = "program_admin"
    HR_ANALYST = "hr_analyst"
    ADMIN = "admin"


@strawberry.enum
class MatchEventType(Enum):
    PROPOSED = "proposed"
    STARTED = "started"
    DECLINED = "declined"
    ENDED = "ended"


@strawberry.enum
class EndReason(Enum):
    COMPLETED = "completed"
    MEMBER_DEPARTED = "member_departed"
    ENDED_BY_MEMBER = "ended_by_member"
    ENDED_BY_ADMIN = "ended_by_admin"
    RULE_VIOLATED = "rule_violated"
    PROGRAM_CLOSED = "program_closed"


@strawberry.enum
class UserErrorCode(Enum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"


@strawberry.enum
class PersonStatus(Enum):
    ACTIVE = "active"
    ON_LEAVE = "on_leave"
    DEPARTED = "departed"


@strawberry.enum
class EnrolmentStatus(Enum):
    ENROLLED = "enrolled"
    WITHDRAWN = "withdrawn"


@strawberry.enum
class GoalStatus(Enum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


@strawberry.enum
class CheckInStatus(Enum):
    DUE = "due"
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"
