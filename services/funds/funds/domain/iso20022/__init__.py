"""ISO 20022 messages the funds service exchanges with the bank (pain.001 out, pain.002/camt.054 in)."""
