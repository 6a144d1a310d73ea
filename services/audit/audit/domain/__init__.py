"""Pure audit rules: canonical JSON, Merkle tree hashing and proofs, signed tree heads."""
