"""Events published and consumed of the funds service."""
