"""The gateway: one edge for every service (routing, tokens, health, merged OpenAPI)."""
