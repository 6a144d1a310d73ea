"""Test-wide fixtures: reachability of PostgreSQL and RabbitMQ for stack tests.

With ``JZ_REQUIRE_SERVICES=1`` (set by ``.ci/run``) an unreachable service fails the test
instead of skipping it, so CI can never pass by not running the stack tests.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

# Import the real package first: pytest (importlib mode) would otherwise register the folder gateway/
# as the module "gateway" while collecting gateway/tests, hiding the package.
import gateway  # noqa: F401

PG_ADMIN_URL = os.environ.get("JZ_TEST_PG_URL", "postgresql://postgres:postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("JZ_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), timeout=2):
            return True
    except OSError:
        return False


def require_service(name: str, url: str) -> None:
    """Fail (CI) or skip (a laptop without the service) when ``url`` does not answer."""
    if _reachable(url):
        return
    message = f"{name} not reachable at {urlparse(url).hostname}:{urlparse(url).port}"
    if os.environ.get("JZ_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " and JZ_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """A libpq URL of the PostgreSQL server (admin database), skipping/failing if absent."""
    require_service("PostgreSQL", PG_ADMIN_URL)
    return PG_ADMIN_URL


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """The RabbitMQ URL, skipping/failing if absent."""
    require_service("RabbitMQ", AMQP_URL)
    return AMQP_URL
