"""EndToEndId ↔ grant id: a UUID is 36 characters, ISO 20022's Max35Text allows 35, so drop the dashes."""

from __future__ import annotations

import re

from jzkit.errors import InvalidInput

_HEX32 = re.compile(r"^[0-9a-f]{32}$")


def end_to_end_id(grant_id: str) -> str:
    """The EndToEndId for a grant: its UUID's 32 hex digits, lower case."""
    compact = grant_id.replace("-", "").lower()
    if not _HEX32.fullmatch(compact):
        raise ValueError(f"grant id {grant_id!r} is not a UUID")
    return compact


def grant_id_from_end_to_end(e2e: str) -> str:
    """The grant id an EndToEndId names (dashed UUID form); InvalidInput for anything else."""
    compact = e2e.strip().lower()
    if not _HEX32.fullmatch(compact):
        raise InvalidInput(
            "unknown-end-to-end-id",
            f"EndToEndId {e2e!r} does not name a grant",
            f"EndToEndId {e2e!r} 不对应任何补助",
            field="EndToEndId",
        )
    return f"{compact[:8]}-{compact[8:12]}-{compact[12:16]}-{compact[16:20]}-{compact[20:]}"
