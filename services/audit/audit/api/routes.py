"""Audit routes: query and export the log, the signed tree head, the verifier key and Merkle proofs."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, StreamingResponse
from pydantic import BaseModel

from audit import service
from audit.api.deps import CurrentUser, RuntimeDep, SessionDep, SettingsDep, SignerDep
from audit.domain.entry import parse_entry
from audit.repository import EntryFilter
from jzkit.db import SessionFactory
from jzkit.errors import InvalidInput
from jzkit.openapi_doc import file_response
from jzkit.pagination import decode_cursor, encode_cursor

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
NonNegative = Annotated[int, Query(ge=0)]


class EntryOut(BaseModel):
    """One log entry: its position, the entry object and its RFC 9162 leaf hash (base64)."""

    index: int
    entry: dict[str, Any]
    leaf_hash: str


class EntryPage(BaseModel):
    """A page of entries; pass ``next_cursor`` back as ``cursor`` for the next page."""

    items: list[EntryOut]
    next_cursor: str | None


class InclusionProof(BaseModel):
    """Audit path of one leaf, leaf side first (RFC 9162 §2.1.3)."""

    leaf_index: int
    tree_size: int
    hashes: list[str]


class ConsistencyProof(BaseModel):
    """Proof that the tree of ``first`` entries is a prefix of the tree of ``second`` (RFC 9162 §2.1.4)."""

    first: int
    second: int
    hashes: list[str]


def b64(data: bytes) -> str:
    """Standard base64, as checkpoints and CT tools write hashes."""
    return base64.b64encode(data).decode("ascii")


def _after_index(cursor: str | None) -> int | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    index = position.get("index")
    if not isinstance(index, int):
        raise InvalidInput("invalid-cursor", "cursor is malformed", "分页游标无效", field="cursor")
    return index


@router.get("/entries", response_model=EntryPage)
async def list_entries(
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    subject: str | None = None,
    actor: str | None = None,
    type: str | None = None,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> EntryPage:
    """Entries in index order; auditors, admins and system clients see all, others their jurisdiction."""
    page_size = min(limit or settings.page_size_default, settings.page_size_max)
    query = EntryFilter(subject, actor, type, from_, to, _after_index(cursor))
    rows = await service.find_entries(session, principal, query, page_size + 1)
    items = [
        EntryOut(index=r.index, entry=parse_entry(r.entry_json), leaf_hash=b64(r.leaf_hash)) for r in rows
    ]
    more = len(rows) > page_size
    return EntryPage(
        items=items[:page_size],
        next_cursor=encode_cursor({"index": rows[page_size - 1].index}) if more else None,
    )


@router.get("/tree-head", response_class=PlainTextResponse)
async def tree_head(_: CurrentUser, session: SessionDep, settings: SettingsDep, signer: SignerDep) -> str:
    """The current signed tree head (C2SP tlog-checkpoint as a signed note)."""
    return await service.signed_tree_head(session, signer, settings.origin)


@router.get("/key", response_class=PlainTextResponse)
async def verifier_key(_: CurrentUser, signer: SignerDep) -> str:
    """The note verifier key (vkey) that checks the tree heads."""
    return signer.vkey


@router.get("/proofs/inclusion", response_model=InclusionProof)
async def inclusion_proof(
    _: CurrentUser, session: SessionDep, index: NonNegative, tree_size: NonNegative
) -> InclusionProof:
    """Inclusion proof of entry ``index`` under the head of ``tree_size`` entries."""
    proof = await service.inclusion(session, index, tree_size)
    return InclusionProof(leaf_index=index, tree_size=tree_size, hashes=[b64(h) for h in proof])


@router.get("/proofs/consistency", response_model=ConsistencyProof)
async def consistency_proof(
    _: CurrentUser, session: SessionDep, first: NonNegative, second: NonNegative
) -> ConsistencyProof:
    """Consistency proof between the heads of ``first`` and ``second`` entries."""
    proof = await service.consistency(session, first, second)
    return ConsistencyProof(first=first, second=second, hashes=[b64(h) for h in proof])


async def _export_lines(
    sessions: SessionFactory, header: dict[str, str], tree_size: int
) -> AsyncIterator[bytes]:
    yield json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n"
    async for rows in service.export_pages(sessions, tree_size):
        # entry_json is already the entry's RFC 8785 text: embedding it verbatim skips a parse and
        # re-serialise per row and hands the verifier the exact bytes that were hashed.
        chunk = "".join(
            f'{{"index":{i},"entry":{entry},"leaf_hash":"{b64(leaf)}"}}\n' for i, entry, leaf in rows
        )
        yield chunk.encode("utf-8")


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses=file_response("application/x-ndjson", "Header line, then one entry per line"),
)
async def export(
    principal: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    signer: SignerDep,
    tree_size: NonNegative | None = None,
) -> StreamingResponse:
    """NDJSON: a header with the signed checkpoint and vkey, then every entry below its size."""
    service.require_export(principal)
    size, note = await service.export_head(session, signer, settings.origin, tree_size)
    header = {"checkpoint": note, "vkey": signer.vkey}
    return StreamingResponse(_export_lines(runtime.sessions, header, size), media_type="application/x-ndjson")
