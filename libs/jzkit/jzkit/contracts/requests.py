"""Write requests each service handled: the access side of the audit log (who tried what, and the outcome).

The business events already carry the actor and reason of every change that happened; these add
the attempts, including the refused ones (403, 409, 422...), with the request id that ties a log
line, a problem+json body and an audit entry together.
"""

from __future__ import annotations

from typing import ClassVar

from jzkit.contracts.envelope import EventData


class RequestHandled(EventData):
    """A write request (POST/PUT/PATCH/DELETE) was answered; ``status`` says how."""

    method: str
    route: str  # the route template, e.g. /api/v1/households/{household_id}
    path: str
    # The record acted on: the last id in the path, or the id of the record a create returned.
    target_id: str | None
    status: int
    request_id: str
    role: str | None
    # The caller's jurisdiction: the audit log shows the entry to readers of that division.
    division_code: str | None


class RegistryRequestHandled(RequestHandled):
    """A write request to the registry was answered."""

    event_type: ClassVar[str] = "registry.request.handled"


class IdentificationRequestHandled(RequestHandled):
    """A write request to the identification service was answered."""

    event_type: ClassVar[str] = "identification.request.handled"


class FundsRequestHandled(RequestHandled):
    """A write request to the funds service was answered."""

    event_type: ClassVar[str] = "funds.request.handled"


# By service name: the services with write routes (audit has none: its entries come from events).
REQUEST_HANDLED: dict[str, type[RequestHandled]] = {
    "registry": RegistryRequestHandled,
    "identification": IdentificationRequestHandled,
    "funds": FundsRequestHandled,
}
REQUEST_EVENTS: tuple[type[EventData], ...] = tuple(REQUEST_HANDLED.values())
