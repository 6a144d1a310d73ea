"""Tables of the identification service (Core tables on the shared SQLModel metadata)."""
