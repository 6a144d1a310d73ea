"""C2SP signed notes with Ed25519 keys, byte-compatible with Go's golang.org/x/mod/sumdb/note."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata
from collections.abc import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "AmbiguousKeyError",
    "InvalidSignatureError",
    "MalformedKeyError",
    "MalformedNoteError",
    "NoteError",
    "Signer",
    "UnverifiedNoteError",
    "Verifier",
    "format_vkey",
    "is_valid_name",
    "key_hash",
    "open_note",
    "parse_vkey",
]

ALG_ED25519 = 0x01  # signature type byte assigned to Ed25519 by the signed-note spec
_SIG_PREFIX = "\u2014 "  # EM DASH + space starts every signature line
_PRIVATE_PREFIX = "PRIVATE+KEY+"
# Go refuses notes with more than 100 signatures; the spec requires accepting at least 16.
MAX_SIGNATURES = 100
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")  # Go's ParseUint(hash16, 16, 32) with len == 8
# The Latin-1 part of Go's unicode.IsSpace; above U+00FF it matches the Z* categories.
_LATIN1_SPACES = frozenset("\t\n\v\f\r \x85\xa0")


class NoteError(ValueError):
    """A signed note or key could not be parsed, signed or verified."""


class MalformedNoteError(NoteError):
    """The note breaks the signed-note syntax (encoding, separator, signature lines, text rules)."""


class MalformedKeyError(NoteError):
    """A verifier key, signer key, key name or seed is malformed."""


class UnverifiedNoteError(NoteError):
    """The note parsed but carries no signature from a known key."""


class AmbiguousKeyError(NoteError):
    """Two different known keys share a name and key hash, so a signature cannot be attributed."""


class InvalidSignatureError(NoteError):
    """A signature from a known key (name and hash match) does not verify: the note is rejected."""

    def __init__(self, name: str, key_hash: int) -> None:
        super().__init__(f"invalid signature for key {name}+{key_hash:08x}")
        self.name = name
        self.key_hash = key_hash


def _is_space(ch: str) -> bool:
    """Mirror Go's unicode.IsSpace, which is what Go uses to validate names."""
    return ch in _LATIN1_SPACES or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def is_valid_name(name: str) -> bool:
    """Report whether name is a valid key name: non-empty, no '+', no spaces, no control chars."""
    # Control characters are refused too (Go does not): such a name could never appear in a valid note.
    return (
        name != ""
        and "+" not in name
        and not any(_is_space(ch) or ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF for ch in name)
    )


def key_hash(name: str, public_key: bytes) -> int:
    """Return the key ID: big-endian uint32 of SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _b64decode(text: str) -> bytes:
    """Decode standard padded base64, refusing characters outside the alphabet."""
    try:
        # validate=True: b64decode would otherwise silently drop stray characters.
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise ValueError("invalid base64") from exc


def _parse_key_fields(what: str, fields: str) -> tuple[str, int, bytes]:
    """Parse '<name>+<hash>+<base64(0x01 || 32 bytes)>' into name, hash and the 32 key bytes."""
    parts = fields.split("+", 2)  # base64 may itself contain '+', so split at most twice
    if len(parts) != 3:
        raise MalformedKeyError(f"{what} must be <name>+<8 hex digits>+<base64 key>")
    name, hash_hex, key_b64 = parts
    if not is_valid_name(name):
        raise MalformedKeyError(f"{what} has an invalid key name {name!r}")
    if not _HEX8.fullmatch(hash_hex):
        raise MalformedKeyError(f"{what} key hash must be exactly 8 hex digits, got {hash_hex!r}")
    try:
        raw = _b64decode(key_b64)
    except ValueError:
        raise MalformedKeyError(f"{what} key data is not valid base64") from None
    if not raw:
        raise MalformedKeyError(f"{what} key data is empty")
    if raw[0] != ALG_ED25519:
        raise MalformedKeyError(f"{what} uses unknown algorithm {raw[0]:#04x} (only Ed25519, 0x01)")
    if len(raw) != 33:
        raise MalformedKeyError(f"{what} Ed25519 key must be 32 bytes, got {len(raw) - 1}")
    return name, int(hash_hex, 16), raw[1:]


def format_vkey(name: str, public_key: bytes) -> str:
    """Format a verifier key '<name>+<hash hex>+<base64(0x01 || public key)>'."""
    if not is_valid_name(name):
        raise MalformedKeyError(f"invalid key name {name!r}")
    if len(public_key) != 32:
        raise MalformedKeyError(f"Ed25519 public key must be 32 bytes, got {len(public_key)}")
    encoded = base64.b64encode(bytes([ALG_ED25519]) + public_key).decode("ascii")
    return f"{name}+{key_hash(name, public_key):08x}+{encoded}"


def parse_vkey(vkey: str) -> tuple[str, int, bytes]:
    """Parse a verifier key into (name, key hash, 32-byte Ed25519 public key)."""
    name, hash_value, public_key = _parse_key_fields("verifier key", vkey)
    # The hash is redundant with name and key; checking it catches copy/paste damage.
    if hash_value != key_hash(name, public_key):
        raise MalformedKeyError("verifier key hash does not match its name and public key")
    return name, hash_value, public_key


class Verifier:
    """An Ed25519 note verifier built from a vkey string."""

    __slots__ = ("_key", "_key_hash", "_name", "_public_key")

    def __init__(self, vkey: str) -> None:
        """Parse vkey; raise MalformedKeyError if it is not a valid Ed25519 verifier key."""
        self._name, self._key_hash, self._public_key = parse_vkey(vkey)
        try:
            self._key = Ed25519PublicKey.from_public_bytes(self._public_key)
        except ValueError as exc:
            raise MalformedKeyError("verifier key is not a valid Ed25519 public key") from exc

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> Verifier:
        """Build a verifier from a name and a raw 32-byte public key."""
        return cls(format_vkey(name, public_key))

    @property
    def name(self) -> str:
        """Key name."""
        return self._name

    @property
    def key_hash(self) -> int:
        """Key ID (uint32)."""
        return self._key_hash

    @property
    def public_key(self) -> bytes:
        """Raw 32-byte Ed25519 public key."""
        return self._public_key

    @property
    def vkey(self) -> str:
        """Verifier key string, suitable for publication."""
        return format_vkey(self._name, self._public_key)

    def verify(self, message: bytes, sig: bytes) -> bool:
        """Report whether sig (the raw 64-byte Ed25519 signature) signs message."""
        if len(sig) != 64:
            return False
        try:
            self._key.verify(sig, message)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return f"Verifier({self.vkey!r})"


def _check_chars(what: str, text: str) -> bytes:
    """Enforce the note character rules (UTF-8, no control character but newline); return the bytes."""
    try:
        data = text.encode("utf-8")  # lone surrogates fail here
    except UnicodeEncodeError:
        raise MalformedNoteError(f"{what} is not valid UTF-8") from None
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise MalformedNoteError(f"{what} contains a control character other than newline")
    return data


class Signer:
    """An Ed25519 note signer; the signer key is secret and kept out of repr."""

    __slots__ = ("_key", "_key_hash", "_name", "_public_key")

    def __init__(self, name: str, seed: bytes) -> None:
        """Build a signer from a key name and a 32-byte Ed25519 seed."""
        if not is_valid_name(name):
            raise MalformedKeyError(f"invalid key name {name!r}")
        if len(seed) != 32:
            raise MalformedKeyError(f"Ed25519 seed must be 32 bytes, got {len(seed)}")
        self._name = name
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self._public_key = self._key.public_key().public_bytes_raw()
        self._key_hash = key_hash(name, self._public_key)

    @classmethod
    def generate(cls, name: str) -> Signer:
        """Create a signer with a fresh random key."""
        return cls(name, Ed25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def from_signer_key(cls, signer_key: str) -> Signer:
        """Parse 'PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>'."""
        if not signer_key.startswith(_PRIVATE_PREFIX):
            raise MalformedKeyError("signer key must start with PRIVATE+KEY+")
        name, hash_value, seed = _parse_key_fields("signer key", signer_key[len(_PRIVATE_PREFIX) :])
        signer = cls(name, seed)
        # The hash names the public key, so it can only be checked once the key is derived.
        if hash_value != signer.key_hash:
            raise MalformedKeyError("signer key hash does not match its name and derived public key")
        return signer

    @property
    def name(self) -> str:
        """Key name."""
        return self._name

    @property
    def key_hash(self) -> int:
        """Key ID (uint32)."""
        return self._key_hash

    @property
    def vkey(self) -> str:
        """Public verifier key string."""
        return format_vkey(self._name, self._public_key)

    @property
    def signer_key(self) -> str:
        """Secret signer key string (PRIVATE+KEY+...); store it like a password."""
        encoded = base64.b64encode(bytes([ALG_ED25519]) + self._key.private_bytes_raw()).decode("ascii")
        return f"{_PRIVATE_PREFIX}{self._name}+{self._key_hash:08x}+{encoded}"

    def verifier(self) -> Verifier:
        """Return the matching verifier."""
        return Verifier(self.vkey)

    def sign(self, text: str) -> str:
        """Return the signed note: text, a blank line, then this key's signature line."""
        if not text.endswith("\n"):
            raise MalformedNoteError("note text must end with a newline")
        message = _check_chars("note text", text)
        blob = self._key_hash.to_bytes(4, "big") + self._key.sign(message)
        return f"{text}\n{_SIG_PREFIX}{self._name} {base64.b64encode(blob).decode('ascii')}\n"

    def __repr__(self) -> str:
        # Deliberately no key material: reprs end up in logs and tracebacks.
        return f"Signer(name={self._name!r}, key_hash={self._key_hash:08x})"


def _index_verifiers(verifiers: Iterable[Verifier]) -> dict[tuple[str, int], Verifier | None]:
    """Map (name, hash) to its verifier, or to None when two different keys collide."""
    known: dict[tuple[str, int], Verifier | None] = {}
    for v in verifiers:
        slot = (v.name, v.key_hash)
        if slot in known:
            previous = known[slot]
            # The same key listed twice is harmless; two different keys are not attributable.
            if previous is None or previous.public_key != v.public_key:
                known[slot] = None
            continue
        known[slot] = v
    return known


def open_note(note: str | bytes, verifiers: Iterable[Verifier]) -> tuple[str, list[str]]:
    """Verify a signed note and return (text, names of keys whose signatures verified)."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNoteError("note is not valid UTF-8") from None
    _check_chars("note", note)
    # The text ends at the LAST blank line, so the text itself may contain blank lines.
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise MalformedNoteError("note signature block is empty or does not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"note has more than {MAX_SIGNATURES} signatures")

    known = _index_verifiers(verifiers)
    message = text.encode("utf-8")
    verified: list[str] = []
    seen: set[tuple[str, int]] = set()
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise MalformedNoteError(f"signature line does not start with an em dash: {line[:40]!r}")
        name, _, sig_b64 = line[len(_SIG_PREFIX) :].partition(" ")
        if not is_valid_name(name) or not sig_b64:
            raise MalformedNoteError(f"malformed signature line: {line[:40]!r}")
        try:
            blob = _b64decode(sig_b64)
        except ValueError:
            raise MalformedNoteError(f"signature of {name!r} is not valid base64") from None
        if len(blob) < 5:
            raise MalformedNoteError(f"signature of {name!r} is too short")
        slot = (name, int.from_bytes(blob[:4], "big"))
        if slot not in known:
            continue  # the spec requires ignoring unknown keys (rotation, witness cosignatures)
        verifier = known[slot]
        if verifier is None:
            raise AmbiguousKeyError(f"ambiguous key {name}+{slot[1]:08x}")
        if slot in seen:
            continue  # Go drops repeated signatures by one key; so do we
        seen.add(slot)
        if not verifier.verify(message, blob[4:]):
            raise InvalidSignatureError(name, slot[1])
        verified.append(name)
    if not verified:
        raise UnverifiedNoteError("note has no verifiable signatures from a known key")
    return text, verified
