"""RFC 8785 canonical JSON against the RFC's and the reference implementation's known answers."""

from __future__ import annotations

import json
import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.domain.canonical import canonical_json, loads_plain

# RFC 8785 Appendix B "Number Serialization Samples": IEEE-754 bit pattern -> expected text.
APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def _double(bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


@pytest.mark.parametrize(("bits", "expected"), APPENDIX_B)
def test_appendix_b_numbers(bits: str, expected: str) -> None:
    assert canonical_json(_double(bits)) == expected.encode()


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_appendix_b_non_finite_numbers_are_refused(bits: str) -> None:
    with pytest.raises(ValueError):
        canonical_json(_double(bits))


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (1e-6, "0.000001"),
        (1.5e-7, "1.5e-7"),
        (0.1, "0.1"),
        (-0.0, "0"),
        (56.0, "56"),
        (4.5, "4.5"),
        (1e30, "1e+30"),
        (123.456, "123.456"),
        (-1.25e100, "-1.25e+100"),
        (0, "0"),
        (-7, "-7"),
        (2**53, "9007199254740992"),
        (-(2**53), "-9007199254740992"),
    ],
)
def test_es_number_tostring_rules(number: float, expected: str) -> None:
    assert canonical_json(number) == expected.encode()


# cyberphone/json-canonicalization testdata/input/*.json -> testdata/output/*.json
REFERENCE_SAMPLES = {
    "arrays": (
        '[\n  56,\n  {\n    "d": true,\n    "10": null,\n    "1": [ ]\n  }\n]',
        '[56,{"1":[],"10":null,"d":true}]',
    ),
    "french": (
        '{\n  "peach": "This sorting order",\n  "péché": "is wrong according to French",\n'
        '  "pêche": "but canonicalization MUST",\n  "sin":   "ingnore locale"\n}\n',
        '{"peach":"This sorting order","péché":"is wrong according to French",'
        '"pêche":"but canonicalization MUST","sin":"ingnore locale"}',
    ),
    "structures": (
        '{\n  "1": {"f": {"f": "hi","F": 5} ,"\\n": 56.0},\n  "10": { },\n  "": "empty",\n'
        '  "a": { },\n  "111": [ { } ],\n  "A": { }\n}',
        '{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{}],"A":{},"a":{}}',
    ),
    "unicode": (
        '{\n  "Unnormalized Unicode":"\\u1e0d\\u0307"\n}\n',
        '{"Unnormalized Unicode":"\u1e0d\u0307"}',
    ),
    "values": (
        '{\n  "numbers": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001],\n'
        '  "escaping": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n'
        '  "literals": [null, true, false]\n}',
        '{"escaping":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/","literals":[null,true,false],'
        '"numbers":[1e+30,4.5,333333333.3333333,0.002,1e-27]}',
    ),
    "weird": (
        '{\n  "\\u20ac": "Euro Sign",\n  "1": "One",\n  "\\u0080": "Control\\u007f",\n'
        '  "\\ud83d\\ude02": "Smiley",\n  "\\u00f6": "Latin Small Letter O With Diaeresis",\n'
        '  "\\ufb33": "Hebrew Letter Dalet With Dagesh",\n  "</script>": "Browser Challenge"\n}\n',
        '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f",'
        '"ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😂":"Smiley",'
        '"\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    ),
}


@pytest.mark.parametrize("name", sorted(REFERENCE_SAMPLES))
def test_reference_implementation_samples(name: str) -> None:
    source, expected = REFERENCE_SAMPLES[name]
    assert canonical_json(json.loads(source)) == expected.encode("utf-8")


def test_rfc_sorting_example_orders_by_utf16_code_units() -> None:
    # RFC 8785 §3.2.3: the emoji (a surrogate pair) sorts before U+FB33 though its code point is higher.
    source = (
        '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh",'
        ' "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control",'
        ' "\\u00f6": "Latin Small Letter O With Diaeresis"}'
    )
    output = json.loads(canonical_json(json.loads(source)))
    assert list(output.values()) == [
        "Carriage Return",
        "One",
        "Control",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Emoji: Grinning Face",
        "Hebrew Letter Dalet With Dagesh",
    ]


def test_readme_sample_utf8_bytes() -> None:
    # cyberphone/json-canonicalization README: sample input and its canonical UTF-8 in hex.
    source = (
        '{"numbers": [1E30,4.50,6,2e-3,0.000000000000000000000000001],'
        ' "escaping": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "other":  [null, true, false]}'
    )
    expected = bytes.fromhex(
        "7b 22 65 73 63 61 70 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30 30 66 5c 6e 41 27 42 5c 22 5c 5c"
        "5c 5c 5c 22 2f 22 2c 22 6e 75 6d 62 65 72 73 22 3a 5b 31 65 2b 33 30 2c 34 2e 35 2c 36 2c 30 2e"
        "30 30 32 2c 31 65 2d 32 37 5d 2c 22 6f 74 68 65 72 22 3a 5b 6e 75 6c 6c 2c 74 72 75 65 2c 66 61"
        "6c 73 65 5d 7d"
    )
    assert canonical_json(json.loads(source)) == expected


def test_string_escapes_match_json_stringify() -> None:
    text = '"\\\b\f\n\r\t\x00\x1f\x7f\u2028\u2029é中/'
    expected = '"\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f\x7f\u2028\u2029é中/"'
    assert canonical_json(text) == expected.encode("utf-8")


def test_tuples_are_arrays_and_no_whitespace() -> None:
    assert canonical_json({"b": (1, [2, {}]), "a": None}) == b'{"a":null,"b":[1,[2,{}]]}'


@pytest.mark.parametrize("number", [2**53 + 1, -(2**53) - 1, 10**30])
def test_unsafe_integers_are_refused(number: int) -> None:
    with pytest.raises(ValueError):
        canonical_json({"n": number})


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "\ud800", {"\udc00": 1}])
def test_unrepresentable_values_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        canonical_json([value])


@pytest.mark.parametrize("value", [{1: "x"}, {None: 1}, {(1,): 2}, {1, 2}, b"bytes", object(), 1 + 2j])
def test_non_json_values_are_refused(value: object) -> None:
    with pytest.raises(TypeError):
        canonical_json({"v": value})


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


def _as_js(value: object) -> object:
    """Map a value to what an ECMAScript parser sees: every number a double."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, list):
        return [_as_js(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_js(item) for key, item in value.items()}
    return value


@given(json_values)
def test_output_parses_back_to_the_same_value_and_is_a_fixed_point(value: object) -> None:
    encoded = canonical_json(value)
    # Parse as ECMAScript does (numbers are doubles): Python would read "4074988376164967e1"-style
    # output of a large float back as an int, which is a different Python value but the same number.
    decoded = json.loads(encoded, parse_int=float)
    assert decoded == _as_js(value)
    assert canonical_json(decoded) == encoded


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_float_round_trips(number: float) -> None:
    assert float(canonical_json(number)) == number


# Any text, including astral characters, characters from U+E000 up and control characters in names.
wide_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=8)
wide_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | wide_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(wide_text, inner, max_size=4),
    max_leaves=12,
)


@given(wide_values)
def test_the_fast_path_agrees_with_the_checked_writer_whenever_it_is_taken(value: object) -> None:
    # The audit consumer parses each envelope with loads_plain and encodes it with its verdict.
    parsed = loads_plain(json.dumps(value, ensure_ascii=False, allow_nan=False))
    try:
        checked = canonical_json(parsed.value)
    except ValueError:  # an integer beyond 2**53: never plain, refused either way
        assert not parsed.plain
        return
    assert canonical_json(parsed.value, plain=parsed.plain) == checked


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ('{"a":[1,"x",true,null]}', True),
        ('{"a":1.5}', False),  # JCS writes numbers its own way
        ('{"a":9007199254740993}', False),  # beyond 2**53
        ('{"\\ue000":1,"\\ud83d\\ude00":2}', False),  # code point and UTF-16 order differ here
        ('{"名":"值"}', True),
    ],
)
def test_loads_plain_tells_when_python_encodes_canonically(text: str, plain: bool) -> None:
    assert loads_plain(text).plain is plain


def test_a_lone_surrogate_is_refused_on_the_fast_path_too() -> None:
    with pytest.raises(ValueError, match="surrogate"):
        canonical_json({"a": "\ud800"}, plain=True)
