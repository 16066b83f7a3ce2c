"""The store: PostgreSQL behind a trio API (the only package that imports asyncpg).

General layout:
  store.py         Store: open/aclose, commit, get, feed, entities, balances, listen, ping,
                   maintain
  model.py         Submission, Sealed, Outcome, OpsResult, Entity, Sealer, StoreMisconfigured
  group_commit.py  trio side of group commit: queue, batching writers, retries
  bridge.py        LoopThread: runs coroutines on the asyncio (uvloop) thread from trio
  database.py      asyncio side: pool, batch writes, reads
  feed_notifier.py NOTIFY eport_feed after commits, coalesced, off the write path
  batch.py         one batch transaction (dedup, ops, seqs, sealing, COPY)
  queries.py       SQL shared by writer and readers
  ops_encoding.py  routing.ops values <-> eport_apply_ops JSON
  failures.py      which asyncpg/OS errors are transient; CommitUnknown
  partitions.py    daily partitions ahead, on demand, retention
  migrator.py      versioned SQL migrations (migrations/NNNN_*.sql), advisory-locked
  safety.py        refuse fsync/synchronous_commit/full_page_writes = off
  advice.py        warn of shared_buffers/max_wal_size/checkpoint_timeout below advice
  notify.py        LISTEN connection and fan-out to subscribers
  embedded.py      the embedded pgserver PostgreSQL, sized for the write rate when new
"""

from gateway.store.model import (
    Change,
    Entity,
    OpsResult,
    Outcome,
    Sealed,
    Sealer,
    StoreMisconfigured,
    Submission,
)
from gateway.store.store import Store

__all__ = [
    "Change",
    "Entity",
    "OpsResult",
    "Outcome",
    "Sealed",
    "Sealer",
    "Store",
    "StoreMisconfigured",
    "Submission",
]
