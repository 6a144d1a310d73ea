"""Alembic environment of the registry service."""

from jzkit.migrate import run_env
from registry.settings import get_settings

run_env(get_settings().database_url)
