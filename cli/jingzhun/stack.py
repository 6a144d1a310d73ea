"""``make stack``: each service, relay, consumer and the gateway as a process; ``make stack-down``."""

from __future__ import annotations

import base64
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from jingzhun.catalog import SERVICES
from jzkit.testing.stack import Stack

PG_BASE = os.environ.get("JZ_STACK_PG_URL", "postgresql+asyncpg://postgres:postgres@127.0.0.1:5432")


def service_keys() -> dict[str, str]:
    """Fresh keys the services refuse to run without outside embedded mode (the audit signer key)."""
    from audit.domain.note import Signer
    from audit.settings import AuditSettings

    return {"JZ_AUDIT_SIGNER_KEY": Signer.generate(AuditSettings().origin).signer_key}


def whole_stack(admin_url: str, broker_url: str, workdir: Path, label: str) -> Stack:
    """Every service with its relay and consumer, and the gateway, on throwaway databases (not started).

    What the stack tests, the faults suite and the soak run; each adds its own settings to ``env``.
    """
    stack = Stack(
        list(SERVICES),
        publishers=[name for name, spec in SERVICES.items() if spec.publishes],
        consumers=[name for name, spec in SERVICES.items() if spec.consumes],
        admin_url=admin_url,
        broker_url=broker_url,
        workdir=workdir,
        label=label,
    )
    stack.env.update(service_keys())  # the audit service refuses its dev signer key
    return stack


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


def log_name(argv: list[str]) -> str:
    """Log file stem of a process: ``registry``, ``registry-relay``, ``registry-consumer``, ``gateway``."""
    command, name = argv[-2], argv[-1]
    return {"serve": name, "relay": f"{name}-relay", "consume": f"{name}-consumer"}[command]


def pid_file(data_dir: Path) -> Path:
    """Where a running ``make stack`` keeps its own pid, then its children's (one a line)."""
    return data_dir / "stack.pid"


def run_stack(data_dir: Path) -> int:
    """Migrate, start every process (logs in var/log/), stop them all when one dies, on Ctrl-C or SIGTERM."""
    pids = pid_file(data_dir)
    if running_pids(pids):
        print(f"a stack is already running (pids in {pids}); `make stack-down` stops it", file=sys.stderr)
        return 1
    env = stack_environment(data_dir)
    subprocess.run([sys.executable, "-m", "jingzhun", "migrate"], env=env, check=True)
    # The same demo world as embedded mode when the registry is empty (a no-op afterwards).
    subprocess.run([sys.executable, "-m", "jingzhun", "seed"], env=env, check=True)
    logs = data_dir / "log"
    logs.mkdir(parents=True, exist_ok=True)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    # Before the pid file exists, so `make stack-down` always finds the handler in place.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    argvs = commands()
    children = []
    for cmd in argvs:
        with (logs / f"{log_name(cmd)}.log").open("ab") as log:
            # Fixed argv built from this interpreter and the service catalog: no shell, no user input.
            children.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT))  # noqa: S603
    pids.write_text("".join(f"{pid}\n" for pid in (os.getpid(), *(c.pid for c in children))))
    print(
        "Jingzhun stack: gateway http://127.0.0.1:8000 (docs /docs); logs in "
        f"{logs}/<process>.log; Ctrl-C or `make stack-down` stops every process.\n"
        "  a token: .venv/bin/python -m jingzhun token county --stack",
        flush=True,
    )
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
        pids.unlink(missing_ok=True)
    failed = [argvs[i] for i, c in enumerate(children) if c.returncode not in (0, -signal.SIGTERM, None)]
    for argv in failed:
        print(f"{shlex.join(argv)} exited; see {logs / log_name(argv)}.log", file=sys.stderr)
    return 1 if failed and not stopping else 0


def _is_stack_process(pid: int) -> bool:
    """Whether ``pid`` still runs a Jingzhun process (not a stranger that reused the number)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"jingzhun" in cmdline or any(part.endswith(b"jingzhun") for part in cmdline)


def running_pids(pids: Path) -> list[int]:
    """The pids listed in ``pids`` that still run a Jingzhun process (empty without the file)."""
    try:
        listed = [int(line) for line in pids.read_text().split()]
    except (OSError, ValueError):
        return []
    return [pid for pid in listed if _is_stack_process(pid)]


def stop_stack(data_dir: Path, timeout: float = 20.0) -> int:
    """``make stack-down``: SIGTERM the stack (it stops its children), then any child left; 0 if none run."""
    pids = pid_file(data_dir)
    alive = running_pids(pids)
    if not alive:
        print("no stack is running", file=sys.stderr)
        pids.unlink(missing_ok=True)
        return 0
    os.kill(alive[0], signal.SIGTERM)  # the supervisor first: it stops its children in order
    deadline = time.monotonic() + timeout
    while running_pids(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in running_pids(pids):  # a supervisor that died (kill -9) leaves its children behind
        os.kill(pid, signal.SIGTERM)
    pids.unlink(missing_ok=True)
    print(f"stopped the stack ({len(alive)} processes)")
    return 0


if __name__ == "__main__":
    from jzkit.settings import get_common_settings

    if sys.argv[1:] != ["down"]:
        sys.exit("usage: python -m jingzhun.stack down")
    sys.exit(stop_stack(get_common_settings().data_dir))
