"""Instructions PostgreSQL spends on one licence write-off, counted by callgrind.

`python -m bench.declarations.moves_instructions [--lines 352000] [--writeoffs 1000]
[--until 8]`

Timings of a statement on this machine move by a third from one run to the next;
instruction counts do not. A fresh cluster (pgserver's binaries, locale C.UTF-8 like
Debian's server) gets the shipped migrations, ``--lines`` licence lines (eight per
licence, each opened by a history row, as ``licence.issue`` leaves them), and the
Debits of ``--writeoffs`` declarations writing off all eight lines of a licence of
their own, encoded by the store's own encoder. Then a single-user backend under
``valgrind --tool=callgrind`` applies them (``eport_move_lines``, in one transaction
rolled back), and the same backend with nothing to do is subtracted.

With ``--until N`` it also builds the schema of migrations up to N alone (0008 made the
run of moves one statement) and reports both: ``ratio`` = now / then.

Needs valgrind. Run as root, the cluster belongs to the ``pgserver`` system user
(created if missing, as the embedded server does).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pgserver
from pgserver.utils import ensure_user_exists

from gateway.store.migrator import migrate, shipped_migrations
from gateway.store.model import Submission
from gateway.store.ops_encoding import encode_document
from routing.ops import Debit

BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"
LINES_PER_LICENCE = 8
WORK = """BEGIN;

DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT doc FROM bench_writeoffs ORDER BY n LOOP
    PERFORM eport_move_lines(r.doc->'ops', 0, {lines}, r.doc->>'sender', r.doc->>'doc_id',
                             (r.doc->>'at')::timestamptz);
  END LOOP;
END $$;

ROLLBACK;

"""


class Cluster:
    """A throwaway cluster in ``root``, owned by a non-root user when run as root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.user = "pgserver" if os.geteuid() == 0 else None
        if self.user is not None:
            ensure_user_exists(self.user)
            root.chmod(0o755)
            os.chown(root, pwd.getpwnam(self.user).pw_uid, -1)

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, input=stdin, capture_output=True, text=True, check=True)

    def init(self) -> None:
        self.run(str(BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                 "--locale=C.UTF-8")

    def start(self) -> None:
        self.run(str(BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.root / "log"),
                 "-o", f"-k {self.root} -c listen_addresses=''", "start")

    def stop(self) -> None:
        self.run(str(BIN / "pg_ctl"), "-D", str(self.data), "-w", "stop")

    def instructions(self, database: str, sql: str) -> int:
        """Instructions a single-user backend executes for ``sql`` (statements separated by
        blank lines)."""
        out = self.root / "callgrind.out"
        self.run("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                 str(BIN / "postgres"), "--single", "-j", "-D", str(self.data), database,
                 stdin=sql)
        found = re.search(r"^summary: (\d+)", out.read_text(), re.MULTILINE)
        out.unlink()
        if found is None:
            raise SystemExit("callgrind wrote no summary")
        return int(found[1])


def licence_key() -> str:
    issuer = secrets.token_hex(5).upper()
    return f"{issuer}/licence:20261129T041501:{secrets.token_hex(6)}"


async def prepare(cluster: Cluster, until: int | None, lines: int, writeoffs: int) -> None:
    conn = await asyncpg.connect(host=str(cluster.root), user="postgres", database="postgres")
    try:
        await migrate(conn, [m for m in shipped_migrations()
                             if until is None or m.version <= until])
        licences = [licence_key() for _ in range(lines // LINES_PER_LICENCE)]
        keys = [f"{licence}#{line}" for licence in licences
                for line in range(1, LINES_PER_LICENCE + 1)]
        await conn.copy_records_to_table(
            "ledgers", columns=["ledger", "key", "owner", "balance"],
            records=[("licence", key, key[:10], Decimal("10000")) for key in keys])
        at = datetime(2026, 11, 29, 4, 15, tzinfo=UTC)
        await conn.copy_records_to_table(
            "ledger_history",
            columns=["ledger", "key", "delta", "balance_after", "sender", "doc_id", "at"],
            records=[("licence", key, Decimal("10000"), Decimal("10000"), key[:10],
                      key[11:].split("#")[0], at) for key in keys])
        await conn.execute("CREATE TABLE bench_writeoffs (n integer, doc jsonb)")
        drawn = secrets.SystemRandom().sample(licences, writeoffs)
        docs = [encode_document(Submission(
            sender="1101910123", doc_id=f"dec-{n}", doc_type="dec.declaration", doc_bytes=b"",
            doc_sm3=b"", sig=b"", cert="", received_at=at, notify=(), status="accepted",
            code="OK",
            ops=tuple(Debit("licence", f"{licence}#{line}", Decimal("100"))
                      for line in range(1, LINES_PER_LICENCE + 1))))
            for n, licence in enumerate(drawn)]
        await conn.copy_records_to_table("bench_writeoffs", columns=["n", "doc"],
                                         records=[(n, doc.decode()) for n, doc in enumerate(docs)])
        await conn.execute("VACUUM ANALYZE")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


def work_instructions(prepare: Callable[[Cluster], Coroutine[Any, Any, None]], sql: str) -> int:
    """Instructions a single-user backend spends on ``sql`` over one with nothing to do,
    in a throwaway cluster that ``prepare`` filled."""
    with tempfile.TemporaryDirectory(prefix="eport-instructions-") as tmp:
        cluster = Cluster(Path(tmp))
        cluster.init()
        cluster.start()
        try:
            asyncio.run(prepare(cluster))
        finally:
            cluster.stop()
        idle = cluster.instructions("postgres", "SELECT 1;\n\n")
        busy = cluster.instructions("postgres", sql)
    return busy - idle


def per_writeoff(until: int | None, lines: int, writeoffs: int) -> float:
    return work_instructions(lambda cluster: prepare(cluster, until, lines, writeoffs),
                             WORK.format(lines=LINES_PER_LICENCE)) / writeoffs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=352_000)
    parser.add_argument("--writeoffs", type=int, default=1000)
    parser.add_argument("--until", type=int, default=None,
                        help="also measure the schema of the migrations up to this version")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    now = per_writeoff(None, args.lines, args.writeoffs)
    result: dict[str, object] = {
        "instructions_per_writeoff": round(now), "lines_per_writeoff": LINES_PER_LICENCE,
        "ledger_lines": args.lines, "writeoffs": args.writeoffs,
        "migrations": shipped_migrations()[-1].version}
    if args.until is not None:
        then = per_writeoff(args.until, args.lines, args.writeoffs)
        result |= {f"instructions_per_writeoff_until_{args.until:04d}": round(then),
                   "ratio": round(now / then, 3)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
