"""Every event contract, by type string, and the AsyncAPI document generated from them."""

from __future__ import annotations

from typing import Any

from jzkit.contracts.envelope import CloudEvent, EventData
from jzkit.contracts.funds import FUNDS_EVENTS
from jzkit.contracts.identification import IDENTIFICATION_EVENTS
from jzkit.contracts.registry import REGISTRY_EVENTS
from jzkit.contracts.requests import REQUEST_EVENTS

EVENT_TYPES: dict[str, type[EventData]] = {
    cls.event_type: cls for cls in (*REGISTRY_EVENTS, *IDENTIFICATION_EVENTS, *FUNDS_EVENTS, *REQUEST_EVENTS)
}
ASYNCAPI_VERSION = "2.6.0"


def asyncapi(exchange: str = "jingzhun.events") -> dict[str, Any]:
    """AsyncAPI 2.6 document: one channel per event type (the routing key) on the topic exchange."""
    envelope = CloudEvent.model_json_schema()
    envelope["properties"].pop("data", None)
    amqp_exchange = {"name": exchange, "type": "topic", "durable": True}
    channels: dict[str, Any] = {}
    schemas: dict[str, Any] = {"CloudEventEnvelope": envelope}
    for event_type, cls in sorted(EVENT_TYPES.items()):
        name = cls.__name__
        data_schema = cls.model_json_schema(ref_template=f"#/components/schemas/{name}.{{model}}")
        for def_name, definition in data_schema.pop("$defs", {}).items():
            schemas[f"{name}.{def_name}"] = definition
        schemas[name] = data_schema
        channels[event_type] = {
            "description": (cls.__doc__ or event_type).strip(),
            "bindings": {"amqp": {"is": "routingKey", "exchange": amqp_exchange}},
            "subscribe": {
                "operationId": f"on_{event_type.replace('.', '_')}",
                "message": {
                    "name": event_type,
                    "contentType": "application/cloudevents+json",
                    "payload": {
                        "allOf": [
                            {"$ref": "#/components/schemas/CloudEventEnvelope"},
                            {
                                "type": "object",
                                "properties": {
                                    "type": {"const": event_type},
                                    "dataschema": {
                                        "const": f"urn:jingzhun:schema:{event_type}:v{cls.schema_version}"
                                    },
                                    "data": {"$ref": f"#/components/schemas/{name}"},
                                },
                            },
                        ]
                    },
                },
            },
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Jingzhun events",
            "version": "1.0.0",
            "description": "CloudEvents 1.0 JSON on a RabbitMQ topic exchange; routing key = event type.",
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "components": {"schemas": schemas},
    }
