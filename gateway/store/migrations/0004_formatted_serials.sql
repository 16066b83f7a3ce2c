-- NextSerial with a text form and a stamp (routing/ops.py): an entry number is
-- prefix || lpad(serial, width) and is written into the declaration's data in
-- the same subtransaction, so the number, the receipt and the entity agree.

CREATE FUNCTION eport_next_serial(op jsonb, doc_ref text, received timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    next_value bigint;
    width int := coalesce((op->>'width')::int, 0);
    result jsonb;
BEGIN
    INSERT INTO counters (counter, value) VALUES (op->>'counter', 1)
    ON CONFLICT (counter) DO UPDATE SET value = counters.value + 1
    RETURNING value INTO next_value;
    IF width = 0 THEN
        result := to_jsonb(next_value);
    ELSIF length(next_value::text) > width THEN
        PERFORM eport_fail('RULE_VIOLATION',
            (op->>'counter') || ' is exhausted at ' || width || ' digits', op->>'path');
    ELSE
        result := to_jsonb(coalesce(op->>'prefix', '') || lpad(next_value::text, width, '0'));
    END IF;
    IF op->>'kind' IS NOT NULL THEN
        UPDATE entities e
        SET data = e.data || jsonb_build_object(op->>'name', result), updated_by = doc_ref,
            updated_at = received, version = e.version + 1
        WHERE e.kind = op->>'kind' AND e.key = op->>'key';
        IF NOT FOUND THEN
            PERFORM eport_fail('REFERENCE_UNKNOWN',
                (op->>'kind') || ':' || (op->>'key') || ' does not exist', op->>'path');
        END IF;
    END IF;
    RETURN result;
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
