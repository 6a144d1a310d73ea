"""Funds service: programs, budgets, grants, disbursement batches, the ledger and bank files (issue 4)."""

from pathlib import Path

# Shipped inside the package so an installed service (the image) can migrate its own database.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
