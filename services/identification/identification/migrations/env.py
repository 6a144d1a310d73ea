"""Alembic environment of the identification service."""

from identification.settings import get_settings
from jzkit.migrate import run_env

run_env(get_settings().database_url)
