-- Restore and Settle (routing/ops.py), for licence write-offs and tax bills.
--
-- Restore credits back what one document debited on a ledger, computed here from
-- ledger_history because the restoring handler cannot read it. Its history rows
-- name the restoring document (sender, doc_id) and, in ``restores``, the
-- document whose debits they give back, so a balance is still the sum of its
-- history and a second Restore of the same document finds nothing left to give.
-- Settle moves an entity once a ledger line is zero (the last tax bill paid).
-- eport_apply_doc_ops is redefined to dispatch both, besides every earlier op
-- (identity's transition_all, derive and edit_list from 0005 included).

ALTER TABLE ledger_history ADD COLUMN restores text;
CREATE INDEX ledger_history_document ON ledger_history (sender, doc_id);
CREATE INDEX ledger_history_restores ON ledger_history (restores) WHERE restores IS NOT NULL;

CREATE FUNCTION eport_restore(op jsonb, doc_ref text, sender text, doc_id text, received timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    owed record;
    balance_after numeric;
BEGIN
    -- Keys in order, like every multi-row lock here, so that two restores
    -- touching the same lines cannot deadlock each other.
    FOR owed IN
        SELECT h.key, -sum(h.delta) AS amount FROM ledger_history h
        WHERE h.ledger = op->>'ledger'
          AND ((h.sender = op->>'sender' AND h.doc_id = op->>'doc_id')
               OR h.restores = (op->>'sender') || '/' || (op->>'doc_id'))
        GROUP BY h.key HAVING sum(h.delta) < 0
        ORDER BY h.key
    LOOP
        UPDATE ledgers l SET balance = l.balance + owed.amount
        WHERE l.ledger = op->>'ledger' AND l.key = owed.key
        RETURNING l.balance INTO balance_after;
        INSERT INTO ledger_history (ledger, key, delta, balance_after, sender, doc_id, at, restores)
        VALUES (op->>'ledger', owed.key, owed.amount, balance_after, sender, doc_id, received,
                (op->>'sender') || '/' || (op->>'doc_id'));
    END LOOP;
END $$;

CREATE FUNCTION eport_settle(op jsonb, doc_ref text, sender text, doc_id text, received timestamptz)
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
    PERFORM pg_notify('eport_entities', (op->>'kind') || ':' || (op->>'key'));
END $$;

CREATE OR REPLACE FUNCTION eport_apply_doc_ops(doc jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    op jsonb;
    sender text := doc->>'sender';
    doc_id text := doc->>'doc_id';
    doc_ref text := sender || '/' || doc_id;
    received timestamptz := (doc->>'at')::timestamptz;
    serials jsonb := '{}';
BEGIN
    FOR op IN SELECT jsonb_array_elements(doc->'ops') LOOP
        CASE op->>'op'
        WHEN 'create', 'transition' THEN
            PERFORM eport_apply_entity_op(op, doc_ref, sender, doc_id, received);
        WHEN 'transition_all' THEN
            PERFORM eport_transition_all(op, doc_ref, sender, doc_id, received);
        WHEN 'derive' THEN
            PERFORM eport_derive(op, doc_ref, sender, doc_id, received);
        WHEN 'edit_list' THEN
            PERFORM eport_edit_list(op, doc_ref, sender, doc_id, received);
        WHEN 'require' THEN
            PERFORM eport_require(op);
        WHEN 'open', 'debit', 'credit' THEN
            PERFORM eport_apply_ledger_op(op, sender, doc_id, received);
        WHEN 'restore' THEN
            PERFORM eport_restore(op, doc_ref, sender, doc_id, received);
        WHEN 'settle' THEN
            PERFORM eport_settle(op, doc_ref, sender, doc_id, received);
        WHEN 'next_serial' THEN
            serials := serials || jsonb_build_object(op->>'name',
                                                     eport_next_serial(op, doc_ref, received));
        END CASE;
    END LOOP;
    RETURN serials;
END $$;
