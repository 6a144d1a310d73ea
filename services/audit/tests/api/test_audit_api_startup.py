"""The audit app refuses the published dev signer key outside embedded mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from audit.app import create_app
from audit.domain.note import Signer
from audit.settings import AuditSettings, DevSignerKeyOutsideEmbedded
from jzkit.settings import CommonSettings

REAL_KEYS = {
    "jwt_secret": SecretStr("s" * 48),
    "pii_key": SecretStr("c3RhY2stcGlpLWtleS1mb3ItdGhlLXRlc3Qtb25seSE="),
}


async def test_stack_mode_refuses_the_dev_signer_key(tmp_path: Path) -> None:
    settings = AuditSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    app = create_app(settings=settings, common=CommonSettings(mode="stack", **REAL_KEYS))
    with pytest.raises(DevSignerKeyOutsideEmbedded, match="JZ_AUDIT_SIGNER_KEY"):
        async with app.router.lifespan_context(app):
            pass


async def test_stack_mode_starts_with_a_real_signer_key(tmp_path: Path) -> None:
    key = SecretStr(Signer.generate("jingzhun.local/audit").signer_key)
    settings = AuditSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", signer_key=key)
    app = create_app(settings=settings, common=CommonSettings(mode="stack", **REAL_KEYS))
    async with app.router.lifespan_context(app):
        assert app.state.signer.name == "jingzhun.local/audit"
