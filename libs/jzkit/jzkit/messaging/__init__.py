"""Transactional outbox, relay, inbox-idempotent consumers, and the two bus adapters."""
