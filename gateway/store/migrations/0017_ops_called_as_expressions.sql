-- The two commonest ops are called as expressions, not by PERFORM.
--
-- PERFORM runs its call as a query: an executor started and ended around one
-- function call, about 11,000 instructions more than the same call evaluated as
-- an expression (callgrind, bench/declarations/lifecycle_instructions.py). A
-- Require is now a test, eport_require_holds, whose false fails the document
-- where it stands; eport_apply_entity_op returns the entity's new state, which
-- the dispatcher takes and drops. They come first in the dispatch, in the order
-- of their frequency, and the change notice for the registry is decided inline
-- instead of in a function of its own (0013). Instructions a declaration-path
-- document costs the database: 866,000 -> 810,000.

-- Whether an entity as the Require describes exists (eport_require did the same
-- lookups and failed the document itself).
CREATE FUNCTION eport_require_holds(op jsonb) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF op->>'key' IS NOT NULL THEN
        RETURN EXISTS (SELECT 1 FROM entities e
                       WHERE e.kind = op->>'kind' AND e.key = op->>'key'
                         AND (op->>'owner' IS NULL OR e.owner = op->>'owner')
                         AND eport_require_matches(e.state, e.data, op));
    ELSIF op->>'owner' IS NOT NULL THEN
        RETURN EXISTS (SELECT 1 FROM entities e
                       WHERE e.kind = op->>'kind' AND e.owner = op->>'owner'
                         AND eport_require_matches(e.state, e.data, op));
    END IF;
    RETURN EXISTS (SELECT 1 FROM entities e
                   WHERE e.kind = op->>'kind' AND eport_require_matches(e.state, e.data, op));
END $$;

DROP FUNCTION eport_require(jsonb);

DROP FUNCTION eport_apply_entity_op(jsonb, text, text, text, timestamptz);
CREATE FUNCTION eport_apply_entity_op(op jsonb, doc_ref text, sender text, doc_id text, received timestamptz)
RETURNS text LANGUAGE plpgsql AS $$
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
    IF op->>'kind' IN ('card', 'enterprise') THEN
        PERFORM pg_notify('eport_entities', entity);
    END IF;
    RETURN coalesce(op->>'to', op->>'state');
END $$;

CREATE OR REPLACE FUNCTION eport_apply_doc_ops(doc jsonb, claimed jsonb) RETURNS jsonb
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
    state text;
BEGIN
    WHILE i < total LOOP
        op := ops->i;
        CASE op->>'op'
        WHEN 'require' THEN
            IF NOT eport_require_holds(op) THEN
                PERFORM eport_fail(op->>'code', op->>'message', op->>'path');
            END IF;
        WHEN 'create', 'transition' THEN
            state := eport_apply_entity_op(op, doc_ref, sender, doc_id, received);
        WHEN 'debit', 'credit' THEN
            run_end := i + 1;
            WHILE run_end < total AND ops->run_end->>'op' IN ('debit', 'credit') LOOP
                run_end := run_end + 1;
            END LOOP;
            PERFORM eport_move_lines(ops, i, run_end, sender, doc_id, received);
            i := run_end;
            CONTINUE;
        WHEN 'transition_all' THEN
            PERFORM eport_transition_all(op, doc_ref, sender, doc_id, received);
        WHEN 'derive' THEN
            PERFORM eport_derive(op, doc_ref, sender, doc_id, received);
        WHEN 'edit_list' THEN
            PERFORM eport_edit_list(op, doc_ref, sender, doc_id, received);
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

