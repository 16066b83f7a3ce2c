-- Consecutive Debits and Credits of a document in one statement.
--
-- A declaration writing off eight licence lines ran eight UPDATEs and eight
-- history INSERTs, each a statement of its own behind a PL/pgSQL call (about
-- 35 us a line in all). eport_move_lines applies a run of them at once: the lines are
-- locked in the order of the operations (the handlers order them by key, so two
-- documents on the same lines cannot deadlock), updated where the balance stays
-- at or above zero, and their history rows inserted by the same statement. If a
-- line did not move, the run's first such operation fails exactly as it alone
-- would have (0002's eport_apply_ledger_op): the document's subtransaction
-- takes back what the statement did. A run naming a line twice (each move must
-- see the balance the one before it left) goes operation by operation.
--
-- eport_apply_doc_ops is restated to find the runs. Operations added later go
-- to eport_apply_other_op, so that a migration adding one restates that
-- function only.
--
-- Ledger pages keep half their room free: a balance then changes in place (a
-- HOT update, the index untouched) instead of moving the row to another page and
-- adding an index entry. A batch writing off a hundred licences updates every
-- line of their pages in one transaction, so the room must hold a new version
-- of each. Pages written before this migration fill up as they did.

ALTER TABLE ledgers SET (fillfactor = 50);

-- Without statistics on ledgers (before its first ANALYZE) the planner guessed
-- hundreds of rows per line, costed the statement over jit_above_cost and spent
-- 55 ms compiling it, for each document: JIT is off here.
CREATE FUNCTION eport_move_lines(ops jsonb, run_start integer, run_end integer, sender text,
                                 doc_id text, received timestamptz)
RETURNS void LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    moved integer[];
    op jsonb;
    amount numeric;
    line text;
BEGIN
    PERFORM 1 FROM jsonb_array_elements(ops) WITH ORDINALITY AS w(o, n)
    WHERE w.n > run_start AND w.n <= run_end
    GROUP BY w.o->>'ledger', w.o->>'key' HAVING count(*) > 1;
    IF FOUND THEN
        FOR i IN run_start .. run_end - 1 LOOP
            PERFORM eport_apply_ledger_op(ops->i, sender, doc_id, received);
        END LOOP;
        RETURN;
    END IF;
    WITH wanted AS (
        SELECT w.n, w.o->>'ledger' AS ledger, w.o->>'key' AS key, w.o->>'op' AS op,
               (w.o->>'amount')::numeric AS amount
        FROM jsonb_array_elements(ops) WITH ORDINALITY AS w(o, n)
        WHERE w.n > run_start AND w.n <= run_end
    ), locked AS (
        SELECT w.n, w.ledger, w.key, CASE w.op WHEN 'debit' THEN -w.amount ELSE w.amount END AS delta
        FROM wanted w JOIN ledgers l ON l.ledger = w.ledger AND l.key = w.key
        -- NaN compares above Infinity.
        WHERE w.amount > 0 AND w.amount < 'Infinity'
        ORDER BY w.n
        FOR UPDATE OF l
    ), changed AS (
        UPDATE ledgers l SET balance = l.balance + m.delta
        FROM locked m
        WHERE l.ledger = m.ledger AND l.key = m.key AND l.balance + m.delta >= 0
        RETURNING m.n, l.ledger, l.key, m.delta, l.balance
    ), logged AS (
        INSERT INTO ledger_history (ledger, key, delta, balance_after, sender, doc_id, at)
        SELECT c.ledger, c.key, c.delta, c.balance, sender, doc_id, received
        FROM changed c ORDER BY c.n
    )
    SELECT array_agg(c.n) INTO moved FROM changed c;
    IF cardinality(moved) = run_end - run_start THEN
        RETURN;
    END IF;
    FOR i IN run_start .. run_end - 1 LOOP
        CONTINUE WHEN moved IS NOT NULL AND i + 1 = ANY (moved);
        op := ops->i;
        amount := (op->>'amount')::numeric;
        line := (op->>'ledger') || ':' || (op->>'key');
        IF NOT (amount > 0 AND amount < 'Infinity') THEN
            PERFORM eport_fail('RULE_VIOLATION', 'amount must be a positive finite number',
                               op->>'path');
        END IF;
        PERFORM 1 FROM ledgers l WHERE l.ledger = op->>'ledger' AND l.key = op->>'key';
        IF FOUND THEN
            PERFORM eport_fail('LEDGER_INSUFFICIENT', line || ': balance below ' || amount::text,
                               op->>'path');
        END IF;
        PERFORM eport_fail('REFERENCE_UNKNOWN', line || ' does not exist', op->>'path');
    END LOOP;
END $$;

-- The operations no earlier migration knew: none yet. A migration adding one
-- restates this function; the result is merged into the document's values.
CREATE FUNCTION eport_apply_other_op(op jsonb, doc_ref text, sender text, doc_id text,
                                     received timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM eport_fail('RULE_VIOLATION', 'unknown operation ' || coalesce(op->>'op', 'null'),
                       op->>'path');
    RETURN '{}';
END $$;

CREATE OR REPLACE FUNCTION eport_apply_doc_ops(doc jsonb) RETURNS jsonb
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
            serials := serials || jsonb_build_object(op->>'name',
                                                     eport_next_serial(op, doc_ref, received));
        ELSE
            serials := serials || eport_apply_other_op(op, doc_ref, sender, doc_id, received);
        END CASE;
        i := i + 1;
    END LOOP;
    RETURN serials;
END $$;
