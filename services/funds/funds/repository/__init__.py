"""SQL statements of the funds service."""
