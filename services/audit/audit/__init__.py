"""Audit service: an append-only, tamper-evident log of every event and every write (issue 5)."""

from pathlib import Path

# Shipped inside the package so an installed service (the image) can migrate its own database.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
