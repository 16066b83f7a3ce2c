"""The progress line: rewritten in place on a TTY, one line every ``every_s`` otherwise."""

from __future__ import annotations

import sys
from typing import TextIO

import trio

from loadtest.recorder import Recorder


class Progress:
    def __init__(self, label: str, total: int, stream: TextIO | None = None,
                 every_s: float = 5.0) -> None:
        self._label = label
        self._total = total
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._every_s = 1.0 if self._tty else every_s

    def line(self, recorder: Recorder, elapsed: float) -> str:
        done = recorder.completed
        recent = [s.documents for t, s in recorder.timeline.items() if t >= int(elapsed) - 3]
        rate = sum(recent) / min(max(elapsed, 1e-9), 3.0) if recent else 0.0
        return (f"[{self._label}] {elapsed:6.1f}s  sent {recorder.sent}/{self._total}  "
                f"done {done}  failed {recorder.failures()}  ~{rate:,.0f} doc/s  "
                f"p99 {1000 * recorder.measured.latency.percentile(99):.1f} ms")

    def _write(self, text: str) -> None:
        if self._tty:
            self._stream.write("\r\x1b[2K" + text)
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

    async def run(self, recorder: Recorder) -> None:
        while True:
            await trio.sleep(self._every_s)
            self._write(self.line(recorder, trio.current_time() - recorder.origin))

    def finish(self, recorder: Recorder) -> None:
        self._write(self.line(recorder, trio.current_time() - recorder.origin))
        if self._tty:
            self._stream.write("\n")
