"""HTTP interface of the audit service."""
