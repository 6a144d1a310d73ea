"""Which roles see full personal numbers (everyone else gets them masked)."""

from __future__ import annotations

from jzkit.auth import Role

# Reviewers and approvers check identities against ID cards; funds officers pay into the card.
FULL_ID_NUMBER_ROLES = frozenset({Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER, Role.ADMIN, Role.SYSTEM})
FULL_BANK_ACCOUNT_ROLES = frozenset({Role.FUNDS_OFFICER, Role.ADMIN, Role.SYSTEM})
WRITER_ROLES = frozenset(
    {Role.VILLAGE_CLERK, Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER, Role.ADMIN, Role.SYSTEM}
)


def sees_full_id_numbers(role: Role) -> bool:
    """True when ``role`` may read clear ID numbers (and search by them)."""
    return role in FULL_ID_NUMBER_ROLES


def sees_full_bank_accounts(role: Role) -> bool:
    """True when ``role`` may read clear bank account numbers."""
    return role in FULL_BANK_ACCOUNT_ROLES
