"""SQL statements shared by the batch writer and the readers."""

# Claims each key (the batch's keys sorted, so concurrent batches lock them in one
# order); a key not returned already existed. Then, in the same round trip, one seq
# per new document for its sender and for each enterprise it notifies ($5/$6: input
# row number, notified enterprise), enterprises in sorted order so concurrent batches
# lock these rows in one order too. The row lock is held to COMMIT, so per-enterprise seq
# order is commit order. With $7 false no seq is allocated (ALLOCATE_SEQS does it
# later). Rows: (sender, doc_id, NULL) per new key, then (enterprise, NULL, last_seq)
# per enterprise.
CLAIM_KEYS_AND_SEQS = """
WITH batch AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::timestamptz[])
                  WITH ORDINALITY AS b(sender, doc_id, doc_sm3, received_at, i)
), claimed AS (
    INSERT INTO doc_keys (sender, doc_id, doc_sm3, received_at)
    SELECT sender, doc_id, doc_sm3, received_at FROM batch ORDER BY i
    ON CONFLICT DO NOTHING
    RETURNING sender, doc_id
), wanted AS (
    SELECT enterprise, count(*) AS n
    FROM (SELECT sender AS enterprise FROM claimed
          UNION ALL
          SELECT r.enterprise
          FROM claimed
          JOIN batch USING (sender, doc_id)
          JOIN unnest($5::bigint[], $6::text[]) AS r(i, enterprise) USING (i)) AS w
    WHERE $7
    GROUP BY enterprise
), allocated AS (
    INSERT INTO enterprise_seq AS s (enterprise, last_seq)
    SELECT enterprise, n FROM wanted ORDER BY enterprise
    ON CONFLICT (enterprise) DO UPDATE SET last_seq = s.last_seq + EXCLUDED.last_seq
    RETURNING enterprise, last_seq
)
SELECT sender, doc_id, NULL::bigint AS last_seq FROM claimed
UNION ALL
SELECT enterprise, NULL, last_seq FROM allocated
"""

# Sorted enterprises, so concurrent batches lock these rows in one order; held to COMMIT.
ALLOCATE_SEQS = """
INSERT INTO enterprise_seq AS s (enterprise, last_seq)
SELECT * FROM unnest($1::text[], $2::bigint[])
ON CONFLICT (enterprise) DO UPDATE SET last_seq = s.last_seq + EXCLUDED.last_seq
RETURNING enterprise, last_seq
"""

# The stored receipt of each key: doc_keys locates the day, so both partitioned
# lookups are pruned to one partition. A NULL body means retention dropped it.
STORED = """
SELECT k.sender, k.doc_id, k.doc_sm3, d.status, d.code, d.seq, f.body
FROM unnest($1::text[], $2::text[]) AS u(sender, doc_id)
JOIN doc_keys k ON k.sender = u.sender AND k.doc_id = u.doc_id
LEFT JOIN documents d
       ON d.sender = k.sender AND d.doc_id = k.doc_id AND d.received_at = k.received_at
LEFT JOIN feed f
       ON f.enterprise = k.sender AND f.seq = d.seq AND f.received_at = k.received_at
"""

# Passed as text: the JSON is encoded once, by msgspec, in ops_encoding.
APPLY_OPS = "SELECT eport_apply_ops($1::text::jsonb)"

# A small batch's new documents and feed rows (receipts and events) in one statement:
# one round trip where two COPYs take four. A large batch is cheaper to encode as
# COPY records (batch.COPY_FROM_DOCS), with these columns.
DOCUMENT_COLUMNS = (
    "sender", "doc_id", "doc_type", "received_at", "doc_bytes", "sig", "cert", "doc_sm3",
    "status", "code", "seq",
)  # fmt: skip
FEED_COLUMNS = ("enterprise", "seq", "kind", "sender", "doc_id", "received_at", "body")
WRITE_ROWS = """
WITH documents AS (
    INSERT INTO documents (sender, doc_id, doc_type, received_at, doc_bytes, sig, cert,
                           doc_sm3, status, code, seq)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bytea[],
                         $6::bytea[], $7::text[], $8::bytea[], $9::text[], $10::text[],
                         $11::bigint[])
)
INSERT INTO feed (enterprise, seq, kind, sender, doc_id, received_at, body)
SELECT * FROM unnest($12::text[], $13::bigint[], $14::text[], $15::text[], $16::text[],
                     $17::timestamptz[], $18::bytea[])
"""

FEED_AFTER = """
SELECT seq, body FROM feed WHERE enterprise = $1 AND seq > $2 ORDER BY seq LIMIT $3
"""
EVENTS_AFTER = """
SELECT seq, body FROM feed WHERE enterprise = $1 AND seq > $2 AND kind = 'event'
ORDER BY seq LIMIT $3
"""

ENTITY = "SELECT kind, key, state, owner, data, version FROM entities WHERE kind = $1 AND key = $2"
ENTITIES = (
    "SELECT kind, key, state, owner, data, version FROM entities WHERE kind = $1 ORDER BY key"
)
ENTITIES_WITH_KEYS = (
    "SELECT kind, key, state, owner, data, version FROM entities"
    " WHERE kind = $1 AND key = ANY($2::text[]) ORDER BY key"
)
ENTITIES_IN_STATES = (
    "SELECT kind, key, state, owner, data, version FROM entities"
    " WHERE kind = $1 AND state = ANY($2::text[]) ORDER BY key"
)
HISTORY = """
SELECT from_state, to_state, patch, sender, doc_id, at FROM entity_history
WHERE kind = $1 AND key = $2 ORDER BY id
"""
NEXT_COUNTER = """
INSERT INTO counters (counter, value) VALUES ($1, 1)
ON CONFLICT (counter) DO UPDATE SET value = counters.value + 1
RETURNING value
"""

BALANCES = "SELECT key, balance FROM ledgers WHERE ledger = $1 AND key = ANY($2::text[])"

LAST_SEQ = "SELECT coalesce(max(last_seq), 0) FROM enterprise_seq WHERE enterprise = $1"

# Seeding outside any document (the platform's own enterprise and admin card).
ENSURE_ENTITY = """
WITH inserted AS (
    INSERT INTO entities (kind, key, state, owner, data, created_by, updated_by, updated_at)
    VALUES ($1, $2, $3, $4, $5::jsonb, 'bootstrap', 'bootstrap', now())
    ON CONFLICT (kind, key) DO NOTHING
    RETURNING kind, key
)
SELECT pg_notify('eport_entities', kind || ':' || key) FROM inserted
"""
