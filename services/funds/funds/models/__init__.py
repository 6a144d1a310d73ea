"""Tables of the funds service."""
