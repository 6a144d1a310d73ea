"""What the audit service consumes (it publishes nothing)."""
