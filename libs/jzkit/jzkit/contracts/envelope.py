"""CloudEvents 1.0 JSON envelope; the routing key is always the explicit ``type`` string."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

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
        source=source,
        type=data.event_type,
        subject=subject,
        dataschema=f"urn:jingzhun:schema:{data.event_type}:v{data.schema_version}",
        actor=actor,
        reason=reason,
        requestid=requestid,
        data=data.model_dump(mode="json"),
    )
