"""Settings of the profiles service (``TANDEM_*`` variables)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from tandem_common.settings import ServiceSettings


class ProfilesSettings(ServiceSettings):
    service_name: ClassVar[str] = "profiles"

    consumer_max_records: int = Field(default=2000, ge=1)
    erasure_retention_days: int = Field(default=365, ge=0)
    erasure_interval_seconds: float = Field(default=3600.0, gt=0)
    api_page_limit: int = Field(default=500, ge=1)
