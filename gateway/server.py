"""``eport serve`` and ``eport migrate``: the database, then hypercorn.

With no ``EPORT_DATABASE_URL`` the parent process starts the embedded
PostgreSQL, migrates it once, and hands its URL to the workers, so several
worker processes share one server. With one worker everything runs in this
process; with more, hypercorn spawns them and each builds its own app.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.run import run as run_workers
from hypercorn.trio import serve as serve_trio

from core_ext import sm2, sm3
from gateway.app import create_app
from gateway.config import Config
from gateway.platform import Platform
from gateway.store import embedded_server, migrate_database

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
def database(config: Config) -> Iterator[Config]:
    """The configuration with a database URL: the given one, or the embedded server's."""
    if not config.embedded:
        yield config
        return
    with embedded_server(config.home) as url:
        yield replace(config, database_url=url)


def migrate(config: Config) -> list[int]:
    with database(config) as ready:
        return trio.run(migrate_database, ready)


async def until_signalled() -> None:
    """SIGINT or SIGTERM: stop serving, then the embedded database stops cleanly."""
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            return


def serve(config: Config) -> int:
    sm2.require_compiled()
    sm3.require_compiled()
    Platform.load(config.home)
    with database(config) as ready:
        trio.run(migrate_database, ready)
        settings = hypercorn_config(ready)
        if ready.workers <= 1:
            trio.run(partial(serve_trio, create_app(ready), settings, mode="asgi",
                             shutdown_trigger=until_signalled))
            return 0
        os.environ["EPORT_DATABASE_URL"] = str(ready.database_url)
        return run_workers(settings)
