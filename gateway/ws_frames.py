"""RFC 6455 framing, sans I/O: frames parsed and built for either end. What the
stream needs when it reads and writes its connection itself
(``gateway.stream_sockets``), and the load generator's stream client
(``loadtest.ws``): no extension is negotiated, so the reserved bits must be clear.

Parsing enforces what the receiving end must: every client frame masked and no
server frame masked, control frames unfragmented and at most 125 bytes,
continuation frames only inside a fragmented message (control frames may come
between its fragments), text valid UTF-8, a close frame's code one a peer may
send. A message over the size limit is refused from its header, before its
payload is read.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from core_ext._wsmask import mask as xor_mask

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
FIN = 0x80

GOING_AWAY = 1001
PROTOCOL_ERROR = 1002
INVALID_PAYLOAD = 1007
POLICY_VIOLATION = 1008
MAX_CONTROL_PAYLOAD = 125
# Codes a peer may send in a close frame (RFC 6455 §7.4): 1004-1006 and 1015 are
# reserved, 3000-4999 are for libraries and applications.
_SENDABLE = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013,
                       1014, *range(3000, 5000)})


class FrameError(Exception):
    """The peer broke the protocol: the connection closes with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Ping:
    payload: bytes


@dataclass(frozen=True, slots=True)
class Close:
    code: int | None  # None: the close frame carried no code
    reason: str


Received = bytes | Ping | Close  # bytes: a whole text or binary message


class FrameParser:
    """Frames in, messages and control frames out: a server's parser takes masked
    (client) frames, a client's (``masked=False``) unmasked (server) frames."""

    def __init__(self, max_message: int, *, masked: bool = True) -> None:
        self._max_message = max_message
        self._masked = masked
        self._buffer = bytearray()
        self._fragments: list[bytes] = []
        self._fragments_size = 0
        self._fragmented: int | None = None  # the opcode of the message in fragments
        self._closed = False

    def feed(self, data: bytes) -> list[Received]:
        """What ``data`` completes, in order. Raises ``FrameError`` on a violation;
        after a close frame, everything is ignored."""
        if self._closed:
            return []
        buffer = self._buffer
        buffer += data
        received: list[Received] = []
        at, end = 0, len(buffer)
        while end - at >= 2 and not self._closed:
            first, second = buffer[at], buffer[at + 1]
            if first & 0x70:
                raise FrameError(PROTOCOL_ERROR, "reserved bits set")
            if bool(second & 0x80) != self._masked:
                raise FrameError(PROTOCOL_ERROR, "client frame not masked" if self._masked
                                 else "server frame masked")
            size, head = second & 0x7F, 2
            if size == 126:
                if end - at < 4:
                    break
                size, head = int.from_bytes(buffer[at + 2:at + 4], "big"), 4
            elif size == 127:
                if end - at < 10:
                    break
                size, head = int.from_bytes(buffer[at + 2:at + 10], "big"), 10
            opcode = first & 0x0F
            self._check(opcode, bool(first & FIN), size)
            start = at + head + 4 * self._masked
            if end - start < size:
                break
            payload = (xor_mask(buffer[start:start + size], buffer[start - 4:start])
                       if self._masked else bytes(buffer[start:start + size]))
            at = start + size
            self._take(opcode, bool(first & FIN), payload, received)
        del buffer[:at]
        return received

    def _check(self, opcode: int, fin: bool, size: int) -> None:
        """What a frame's header alone shows to be wrong."""
        if opcode >= CLOSE:
            if opcode not in (CLOSE, PING, PONG):
                raise FrameError(PROTOCOL_ERROR, f"unknown opcode {opcode:#x}")
            if not fin or size > MAX_CONTROL_PAYLOAD:
                raise FrameError(PROTOCOL_ERROR, "control frame fragmented or over 125 bytes")
            return
        if opcode not in (CONTINUATION, TEXT, BINARY):
            raise FrameError(PROTOCOL_ERROR, f"unknown opcode {opcode:#x}")
        if (opcode == CONTINUATION) != (self._fragmented is not None):
            raise FrameError(PROTOCOL_ERROR, "continuation frame outside a fragmented message"
                             if opcode == CONTINUATION else "new message inside a fragmented one")
        if size + self._fragments_size > self._max_message:
            raise FrameError(POLICY_VIOLATION, "frame over the size limit")

    def _take(self, opcode: int, fin: bool, payload: bytes, received: list[Received]) -> None:
        if opcode == PING:
            received.append(Ping(payload))
        elif opcode == CLOSE:
            received.append(_close(payload))
            self._closed = True
        elif opcode == PONG:
            return
        elif not fin:
            self._fragments.append(payload)
            self._fragments_size += len(payload)
            if opcode != CONTINUATION:
                self._fragmented = opcode
        else:
            if opcode == CONTINUATION:
                self._fragments.append(payload)
                payload, opcode = b"".join(self._fragments), self._fragmented or TEXT
                self._fragments.clear()
                self._fragments_size = 0
                self._fragmented = None
            if opcode == TEXT:
                _utf8(payload)
            received.append(payload)


def _utf8(payload: bytes) -> str:
    try:
        return payload.decode()
    except UnicodeDecodeError:
        raise FrameError(INVALID_PAYLOAD, "text not valid UTF-8") from None


def _close(payload: bytes) -> Close:
    if not payload:
        return Close(None, "")
    if len(payload) == 1:
        raise FrameError(PROTOCOL_ERROR, "close frame of one byte")
    code = int.from_bytes(payload[:2], "big")
    if code not in _SENDABLE:
        raise FrameError(PROTOCOL_ERROR, f"close code {code} may not be sent")
    return Close(code, _utf8(payload[2:]))


def frame(opcode: int, payload: bytes, mask: bytes | None = None) -> bytes:
    """One unfragmented frame: a server's unmasked, a client's masked with ``mask``
    (four bytes from a strong random source, new for every frame)."""
    size, masking = len(payload), 0x80 if mask is not None else 0
    if size < 126:
        head = bytes((FIN | opcode, masking | size))
    elif size < 1 << 16:
        head = struct.pack("!BBH", FIN | opcode, masking | 126, size)
    else:
        head = struct.pack("!BBQ", FIN | opcode, masking | 127, size)
    if mask is None:
        return head + payload
    return head + mask + xor_mask(payload, mask)


def text_frames(messages: list[bytes]) -> bytes:
    """Text frames for UTF-8 messages, in one piece for one write."""
    return b"".join([frame(TEXT, message) for message in messages])


def close_frame(code: int, reason: str) -> bytes:
    encoded = reason.encode()[:MAX_CONTROL_PAYLOAD - 2]
    # Cut at a character boundary: the reason must stay valid UTF-8.
    return frame(CLOSE, code.to_bytes(2, "big") + encoded.decode(errors="ignore").encode())
