"""Identification service: policies, assessment, cases and the half-yearly re-review (issue 3)."""

from pathlib import Path

# Shipped inside the package so an installed service (the image) can migrate its own database.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
