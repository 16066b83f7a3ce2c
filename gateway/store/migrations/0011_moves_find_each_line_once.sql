-- A run of moves finds each line once, and skips the search for a line named
-- twice when the store already knows there is none.
--
-- 0008 locked the lines with SELECT ... ORDER BY ... FOR UPDATE and then found
-- them again for the UPDATE: two primary-key lookups a line, and a lock, a sort
-- and a CTE scan more to start for every run. The UPDATE alone takes the same row
-- locks, in the order it joins the operations: the operations (one row
-- estimated, so always the outer side of a nested loop) in their order, each
-- line looked up by primary key. The handlers give the operations in key order,
-- so two documents on the same lines still lock them in one order; a line whose
-- balance would go below zero is left unlocked, and its document rejected as
-- before.
--
-- The search for a line named twice (a GROUP BY over the document's operations)
-- cost 91,000 of the 1.54 M instructions of a write-off of eight lines. The
-- store, encoding a document, marks each of its Debits and Credits
-- "lines_distinct" when no two of them name the same line; a run of one move
-- never needs the search.
--
-- Counted with callgrind on a single-user backend against 352,000 licence lines,
-- with 0010 and 0012 in place, a write-off of eight lines went from 1.20 M
-- instructions to 0.92 M with the single UPDATE
-- (bench/declarations/moves_instructions.py measures the whole series).

CREATE OR REPLACE FUNCTION eport_move_lines(ops jsonb, run_start integer, run_end integer,
                                            sender text, doc_id text, received timestamptz)
RETURNS void LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    moved integer[];
    op jsonb;
    amount numeric;
    line text;
BEGIN
    IF run_end - run_start > 1 AND ops->run_start->'lines_distinct' IS DISTINCT FROM 'true' THEN
        PERFORM 1 FROM jsonb_array_elements(ops) WITH ORDINALITY AS w(o, n)
        WHERE w.n > run_start AND w.n <= run_end
        GROUP BY w.o->>'ledger', w.o->>'key' HAVING count(*) > 1;
        IF FOUND THEN
            FOR i IN run_start .. run_end - 1 LOOP
                PERFORM eport_apply_ledger_op(ops->i, sender, doc_id, received);
            END LOOP;
            RETURN;
        END IF;
    END IF;
    WITH wanted AS (
        SELECT w.n, w.o->>'ledger' AS ledger, w.o->>'key' AS key,
               CASE w.o->>'op' WHEN 'debit' THEN -(w.o->>'amount')::numeric
                               ELSE (w.o->>'amount')::numeric END AS delta
        FROM jsonb_array_elements(ops) WITH ORDINALITY AS w(o, n)
        -- NaN compares above Infinity.
        WHERE w.n > run_start AND w.n <= run_end
          AND (w.o->>'amount')::numeric > 0 AND (w.o->>'amount')::numeric < 'Infinity'
        ORDER BY w.n
    ), changed AS (
        UPDATE ledgers l SET balance = l.balance + m.delta
        FROM wanted m
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
