-- eport_apply_ops(docs jsonb) evaluates routing/ops.py's operations for a whole
-- batch in one round trip. Input: [{"sender", "doc_id", "at", "ops": [op...]}];
-- output, in the same order: {"ok": true, "values": {name: serial}} or
-- {"ok": false, "code", "message", "path"}. Each document runs in its own
-- exception block (a subtransaction): its first failing operation rolls back
-- that document's earlier operations and nothing else.

CREATE FUNCTION eport_fail(code text, message text, path text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'EP001', MESSAGE = code, DETAIL = message, HINT = path;
END $$;

CREATE FUNCTION eport_apply_entity_op(op jsonb, doc_ref text, sender text, doc_id text, received timestamptz)
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
    PERFORM pg_notify('eport_entities', entity);
END $$;

CREATE FUNCTION eport_require(op jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM entities e
    WHERE e.kind = op->>'kind'
      AND (op->>'key' IS NULL OR e.key = op->>'key')
      AND op->'states' ? e.state
      AND (op->>'where' IS NULL
           OR jsonb_path_match(e.data, (op->>'where')::jsonpath, op->'vars', true) IS TRUE)
    LIMIT 1;
    IF NOT FOUND THEN
        PERFORM eport_fail(op->>'code', op->>'message', op->>'path');
    END IF;
END $$;

CREATE FUNCTION eport_apply_ledger_op(op jsonb, sender text, doc_id text, received timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    amount numeric := (op->>'amount')::numeric;
    delta numeric := CASE op->>'op' WHEN 'debit' THEN -amount ELSE amount END;
    line text := (op->>'ledger') || ':' || (op->>'key');
    balance_after numeric;
BEGIN
    -- A negative amount would turn a debit into a credit (or open a negative
    -- line); NaN and Infinity compare >= 0 in PostgreSQL and would poison it.
    IF NOT (amount >= 0 AND amount < 'Infinity') OR (amount = 0 AND op->>'op' <> 'open') THEN
        PERFORM eport_fail('RULE_VIOLATION', 'amount must be a positive finite number',
                           op->>'path');
    END IF;
    IF op->>'op' = 'open' THEN
        INSERT INTO ledgers (ledger, key, owner, balance)
        VALUES (op->>'ledger', op->>'key', op->>'owner', amount)
        ON CONFLICT DO NOTHING RETURNING balance INTO balance_after;
        IF NOT FOUND THEN
            PERFORM eport_fail('STATE_CONFLICT', line || ' exists already', op->>'path');
        END IF;
    ELSE
        -- The condition is part of the UPDATE, so two racing debits of the
        -- last units serialise on the row and the second sees the new balance.
        UPDATE ledgers l SET balance = l.balance + delta
        WHERE l.ledger = op->>'ledger' AND l.key = op->>'key' AND l.balance + delta >= 0
        RETURNING l.balance INTO balance_after;
        IF NOT FOUND THEN
            PERFORM 1 FROM ledgers l WHERE l.ledger = op->>'ledger' AND l.key = op->>'key';
            IF FOUND THEN
                PERFORM eport_fail('LEDGER_INSUFFICIENT',
                    line || ': balance below ' || amount::text, op->>'path');
            END IF;
            PERFORM eport_fail('REFERENCE_UNKNOWN', line || ' does not exist', op->>'path');
        END IF;
    END IF;
    INSERT INTO ledger_history (ledger, key, delta, balance_after, sender, doc_id, at)
    VALUES (op->>'ledger', op->>'key', delta, balance_after, sender, doc_id, received);
END $$;

CREATE FUNCTION eport_apply_doc_ops(doc jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    op jsonb;
    sender text := doc->>'sender';
    doc_id text := doc->>'doc_id';
    doc_ref text := sender || '/' || doc_id;
    received timestamptz := (doc->>'at')::timestamptz;
    serials jsonb := '{}';
    next_value bigint;
BEGIN
    FOR op IN SELECT jsonb_array_elements(doc->'ops') LOOP
        CASE op->>'op'
        WHEN 'create', 'transition' THEN
            PERFORM eport_apply_entity_op(op, doc_ref, sender, doc_id, received);
        WHEN 'require' THEN
            PERFORM eport_require(op);
        WHEN 'open', 'debit', 'credit' THEN
            PERFORM eport_apply_ledger_op(op, sender, doc_id, received);
        WHEN 'next_serial' THEN
            INSERT INTO counters (counter, value) VALUES (op->>'counter', 1)
            ON CONFLICT (counter) DO UPDATE SET value = counters.value + 1
            RETURNING value INTO next_value;
            serials := serials || jsonb_build_object(op->>'name', next_value);
        END CASE;
    END LOOP;
    RETURN serials;
END $$;

CREATE FUNCTION eport_apply_ops(docs jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    doc jsonb;
    results jsonb := '[]';
    code text;
    message text;
    path text;
BEGIN
    FOR doc IN SELECT jsonb_array_elements(docs) LOOP
        BEGIN
            results := results || jsonb_build_array(
                jsonb_build_object('ok', true, 'values', eport_apply_doc_ops(doc)));
        EXCEPTION
            WHEN SQLSTATE 'EP001' THEN
                GET STACKED DIAGNOSTICS code = MESSAGE_TEXT, message = PG_EXCEPTION_DETAIL,
                                        path = PG_EXCEPTION_HINT;
                results := results || jsonb_build_array(jsonb_build_object(
                    'ok', false, 'code', code, 'message', message, 'path', path));
            -- Deadlocks and serialisation failures abort the whole batch so the
            -- writer retries it; anything else (a malformed jsonpath, a numeric
            -- overflow) is this document's fault and must not fail the others.
            WHEN serialization_failure OR deadlock_detected THEN
                RAISE;
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS message = MESSAGE_TEXT;
                results := results || jsonb_build_array(jsonb_build_object(
                    'ok', false, 'code', 'RULE_VIOLATION', 'message', message, 'path', '$'));
        END;
    END LOOP;
    RETURN results;
END $$;
