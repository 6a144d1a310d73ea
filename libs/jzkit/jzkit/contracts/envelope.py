"""CloudEvents 1.0 JSON envelope; the routing key is always the explicit ``type`` string."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny

from jzkit.ids import new_id


class EventData(BaseModel):
    """Base of every event's data; subclasses fix ``event_type`` and ``schema_version``."""

    model_config = ConfigDict(extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


class CloudEvent(BaseModel):
    """The envelope on the wire and in the outbox (extensions: actor, reason, requestid)."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=new_id)
    source: str
    type: str
    subject: str | None = None
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    actor: str | None = None
    reason: str | None = None
    requestid: str | None = None
    data: dict[str, Any]

    def to_json(self) -> str:
        """Serialised envelope (UTC ISO 8601 times)."""
        return self.model_dump_json()


def _envelope(
    data: EventData,
    source: str,
    subject: str | None,
    actor: str | None,
    reason: str | None,
    requestid: str | None,
) -> dict[str, Any]:
    return {
        "source": source,
        "type": data.event_type,
        "subject": subject,
        "dataschema": f"urn:jingzhun:schema:{data.event_type}:v{data.schema_version}",
        "actor": actor,
        "reason": reason,
        "requestid": requestid,
    }


def make_event(
    data: EventData,
    *,
    source: str,
    subject: str | None,
    actor: str | None,
    reason: str | None = None,
    requestid: str | None = None,
) -> CloudEvent:
    """Wrap ``data`` in an envelope whose type and schema come from the data's class."""
    return CloudEvent(
        **_envelope(data, source, subject, actor, reason, requestid), data=data.model_dump(mode="json")
    )


class _TypedDataEvent(CloudEvent):
    """The same envelope, its data still the model: JSON in one pass, no intermediate dict."""

    data: SerializeAsAny[EventData]  # type: ignore[assignment]


@dataclass(frozen=True)
class EncodedEvent:
    """An event already serialised: what ``make_event(...)`` and its ``to_json()`` give."""

    id: str
    type: str
    json: str

    def to_json(self) -> str:
        """The serialised envelope."""
        return self.json


def encode_event(
    data: EventData,
    *,
    source: str,
    subject: str | None,
    actor: str | None,
    reason: str | None = None,
    requestid: str | None = None,
) -> EncodedEvent:
    """``make_event(...).to_json()`` serialising the data once (bulk writers encode thousands)."""
    event = _TypedDataEvent(**_envelope(data, source, subject, actor, reason, requestid), data=data)
    return EncodedEvent(id=event.id, type=event.type, json=event.model_dump_json())
