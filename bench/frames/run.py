"""`python -m bench.frames.run [--quick] [--seconds S]`: the frames benchmark's JSON.

The WebSocket framing of the stream (`gateway.ws_frames`) against wsproto, the
library it replaced, on the same messages in the same run: a submit of 1.5 KB, the
size of a declaration's envelope. Two metrics:
  - a server reading client frames: our `FrameParser` against wsproto's server
    connection, both fed a buffer of 32 masked frames;
  - a client writing them: our `frame` with a new key from `os.urandom` against
    wsproto's client connection sending a `TextMessage`.
Rates are messages per CPU second.
"""

import argparse
import os
import sys

from wsproto.connection import Connection, ConnectionType
from wsproto.events import TextMessage

from bench.result import emit, metric
from bench.timing import calls_per_second
from gateway.ws_frames import TEXT, FrameParser, frame

FULL_SECONDS = 2.0
QUICK_SECONDS = 0.05
MESSAGE = b'{"op":"submit","seq":1,"env":"' + b"x" * 1468 + b'"}'  # 1,500 bytes
FRAMES_PER_READ = 32


def _progress(message: str) -> None:
    print(f"frames: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.frames.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny durations")
    parser.add_argument("--seconds", type=float, help="per figure (default 2)")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (
        QUICK_SECONDS if args.quick else FULL_SECONDS)

    wire = b"".join(frame(TEXT, MESSAGE, os.urandom(4)) for _ in range(FRAMES_PER_READ))
    ours = FrameParser(1 << 20)
    theirs = Connection(ConnectionType.SERVER)

    def read_ours() -> list[bytes]:
        return [m for m in ours.feed(wire) if isinstance(m, bytes)]

    def read_theirs() -> list[bytes]:
        theirs.receive_data(wire)
        return [e.data.encode() for e in theirs.events() if isinstance(e, TextMessage)]

    # The guard: both ends read every message back as it was sent.
    if not read_ours() == read_theirs() == [MESSAGE] * FRAMES_PER_READ:
        raise RuntimeError("the frames did not read back as the messages sent")
    client = Connection(ConnectionType.CLIENT)
    text = MESSAGE.decode()

    _progress(f"{FRAMES_PER_READ} client frames of {len(MESSAGE)} bytes a read")
    read = {name: FRAMES_PER_READ * calls_per_second(fn, seconds)
            for name, fn in (("ours", read_ours), ("wsproto", read_theirs))}
    _progress("client frames written one at a time")
    write = {
        "ours": calls_per_second(lambda: frame(TEXT, MESSAGE, os.urandom(4)), seconds),
        "wsproto": calls_per_second(lambda: client.send(TextMessage(data=text)), seconds),
    }
    emit(
        "frames",
        {
            "frames_read/wsproto": metric(read["ours"], "msg/s", "wsproto server connection",
                                          read["wsproto"]),
            "frames_written/wsproto": metric(write["ours"], "msg/s", "wsproto client connection",
                                             write["wsproto"]),
        },
        message_bytes=len(MESSAGE),
        settings={"seconds": seconds, "quick": args.quick, "frames_per_read": FRAMES_PER_READ},
    )


if __name__ == "__main__":
    main()
