"""Unit tests of the load generator's parts: histogram, outcomes, corpus plan,
open-loop latency accounting, /proc sampling, the progress line and the note on a
closed loop wider than its connections."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import h11
import msgspec
import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request, TextMessage

from core_ext.fields import check_customs_code, check_uscc
from loadtest import outcomes
from loadtest.chains import PaymentAgreement
from loadtest.cli import connection_cap_note
from loadtest.corpus import Planner, Roster, Shares
from loadtest.corpus_store import Card, DocEntry
from loadtest.engine import Engine, Load
from loadtest.histogram import LogHistogram
from loadtest.http1 import open_http1
from loadtest.mix import available, customs_code, uscc
from loadtest.procstat import Sampler, cpu_seconds_and_rss, listening_pids
from loadtest.progress import Progress
from loadtest.recorder import Recorder, joined
from loadtest.run import Series
from loadtest.transport import Target, Unit
from loadtest.ws import WsTransport, joined_senders, open_ws
from routing.subsystems import REGISTRY


def test_histogram_percentiles_within_one_percent_of_exact() -> None:
    rng = random.Random(7)
    values = sorted(rng.lognormvariate(-6, 1.5) for _ in range(20_000))
    histogram = LogHistogram()
    for value in values:
        histogram.record(value)
    for percent in (50, 90, 99, 99.9):
        exact = values[int(len(values) * percent / 100) - 1]
        assert exact <= histogram.percentile(percent) <= exact * 1.0201
    assert histogram.percentile(100) == max(values)
    assert LogHistogram().summary_ms()["p99"] == 0.0


def test_outcomes_of_single_batch_and_broken_answers() -> None:
    assert outcomes.single(201, b"") == (201, "OK")
    assert outcomes.single(409, b'{"code":"ID_CONFLICT"}') == (409, "ID_CONFLICT")
    assert outcomes.single(422, b'{"receipt":{"code":"RULE_VIOLATION"},"sig":""}') == (
        422, "RULE_VIOLATION")
    assert outcomes.single(500, b"<html>") == (500, "UNPARSEABLE")
    body = msgspec.json.encode({"results": [
        {"status": 201, "receipt": {"receipt": {"code": "OK"}}},
        {"status": 422, "receipt": {"receipt": {"code": "SCHEMA_INVALID"}}},
        {"status": 401, "problem": {"code": "SIGNATURE_INVALID"}},
    ]})
    assert outcomes.batch(200, body, 3) == [(201, "OK"), (422, "SCHEMA_INVALID"),
                                            (401, "SIGNATURE_INVALID")]
    assert outcomes.batch(200, body, 2) == [(200, "BATCH_LENGTH_MISMATCH")] * 2
    assert outcomes.batch(413, b'{"code":"TOO_LARGE"}', 2) == [(413, "TOO_LARGE")] * 2


def test_generated_codes_pass_the_gateway_checks() -> None:
    for seed in range(50):
        rng = random.Random(seed)
        check_uscc(uscc(rng))
        check_customs_code(customs_code(rng))


def _roster() -> Roster:
    """Three cards that stand in for every role the registered mix needs."""
    cards = [Card("PLATFORM00", f"{n:x}", "01" * 32) for n in range(1, 4)]
    roles = {entry.role for entry in available(dict(REGISTRY.items()))}
    agreement = PaymentAgreement("PLATFORM00/PAY-1", bank="PLATFORM00")
    return Roster(cards, {role: [0, 1, 2] for role in roles}, ["TRADER0001", "TRADER0002"],
                  ["04" + "ab" * 64], {("PLATFORM00", "PLATFORM00"): agreement})


def test_plan_pairs_each_replay_and_conflict_with_one_earlier_original() -> None:
    planned = list(Planner(_roster(), Shares(0.1, 0.1, 0.1), seed=3).plan(2000))
    expects = Counter(p.entry.expect for p in planned)
    assert 100 < expects["replay"] < 300 and 100 < expects["conflict"] < 300
    assert 100 < expects["bad_signature"] < 300
    by_id: dict[str, list[int]] = {}
    for index, p in enumerate(planned):
        by_id.setdefault(p.entry.id, []).append(index)
    for index, p in enumerate(planned):
        if p.entry.expect in ("replay", "conflict"):
            first, second = by_id[p.entry.id]
            assert second == index and planned[first].entry.expect in ("new", "receipt")
            assert (planned[first].doc == p.doc) == (p.entry.expect == "replay")
        if p.copy_of is not None:
            assert planned[p.copy_of].keep
    assert all(len(indices) <= 2 for indices in by_id.values())


class _StallingTransport:
    """Answers at once, except that the document at ``stall_at`` takes 1 s."""

    def __init__(self, stall_at: int) -> None:
        self.stall_at = stall_at

    async def submit(self, unit: Unit) -> list[outcomes.Outcome]:
        if unit.start == self.stall_at:
            await trio.sleep(1.0)
        return [(201, "OK")]


class _Corpus:
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def envelope(self, index: int) -> bytes:
        return b"{}"

    def entry(self, index: int) -> DocEntry:
        return DocEntry("S", str(index), "new")


async def test_open_loop_charges_a_stall_to_every_request_it_delayed(
        autojump_clock: object) -> None:
    load = Load(count=40, rate=10.0, max_inflight=1)
    engine = Engine(_StallingTransport(stall_at=10), _Corpus(40), load)
    recorder = await engine.run()
    assert recorder.completed == 40
    # 1 s stall at 10/s: the nine documents due during it wait 0.9 s .. 0.1 s, so
    # latencies sum to 1 + 0.9 + ... + 0.1 = 5.5 s over 40 documents.
    assert recorder.measured.latency.max >= 1.0
    assert 0.12 <= recorder.measured.latency.total / 40 <= 0.16
    assert 0.09 <= recorder.measured.latency.percentile(80) <= 0.5
    assert recorder.measured.service.percentile(80) < 0.01  # service time alone hides the wait


async def test_closed_loop_stops_issuing_at_the_deadline(autojump_clock: object) -> None:
    load = Load(count=1000, concurrency=1, duration_s=0.5, grace_s=5.0)
    recorder = await Engine(_StallingTransport(stall_at=0), _Corpus(1000), load).run()
    assert recorder.sent == recorder.completed == 1


async def test_a_connection_the_server_closed_while_idle_is_not_reused(
        nursery: trio.Nursery) -> None:
    closed_send, closed = trio.open_memory_channel[None](3)

    async def answer_once_then_close(stream: trio.SocketStream) -> None:
        """Answer one request with keep-alive, then close, as an idle timeout does."""
        conn = h11.Connection(h11.SERVER)
        async with stream:
            while not isinstance(event := conn.next_event(), h11.EndOfMessage):
                if event is h11.NEED_DATA:
                    conn.receive_data(await stream.receive_some(65536))
            await stream.send_all(
                (conn.send(h11.Response(status_code=201, headers=[("content-length", "2")]))
                 or b"")
                + (conn.send(h11.Data(data=b"{}")) or b"") + (conn.send(h11.EndOfMessage()) or b""))
        await closed_send.send(None)

    serve = partial(trio.serve_tcp, answer_once_then_close, 0, host="127.0.0.1")
    port = (await nursery.start(serve))[0].socket.getsockname()[1]
    async with open_http1(Target(f"http://127.0.0.1:{port}", connections=1),
                          batch=False) as transport:
        for _ in range(3):
            assert await transport.submit(Unit(0, [b"{}"], "S")) == [(201, "OK")]
            await closed.receive()  # the idle connection in the pool is closed at the far end


async def greet(stream: trio.SocketStream, credit: int) -> None:
    """Answer a stream's handshake and its auth as the gateway would; the stream is
    ready when this returns."""
    ws = WSConnection(ConnectionType.SERVER)
    while True:
        ws.receive_data(await stream.receive_some(65536))
        for event in ws.events():
            if isinstance(event, Request):
                await stream.send_all(ws.send(AcceptConnection(subprotocol="eport.v1"))
                                      + ws.send(TextMessage(data='{"op":"hello","nonce":""}')))
            elif isinstance(event, TextMessage):  # the auth
                await stream.send_all(ws.send(TextMessage(
                    data=f'{{"op":"ready","enterprise":"E","credit":{credit}}}')))
                return


async def test_a_stream_closes_while_its_writer_is_blocked(nursery: trio.Nursery) -> None:
    """The server takes the stream, then reads nothing: the client's writer is blocked
    in a write when the run ends, and the close frame must wait for it, not write
    beside it (trio refuses two writers on one socket)."""

    async def accept_then_read_nothing(stream: trio.SocketStream) -> None:
        await greet(stream, credit=1000)
        await trio.sleep_forever()

    serve = partial(trio.serve_tcp, accept_then_read_nothing, 0, host="127.0.0.1")
    port = (await nursery.start(serve))[0].socket.getsockname()[1]
    with trio.fail_after(10):
        async with open_ws(Target(f"http://127.0.0.1:{port}", 1), {}) as ws, \
                trio.open_nursery() as submits:
            for start in range(64):  # 16 MiB: more than the socket buffers hold
                submits.start_soon(ws.submit, Unit(start, [b'"%s"' % (b"x" * (1 << 18))], "S"))
            await trio.sleep(0.5)
            submits.cancel_scope.cancel()


async def test_a_stream_whose_results_stop_times_out_and_is_opened_anew(
        nursery: trio.Nursery) -> None:
    """The server takes submits and never answers: the oldest submit's wait reaches the
    timeout, every submit in flight fails with it, and the next opens a new stream."""
    streams: list[int] = []

    async def accept_then_answer_nothing(stream: trio.SocketStream) -> None:
        streams.append(len(streams))
        await greet(stream, credit=10)
        while await stream.receive_some(65536):
            pass  # the submits, unanswered

    serve = partial(trio.serve_tcp, accept_then_answer_nothing, 0, host="127.0.0.1")
    port = (await nursery.start(serve))[0].socket.getsockname()[1]
    target = Target(f"http://127.0.0.1:{port}", 1, timeout_s=0.4)
    seen: list[tuple[int, str]] = []

    async def submit(ws: WsTransport, start: int) -> None:
        seen.extend(await ws.submit(Unit(start, [b"{}"], "S")))

    async with open_ws(target, {}) as ws:
        started = trio.current_time()
        async with trio.open_nursery() as submits:
            for start in range(3):
                submits.start_soon(submit, ws, start)
        waited = trio.current_time() - started
        assert 0.4 < waited < 1.0
        assert seen == [(0, "TRANSPORT_TooSlowError")] * 3
        with trio.move_on_after(0.1):
            await ws.submit(Unit(3, [b"{}"], "S"))
    assert streams == [0, 1]
    assert ws.by_sender()[0]["documents"] == 0


async def test_a_sender_opens_another_stream_only_when_its_streams_are_out_of_credit(
        nursery: trio.Nursery) -> None:
    """Credit 2, submits never answered: the first two submits share one stream, each
    further pair opens another, up to ``streams``; after that they wait their turn."""
    opened = trio.Semaphore(0)
    accepted: list[int] = []

    async def accept_then_hold_submits(stream: trio.SocketStream) -> None:
        accepted.append(len(accepted))
        await greet(stream, credit=2)
        opened.release()
        while await stream.receive_some(65536):
            pass

    serve = partial(trio.serve_tcp, accept_then_hold_submits, 0, host="127.0.0.1")
    port = (await nursery.start(serve))[0].socket.getsockname()[1]
    with trio.fail_after(10):
        async with open_ws(Target(f"http://127.0.0.1:{port}", 1, streams=3), {}) as ws, \
                trio.open_nursery() as submits:
            for start, streams in ((0, 1), (1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (6, 3),
                                   (7, 3)):
                submits.start_soon(ws.submit, Unit(start, [b"{}"], "S"))
                if len(accepted) < streams:
                    await opened.acquire()
                await trio.sleep(0.05)  # the submit has taken its credit, or waits for it
                assert len(accepted) == streams
            submits.cancel_scope.cancel()
    assert [row["streams"] for row in ws.by_sender()] == [3]


def test_proc_sampling_of_this_process() -> None:
    found = cpu_seconds_and_rss(os.getpid())
    assert found is not None and found[0] > 0 and found[1] > 10 * 2**20
    assert cpu_seconds_and_rss(2**22 + 1) is None
    cpu, rss = Sampler([os.getpid()]).total()
    assert cpu >= found[0] and rss > 0
    assert listening_pids(1) == []


@contextmanager
def _busy_child() -> Iterator[subprocess.Popen[bytes]]:
    """A child process spinning on a core, once it has used 0.3 s of CPU; killed (not
    waited for) at the end."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        deadline = time.monotonic() + 10
        while (child := cpu_seconds_and_rss(busy.pid)) and child[0] < 0.3:
            assert time.monotonic() < deadline, "the busy child got no CPU"
            time.sleep(0.05)
        yield busy
    finally:
        busy.kill()


def test_an_excluded_child_is_not_counted_with_its_parent() -> None:
    with _busy_child() as busy:
        # Both exclude something, so neither counts the children this process ended before.
        with_child, _ = Sampler([os.getpid()], exclude=[2**22 + 1]).total()
        without, _ = Sampler([os.getpid()], exclude=[busy.pid]).total()
    busy.wait()
    assert with_child - without > 0.25


def test_a_child_that_ended_keeps_counting_once_waited_for() -> None:
    with _busy_child() as busy:
        pass
    alive, _ = Sampler([os.getpid()]).total()
    busy.wait()
    ended, _ = Sampler([os.getpid()]).total()
    assert ended >= alive
    # Excluding processes gives up ended children: they may be the excluded ones.
    assert Sampler([os.getpid()], exclude=[2**22 + 1]).total()[0] < ended - 0.25


async def test_listening_pid_discovery() -> None:
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    port = listener.socket.getsockname()[1]
    try:
        assert listening_pids(port) == [os.getpid()]
    finally:
        await listener.aclose()


def test_progress_line_without_a_tty() -> None:
    stream = io.StringIO()
    recorder = Recorder(origin=0.0, warmup_s=0.0)
    recorder.sent = 5
    recorder.record(0, [(201, "OK"), (0, "TRANSPORT_OSError")], 0.0, 0.0, 0.002)
    progress = Progress("t", 10, stream)
    assert "sent 5/10  done 2  failed 1" in progress.line(recorder, 1.0)
    assert recorder.receipts == [0] and recorder.codes["0 TRANSPORT_OSError"] == 1


def test_warmup_is_left_out_unless_the_run_ended_within_it() -> None:
    recorder = Recorder(origin=0.0, warmup_s=1.0)
    recorder.record(0, [(201, "OK")], 0.5, 0.5, 0.6)
    assert recorder.warmup_ignored and recorder.measured.documents == 1
    recorder.record(1, [(201, "OK")] * 3, 1.5, 1.5, 2.5)
    assert not recorder.warmup_ignored and recorder.measured.documents == 3
    assert recorder.measured.throughput() == 3.0 and recorder.whole_run.documents == 4


def test_a_closed_loop_wider_than_its_connections_is_noted() -> None:
    note = connection_cap_note("http1", 64, 16, None)
    assert note is not None and "48 requests at a time wait in the client" in note
    assert connection_cap_note("batch", 17, 16, None) is not None
    assert connection_cap_note("httpx", 17, 16, None) is not None
    assert connection_cap_note("http1", 16, 16, None) is None
    assert connection_cap_note("http1", 64, 16, 500.0) is None  # open loop: no fixed width
    assert connection_cap_note("http2", 64, 2, None) is None  # streams share a connection
    assert connection_cap_note("ws", 512, 16, None) is None


def test_turns_are_joined_end_to_end() -> None:
    """Throughput over the turns' own seconds (not the time between them), counts and
    receipts added up, the timeline run on from one turn to the next."""
    first = Recorder(origin=100.0, warmup_s=0.0)
    first.sent = 3
    first.record(0, [(201, "OK")] * 2, 100.0, 100.0, 100.5)
    first.record(2, [(0, "TRANSPORT_OSError")], 101.0, 101.0, 102.0)
    second = Recorder(origin=500.0, warmup_s=0.0)
    second.sent = 4
    second.record(3, [(200, "OK")] * 4, 500.0, 500.0, 501.0)
    whole = joined([first, second])
    assert whole.measured.documents == 7 and whole.measured.requests == 3
    assert whole.measured.throughput() == 7 / (2.0 + 1.0)
    assert whole.measured.latency.count == 3
    assert whole.receipts == [0, 1, 3, 4, 5, 6] and whole.sent == 7 and whole.completed == 7
    assert whole.failures() == 1
    assert {second: seen.documents for second, seen in whole.timeline.items()} == {
        0: 2, 2: 1, 4: 4}


def test_senders_are_joined_over_turns() -> None:
    turns = [
        [{"sender": "A", "streams": 2, "documents": 10, "events": 0, "frame_share": 1.0,
          "wait_ms_mean": 4.0}],
        [{"sender": "A", "streams": 1, "documents": 30, "events": 10, "frame_share": 0.7,
          "wait_ms_mean": 8.0},
         {"sender": "B", "streams": 1, "documents": 10, "events": 10, "frame_share": 0.3,
          "wait_ms_mean": 2.0}],
    ]
    rows = {row["sender"]: row for row in joined_senders(turns)}
    assert (rows["A"]["streams"], rows["A"]["documents"], rows["A"]["events"]) == (2, 40, 10)
    assert rows["A"]["wait_ms_mean"] == 7.0  # (10 x 4 + 30 x 8) / 40
    assert rows["A"]["frame_share"] == round(90 / 120, 4)
    assert rows["B"]["frame_share"] == round(30 / 120, 4)


def test_the_client_is_sampled_without_any_server_the_run_started() -> None:
    """Baseline servers are the client's child processes and stay up through every turn:
    none of them may count as the client, whichever server's turn it is."""
    series = Series("target", "http://127.0.0.1:1", [101], [202, 303])
    assert series.server.pids == [101]
    assert series.client.pids == [os.getpid()]
    assert sorted(series.client.exclude) == [101, 202, 303]
