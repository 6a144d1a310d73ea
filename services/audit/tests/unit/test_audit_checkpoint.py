"""C2SP tlog-checkpoint bodies: byte-exact format, strict parsing, signing and opening."""

from __future__ import annotations

import base64

import pytest

from audit.domain.checkpoint import (
    Checkpoint,
    CheckpointError,
    OriginMismatchError,
    open_checkpoint,
    sign_checkpoint,
)
from audit.domain.note import InvalidSignatureError, NoteError, Signer, UnverifiedNoteError, open_note

ROOT = bytes(range(32))
ROOT_B64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
ORIGIN = "audit.jingzhun.example/log"

# The example checkpoint from https://c2sp.org/tlog-checkpoint (C2SP/C2SP tlog-checkpoint.md).
SPEC_NOTE = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\u2014 example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)


def test_body_is_byte_exact() -> None:
    assert base64.b64encode(ROOT).decode() == ROOT_B64
    assert Checkpoint(ORIGIN, 42, ROOT).body() == f"{ORIGIN}\n42\n{ROOT_B64}\n"
    with_ext = Checkpoint("o", 0, ROOT, ("ext one", "ext two"))
    assert with_ext.body() == f"o\n0\n{ROOT_B64}\next one\next two\n"


def test_parse_round_trip() -> None:
    for cp in (Checkpoint(ORIGIN, 0, ROOT), Checkpoint(ORIGIN, 2**63 - 1, ROOT, ("x",))):
        assert Checkpoint.parse(cp.body()) == cp


def test_spec_example_parses() -> None:
    signer_key_unknown = Signer.generate("example.com/behind-the-sofa").verifier()
    # Its key is not published, so the signature can only be seen as unknown, not verified.
    with pytest.raises(UnverifiedNoteError):
        open_note(SPEC_NOTE, [signer_key_unknown])
    body = SPEC_NOTE.split("\n\n")[0] + "\n"
    cp = Checkpoint.parse(body)
    assert (cp.origin, cp.size, cp.extensions) == ("example.com/behind-the-sofa", 20852163, ())
    assert cp.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.body() == body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"o\n1\n{ROOT_B64}", "end with a newline"),
        ("o\n1\n", "needs origin"),
        (f"\n1\n{ROOT_B64}\n", "empty lines"),
        (f"o\n1\n{ROOT_B64}\n\next\n", "empty lines"),
        (f"o\n1\n{ROOT_B64}\n\n", "empty lines"),
        (f"o\n01\n{ROOT_B64}\n", "leading zeros"),
        (f"o\n00\n{ROOT_B64}\n", "leading zeros"),
        (f"o\n+1\n{ROOT_B64}\n", "decimal"),
        (f"o\n-1\n{ROOT_B64}\n", "decimal"),
        (f"o\n 1\n{ROOT_B64}\n", "decimal"),
        (f"o\n1_0\n{ROOT_B64}\n", "decimal"),
        (f"o\n\u0661\n{ROOT_B64}\n", "decimal"),
        (f"o\n0x1\n{ROOT_B64}\n", "decimal"),
        (f"o\n{2**63}\n{ROOT_B64}\n", "2\\*\\*63"),
        (f"o\n1\n{ROOT_B64[:-1]}\n", "base64"),
        (f"o\n1\n{ROOT_B64[:-1]}*\n", "base64"),
        (f"o\n1\n{ROOT_B64} \n", "base64"),
        (f"o\n1\n{base64.b64encode(ROOT[:31]).decode()}\n", "32 bytes"),
        (f"o\n1\n{base64.b64encode(ROOT + b'x').decode()}\n", "32 bytes"),
        (f"o\n1\n{ROOT_B64[:-2]}9=\n", "canonical"),  # same bytes, slack bits set
        (f"o\r\n1\n{ROOT_B64}\n", "control"),
    ],
)
def test_parse_refusals(body: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        Checkpoint.parse(body)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"origin": "", "size": 1, "root_hash": ROOT},
        {"origin": "a\nb", "size": 1, "root_hash": ROOT},
        {"origin": "o", "size": -1, "root_hash": ROOT},
        {"origin": "o", "size": True, "root_hash": ROOT},
        {"origin": "o", "size": 2**63, "root_hash": ROOT},
        {"origin": "o", "size": 1, "root_hash": ROOT[:31]},
        {"origin": "o", "size": 1, "root_hash": ROOT, "extensions": ("",)},
        {"origin": "o", "size": 1, "root_hash": ROOT, "extensions": ("a\nb",)},
    ],
)
def test_constructor_refuses_unparseable_checkpoints(kwargs: dict[str, object]) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint(**kwargs)  # type: ignore[arg-type]


def test_sign_and_open_round_trip() -> None:
    signer = Signer.generate(ORIGIN)
    cp = Checkpoint(ORIGIN, 7, ROOT, ("extension",))
    note = sign_checkpoint(signer, cp)
    assert note.startswith(cp.body() + "\n\u2014 " + ORIGIN + " ")
    assert open_checkpoint(note, signer.verifier(), ORIGIN) == cp
    assert open_checkpoint(note.encode(), signer.verifier(), ORIGIN) == cp


def test_wrong_origin_refused() -> None:
    signer = Signer.generate(ORIGIN)
    note = sign_checkpoint(signer, Checkpoint("other.example/log", 7, ROOT))
    with pytest.raises(OriginMismatchError, match=r"other\.example/log"):
        open_checkpoint(note, signer.verifier(), ORIGIN)


def test_wrong_key_and_tampering_refused() -> None:
    signer = Signer.generate(ORIGIN)
    note = sign_checkpoint(signer, Checkpoint(ORIGIN, 7, ROOT))
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(note, Signer.generate(ORIGIN).verifier(), ORIGIN)
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(note.replace("\n7\n", "\n8\n"), signer.verifier(), ORIGIN)


def test_signed_note_that_is_not_a_checkpoint_refused() -> None:
    signer = Signer.generate(ORIGIN)
    with pytest.raises(CheckpointError):
        open_checkpoint(signer.sign(f"{ORIGIN}\nnot a size\n{ROOT_B64}\n"), signer.verifier(), ORIGIN)
    assert issubclass(CheckpointError, NoteError)
