"""Helpers for tests that need a real PostgreSQL database."""
