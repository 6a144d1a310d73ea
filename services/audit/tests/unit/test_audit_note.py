"""Signed notes: known answers from Go's sumdb/note tests, round trips and tampering."""

from __future__ import annotations

import base64
import hashlib

import pytest

from audit.domain.note import (
    AmbiguousKeyError,
    InvalidSignatureError,
    MalformedKeyError,
    MalformedNoteError,
    NoteError,
    Signer,
    UnverifiedNoteError,
    Verifier,
    format_vkey,
    key_hash,
    open_note,
    parse_vkey,
)

# Vectors copied from golang.org/x/mod sumdb/note/note_test.go (TestSign, TestOpen) and the package doc.
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
NOTE = TEXT + "\n" + PETER_SIG


def test_known_vkey_parses_and_hash_recomputes_independently() -> None:
    v = Verifier(PETER_VKEY)
    assert (v.name, v.key_hash, v.vkey) == ("PeterNeumann", 0xC74F20A3, PETER_VKEY)
    raw = base64.b64decode(PETER_VKEY.split("+", 2)[2])
    assert raw[0] == 1 and raw[1:] == v.public_key
    digest = hashlib.sha256(b"PeterNeumann\n" + raw).digest()
    assert digest[:4].hex() == "c74f20a3"
    assert key_hash("PeterNeumann", v.public_key) == int.from_bytes(digest[:4], "big")


def test_known_note_verifies() -> None:
    text, names = open_note(NOTE, [Verifier(PETER_VKEY)])
    assert (text, names) == (TEXT, ["PeterNeumann"])
    assert open_note(NOTE.encode(), [Verifier(PETER_VKEY)]) == (TEXT, ["PeterNeumann"])


def test_known_signer_key_reproduces_go_signature_exactly() -> None:
    signer = Signer.from_signer_key(PETER_SKEY)
    assert (signer.name, signer.key_hash, signer.vkey) == ("PeterNeumann", 0xC74F20A3, PETER_VKEY)
    assert signer.signer_key == PETER_SKEY
    assert signer.sign(TEXT) == NOTE  # Ed25519 is deterministic


def test_signer_repr_hides_key_material() -> None:
    signer = Signer.from_signer_key(PETER_SKEY)
    assert "PRIVATE" not in repr(signer) and PETER_SKEY.rsplit("+", 1)[1] not in repr(signer)
    assert "c74f20a3" in repr(signer)


def test_go_vkey_manglings_refused() -> None:
    # Port of Go's TestNewVerifier: every proper substring and every single-byte increment fails.
    b = PETER_VKEY
    for i in range(len(b) + 1):
        for j in range(i + 1, len(b) + 1):
            if (i, j) != (0, len(b)):
                with pytest.raises(MalformedKeyError):
                    Verifier(b[i:j])
    for i in range(len(b)):
        with pytest.raises(MalformedKeyError):
            Verifier(b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :])
    with pytest.raises(MalformedKeyError, match="32 bytes"):  # wrong length, adjusted hash
        Verifier("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    with pytest.raises(MalformedKeyError, match="algorithm"):  # unknown algorithm, adjusted hash
        Verifier("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_go_signer_key_manglings_refused() -> None:
    b = PETER_SKEY
    for i in range(len(b)):
        with pytest.raises(MalformedKeyError):
            Signer.from_signer_key(b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :])
    for cut in (1, 12, 30, len(b) - 1):
        with pytest.raises(MalformedKeyError):
            Signer.from_signer_key(b[:cut])


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        ("PeterNeumann", "must be"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "name"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "name"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "base64"),
        ("PeterNeumann+c74f20a3+", "empty"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
    ],
)
def test_vkey_errors_are_clear(vkey: str, message: str) -> None:
    with pytest.raises(MalformedKeyError, match=message):
        parse_vkey(vkey)


def test_generate_round_trip_and_vkey_format() -> None:
    signer = Signer.generate("audit.jingzhun.example/log")
    again = Signer.from_signer_key(signer.signer_key)
    assert again.vkey == signer.vkey and again.key_hash == signer.key_hash
    verifier = Verifier(signer.vkey)
    assert format_vkey(verifier.name, verifier.public_key) == signer.vkey
    assert Verifier.from_public_key(verifier.name, verifier.public_key).vkey == signer.vkey
    # The text ends at the last blank line, so texts with (trailing) blank lines survive.
    for text in ("line one\n\nline three after a blank line\n", "trailing blank\n\n", "\n"):
        assert open_note(signer.sign(text), [verifier]) == (text, ["audit.jingzhun.example/log"])
    assert verifier.verify(b"x", b"\x00" * 64) is False and verifier.verify(b"x", b"short") is False


@pytest.mark.parametrize("name", ["", "a+b", "a b", "a\tb", "a\u00a0b", "a\u3000b", "a\x01b"])
def test_invalid_names_refused(name: str) -> None:
    with pytest.raises(MalformedKeyError):
        Signer(name, b"\x01" * 32)


def test_signer_refuses_bad_seed_and_bad_text() -> None:
    with pytest.raises(MalformedKeyError, match="32 bytes"):
        Signer("a", b"\x01" * 31)
    signer = Signer.from_signer_key(PETER_SKEY)
    with pytest.raises(MalformedNoteError, match="newline"):
        signer.sign("abc")
    with pytest.raises(MalformedNoteError, match="control"):
        signer.sign("a\rb\n")
    with pytest.raises(MalformedNoteError, match="UTF-8"):
        signer.sign("\ud800\n")


def test_tampered_text_refused() -> None:
    tampered = NOTE.replace("cryptography", "Cryptography")
    with pytest.raises(InvalidSignatureError, match="PeterNeumann\\+c74f20a3"):
        open_note(tampered, [Verifier(PETER_VKEY)])


def test_tampered_signature_refused() -> None:
    # Same mangling as Go's TestOpen "Invalid signature" case: hash bytes intact, signature broken.
    bad = TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(InvalidSignatureError):
        open_note(bad, [Verifier(PETER_VKEY)])


def test_tampered_name_or_hash_leaves_no_known_signature() -> None:
    renamed = TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "CarmenSandiego")
    rehashed = TEXT + "\n" + PETER_SIG.replace("x08g", "xxxx")
    for note in (renamed, rehashed):
        with pytest.raises(UnverifiedNoteError):
            open_note(note, [Verifier(PETER_VKEY)])


def test_unknown_key_only_refused() -> None:
    with pytest.raises(UnverifiedNoteError):
        open_note(TEXT + "\n" + ENOCH_SIG, [Verifier(PETER_VKEY)])
    with pytest.raises(UnverifiedNoteError):
        open_note(NOTE, [])


def test_multiple_signatures_one_unknown_accepted() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(note, [Verifier(PETER_VKEY)]) == (TEXT, ["PeterNeumann"])
    both = open_note(note, [Verifier(PETER_VKEY), Verifier(ENOCH_VKEY)])
    assert both == (TEXT, ["PeterNeumann", "EnochRoot"])


def test_duplicates_dropped_and_bad_unknown_signature_ignored() -> None:
    # Go's "Duplicated verified and unverified signatures" case.
    note = TEXT + "\n" + PETER_SIG * 2 + ENOCH_SIG * 2 + ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    assert open_note(note, [Verifier(PETER_VKEY)]) == (TEXT, ["PeterNeumann"])


def test_ambiguous_keys_refused_only_when_used() -> None:
    enoch = Verifier(ENOCH_VKEY)
    impostor = Verifier.from_public_key("EnochRoot", b"\x07" * 32)
    # Force a name+hash collision with a different key, as a tampered key list would.
    object.__setattr__(impostor, "_key_hash", enoch.key_hash)
    with pytest.raises(AmbiguousKeyError):
        open_note(TEXT + "\n" + ENOCH_SIG, [enoch, Verifier(PETER_VKEY), impostor])
    assert open_note(NOTE, [enoch, Verifier(PETER_VKEY), impostor])[1] == ["PeterNeumann"]
    assert open_note(TEXT + "\n" + ENOCH_SIG, [enoch, enoch])[1] == ["EnochRoot"]  # same key twice


@pytest.mark.parametrize(
    "note",
    [
        TEXT.encode(),
        (TEXT + "\n").encode(),
        (TEXT + "\n" + PETER_SIG[:-1]).encode(),
        ("\x01" + NOTE).encode(),
        b"\xff" + NOTE.encode(),
        (TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name")[:-1]).encode(),
        (NOTE + "Unexpected line.\n").encode(),
        (TEXT + "\n" + PETER_SIG * 101).encode(),
        (TEXT + "\n- PeterNeumann AAAAAAA=\n").encode(),
        (TEXT + "\n\u2014 PeterNeumann\n").encode(),
        (TEXT + "\n\u2014 PeterNeumann AAAA\n").encode(),
        (TEXT + "\n\u2014 PeterNeumann not*base64\n").encode(),
    ],
)
def test_malformed_notes_refused(note: bytes) -> None:
    # The first seven are Go's TestOpen badMsgs (plus too-many-signatures); all must be malformed.
    with pytest.raises(MalformedNoteError):
        open_note(note, [Verifier(PETER_VKEY)])


def test_errors_share_one_base() -> None:
    for error in (MalformedNoteError, MalformedKeyError, UnverifiedNoteError, AmbiguousKeyError):
        assert issubclass(error, NoteError) and issubclass(error, ValueError)
    assert issubclass(InvalidSignatureError, NoteError)
