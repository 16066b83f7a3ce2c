-- Core tables. Every unique key of a per-enterprise table leads with its
-- distribution column (sender / enterprise) so the schema stays Citus-ready;
-- see docs/store.md.

-- Deduplication: one row per (sender, id) forever, valid across partitions and
-- kept when retention drops the day's documents (an id is unique per sender
-- forever). received_at locates the document's partition.
CREATE TABLE doc_keys (
    sender      text        NOT NULL,
    doc_id      text        NOT NULL,
    doc_sm3     bytea       NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (sender, doc_id)
);

CREATE TABLE documents (
    sender      text        NOT NULL,
    doc_id      text        NOT NULL,
    doc_type    text        NOT NULL,
    received_at timestamptz NOT NULL,
    doc_bytes   bytea       NOT NULL,
    sig         bytea       NOT NULL,
    cert        text        NOT NULL,
    doc_sm3     bytea       NOT NULL,
    status      text        NOT NULL CHECK (status IN ('accepted', 'rejected')),
    code        text        NOT NULL,
    seq         bigint      NOT NULL,
    PRIMARY KEY (sender, doc_id, received_at)
) PARTITION BY RANGE (received_at);

-- Receipts (kind 'receipt', for the sender) and events (kind 'event', for a
-- notified enterprise): the exact signed envelope bytes, polled by seq.
CREATE TABLE feed (
    enterprise  text        NOT NULL,
    seq         bigint      NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('receipt', 'event')),
    sender      text        NOT NULL,
    doc_id      text        NOT NULL,
    received_at timestamptz NOT NULL,
    body        bytea       NOT NULL,
    PRIMARY KEY (enterprise, seq, received_at)
) PARTITION BY RANGE (received_at);

CREATE TABLE enterprise_seq (
    enterprise text   PRIMARY KEY,
    last_seq   bigint NOT NULL
);

-- created_by / updated_by / history name the document as 'sender/doc_id'
-- (neither part can contain '/').
CREATE TABLE entities (
    kind       text        NOT NULL,
    key        text        NOT NULL,
    state      text        NOT NULL,
    owner      text        NOT NULL,
    data       jsonb       NOT NULL DEFAULT '{}',
    created_by text        NOT NULL,
    updated_by text        NOT NULL,
    updated_at timestamptz NOT NULL,
    version    integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (kind, key)
);
CREATE INDEX entities_kind_state ON entities (kind, state);

CREATE TABLE entity_history (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text        NOT NULL,
    key        text        NOT NULL,
    from_state text,
    to_state   text        NOT NULL,
    patch      jsonb       NOT NULL,
    sender     text        NOT NULL,
    doc_id     text        NOT NULL,
    at         timestamptz NOT NULL
);
CREATE INDEX entity_history_entity ON entity_history (kind, key, id);

CREATE TABLE ledgers (
    ledger  text    NOT NULL,
    key     text    NOT NULL,
    owner   text    NOT NULL,
    balance numeric NOT NULL CHECK (balance >= 0),
    PRIMARY KEY (ledger, key)
);

CREATE TABLE ledger_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ledger        text        NOT NULL,
    key           text        NOT NULL,
    delta         numeric     NOT NULL,
    balance_after numeric     NOT NULL CHECK (balance_after >= 0),
    sender        text        NOT NULL,
    doc_id        text        NOT NULL,
    at            timestamptz NOT NULL
);
CREATE INDEX ledger_history_ledger ON ledger_history (ledger, key, id);

CREATE TABLE counters (
    counter text   PRIMARY KEY,
    value   bigint NOT NULL
);
