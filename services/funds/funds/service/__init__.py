"""Use cases of the funds service."""
