"""RFC 8785 JSON Canonicalization Scheme (JCS): the exact bytes every audit entry is hashed over.

Two parties that hold the same JSON value must produce the same bytes, or the Merkle leaf hashes
(and so every proof) disagree. JCS pins down the three places ordinary serialisers vary: member
order (UTF-16 code units of the names), string escaping (ECMAScript ``JSON.stringify``) and numbers
(ECMAScript ``Number.prototype.toString``). Anything that cannot be serialised faithfully is refused
rather than approximated, since a silently altered entry would be a silently altered audit record.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_SAFE_INTEGER", "PlainJson", "canonical_json", "loads_plain"]

# Integers beyond 2**53 do not survive a round trip through an IEEE-754 double, which is what every
# ECMAScript (and most other) verifiers parse numbers into; such an entry could never be re-verified.
MAX_SAFE_INTEGER = 2**53

# JSON.stringify escapes exactly these; everything else (including U+2028/2029 and non-ASCII) is
# emitted as literal UTF-8.
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')
# Lone surrogates have no UTF-8 form; I-JSON (RFC 7493), which JCS builds on, forbids them.
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _string(text: str) -> str:
    if _LONE_SURROGATE.search(text):
        raise ValueError("string contains a lone surrogate, which has no UTF-8 form")
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, text) + '"'


def _float(number: float) -> str:
    """Serialise a finite double as ECMAScript Number::toString does."""
    if not math.isfinite(number):
        raise ValueError("NaN and Infinity are not JSON numbers")
    if number == 0:
        return "0"  # covers -0.0, which ECMAScript prints as 0
    sign = "-" if number < 0 else ""
    # repr() gives the shortest digit string that round-trips, choosing the closest on ties: the
    # same digits ECMAScript requires. Only the placement of the point and exponent differs.
    mantissa, _, exp_text = repr(abs(number)).partition("e")
    whole, _, frac = mantissa.partition(".")
    significant = (whole + frac).lstrip("0")
    # Value = 0.d1d2...dk * 10**point: ECMAScript's digits s (length k) and exponent n.
    point = len(whole) + int(exp_text or 0) - (len(whole + frac) - len(significant))
    digits = significant.rstrip("0")
    count = len(digits)
    if count <= point <= 21:
        body = digits + "0" * (point - count)
    elif 0 < point <= 21:
        body = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        body = "0." + "0" * -point + digits
    else:
        exponent = point - 1
        exp_sign = "+" if exponent >= 0 else "-"
        head = digits[0] if count == 1 else digits[0] + "." + digits[1:]
        body = f"{head}e{exp_sign}{abs(exponent)}"
    return sign + body


def _int(number: int) -> str:
    if abs(number) > MAX_SAFE_INTEGER:
        raise ValueError(f"integer {number} is outside ±2**53 and cannot round-trip through JSON numbers")
    return str(number)


def _write(value: object, out: Callable[[str], None]) -> None:
    # bool before int: True is an int in Python but the literal true in JSON.
    if value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif isinstance(value, str):
        out(_string(value))
    elif isinstance(value, int):
        out(_int(value))
    elif isinstance(value, float):
        out(_float(value))
    elif isinstance(value, list | tuple):
        out("[")
        for position, item in enumerate(value):
            if position:
                out(",")
            _write(item, out)
        out("]")
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"object keys must be str, not {type(key).__name__}")
        # Big-endian UTF-16 bytes compare exactly as the sequences of UTF-16 code units do, which is
        # the order JCS prescribes (astral characters sort by their surrogates, below U+E000..FFFF).
        names = sorted(value, key=lambda name: name.encode("utf-16-be", "surrogatepass"))
        out("{")
        for position, name in enumerate(names):
            if position:
                out(",")
            out(_string(name))
            out(":")
            _write(value[name], out)
        out("}")
    else:
        raise TypeError(f"{type(value).__name__} is not a JSON value")


class PlainJson:
    """A parsed JSON value and whether Python's own encoder already writes it canonically.

    It does when the value has no floats (JCS formats numbers its own way), no integer beyond
    ±2**53 and no member name with a character at or above U+E000 (Python sorts by code point, JCS by
    UTF-16 code unit: the two orders differ only there). Escaping and separators then agree with
    JCS byte for byte, which ``tests/unit/test_audit_canonical.py`` checks on random values.
    """

    __slots__ = ("plain", "value")

    def __init__(self, value: Any, plain: bool) -> None:
        self.value = value
        self.plain = plain


def loads_plain(text: str | bytes) -> PlainJson:
    """Parse JSON text, noting on the way whether the fast canonical path applies to it."""
    plain = True

    def number(literal: str) -> float:
        nonlocal plain
        plain = False
        return float(literal)

    def integer(literal: str) -> int:
        nonlocal plain
        value = int(literal)
        if abs(value) > MAX_SAFE_INTEGER:
            plain = False
        return value

    def members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal plain
        if plain and any(name and max(name) >= "\ue000" for name, _ in pairs):
            plain = False
        return dict(pairs)

    value = json.loads(text, parse_float=number, parse_int=integer, object_pairs_hook=members)
    return PlainJson(value, plain)


def canonical_json(value: object, *, plain: bool = False) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON-compatible Python value.

    ``plain=True`` (see :class:`PlainJson`) lets Python's C encoder write it; a lone surrogate still
    takes the checked path, which refuses it.
    """
    if plain:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
        if not _LONE_SURROGATE.search(text):
            return text.encode("utf-8")
    parts: list[str] = []
    _write(value, parts.append)
    return "".join(parts).encode("utf-8")
