"""Opaque cursors, ETags and If-Match parsing."""

from __future__ import annotations

import base64

import pytest

from jzkit.errors import InvalidInput, PreconditionRequired
from jzkit.pagination import decode_cursor, encode_cursor, etag, parse_if_match


@pytest.mark.parametrize(
    "position",
    [{"id": "0190c3e2-7a5b-7c3d-8e9f-0a1b2c3d4e5f"}, {"id": "x", "n": 3}, {"name": "王大山", "id": "?&="}],
)
def test_cursor_round_trip(position: dict[str, object]) -> None:
    cursor = encode_cursor(position)
    assert "=" not in cursor and "+" not in cursor and "/" not in cursor  # URL-safe, unpadded
    assert decode_cursor(cursor) == position


def test_empty_cursor_means_first_page() -> None:
    assert decode_cursor(None) is None
    assert decode_cursor("") is None


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "%%%",
        "eyJpZCI6",  # truncated JSON
        base64.urlsafe_b64encode(b"[1, 2]").decode(),  # JSON, but not an object
        base64.urlsafe_b64encode(b'"id"').decode(),
        base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
        "游标",
    ],
)
def test_malformed_cursor_is_invalid_input_naming_the_field(cursor: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        decode_cursor(cursor)
    assert exc.value.status == 422
    assert exc.value.code == "invalid-cursor"
    assert exc.value.field == "cursor"


def test_etag_is_strong_and_quoted() -> None:
    assert etag(3) == '"3"'


@pytest.mark.parametrize(("header", "version"), [('"3"', 3), ('W/"3"', 3), ("3", 3), (' "12" ', 12)])
def test_if_match_parsing(header: str, version: int) -> None:
    assert parse_if_match(header) == version


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_if_match_is_428(header: str | None) -> None:
    with pytest.raises(PreconditionRequired) as exc:
        parse_if_match(header)
    assert exc.value.status == 428
    assert exc.value.code == "if-match-required"
    assert exc.value.field == "If-Match"
    assert parse_if_match(header, required=False) is None


@pytest.mark.parametrize("header", ['"abc"', '"-1"', '"3", "4"', "*"])
def test_malformed_if_match_is_422(header: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_if_match(header)
    assert exc.value.code == "invalid-if-match"
    assert exc.value.field == "If-Match"
