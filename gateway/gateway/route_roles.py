"""Who may call which route: the table the README shows and the authorization matrix test checks.

Every ``/api/`` route of every service and of the gateway has a rule; a route without one fails
``gateway/tests/test_gateway_authz_matrix.py``. ``roles`` None means public (no token). ``scope``
says how jurisdiction applies: ``object`` — the path names one object (household, case, village)
and a caller outside its division gets 403/404; ``list`` — results are filtered to the caller's
jurisdiction; ``none`` — not bound to a division. Roles are enforced in the services (the
gateway only authenticates); admin passes every role check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from jzkit.auth import Role

R = Role
ANY = frozenset(Role)
REGISTRY_WRITERS = frozenset({R.VILLAGE_CLERK, R.TOWNSHIP_REVIEWER, R.COUNTY_APPROVER, R.ADMIN, R.SYSTEM})
POLICY_WRITERS = frozenset({R.ADMIN, R.COUNTY_APPROVER})
CASE_OPENERS = frozenset({R.VILLAGE_CLERK, R.TOWNSHIP_REVIEWER, R.COUNTY_APPROVER, R.ADMIN, R.SYSTEM})
REVIEW_RUNNERS = frozenset({R.ADMIN, R.COUNTY_APPROVER, R.TOWNSHIP_REVIEWER})
SPOT_CHECKERS = frozenset({R.ADMIN, R.COUNTY_APPROVER, R.AUDITOR})
FUND_MANAGERS = frozenset({R.ADMIN, R.FUNDS_OFFICER, R.COUNTY_APPROVER})
GRANT_APPLICANTS = frozenset({R.ADMIN, R.VILLAGE_CLERK, R.TOWNSHIP_REVIEWER, R.FUNDS_OFFICER})
LOAN_RECORDERS = frozenset({R.ADMIN, R.FUNDS_OFFICER, R.TOWNSHIP_REVIEWER, R.VILLAGE_CLERK})
PAYERS = frozenset({R.ADMIN, R.FUNDS_OFFICER})
LEDGER_READERS = frozenset({R.ADMIN, R.FUNDS_OFFICER, R.AUDITOR, R.COUNTY_APPROVER, R.TOWNSHIP_REVIEWER})
AUDIT_READERS_OF_RECORD = frozenset({R.AUDITOR, R.ADMIN, R.SYSTEM})
DIVISION_LOADERS = frozenset({R.ADMIN, R.SYSTEM})


@dataclass(frozen=True)
class Rule:
    """Roles allowed on a route (None: public) and how jurisdiction applies."""

    roles: frozenset[Role] | None
    scope: Literal["object", "list", "none"] = "none"
    # Roles that see across every jurisdiction on this route (the audit log's readers of record).
    everywhere: frozenset[Role] = frozenset()


PUBLIC = Rule(None)
ROUTE_ROLES: dict[tuple[str, str], Rule] = {
    # gateway
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("GET", "/api/v1/households/{household_id}/dossier"): Rule(ANY, "object"),
    ("GET", "/api/v1/public/board"): PUBLIC,
    ("GET", "/api/v1/public/villages/{code}/notice.html"): PUBLIC,
    # registry
    ("GET", "/api/v1/divisions/{code}"): Rule(ANY),
    ("GET", "/api/v1/divisions"): Rule(ANY),
    ("POST", "/api/v1/divisions/import"): Rule(DIVISION_LOADERS),
    # Division names are public administrative data: the printed notices name the village by them.
    ("GET", "/api/v1/public/divisions/{code}"): PUBLIC,
    ("GET", "/api/v1/public/divisions"): PUBLIC,
    ("POST", "/api/v1/households"): Rule(REGISTRY_WRITERS, "object"),
    ("GET", "/api/v1/households"): Rule(ANY, "list"),
    ("GET", "/api/v1/households/{household_id}"): Rule(ANY, "object"),
    ("PATCH", "/api/v1/households/{household_id}"): Rule(REGISTRY_WRITERS, "object"),
    ("POST", "/api/v1/households/{household_id}/members"): Rule(REGISTRY_WRITERS, "object"),
    ("DELETE", "/api/v1/households/{household_id}/members/{member_id}"): Rule(REGISTRY_WRITERS, "object"),
    ("POST", "/api/v1/imports"): Rule(REGISTRY_WRITERS, "object"),
    ("GET", "/api/v1/imports/template.csv"): Rule(ANY),
    ("GET", "/api/v1/imports/template.xlsx"): Rule(ANY),
    ("GET", "/api/v1/jobs/{job_id}"): Rule(ANY, "object"),
    ("GET", "/api/v1/jobs/{job_id}/errors"): Rule(ANY, "object"),
    ("GET", "/api/v1/exports/households.csv"): Rule(ANY, "list"),
    ("GET", "/api/v1/exports/households.xlsx"): Rule(ANY, "list"),
    # identification
    ("POST", "/api/v1/policies"): Rule(POLICY_WRITERS, "object"),
    ("GET", "/api/v1/policies"): Rule(ANY, "list"),
    # A policy applies to every division under its own, so it is readable by all of them.
    ("GET", "/api/v1/policies/{policy_id}"): Rule(ANY),
    ("GET", "/api/v1/households/{household_id}/assessment"): Rule(ANY, "object"),
    ("POST", "/api/v1/quotas"): Rule(POLICY_WRITERS, "object"),
    ("GET", "/api/v1/quotas"): Rule(ANY, "list"),
    ("POST", "/api/v1/reviews"): Rule(REVIEW_RUNNERS, "object"),
    ("GET", "/api/v1/reviews/{review_id}"): Rule(ANY, "object"),
    ("PUT", "/api/v1/villages/{code}/facts"): Rule(POLICY_WRITERS, "object"),
    ("GET", "/api/v1/villages/{code}/assessment"): Rule(ANY, "object"),
    ("POST", "/api/v1/spot-checks"): Rule(SPOT_CHECKERS, "object"),
    ("POST", "/api/v1/cases"): Rule(CASE_OPENERS, "object"),
    ("GET", "/api/v1/cases"): Rule(ANY, "list"),
    ("GET", "/api/v1/cases/{case_id}"): Rule(ANY, "object"),
    # Which role may take which step is the procedure's table (identification.domain.procedure).
    ("POST", "/api/v1/cases/{case_id}/transitions"): Rule(ANY, "object"),
    ("GET", "/api/v1/public/notices"): PUBLIC,
    ("POST", "/api/v1/public/notices/{notice_id}/objections"): PUBLIC,
    # funds
    ("POST", "/api/v1/programs"): Rule(FUND_MANAGERS),
    ("GET", "/api/v1/programs"): Rule(ANY, "list"),
    # A program is data of the whole province (no division of its own): readable by every role.
    ("GET", "/api/v1/programs/{program_id}"): Rule(ANY),
    ("POST", "/api/v1/budgets"): Rule(FUND_MANAGERS, "object"),
    ("GET", "/api/v1/budgets"): Rule(ANY, "list"),
    ("GET", "/api/v1/budgets/{budget_id}"): Rule(ANY, "object"),
    ("POST", "/api/v1/grants"): Rule(GRANT_APPLICANTS, "object"),
    ("GET", "/api/v1/grants"): Rule(ANY, "list"),
    # Which role may take which step is the grant state machine's table (funds.domain.grant).
    ("POST", "/api/v1/grants/{grant_id}/transitions"): Rule(ANY, "object"),
    ("GET", "/api/v1/grants/{grant_id}"): Rule(ANY, "object"),
    ("POST", "/api/v1/loans"): Rule(LOAN_RECORDERS, "object"),
    ("GET", "/api/v1/loans/{loan_id}"): Rule(ANY, "object"),
    ("GET", "/api/v1/roster/{household_id}"): Rule(ANY, "object"),
    ("GET", "/api/v1/roster"): Rule(ANY, "list"),
    ("GET", "/api/v1/payments"): Rule(ANY, "list"),
    ("POST", "/api/v1/batches"): Rule(PAYERS, "object"),
    ("GET", "/api/v1/batches/{batch_id}"): Rule(ANY, "object"),
    ("GET", "/api/v1/batches/{batch_id}/payment-file"): Rule(PAYERS, "object"),
    ("POST", "/api/v1/batches/{batch_id}/bank-report"): Rule(PAYERS, "object"),
    ("GET", "/api/v1/ledger/accounts"): Rule(LEDGER_READERS, "list"),
    ("GET", "/api/v1/ledger/entries"): Rule(LEDGER_READERS, "list"),
    ("GET", "/api/v1/public/fund-use"): PUBLIC,
    # audit: everyone may query; entries outside the caller's division are filtered out, except
    # for auditors, admins and machine clients, who see the whole log whatever their division.
    ("GET", "/api/v1/audit/entries"): Rule(ANY, "list", everywhere=AUDIT_READERS_OF_RECORD),
    ("GET", "/api/v1/audit/tree-head"): Rule(ANY),
    ("GET", "/api/v1/audit/key"): Rule(ANY),
    ("GET", "/api/v1/audit/proofs/inclusion"): Rule(ANY),
    ("GET", "/api/v1/audit/proofs/consistency"): Rule(ANY),
    ("GET", "/api/v1/audit/export"): Rule(AUDIT_READERS_OF_RECORD, everywhere=AUDIT_READERS_OF_RECORD),
}


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of a route template, or None when the route has none (a test failure)."""
    return ROUTE_ROLES.get((method.upper(), path))


def markdown_table() -> str:
    """The table as README markdown: method, path, roles, jurisdiction."""
    lines = ["| method | path | roles | jurisdiction |", "|---|---|---|---|"]
    for (method, path), rule in ROUTE_ROLES.items():
        if rule.roles is None:
            roles = "public"
        else:
            roles = "any" if rule.roles == ANY else ", ".join(sorted(rule.roles))
        scope: str = rule.scope
        if rule.everywhere:
            scope += f" (all divisions: {', '.join(sorted(rule.everywhere))})"
        lines.append(f"| {method} | `{path}` | {roles} | {scope} |")
    return "\n".join(lines)
