"""Who acts, when, and with which keys: what every use case receives from the edge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from funds.settings import FundsSettings
from jzkit import divisions
from jzkit.auth import Principal, Role
from jzkit.errors import Forbidden
from jzkit.pii import PiiCipher


@dataclass(frozen=True)
class Context:
    """The caller, the current time (injectable clock), the PII cipher and the settings."""

    principal: Principal
    now: datetime
    pii: PiiCipher
    settings: FundsSettings

    @property
    def actor(self) -> str:
        """The subject recorded with every write."""
        return self.principal.subject

    def require(self, *roles: Role) -> None:
        """Forbidden unless the caller has one of ``roles`` (admin always may)."""
        self.principal.require_role(Role.ADMIN, *roles)

    def require_covers(self, division_code: str, field: str = "division_code") -> None:
        """Forbidden unless ``division_code`` lies inside the caller's jurisdiction."""
        if not self.principal.covers(division_code):
            raise Forbidden(
                "outside-jurisdiction",
                f"{division_code} is outside your jurisdiction",
                f"{division_code} 不在您的辖区内",
                field=field,
            )

    def scope(self, division: str | None) -> str:
        """The code prefix a list may show: ``division`` if inside the jurisdiction, else the jurisdiction."""
        if division is None:
            return divisions.prefix(self.principal.jurisdiction)
        self.require_covers(division, "division")
        return divisions.prefix(division)

    def sees_bank_accounts(self) -> bool:
        """Only funds officers see a household's full card number."""
        return self.principal.role == Role.FUNDS_OFFICER
