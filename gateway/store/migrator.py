"""Versioned SQL migrations, applied once, in order, under an advisory lock.

Files are ``migrations/NNNN_name.sql``. Each applied migration is recorded in
``schema_migrations`` with the SHA-256 of its text; if an applied file later
changes, ``migrate`` refuses (the database no longer matches the code). Two
processes starting together serialise on the advisory lock, and the second
finds nothing left to do.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

# An arbitrary constant shared by every eport process (pg_advisory_lock key).
MIGRATION_LOCK = 0x6570_6F72_7401

_FILE_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    checksum   text        NOT NULL
)
"""


class MigrationError(RuntimeError):
    """The database's migration history does not match the shipped files."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def shipped_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("gateway.store.migrations").iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    return sorted(found, key=lambda m: m.version)


async def migrate(conn: asyncpg.Connection, migrations: list[Migration] | None = None) -> list[int]:
    """Apply the pending migrations; return the versions applied now."""
    pending = shipped_migrations() if migrations is None else migrations
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(_CREATE_TABLE)
        rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
        applied = {row["version"]: (row["name"], row["checksum"]) for row in rows}
        done = []
        for migration in pending:
            if migration.version in applied:
                _check_unchanged(migration, *applied[migration.version])
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            done.append(migration.version)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)


def _check_unchanged(migration: Migration, name: str, checksum: str) -> None:
    if checksum != migration.checksum:
        raise MigrationError(
            f"migration {migration.version:04d}_{name} was changed after it was applied "
            f"(recorded sha256 {checksum[:12]}..., file {migration.checksum[:12]}...)"
        )
