"""C2SP tlog-checkpoint: the signed tree head body and its signing/verification as a signed note."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from audit.domain.note import NoteError, Signer, Verifier, open_note

__all__ = ["Checkpoint", "CheckpointError", "OriginMismatchError", "open_checkpoint", "sign_checkpoint"]

HASH_SIZE = 32  # RFC 6962 SHA-256 root
# Go's x/mod/sumdb/tlog parses the size as int64, so larger sizes would not interoperate.
MAX_SIZE = 2**63 - 1
_SIZE = re.compile(r"0|[1-9][0-9]*")  # ASCII only: int() would also take '+1', ' 1', '1_0' and '١'


class CheckpointError(NoteError):
    """A checkpoint body is malformed (a NoteError, so one except clause covers open_checkpoint)."""


class OriginMismatchError(CheckpointError):
    """The checkpoint verified but names a different log than the one expected."""


def _check_line(what: str, line: str) -> None:
    """Refuse empty lines and characters a signed note cannot carry."""
    if not line:
        raise CheckpointError(f"checkpoint {what} must be non-empty")
    if any(ord(ch) < 0x20 for ch in line):
        raise CheckpointError(f"checkpoint {what} contains a newline or control character")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Validate eagerly so that body() always yields a parseable checkpoint."""
        _check_line("origin", self.origin)
        # bool is an int subclass; True as a tree size is a bug, not a size of 1.
        if not isinstance(self.size, int) or isinstance(self.size, bool):
            raise CheckpointError("checkpoint size must be an int")
        if not 0 <= self.size <= MAX_SIZE:
            raise CheckpointError(f"checkpoint size must be in [0, 2**63-1], got {self.size}")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(f"checkpoint root hash must be {HASH_SIZE} bytes")
        if not isinstance(self.extensions, tuple):
            raise CheckpointError("checkpoint extensions must be a tuple of lines")
        for line in self.extensions:
            _check_line("extension line", line)

    def body(self) -> str:
        """Return the note text: origin, size and base64 root, then extensions, each ending in newline."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        return "".join(f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions))

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """Strictly parse a checkpoint note text."""
        if not body.endswith("\n"):
            raise CheckpointError("checkpoint body must end with a newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("checkpoint body needs origin, size and root hash lines")
        # An empty line would be taken as the note's text/signature separator.
        if any(not line for line in lines):
            raise CheckpointError("checkpoint body must not contain empty lines")
        origin, size_text, root_text, *extensions = lines
        if not _SIZE.fullmatch(size_text):
            raise CheckpointError(f"checkpoint size must be decimal without leading zeros: {size_text!r}")
        try:
            root = base64.b64decode(root_text.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error):
            raise CheckpointError("checkpoint root hash is not valid base64") from None
        if len(root) != HASH_SIZE:
            raise CheckpointError(f"checkpoint root hash must be {HASH_SIZE} bytes, got {len(root)}")
        # Canonical encoding only, so one tree head has exactly one signed text.
        if base64.b64encode(root).decode("ascii") != root_text:
            raise CheckpointError("checkpoint root hash is not canonically base64-encoded")
        return cls(origin, int(size_text), root, tuple(extensions))


def sign_checkpoint(signer: Signer, checkpoint: Checkpoint) -> str:
    """Return the checkpoint as a signed note."""
    return signer.sign(checkpoint.body())


def open_checkpoint(note: str | bytes, verifier: Verifier, origin: str) -> Checkpoint:
    """Verify a signed checkpoint with verifier and check that it comes from the expected origin."""
    text, _ = open_note(note, [verifier])
    checkpoint = Checkpoint.parse(text)
    # Without this check a valid checkpoint of another log signed by the same key would be accepted.
    if checkpoint.origin != origin:
        raise OriginMismatchError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    return checkpoint
