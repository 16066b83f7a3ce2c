"""A session gateway on its own database (on the session's PostgreSQL server)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.platform import init_home
from tests.databases import scratch_database
from tests.e2e.gateway import Gateway, start_gateway, stop_gateway


@pytest.fixture(scope="session")
def gateway_database(database_url: str) -> Iterator[str]:
    with scratch_database(database_url, "eport_e2e") as url:
        yield url


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory, gateway_database: str) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gateway")
    # A CA that started a month ago can issue cards that have already expired.
    init_home(tmp / "home", ca_since=datetime.now(UTC).replace(microsecond=0) - timedelta(days=30))
    running = start_gateway(tmp, gateway_database)
    try:
        yield running
    finally:
        stop_gateway(running)


@pytest.fixture(scope="session")
def second_gateway(tmp_path_factory: pytest.TempPathFactory,
                   gateway: Gateway) -> Iterator[Gateway]:
    """Another `eport serve` process on the same database and home."""
    tmp: Path = tmp_path_factory.mktemp("second")
    (tmp / "home").symlink_to(gateway.home)
    running = start_gateway(tmp, gateway.database_url)
    try:
        yield running
    finally:
        stop_gateway(running)


@pytest.fixture(scope="session")
def tight_gateway(tmp_path_factory: pytest.TempPathFactory, gateway: Gateway) -> Iterator[Gateway]:
    """A second process on the same database and home, with small limits and slow commits."""
    tmp: Path = tmp_path_factory.mktemp("tight")
    (tmp / "home").symlink_to(gateway.home)
    running = start_gateway(tmp, gateway.database_url, env={
        "EPORT_WS_CREDIT": "2", "EPORT_WS_MAX_FRAME_BYTES": "4096",
        "EPORT_BATCH_MAX_WAIT_MS": "300", "EPORT_RATE_PER_CERT": "20",
        "EPORT_RATE_BURST": "20"})
    try:
        yield running
    finally:
        stop_gateway(running)


@pytest.fixture(scope="session")
def twin_gateway(tmp_path_factory: pytest.TempPathFactory, gateway: Gateway) -> Iterator[Gateway]:
    """A second process with two workers on the same database and home."""
    tmp: Path = tmp_path_factory.mktemp("twin")
    (tmp / "home").symlink_to(gateway.home)
    running = start_gateway(tmp, gateway.database_url, workers=2)
    try:
        yield running
    finally:
        stop_gateway(running)
