"""Throwaway PostgreSQL databases for stack tests and benchmarks (see :mod:`jzkit.pgadmin`)."""

from jzkit.pgadmin import ensure_database, recreate_database, with_database

__all__ = ["ensure_database", "recreate_database", "with_database"]
