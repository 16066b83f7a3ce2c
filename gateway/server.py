"""``eport serve`` and ``eport migrate``: the database, then hypercorn.

With one worker everything runs in this process: the store starts the
embedded PostgreSQL itself when no ``EPORT_DATABASE_URL`` is set. With more,
this parent process starts the embedded server and hands its URL to the
worker processes (gateway/workers.py: they share one listening socket), so they
share one server; each worker builds its own app, and migrations, being
advisory-locked, run safely from all of them.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace

import trio
from hypercorn.config import Config as HypercornConfig

from core_ext import sm2, sm3
from gateway import workers
from gateway.app import create_app
from gateway.config import Config
from gateway.platform import FILES as PLATFORM_FILES
from gateway.platform import Platform, init_home
from gateway.store import OpsResult, Sealed, Store, Submission
from gateway.store.embedded import EmbeddedServer

APP_FACTORY = "gateway.app:create_app()"


def hypercorn_config(config: Config) -> HypercornConfig:
    settings = HypercornConfig()
    settings.bind = [config.bind]
    settings.workers = config.workers
    settings.worker_class = "trio"
    settings.application_path = APP_FACTORY
    settings.keep_alive_timeout = config.keep_alive_s
    settings.read_timeout = max(1, round(config.body_timeout_s))
    # Our own check closes over-size frames with 1008 (PROTOCOL.md §5); hypercorn's
    # bound only stops a frame that would not fit in memory anyway.
    settings.websocket_max_message_size = 4 * config.ws_max_frame_bytes
    settings.graceful_timeout = 5.0
    settings.accesslog = None
    return settings


@contextmanager
def shared_database(config: Config) -> Iterator[Config]:
    """The configuration with a database URL: the given one, or an embedded server's."""
    if not config.embedded:
        yield config
        return
    server = trio.run(EmbeddedServer.start, config.home)
    try:
        yield replace(config, database_url=server.url)
    finally:
        trio.run(server.stop)


def _no_sealing(subs: Sequence[Submission], results: Sequence[OpsResult],
                seqs: Sequence[Mapping[str, int]]) -> list[Sealed]:
    raise RuntimeError("eport migrate commits no documents")


def migrate(config: Config) -> None:
    """Open the store (which migrates and creates partitions ahead), then close it."""

    async def run() -> None:
        store = await Store.open(config, _no_sealing)
        await store.aclose()

    trio.run(run)


async def until_signalled() -> None:
    """SIGINT or SIGTERM: stop serving, then the embedded database stops cleanly."""
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            return


def serve(config: Config) -> int:
    sm2.require_compiled()
    sm3.require_compiled()
    if not any((config.home / name).exists() for name in PLATFORM_FILES):
        init_home(config.home)
        print(f"eport: first start: platform initialised in {config.home}", flush=True)
    Platform.load(config.home)
    settings = hypercorn_config(config)
    if config.workers <= 1:
        workers.run_one(create_app(config), settings, until_signalled)
        return 0
    with shared_database(config) as ready:
        os.environ["EPORT_DATABASE_URL"] = str(ready.database_url)
        return workers.run(settings, config.workers)
