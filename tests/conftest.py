"""Session-wide PostgreSQL for the tests.

With ``EPORT_TEST_DATABASE_URL`` set (a server you run), the session creates a
fresh database ``eport_test_<random>`` there and drops it at the end. Without
it, the session starts one embedded pgserver in a temporary directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.databases import scratch_database


@contextmanager
def server_dir() -> Iterator[Path]:
    """A directory for a pgserver data directory.

    Not under pytest's tmp_path: pgserver (as root) runs PostgreSQL as another
    user and opens up the directory's parents, and a concurrent pytest run
    closes /tmp/pytest-of-<user> again.
    """
    path = Path(tempfile.mkdtemp(prefix="eport-pg-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def pg_dir() -> Iterator[Path]:
    with server_dir() as path:
        yield path


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    server_url = os.environ.get("EPORT_TEST_DATABASE_URL")
    if server_url:
        with scratch_database(server_url, "eport_test") as url:
            yield url
    else:
        from pgserver import get_server

        with server_dir() as path:
            server = get_server(path / "pgdata", cleanup_mode="delete")
            try:
                yield server.get_uri()
            finally:
                server.cleanup()
