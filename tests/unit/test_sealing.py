"""The sealer behind compaction items: what it seals opens only with its key, for its scope, unaltered."""

from __future__ import annotations

import base64
import json

import pytest

from responsekit.server.sealing import VERSION, Sealer, SealError

WINDOW = {
    "items": [
        {
            "id": "msg_1",
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "héllo ✓"}],
        },
        {"id": "fc_1", "type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"a": 1}'},
    ]
}


def _raw(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@pytest.mark.parametrize("scope", [None, "", "alice", "ユーザー"])
@pytest.mark.parametrize("value", [WINDOW, [], {"items": []}, "text", 42, None])
def test_what_is_sealed_opens_unchanged(scope, value):
    sealer = Sealer("a shared secret")
    token = sealer.seal(value, scope)
    assert isinstance(token, str) and token.isascii() and "=" not in token
    assert sealer.open(token, scope) == value


def test_the_token_is_opaque_and_fresh_each_time():
    sealer = Sealer("k")
    first, second = sealer.seal(WINDOW, "alice"), sealer.seal(WINDOW, "alice")
    assert first != second  # a random nonce each time
    assert "héllo" not in first and "msg_1" not in first
    assert b"msg_1" not in _raw(first)
    assert _raw(first)[0] == VERSION


def test_a_large_window_is_compressed():
    window = {"items": [{"type": "message", "role": "user", "content": "the same words " * 2000}]}
    token = Sealer("k").seal(window, None)
    assert len(token) < len(json.dumps(window)) / 10


def test_replicas_with_the_same_secret_open_each_others_tokens():
    token = Sealer("shared").seal(WINDOW, "alice")
    assert Sealer("shared").open(token, "alice") == WINDOW


@pytest.mark.parametrize(
    ("sealer", "other"),
    [
        (Sealer("one"), Sealer("two")),
        (Sealer("one"), Sealer("one ")),
        (Sealer(), Sealer()),  # two processes without a configured key
        (Sealer(), Sealer("one")),
    ],
)
def test_another_key_does_not_open(sealer, other):
    token = sealer.seal(WINDOW, "alice")
    with pytest.raises(SealError) as caught:
        other.open(token, "alice")
    assert caught.value.reason == "unverified"


@pytest.mark.parametrize(
    ("sealed_for", "opened_for"),
    [("alice", "bob"), ("alice", None), (None, ""), ("", None), ("alice", "ALICE")],
)
def test_another_scope_does_not_open(sealed_for, opened_for):
    sealer = Sealer("k")
    with pytest.raises(SealError) as caught:
        sealer.open(sealer.seal(WINDOW, sealed_for), opened_for)
    assert caught.value.reason == "unverified"


def test_changing_any_byte_is_refused():
    sealer = Sealer("k")
    raw = _raw(sealer.seal(WINDOW, "alice"))
    for position in range(len(raw)):
        for flip in (0x01, 0x80):
            altered = bytearray(raw)
            altered[position] ^= flip
            with pytest.raises(SealError) as caught:
                sealer.open(_token(bytes(altered)), "alice")
            assert caught.value.reason == ("version" if position == 0 else "unverified")


def test_changing_any_character_is_refused():
    sealer = Sealer("k")
    token = sealer.seal({"items": []}, None)
    for position, char in enumerate(token):
        for replacement in {"A", "B", "-", "_"} - {char}:
            altered = token[:position] + replacement + token[position + 1 :]
            with pytest.raises(SealError):
                sealer.open(altered, None)


def test_truncated_or_extended_tokens_are_refused():
    sealer = Sealer("k")
    token = sealer.seal(WINDOW, None)
    raw = _raw(token)
    for cut in (0, 1, 13, 28, len(raw) - 1):
        with pytest.raises(SealError):
            sealer.open(_token(raw[:cut]), None)
    with pytest.raises(SealError):
        sealer.open(_token(raw + b"\x00"), None)


def test_an_unknown_version_says_so():
    sealer = Sealer("k")
    raw = bytearray(_raw(sealer.seal(WINDOW, None)))
    raw[0] = VERSION + 1
    with pytest.raises(SealError) as caught:
        sealer.open(_token(bytes(raw)), None)
    assert caught.value.reason == "version"
    assert str(VERSION + 1) in str(caught.value)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "A",
        "not base64!",
        "AAAA====",
        "ÿÿÿÿ",
        "AQ" * 40 + "+/",
        "AQ" * 40 + "=",
        " " + "AQ" * 40,
        17,
        None,
    ],
)
def test_what_was_never_sealed_is_malformed(token):
    with pytest.raises(SealError) as caught:
        Sealer("k").open(token, None)
    assert caught.value.reason in {"malformed", "version", "unverified"}


def test_non_canonical_base64_is_refused():
    sealer = Sealer("k")
    token = sealer.seal(WINDOW, None)
    variants = {token + "==", token + "\n", " " + token, token.replace("-", "+").replace("_", "/")} - {token}
    for variant in variants:
        with pytest.raises(SealError) as caught:
            sealer.open(variant, None)
        assert caught.value.reason == "malformed"


def test_the_key_is_ephemeral_only_without_a_secret():
    assert Sealer().ephemeral
    assert not Sealer("k").ephemeral
