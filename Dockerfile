# syntax=docker/dockerfile:1
# One image for every Jingzhun process; the command picks which one:
#   migrate [service] | serve <service>|gateway | relay|consume <service> --metrics-port P
# Build: docker build -t jingzhun:local .   (see deploy/README.md)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /build

# Dependencies first (cached while only the code changes): the runtime lock, every version pinned.
COPY requirements.lock ./
RUN pip install -r requirements.lock

# The project itself, non-editable (see docs/decisions/0003-source-roots-on-sys-path.md).
COPY libs libs
COPY services services
COPY gateway gateway
COPY cli cli
COPY pyproject.toml ./
RUN pip install --no-deps .

# Unprivileged runtime user with a numeric id, so Kubernetes can verify runAsNonRoot.
RUN groupadd --system --gid 10001 jingzhun \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin jingzhun \
    && mkdir -p /app/var \
    && chown 10001:10001 /app/var \
    && rm -rf /build

WORKDIR /app
USER 10001:10001

# Gateway 8000, registry 8001, registry relay metrics 8101, audit 8004, audit consumer metrics 8104.
EXPOSE 8000 8001 8101 8004 8104
ENTRYPOINT ["python", "-m", "jingzhun"]
CMD ["serve", "gateway"]
