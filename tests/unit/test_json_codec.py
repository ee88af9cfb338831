"""The JSON codec both sides of the bus share: exactly I-JSON within the stated limits.

The codec's answer is compared with a slow, obviously right reading of the same bytes (the
standard library with every check spelled out), on generated documents full of what breaks
parsers: deep nesting, lone surrogates, escaped colons, duplicate names, huge and non-finite
numbers, every Unicode plane.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.contracts import json_codec
from shared.contracts.json_codec import BODY, MAX_SAFE_INTEGER, JsonLimits, JsonRefused


class Refused(Exception):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({k for k, _ in pairs}) != len(pairs):
        raise Refused("duplicate")
    return dict(pairs)


def _constant(name: str) -> Any:
    raise Refused(name)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Refused("overflow")
    return value


def _lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def oracle(raw: bytes, limits: JsonLimits) -> Any:
    """What the codec must answer, by the rules written out one by one (Refused otherwise)."""
    if len(raw) > limits.max_bytes:
        raise Refused("size")
    try:
        text = raw.decode("utf-8")
        value = json.loads(
            text, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float
        )
    except (ValueError, RecursionError) as exc:
        raise Refused(str(exc)) from exc
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth >= limits.max_depth:
                raise Refused("depth")
            children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
            for key, child in children:
                if isinstance(key, str) and _lone_surrogate(key):
                    raise Refused("surrogate key")
                stack.append((child, depth + 1))
        elif isinstance(node, str) and _lone_surrogate(node):
            raise Refused("surrogate")
        elif type(node) is int and abs(node) > MAX_SAFE_INTEGER:
            raise Refused("integer")
    return value


def agree(raw: bytes, limits: JsonLimits = BODY) -> None:
    try:
        expected = oracle(raw, limits)
    except Refused:
        with pytest.raises(JsonRefused):
            json_codec.decode(raw, limits)
        return
    assert json_codec.decode(raw, limits) == expected


NASTY_KEYS = st.sampled_from(["a", "a:", ":", "\\u003a", "b", "tenantId", "\U0001f600", "\x00"])
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    st.sampled_from(["x:y", "::", "\U00010000", "\U0010ffff", "\ufeff"]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(st.tuples(NASTY_KEYS | st.text(max_size=4), inner), max_size=4),
    ),
    max_leaves=30,
)


def render(doc: Any) -> str:
    """JSON text; lists of pairs become objects (so names may repeat)."""
    if isinstance(doc, list) and doc and all(isinstance(p, tuple) for p in doc):
        return "{" + ",".join(f"{json.dumps(k)}:{render(v)}" for k, v in doc) + "}"
    if isinstance(doc, list):
        return "[" + ",".join(render(v) for v in doc) + "]"
    return json.dumps(doc)


SPLICES = st.sampled_from(
    [
        "",
        '"\\ud800"',
        '"\\udc00x"',
        '"\\ud83d\\ude00"',
        "1e999",
        "-1e400",
        "NaN",
        "Infinity",
        "9007199254740992",
        "-9007199254740991",
        "1" * 400,
        '"a\\u003Ab"',
        '"\\u003a"',
        "1e-999",
    ]
)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(documents, SPLICES, st.integers(min_value=0, max_value=3))
def test_the_codec_answers_what_the_written_out_rules_answer(
    doc: Any, splice: str, escape_colons: int
) -> None:
    text = render(doc)
    if splice:
        text = f"[{text},{splice}]"
    if escape_colons == 1:  # a name or string holding a `:` written as an escape
        text = text.replace('"a:"', '"a\\u003a"')
    agree(text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize("depth", [63, 64, 65, 200, 254, 255, 951, 1025, 10_000])
@pytest.mark.parametrize("opener", ["[", '{"k":'])
def test_nesting_past_the_limit_is_refused_as_too_deep_and_never_crashes(
    depth: int, opener: str
) -> None:
    closer = "]" if opener == "[" else "}"
    raw = (opener * depth + "1" + closer * depth).encode()
    if depth <= BODY.max_depth:
        assert json_codec.decode(raw) is not None
        return
    with pytest.raises(JsonRefused) as refused:
        json_codec.decode(raw)
    assert refused.value.kind in {"json_too_deep", "json_invalid"}


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b'{"v":"\\ud800"}', "json_surrogate"),
        (b'{"\\ud800":1}', "json_surrogate"),
        (b'{"v":"\\udc00\\ud800"}', "json_surrogate"),
        (b'{"v":1e999}', "json_number"),
        (b'{"v":-1e999}', "json_number"),
        (b'{"v":NaN}', "json_invalid"),
        (b'{"v":Infinity}', "json_invalid"),
        (b'{"v":-Infinity}', "json_invalid"),
        (b'{"v":9007199254740992}', "json_number"),
        (b'{"v":123456789012345678901234567890}', "json_number"),
        (b'{"a":1,"a":2}', "json_duplicate_key"),
        (b'{"a":{"b":1,"b":1}}', "json_duplicate_key"),
        (b'{"a\\u003a":1,"a:":2}', "json_duplicate_key"),
        (b'{"x":"a:b","x":"c"}', "json_duplicate_key"),
        (b'{"v":"\xed\xa0\x80"}', "json_invalid"),
        (b"\xef\xbb\xbf{}", "json_invalid"),
        (b"[" + b"1," * (BODY.max_bytes // 2) + b"1]", "json_too_large"),
    ],
)
def test_each_rule_is_refused_with_its_own_kind(raw: bytes, kind: str) -> None:
    with pytest.raises(JsonRefused) as refused:
        json_codec.decode(raw)
    assert refused.value.kind == kind


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a:b":"c:d","e":["f:"]}',
        b'{"a\\u003a":1,"b":"\\u003A"}',
        b'{"\\ud83d\\ude00":"\\ud83d\\ude00"}',
    ],
)
def test_colons_and_pairs_that_are_fine_are_accepted(raw: bytes) -> None:
    assert json_codec.decode(raw) == json.loads(raw)


def test_what_the_codec_encodes_it_decodes_the_same() -> None:
    value = {"a": [1, 2.5, None, True, "\U0001f600", {"b": "c:d"}], "e": -(2**53 - 1)}
    assert json_codec.decode(json_codec.encode(value)) == value


@pytest.mark.parametrize(
    "data",
    [
        b'{"item":' + b"[" * 80 + b"]" * 80 + b"}",
        b'{"item":{"a":1,"a":2}}',
        b'{"item":{"n":9007199254740993}}',
    ],
)
def test_the_worker_decodes_envelopes_with_the_same_rules(data: bytes) -> None:
    from shared.contracts.envelope import Envelope

    envelope = Envelope(type="item.create", tenant_id="contoso", subject="s")
    raw = envelope.to_bytes().replace(b'"data":{}', b'"data":' + data)
    assert raw != envelope.to_bytes()
    with pytest.raises(JsonRefused):
        Envelope.from_bytes(raw)
