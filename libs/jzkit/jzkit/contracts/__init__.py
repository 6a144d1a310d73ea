"""Event contracts shared by all services: the CloudEvents envelope and versioned data models."""

from jzkit.contracts.envelope import CloudEvent, EventData, make_event

__all__ = ["CloudEvent", "EventData", "make_event"]
