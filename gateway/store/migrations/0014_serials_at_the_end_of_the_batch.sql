-- Serials (NextSerial: entry numbers) are counted at the end of the batch.
--
-- A counter is one row that every accepting batch updates, locked to COMMIT. It
-- was taken at the batch's first serial, so concurrent batches waited out the
-- rest of its operations as well as the sealing, the writes and the commit; and
-- each document's own subtransaction made a new version of the row, 10 to 20 a
-- batch, whose visibility checks (multixacts) were the top entry of the
-- backends' profile in a national-day run (6% of their CPU).
--
-- Now a document only claims its serial: inside its subtransaction the claim
-- checks what can fail (the counter's committed value plus the batch's earlier
-- claims still fits the width; the entity to stamp exists, and is locked). After
-- every document, eport_assign_serials locks each claimed counter once, in name
-- order, hands out the values in document order, stamps them and writes each
-- counter once. Documents that failed claimed nothing, so the numbers still run
-- without gaps. A counter that another batch moved past its width after the
-- check makes the batch fail as a serialisation failure; the writer retries it
-- and the check then rejects the documents that no longer fit.
--
-- eport_apply_ops also gathers the documents' results in an array, converted to
-- JSON once: appending to a jsonb array copied it whole for every document, 7.5 ms
-- of a 200-document batch (PL/pgSQL appends to an array in place).

DROP FUNCTION eport_apply_ops(jsonb);
DROP FUNCTION eport_apply_doc_ops(jsonb);
DROP FUNCTION eport_next_serial(jsonb, text, timestamptz);

-- claimed: serials already claimed in this batch, by counter.
CREATE FUNCTION eport_claim_serial(op jsonb, claimed jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    width int := coalesce((op->>'width')::int, 0);
    committed bigint;
BEGIN
    IF width > 0 THEN
        SELECT c.value INTO committed FROM counters c WHERE c.counter = op->>'counter';
        IF length((coalesce(committed, 0) + coalesce((claimed->>(op->>'counter'))::bigint, 0)
                   + 1)::text) > width THEN
            PERFORM eport_fail('RULE_VIOLATION',
                (op->>'counter') || ' is exhausted at ' || width || ' digits', op->>'path');
        END IF;
    END IF;
    IF op->>'kind' IS NOT NULL THEN
        PERFORM 1 FROM entities e WHERE e.kind = op->>'kind' AND e.key = op->>'key' FOR UPDATE;
        IF NOT FOUND THEN
            PERFORM eport_fail('REFERENCE_UNKNOWN',
                (op->>'kind') || ':' || (op->>'key') || ' does not exist', op->>'path');
        END IF;
    END IF;
END $$;

-- Returns {"values": the document's serials so far (none: they come at the end),
-- "claims": its next_serial ops, "claimed": the batch's claims with its own}.
CREATE FUNCTION eport_apply_doc_ops(doc jsonb, claimed jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    ops jsonb := doc->'ops';
    total integer := jsonb_array_length(doc->'ops');
    i integer := 0;
    run_end integer;
    op jsonb;
    sender text := doc->>'sender';
    doc_id text := doc->>'doc_id';
    doc_ref text := sender || '/' || doc_id;
    received timestamptz := (doc->>'at')::timestamptz;
    serials jsonb := '{}';
    claims jsonb := '[]';
BEGIN
    WHILE i < total LOOP
        op := ops->i;
        CASE op->>'op'
        WHEN 'debit', 'credit' THEN
            run_end := i + 1;
            WHILE run_end < total AND ops->run_end->>'op' IN ('debit', 'credit') LOOP
                run_end := run_end + 1;
            END LOOP;
            PERFORM eport_move_lines(ops, i, run_end, sender, doc_id, received);
            i := run_end;
            CONTINUE;
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
        WHEN 'open' THEN
            PERFORM eport_apply_ledger_op(op, sender, doc_id, received);
        WHEN 'restore' THEN
            PERFORM eport_restore(op, doc_ref, sender, doc_id, received);
        WHEN 'settle' THEN
            PERFORM eport_settle(op, doc_ref, sender, doc_id, received);
        WHEN 'next_serial' THEN
            PERFORM eport_claim_serial(op, claimed);
            claimed := claimed || jsonb_build_object(op->>'counter',
                coalesce((claimed->>(op->>'counter'))::bigint, 0) + 1);
            claims := claims || jsonb_build_array(op || jsonb_build_object(
                'doc_ref', doc_ref, 'received', received));
        ELSE
            serials := serials || eport_apply_other_op(op, doc_ref, sender, doc_id, received);
        END CASE;
        i := i + 1;
    END LOOP;
    RETURN jsonb_build_object('values', serials, 'claims', claims, 'claimed', claimed);
END $$;

-- results: the documents' results in order; claims: every claim of the documents
-- that succeeded, each with its document's position (from 1) in results; claimed:
-- how many each counter gives.
CREATE FUNCTION eport_assign_serials(results jsonb[], claims jsonb[], claimed jsonb)
RETURNS jsonb[] LANGUAGE plpgsql AS $$
DECLARE
    last_values jsonb := '{}';
    counter_row record;
    claim jsonb;
    next_value bigint;
    width int;
    result jsonb;
BEGIN
    INSERT INTO counters (counter, value)
    SELECT name, 0 FROM jsonb_object_keys(claimed) AS name
    WHERE NOT EXISTS (SELECT 1 FROM counters c WHERE c.counter = name)
    ON CONFLICT (counter) DO NOTHING;
    FOR counter_row IN
        SELECT c.counter, c.value FROM counters c
        WHERE c.counter IN (SELECT jsonb_object_keys(claimed))
        ORDER BY c.counter FOR UPDATE
    LOOP
        last_values := last_values || jsonb_build_object(counter_row.counter, counter_row.value);
    END LOOP;
    FOREACH claim IN ARRAY claims LOOP
        next_value := (last_values->>(claim->>'counter'))::bigint + 1;
        last_values := last_values || jsonb_build_object(claim->>'counter', next_value);
        width := coalesce((claim->>'width')::int, 0);
        IF width = 0 THEN
            result := to_jsonb(next_value);
        ELSIF length(next_value::text) > width THEN
            RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
                MESSAGE = (claim->>'counter') || ' went past ' || width
                          || ' digits after this batch checked it; retry';
        ELSE
            result := to_jsonb(coalesce(claim->>'prefix', '') || lpad(next_value::text, width, '0'));
        END IF;
        results[(claim->>'position')::int] := jsonb_set(
            results[(claim->>'position')::int], ARRAY['values', claim->>'name'], result);
        IF claim->>'kind' IS NOT NULL THEN
            UPDATE entities e
            SET data = e.data || jsonb_build_object(claim->>'name', result),
                updated_by = claim->>'doc_ref', updated_at = (claim->>'received')::timestamptz,
                version = e.version + 1
            WHERE e.kind = claim->>'kind' AND e.key = claim->>'key';
        END IF;
    END LOOP;
    UPDATE counters c SET value = (last_values->>c.counter)::bigint
    WHERE c.counter IN (SELECT jsonb_object_keys(claimed));
    RETURN results;
END $$;

CREATE FUNCTION eport_apply_ops(docs jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    doc jsonb;
    applied jsonb;
    results jsonb[] := '{}';
    claimed jsonb := '{}';
    claims jsonb[] := '{}';
    position integer := 1;
    code text;
    message text;
    path text;
BEGIN
    FOR doc IN SELECT jsonb_array_elements(docs) LOOP
        BEGIN
            applied := eport_apply_doc_ops(doc, claimed);
            -- Variables are not rolled back with the block: nothing may fail after
            -- the claims are counted but the one append that records success.
            IF applied->'claims' <> '[]' THEN
                claimed := applied->'claimed';
                claims := claims || ARRAY(
                    SELECT c || jsonb_build_object('position', position)
                    FROM jsonb_array_elements(applied->'claims') AS c);
            END IF;
            results := results || jsonb_build_object('ok', true, 'values', applied->'values');
        EXCEPTION
            WHEN SQLSTATE 'EP001' THEN
                GET STACKED DIAGNOSTICS code = MESSAGE_TEXT, message = PG_EXCEPTION_DETAIL,
                                        path = PG_EXCEPTION_HINT;
                results := results || jsonb_build_object(
                    'ok', false, 'code', code, 'message', message, 'path', path);
            -- Deadlocks and serialisation failures abort the whole batch so the
            -- writer retries it; anything else (a malformed jsonpath, a numeric
            -- overflow) is this document's fault and must not fail the others.
            WHEN serialization_failure OR deadlock_detected THEN
                RAISE;
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS message = MESSAGE_TEXT;
                results := results || jsonb_build_object(
                    'ok', false, 'code', 'RULE_VIOLATION', 'message', message, 'path', '$');
        END;
        position := position + 1;
    END LOOP;
    IF cardinality(claims) > 0 THEN
        results := eport_assign_serials(results, claims, claimed);
    END IF;
    RETURN to_jsonb(results);
END $$;
