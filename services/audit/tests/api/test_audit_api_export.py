"""The NDJSON export verifies offline, through audit.verify and the ``jingzhun audit-verify`` command."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from audit import service
from audit.verify import verify_export
from jingzhun.cli import main

AuditApi = Any  # the ``audit_api`` fixture (conftest.py): client, bus and tokens
EventFactory = Callable[..., Any]
LUCHANG = "510822104201"
ORIGIN = "jingzhun.local/audit"


async def publish(api: AuditApi, event_about: EventFactory, count: int) -> None:
    for n in range(count):
        await api.bus.publish(event_about(LUCHANG, f"hh-{n}"))


async def export(api: AuditApi, **params: Any) -> list[str]:
    r = await api.get("auditor", "/api/v1/audit/export", **params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    return r.text.splitlines()


async def vkey(api: AuditApi) -> str:
    text: str = (await api.get("auditor", "/api/v1/audit/key")).text.strip()
    return text


async def test_the_export_verifies_with_the_published_key(
    audit_api: AuditApi, event_about: EventFactory
) -> None:
    await publish(audit_api, event_about, 6)
    lines = await export(audit_api)
    assert len(lines) == 7 and [json.loads(line)["index"] for line in lines[1:]] == list(range(6))
    verdict = verify_export(lines, await vkey(audit_api), ORIGIN)
    assert verdict.ok and verdict.message == f"OK: 6 entries verify under {ORIGIN} size 6"


async def test_an_export_at_an_earlier_size_verifies_when_read_in_small_pages(
    audit_api: AuditApi, event_about: EventFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "EXPORT_PAGE", 2)  # several pages for the root and the rows
    await publish(audit_api, event_about, 5)
    lines = await export(audit_api, tree_size=3)
    assert len(lines) == 4
    assert (
        verify_export(lines, await vkey(audit_api), ORIGIN).message
        == f"OK: 3 entries verify under {ORIGIN} size 3"
    )


async def test_the_empty_log_exports_a_verifiable_head(audit_api: AuditApi) -> None:
    lines = await export(audit_api)
    assert verify_export(lines, await vkey(audit_api), ORIGIN).ok


@pytest.mark.parametrize("user", ["township", "county"])
async def test_roles_with_a_jurisdiction_may_not_export(audit_api: AuditApi, user: str) -> None:
    r = await audit_api.get(user, "/api/v1/audit/export")
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "audit-export-forbidden"


async def test_a_size_beyond_the_log_is_refused(audit_api: AuditApi, event_about: EventFactory) -> None:
    await publish(audit_api, event_about, 2)
    r = await audit_api.get("admin", "/api/v1/audit/export", tree_size=3)
    assert r.status_code == 422 and r.json()["field"] == "tree_size"


async def test_the_cli_verifies_an_export_file_and_a_consistency_proof(
    audit_api: AuditApi, event_about: EventFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await publish(audit_api, event_about, 3)
    earlier = json.loads((await export(audit_api))[0])["checkpoint"]
    await publish(audit_api, event_about, 2)
    good = tmp_path / "export.ndjson"
    lines = await export(audit_api)
    good.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "vkey").write_text(await vkey(audit_api) + "\n", encoding="utf-8")
    (tmp_path / "previous").write_text(earlier, encoding="utf-8")
    proof = await audit_api.get("auditor", "/api/v1/audit/proofs/consistency", first=3, second=5)
    (tmp_path / "proof.json").write_text(proof.text, encoding="utf-8")

    args = ["audit-verify", str(good), "--vkey", str(tmp_path / "vkey"), "--origin", ORIGIN]
    assert main(args) == 0
    assert capsys.readouterr().out.strip() == f"OK: 5 entries verify under {ORIGIN} size 5"
    consistency = [
        "--previous",
        str(tmp_path / "previous"),
        "--consistency-proof",
        str(tmp_path / "proof.json"),
    ]
    assert main([*args, *consistency]) == 0

    bad = tmp_path / "tampered.ndjson"
    bad.write_text("\n".join([*lines[:3], *lines[4:]]) + "\n", encoding="utf-8")
    assert main(["audit-verify", str(bad), "--vkey", str(tmp_path / "vkey")]) == 1
    assert capsys.readouterr().err.strip() == "entry 2 missing"


async def test_the_cli_warns_without_a_trusted_key(
    audit_api: AuditApi, event_about: EventFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await publish(audit_api, event_about, 1)
    path = tmp_path / "export.ndjson"
    path.write_text("\n".join(await export(audit_api)) + "\n", encoding="utf-8")
    assert main(["audit-verify", str(path)]) == 0
    assert "no trusted key given" in capsys.readouterr().err
