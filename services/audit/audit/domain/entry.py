"""The log entry: what is hashed (its RFC 8785 bytes) and the columns derived from it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from audit.domain.canonical import canonical_json
from audit.domain.merkle import leaf_hash

KIND_EVENT = "event"


@dataclass(frozen=True)
class EventEntry:
    """An event as it enters the log: canonical bytes, leaf hash and the query columns."""

    entry_json: str
    leaf_hash: bytes
    type: str
    subject: str | None
    actor: str | None
    division_code: str | None
    event_id: str
    recorded_at: datetime


def iso_utc(moment: datetime) -> str:
    """UTC ISO 8601 with a ``Z`` (one spelling, so equal times give equal bytes)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def division_of(data: Any) -> str | None:
    """The division an event is about: ``data.household.division_code`` or ``data.division_code``."""
    if not isinstance(data, dict):
        return None
    household = data.get("household")
    code = household.get("division_code") if isinstance(household, dict) else data.get("division_code")
    return code if isinstance(code, str) and len(code) == 12 and code.isdigit() else None


def event_entry(envelope: dict[str, Any], recorded_at: datetime, *, plain: bool = False) -> EventEntry:
    """Build the entry for one CloudEvent envelope (JSON values; ``plain`` as in ``loads_plain``)."""
    document = {"kind": KIND_EVENT, "event": envelope, "recorded_at": iso_utc(recorded_at)}
    raw = canonical_json(document, plain=plain)
    return EventEntry(
        entry_json=raw.decode("utf-8"),
        leaf_hash=leaf_hash(raw),
        type=str(envelope["type"]),
        subject=envelope.get("subject"),
        actor=envelope.get("actor"),
        division_code=division_of(envelope.get("data")),
        event_id=str(envelope["id"]),
        recorded_at=recorded_at,
    )


def parse_entry(entry_json: str) -> Any:
    """The stored entry as a JSON object."""
    return json.loads(entry_json)
