"""Session-wide fixtures.

PostgreSQL: with ``EPORT_TEST_DATABASE_URL`` set (a server you run), the session
creates a fresh database ``eport_test_<random>`` there and drops it at the end.
Without it, the session starts one embedded pgserver in a temporary directory.

SM2/SM3: fixtures run the crypto tests against both implementations. The
compiled extensions are expected to be built; a missing one fails the tests
unless EPORT_ALLOW_PURE=1 (then only the pure twins run).
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

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

ALLOW_PURE = os.environ.get("EPORT_ALLOW_PURE") == "1"


def _implementation(name: str, kind: str) -> ModuleType:
    if kind == "pure":
        return importlib.import_module(f"core_ext.{name}_pure")
    try:
        return importlib.import_module(f"core_ext.{name}")
    except ImportError:
        if ALLOW_PURE:
            pytest.skip(f"core_ext.{name} is not built and EPORT_ALLOW_PURE=1")
        pytest.fail(f"core_ext.{name} is not built (set EPORT_ALLOW_PURE=1 to allow that)")


@pytest.fixture(params=["compiled", "pure"])
def sm3_impl(request: pytest.FixtureRequest) -> ModuleType:
    return _implementation("_sm3", request.param)


@pytest.fixture(params=["compiled", "pure"])
def sm2_impl(request: pytest.FixtureRequest) -> ModuleType:
    return _implementation("_sm2", request.param)


@pytest.fixture
def sm2_compiled() -> ModuleType:
    return _implementation("_sm2", "compiled")


@pytest.fixture
def sm3_compiled() -> ModuleType:
    return _implementation("_sm3", "compiled")
