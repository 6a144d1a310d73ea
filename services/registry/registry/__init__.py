"""Registry service: divisions, households (扶贫手册, 一户一档) and their members."""

from pathlib import Path

# Shipped inside the package so an installed service (the image) can migrate its own database.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
