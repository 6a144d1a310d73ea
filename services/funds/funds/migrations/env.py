"""Alembic environment of the funds service."""

from funds.settings import get_settings
from jzkit.migrate import run_env

run_env(get_settings().database_url)
