"""Shipped policy documents: the seed's default and an example with different numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parent
DEFAULT = "default-2016.json"
EXAMPLE = "example-strict.json"


def document(name: str) -> dict[str, Any]:
    """The JSON document of the shipped policy file ``name``."""
    doc: dict[str, Any] = json.loads((FOLDER / name).read_text(encoding="utf-8"))
    return doc
