"""RFC 6455 framing (gateway.ws_frames) at both ends, against wsproto's other end."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage

from core_ext._wsmask import mask
from gateway.ws_frames import (
    BINARY,
    INVALID_PAYLOAD,
    POLICY_VIOLATION,
    PROTOCOL_ERROR,
    TEXT,
    Close,
    FrameError,
    FrameParser,
    close_frame,
    frame,
    text_frames,
)
from gateway.ws_frames import Ping as ParsedPing

LIMIT = 1 << 20


def client() -> Connection:
    return Connection(ConnectionType.CLIENT)


def server() -> Connection:
    return Connection(ConnectionType.SERVER)


def masked(opcode: int, payload: bytes, *, fin: bool = True, mask: bytes = b"\x01\x02\x03\x04",
           first: int | None = None) -> bytes:
    """A client frame built by hand, for what wsproto's client would never send."""
    size = len(payload)
    head = bytes(((0x80 if fin else 0) | opcode if first is None else first,))
    if size < 126:
        head += bytes((0x80 | size,))
    elif size < 1 << 16:
        head += bytes((0x80 | 126,)) + size.to_bytes(2, "big")
    else:
        head += bytes((0x80 | 127,)) + size.to_bytes(8, "big")
    key = (mask * (size // 4 + 1))[:size]
    return head + mask + bytes(a ^ b for a, b in zip(payload, key, strict=True))


def refused(data: bytes, limit: int = LIMIT) -> FrameError:
    with pytest.raises(FrameError) as error:
        FrameParser(limit).feed(data)
    return error.value


messages = st.lists(st.one_of(st.text(max_size=300), st.binary(max_size=300)), max_size=8)


@given(messages, st.lists(st.integers(min_value=1, max_value=400), max_size=20))
def test_what_wsprotos_client_sends_is_parsed_however_it_is_cut(
        sent: list[str | bytes], cuts: list[int]) -> None:
    ws = client()
    wire = b"".join(ws.send(TextMessage(data=m) if isinstance(m, str) else BytesMessage(data=m))
                    for m in sent)
    parser, received, at = FrameParser(LIMIT), [], 0
    for cut in [*cuts, len(wire)]:
        received += parser.feed(wire[at:at + cut])
        at += cut
    assert received == [m.encode() if isinstance(m, str) else m for m in sent]


@given(st.binary(max_size=200), st.lists(st.binary(max_size=40), max_size=6))
def test_any_bytes_give_messages_or_a_frame_error_and_nothing_else(
        first: bytes, rest: list[bytes]) -> None:
    parser = FrameParser(64)
    try:
        for data in (first, *rest):
            for item in parser.feed(data):
                assert isinstance(item, bytes | ParsedPing | Close)
    except FrameError as error:
        assert error.code in (PROTOCOL_ERROR, INVALID_PAYLOAD, POLICY_VIOLATION)


def test_a_message_in_many_small_fragments_is_counted_against_the_limit() -> None:
    wire = masked(TEXT, b"x", fin=False) + masked(0x0, b"x", fin=False) * 998
    parser = FrameParser(1000)
    assert parser.feed(wire) == []
    assert parser.feed(masked(0x0, b"x")) == [b"x" * 1000]
    # The count starts again with the next message.
    assert parser.feed(masked(TEXT, b"y" * 600, fin=False) + masked(0x0, b"y" * 400)) == [
        b"y" * 1000]
    parser = FrameParser(1000)
    parser.feed(wire + masked(0x0, b"x", fin=False))
    assert refused_by(parser, masked(0x0, b"x")).code == POLICY_VIOLATION


def refused_by(parser: FrameParser, data: bytes) -> FrameError:
    with pytest.raises(FrameError) as error:
        parser.feed(data)
    return error.value


@pytest.mark.parametrize("size", [0, 125, 126, 65_535, 65_536, 200_000])
def test_every_length_encoding_both_ways(size: int) -> None:
    payload = os.urandom(size // 2).hex().encode() + b"x" * (size % 2)
    assert FrameParser(LIMIT).feed(masked(TEXT, payload)) == [payload]
    ws = client()
    ws.receive_data(text_frames([payload, b"{}"]))
    assert [(e.data, e.message_finished) for e in ws.events()] == [
        (payload.decode(), True), ("{}", True)]


def test_fragments_make_one_message_and_a_ping_between_them_comes_first() -> None:
    wire = (masked(TEXT, b'{"op":', fin=False) + masked(0x9, b"are you there")
            + masked(0x0, b'"submit"', fin=False) + masked(0x0, b"}"))
    assert FrameParser(LIMIT).feed(wire) == [ParsedPing(b"are you there"), b'{"op":"submit"}']


def test_binary_is_not_checked_as_utf8_but_text_is() -> None:
    assert FrameParser(LIMIT).feed(masked(BINARY, b"\xff\xfe")) == [b"\xff\xfe"]
    assert refused(masked(TEXT, b"\xff\xfe")).code == INVALID_PAYLOAD
    # A character cut between fragments is whole once they are joined.
    euro = "€".encode()
    assert FrameParser(LIMIT).feed(
        masked(TEXT, euro[:1], fin=False) + masked(0x0, euro[1:])) == [euro]


@pytest.mark.parametrize(("wire", "reason"), [
    (b"\x81\x02hi", "client frame not masked"),
    (masked(TEXT, b"x", first=0x80 | 0x40 | TEXT), "reserved bits set"),
    (masked(0x0, b"x"), "continuation frame outside a fragmented message"),
    (masked(TEXT, b"x", fin=False) + masked(TEXT, b"y"), "new message inside a fragmented one"),
    (masked(0x9, b"x" * 126), "control frame fragmented or over 125 bytes"),
    (masked(0x9, b"x", fin=False), "control frame fragmented or over 125 bytes"),
    (masked(0x3, b"x"), "unknown opcode 0x3"),
    (masked(0xB, b""), "unknown opcode 0xb"),
    (masked(0x8, b"\x03"), "close frame of one byte"),
    (masked(0x8, (1005).to_bytes(2, "big")), "close code 1005 may not be sent"),
])
def test_protocol_errors(wire: bytes, reason: str) -> None:
    error = refused(wire)
    assert (error.code, error.reason) == (PROTOCOL_ERROR, reason)


def test_a_message_over_the_limit_is_refused_from_its_header() -> None:
    head = masked(TEXT, b"x" * 1001)[:8]  # the header and mask, none of the payload
    assert (refused(head, 1000).code, refused(head, 1000).reason) == (
        POLICY_VIOLATION, "frame over the size limit")
    assert FrameParser(1001).feed(head) == []  # at the limit: waits for the payload
    fragments = masked(TEXT, b"x" * 600, fin=False) + masked(0x0, b"x" * 600)
    assert refused(fragments, 1000).code == POLICY_VIOLATION


def test_a_close_frame_ends_the_parse() -> None:
    parser = FrameParser(LIMIT)
    wire = masked(TEXT, b"a") + masked(0x8, (1000).to_bytes(2, "big") + b"bye") + masked(
        TEXT, b"after")
    assert parser.feed(wire) == [b"a", Close(1000, "bye")]
    assert parser.feed(masked(TEXT, b"later")) == []
    assert FrameParser(LIMIT).feed(masked(0x8, b"")) == [Close(None, "")]
    assert FrameParser(LIMIT).feed(masked(0x8, (4000).to_bytes(2, "big"))) == [Close(4000, "")]
    assert FrameParser(LIMIT).feed(masked(0xA, b"pong")) == []


def test_server_control_frames_as_wsproto_reads_them() -> None:
    ws = client()
    ws.receive_data(frame(0x9, b"ping?") + close_frame(1008, "€" * 60))
    ping, close = list(ws.events())
    assert isinstance(ping, Ping) and ping.payload == b"ping?"
    assert isinstance(close, CloseConnection) and close.code == 1008
    assert close.reason == "€" * 41  # 123 bytes of reason at most, cut between characters


@given(messages, st.lists(st.integers(min_value=1, max_value=400), max_size=20))
def test_what_wsprotos_server_sends_is_parsed_by_a_client_however_it_is_cut(
        sent: list[str | bytes], cuts: list[int]) -> None:
    ws = server()
    wire = b"".join(ws.send(TextMessage(data=m) if isinstance(m, str) else BytesMessage(data=m))
                    for m in sent) + ws.send(Ping(payload=b"?"))
    parser, received, at = FrameParser(LIMIT, masked=False), [], 0
    for cut in [*cuts, len(wire)]:
        received += parser.feed(wire[at:at + cut])
        at += cut
    assert received == [*(m.encode() if isinstance(m, str) else m for m in sent), ParsedPing(b"?")]


@pytest.mark.parametrize("size", [0, 3, 125, 126, 65_535, 65_536, 200_000])
def test_a_clients_masked_frames_as_wsproto_and_the_server_parser_read_them(size: int) -> None:
    payload = os.urandom(size // 2).hex().encode() + b"x" * (size % 2)
    wire = frame(TEXT, payload, os.urandom(4)) + frame(TEXT, b"{}", os.urandom(4))
    ws = server()
    ws.receive_data(wire)
    assert [e.data for e in ws.events()] == [payload.decode(), "{}"]
    assert FrameParser(LIMIT).feed(wire) == [payload, b"{}"]


def test_each_end_refuses_the_others_masking() -> None:
    assert refused(frame(TEXT, b"hi")).reason == "client frame not masked"
    with pytest.raises(FrameError) as error:
        FrameParser(LIMIT, masked=False).feed(frame(TEXT, b"hi", b"abcd"))
    assert (error.value.code, error.value.reason) == (PROTOCOL_ERROR, "server frame masked")


@given(st.binary(max_size=2000), st.binary(min_size=4, max_size=4))
def test_the_compiled_mask_is_the_payload_xor_the_repeated_key(payload: bytes,
                                                               key: bytes) -> None:
    masked = mask(payload, key)
    assert masked == bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    assert mask(bytearray(masked), key) == payload


@pytest.mark.parametrize("key", [b"", b"abc", b"abcde"])
def test_a_masking_key_is_four_bytes(key: bytes) -> None:
    with pytest.raises(ValueError, match="4 bytes"):
        mask(b"payload", key)
