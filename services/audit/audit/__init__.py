"""Audit service: an append-only, tamper-evident log of every event and every write (issue 5)."""
