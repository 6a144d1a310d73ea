# syntax=docker/dockerfile:1
# One image for every Jingzhun process; the command picks which one:
#   migrate [service] | serve <service>|gateway | relay <service> --metrics-port P
# Build: docker build -t jingzhun:local .   (see deploy/README.md)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /build

# Dependencies first (cached while only the code changes). requirements.lock also pins the dev
# tools (pytest, mypy, ruff, ...): install the runtime dependencies declared in pyproject.toml,
# with every version, transitive ones included, taken from the lock as constraints.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > runtime-requirements.txt \
    && pip install -r runtime-requirements.txt -c requirements.lock

# The project itself, non-editable (see docs/decisions/0003-source-roots-on-sys-path.md).
COPY libs libs
COPY services services
COPY gateway gateway
COPY cli cli
RUN pip install --no-deps .

# Each service's Alembic scripts (services/<name>/alembic.ini and migrations/) are not part of the
# wheel, yet `jingzhun migrate` reads them from ServiceSpec.directory, the directory holding the
# installed package. Put them there, and stop the build if two services would share that place.
RUN python -I - <<'PY'
import shutil
from pathlib import Path

from jingzhun.catalog import SERVICES

claimed: dict[Path, str] = {}
for spec in SERVICES.values():
    target = spec.directory
    if target in claimed:
        raise SystemExit(
            f"{spec.name} and {claimed[target]} both keep their migrations in {target}: "
            "package each service's alembic.ini and migrations/ inside the service first"
        )
    claimed[target] = spec.name
    if not (target / "alembic.ini").exists():
        source = Path("/build/services") / spec.name
        shutil.copy2(source / "alembic.ini", target / "alembic.ini")
        shutil.copytree(source / "migrations", target / "migrations")
    print(f"{spec.name}: migrations in {target}")
PY

# Unprivileged runtime user with a numeric id, so Kubernetes can verify runAsNonRoot.
RUN groupadd --system --gid 10001 jingzhun \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin jingzhun \
    && mkdir -p /app/var \
    && chown 10001:10001 /app/var \
    && rm -rf /build

WORKDIR /app
USER 10001:10001

# Gateway 8000, registry 8001, registry relay metrics 8101.
EXPOSE 8000 8001 8101
ENTRYPOINT ["python", "-m", "jingzhun"]
CMD ["serve", "gateway"]
