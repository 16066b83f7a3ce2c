-- Entity change notices only for the kinds the card registry follows.
--
-- eport_entities carries "kind:key" of changed entities to every worker, where
-- only cards and enterprises matter (gateway/cards.py). Every declaration, bill
-- and entrustment created or moved by the generic ops sent one too: about 1,350
-- notices a second in a national-day run, each parsed by every worker, and
-- enough to fill a subscriber's buffer (notify.SUBSCRIBER_BUFFER) in seconds
-- whenever the registry waited on a read, which drops the notices behind it,
-- card locks among them. The two volume paths (create/transition, settle) now
-- notify only for those kinds; the identity ops (0005) act on cards and
-- enterprises and keep theirs.

CREATE FUNCTION eport_entity_changed(kind text, key text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF kind IN ('card', 'enterprise') THEN
        PERFORM pg_notify('eport_entities', kind || ':' || key);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION eport_apply_entity_op(op jsonb, doc_ref text, sender text, doc_id text, received timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    current_state text;
    entity text := (op->>'kind') || ':' || (op->>'key');
BEGIN
    IF op->>'op' = 'create' THEN
        INSERT INTO entities (kind, key, state, owner, data, created_by, updated_by, updated_at)
        VALUES (op->>'kind', op->>'key', op->>'state', op->>'owner', op->'data', doc_ref, doc_ref, received)
        ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            PERFORM eport_fail('STATE_CONFLICT', entity || ' exists already', op->>'path');
        END IF;
        INSERT INTO entity_history (kind, key, from_state, to_state, patch, sender, doc_id, at)
        VALUES (op->>'kind', op->>'key', NULL, op->>'state', op->'data', sender, doc_id, received);
    ELSE
        SELECT e.state INTO current_state FROM entities e
        WHERE e.kind = op->>'kind' AND e.key = op->>'key' FOR UPDATE;
        IF NOT FOUND THEN
            PERFORM eport_fail('REFERENCE_UNKNOWN', entity || ' does not exist', op->>'path');
        END IF;
        IF NOT op->'from' ? current_state THEN
            PERFORM eport_fail('STATE_CONFLICT',
                entity || ' is ' || current_state || ', not ' || (op->'from')::text, op->>'path');
        END IF;
        UPDATE entities e
        SET state = op->>'to', data = e.data || (op->'patch'), updated_by = doc_ref,
            updated_at = received, version = e.version + 1
        WHERE e.kind = op->>'kind' AND e.key = op->>'key';
        INSERT INTO entity_history (kind, key, from_state, to_state, patch, sender, doc_id, at)
        VALUES (op->>'kind', op->>'key', current_state, op->>'to', op->'patch', sender, doc_id, received);
    END IF;
    PERFORM eport_entity_changed(op->>'kind', op->>'key');
END $$;

CREATE OR REPLACE FUNCTION eport_settle(op jsonb, doc_ref text, sender text, doc_id text, received timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    current_state text;
    owed numeric;
BEGIN
    -- The ledger row first, under the lock a Debit takes: a concurrent payment
    -- of the same line commits before this reads, so the last payer sees zero.
    SELECT l.balance INTO owed FROM ledgers l
    WHERE l.ledger = op->>'ledger' AND l.key = op->>'ledger_key' FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM eport_fail('REFERENCE_UNKNOWN',
            (op->>'ledger') || ':' || (op->>'ledger_key') || ' does not exist', op->>'path');
    END IF;
    SELECT e.state INTO current_state FROM entities e
    WHERE e.kind = op->>'kind' AND e.key = op->>'key' FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM eport_fail('REFERENCE_UNKNOWN',
            (op->>'kind') || ':' || (op->>'key') || ' does not exist', op->>'path');
    END IF;
    IF owed <> 0 OR NOT op->'from' ? current_state THEN
        RETURN;
    END IF;
    UPDATE entities e
    SET state = op->>'to', data = e.data || (op->'patch'), updated_by = doc_ref,
        updated_at = received, version = e.version + 1
    WHERE e.kind = op->>'kind' AND e.key = op->>'key';
    INSERT INTO entity_history (kind, key, from_state, to_state, patch, sender, doc_id, at)
    VALUES (op->>'kind', op->>'key', current_state, op->>'to', op->'patch', sender, doc_id, received);
    PERFORM eport_entity_changed(op->>'kind', op->>'key');
END $$;
