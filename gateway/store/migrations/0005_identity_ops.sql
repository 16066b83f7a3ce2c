-- The operations identity needs (routing/ops.py): TransitionAll (an enterprise's
-- cancellation cancels all its cards), Derive (a renewed or reissued card copies
-- the grants it had at commit time) and EditList (grants added and revoked one
-- by one). Every change writes an entity_history row and a NOTIFY, as
-- eport_apply_entity_op does. eport_apply_doc_ops is redefined to dispatch them
-- (and, as 0004 does, NextSerial through eport_next_serial).

CREATE INDEX entities_kind_owner ON entities (kind, owner);

-- Legal-card slots (routing/subsystems/identity/onboarding.py): registration now
-- opens one 'vacant'; enterprises registered before get theirs here, and a slot
-- whose legal card has ended is vacant again.
INSERT INTO entities (kind, key, state, owner, data, created_by, updated_by, updated_at)
SELECT 'legal_card', e.key, 'vacant', e.key, '{"cert": null}', 'migration/0005', 'migration/0005', now()
FROM entities e
WHERE e.kind = 'enterprise' AND e.state = 'active' AND e.data->>'type' <> 'department'
ON CONFLICT DO NOTHING;
UPDATE entities slot SET state = 'vacant', data = '{"cert": null}', updated_by = 'migration/0005',
       updated_at = now(), version = slot.version + 1
FROM entities card
WHERE slot.kind = 'legal_card' AND slot.state = 'active'
  AND card.kind = 'card' AND card.key = slot.data->>'cert' AND card.state IN ('voided', 'cancelled');

CREATE FUNCTION eport_transition_all(op jsonb, doc_ref text, sender text, doc_id text, received timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    changed record;
BEGIN
    -- Locked in key order, like every other multi-row lock here, so two
    -- documents moving overlapping sets cannot deadlock each other.
    FOR changed IN
        SELECT e.key, e.state FROM entities e
        WHERE e.kind = op->>'kind'
          AND (op->>'owner' IS NULL OR e.owner = op->>'owner')
          AND op->'from' ? e.state
          AND (op->>'where' IS NULL
               OR jsonb_path_match(e.data, (op->>'where')::jsonpath, op->'vars', true) IS TRUE)
        ORDER BY e.key FOR UPDATE
    LOOP
        UPDATE entities e
        SET state = op->>'to', data = e.data || (op->'patch'), updated_by = doc_ref,
            updated_at = received, version = e.version + 1
        WHERE e.kind = op->>'kind' AND e.key = changed.key;
        INSERT INTO entity_history (kind, key, from_state, to_state, patch, sender, doc_id, at)
        VALUES (op->>'kind', changed.key, changed.state, op->>'to', op->'patch', sender, doc_id, received);
        PERFORM pg_notify('eport_entities', (op->>'kind') || ':' || changed.key);
    END LOOP;
END $$;

CREATE FUNCTION eport_derive(op jsonb, doc_ref text, sender text, doc_id text, received timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    source entities%ROWTYPE;
    derived jsonb;
BEGIN
    SELECT * INTO source FROM entities e
    WHERE e.kind = op->>'kind' AND e.key = op->>'source' FOR SHARE;
    IF NOT FOUND THEN
        PERFORM eport_fail('REFERENCE_UNKNOWN',
            (op->>'kind') || ':' || (op->>'source') || ' does not exist', op->>'path');
    END IF;
    derived := source.data || (op->'patch');
    INSERT INTO entities (kind, key, state, owner, data, created_by, updated_by, updated_at)
    VALUES (op->>'kind', op->>'key', op->>'state', source.owner, derived, doc_ref, doc_ref, received)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        PERFORM eport_fail('STATE_CONFLICT',
            (op->>'kind') || ':' || (op->>'key') || ' exists already', op->>'path');
    END IF;
    INSERT INTO entity_history (kind, key, from_state, to_state, patch, sender, doc_id, at)
    VALUES (op->>'kind', op->>'key', NULL, op->>'state', derived, sender, doc_id, received);
    PERFORM pg_notify('eport_entities', (op->>'kind') || ':' || (op->>'key'));
END $$;

CREATE FUNCTION eport_edit_list(op jsonb, doc_ref text, sender text, doc_id text, received timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    current entities%ROWTYPE;
    entity text := (op->>'kind') || ':' || (op->>'key');
    edited jsonb;
BEGIN
    SELECT * INTO current FROM entities e
    WHERE e.kind = op->>'kind' AND e.key = op->>'key' FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM eport_fail('REFERENCE_UNKNOWN', entity || ' does not exist', op->>'path');
    END IF;
    IF NOT op->'states' ? current.state THEN
        PERFORM eport_fail('STATE_CONFLICT',
            entity || ' is ' || current.state || ', not ' || (op->'states')::text, op->>'path');
    END IF;
    SELECT coalesce(jsonb_agg(DISTINCT v ORDER BY v), '[]') INTO edited
    FROM (
        SELECT jsonb_array_elements(CASE jsonb_typeof(current.data->(op->>'member'))
                                    WHEN 'array' THEN current.data->(op->>'member')
                                    ELSE '[]' END) AS v
        UNION SELECT jsonb_array_elements(op->'add')
    ) members
    WHERE NOT op->'remove' @> jsonb_build_array(v);
    UPDATE entities e
    SET data = jsonb_set(e.data, ARRAY[op->>'member'], edited), updated_by = doc_ref,
        updated_at = received, version = e.version + 1
    WHERE e.kind = op->>'kind' AND e.key = op->>'key';
    INSERT INTO entity_history (kind, key, from_state, to_state, patch, sender, doc_id, at)
    VALUES (op->>'kind', op->>'key', current.state, current.state,
            jsonb_build_object(op->>'member', edited), sender, doc_id, received);
    PERFORM pg_notify('eport_entities', entity);
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
        WHEN 'next_serial' THEN
            serials := serials || jsonb_build_object(op->>'name',
                                                     eport_next_serial(op, doc_ref, received));
        END CASE;
    END LOOP;
    RETURN serials;
END $$;
