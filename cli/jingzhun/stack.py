"""``make stack``: every service, its relay and the gateway as separate processes (PostgreSQL, RabbitMQ)."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from jingzhun.catalog import SERVICES

PG_BASE = os.environ.get("JZ_STACK_PG_URL", "postgresql+asyncpg://postgres:postgres@127.0.0.1:5432")


def service_keys() -> dict[str, str]:
    """Fresh keys the services refuse to run without outside embedded mode (the audit signer key)."""
    from audit.domain.note import Signer
    from audit.settings import AuditSettings

    return {"JZ_AUDIT_SIGNER_KEY": Signer.generate(AuditSettings().origin).signer_key}


def stack_environment(data_dir: Path) -> dict[str, str]:
    """Env for stack processes: stack mode, one database per service, generated keys kept in var/."""
    env = dict(os.environ)
    env["JZ_MODE"] = "stack"
    for spec in SERVICES.values():
        env.setdefault(f"{spec.env_prefix}DATABASE_URL", f"{PG_BASE}/{spec.database}")
    keys = data_dir / "stack.env"
    if not keys.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        keys.write_text(
            f"JZ_JWT_SECRET={secrets.token_urlsafe(48)}\n"
            f"JZ_PII_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}\n"
        )
        keys.chmod(0o600)
    # Appended separately so a var/stack.env written before a service needed its key gains it too.
    missing = {k: v for k, v in service_keys().items() if f"{k}=" not in keys.read_text()}
    if missing:
        with keys.open("a") as out:
            out.writelines(f"{name}={value}\n" for name, value in missing.items())
    for line in keys.read_text().splitlines():
        name, _, value = line.partition("=")
        env.setdefault(name, value)
    return env


def commands() -> list[list[str]]:
    """One process per service, a relay per publishing service, a consumer per consuming one, the gateway."""
    exe = [sys.executable, "-m", "jingzhun"]
    procs = [[*exe, "serve", name] for name in SERVICES]
    procs += [[*exe, "relay", name] for name, spec in SERVICES.items() if spec.publishes]
    procs += [[*exe, "consume", name] for name, spec in SERVICES.items() if spec.consumes]
    procs.append([*exe, "serve", "gateway"])
    return procs


def run_stack(data_dir: Path) -> int:
    """Migrate, start every process, stop them all when one dies or on Ctrl-C."""
    env = stack_environment(data_dir)
    subprocess.run([sys.executable, "-m", "jingzhun", "migrate"], env=env, check=True)
    # The same demo world as embedded mode when the registry is empty (a no-op afterwards).
    subprocess.run([sys.executable, "-m", "jingzhun", "seed"], env=env, check=True)
    # Fixed argv built from this interpreter and the service catalog: no shell, no user input.
    children = [subprocess.Popen(cmd, env=env) for cmd in commands()]  # noqa: S603
    print(
        "Jingzhun stack: gateway http://127.0.0.1:8000 (docs /docs); Ctrl-C stops every process.\n"
        "  a token: .venv/bin/python -m jingzhun token county --stack",
        flush=True,
    )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    failed = [c.args for c in children if c.returncode not in (0, -signal.SIGTERM, None)]
    return 1 if failed and not stopping else 0
