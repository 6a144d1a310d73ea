"""Personal numbers at rest: AES-GCM ciphertext and the keyed blind index."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography.exceptions import InvalidTag

from jzkit.pii import PiiCipher

KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(1, 33))).decode()
NUMBER = "510822198001061234"


def test_round_trip() -> None:
    cipher = PiiCipher(KEY_A)
    token = cipher.encrypt(NUMBER)
    assert NUMBER not in token
    assert cipher.decrypt(token) == NUMBER
    assert cipher.decrypt(cipher.encrypt("中文也可以")) == "中文也可以"


def test_random_nonce_gives_different_ciphertexts() -> None:
    cipher = PiiCipher(KEY_A)
    tokens = {cipher.encrypt(NUMBER) for _ in range(20)}
    assert len(tokens) == 20
    assert {cipher.decrypt(t) for t in tokens} == {NUMBER}


@pytest.mark.parametrize("position", [0, 11, 12, 20, -1])  # nonce, first cipher byte, tag
def test_tampered_ciphertext_is_refused(position: int) -> None:
    cipher = PiiCipher(KEY_A)
    raw = bytearray(base64.b64decode(cipher.encrypt(NUMBER)))
    raw[position] ^= 0x01
    with pytest.raises(InvalidTag):
        cipher.decrypt(base64.b64encode(bytes(raw)).decode())


def test_other_key_cannot_decrypt() -> None:
    with pytest.raises(InvalidTag):
        PiiCipher(KEY_B).decrypt(PiiCipher(KEY_A).encrypt(NUMBER))


def test_blind_index_is_stable_and_key_dependent() -> None:
    a1, a2, b = PiiCipher(KEY_A), PiiCipher(KEY_A), PiiCipher(KEY_B)
    index = a1.blind_index(NUMBER)
    assert re.fullmatch(r"[0-9a-f]{64}", index)
    assert a2.blind_index(NUMBER) == index
    assert a1.blind_index("510822198001141234") != index
    assert b.blind_index(NUMBER) != index
    # Keyed: an unkeyed hash of an ID number could be reversed by trying every number.
    assert index != hashlib.sha256(NUMBER.encode()).hexdigest()


def test_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        PiiCipher(base64.b64encode(b"x" * 31).decode())
    assert PiiCipher(base64.b64encode(b"x" * 32).decode()).blind_index("1")
