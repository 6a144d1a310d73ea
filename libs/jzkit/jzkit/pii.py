"""Personal numbers at rest: AES-GCM ciphertext plus a keyed blind index for exact matching."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jzkit.randomness import random_bytes

_NONCE_BYTES = 12


class PiiCipher:
    """Encrypts ID and bank numbers; ``blind_index`` lets duplicates be found without decrypting."""

    def __init__(self, master_key_b64: str) -> None:
        master = base64.b64decode(master_key_b64)
        if len(master) < 32:
            raise ValueError("pii key must be at least 32 bytes (base64)")
        # Separate keys for encryption and matching, so one cannot stand in for the other.
        self._aead = AESGCM(hmac.digest(master, b"jingzhun/pii/encrypt", "sha256"))
        # Keyed once; each index copies this state (what hmac.new would rebuild from the key every time).
        self._index_mac = hmac.new(
            hmac.digest(master, b"jingzhun/pii/blind-index", "sha256"), None, hashlib.sha256
        )

    def encrypt(self, plaintext: str) -> str:
        """Random-nonce AES-256-GCM, base64 (nonce || ciphertext || tag)."""
        nonce = random_bytes(_NONCE_BYTES)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, plaintext.encode(), None)).decode()

    def decrypt(self, token: str) -> str:
        """Inverse of :meth:`encrypt`; raises if the ciphertext was altered."""
        raw = base64.b64decode(token)
        return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None).decode()

    def blind_index(self, plaintext: str) -> str:
        """HMAC-SHA256 hex of the normalised value: equal inputs, equal index."""
        mac = self._index_mac.copy()
        mac.update(plaintext.encode())
        return mac.hexdigest()
