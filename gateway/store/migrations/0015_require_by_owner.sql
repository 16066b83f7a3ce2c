-- A Require may name the owner of the entity it looks for.
--
-- Without a key, a Require read every entity of its kind in the given states: a
-- paperless declaration's check for an approved agreement with its district went
-- through the approved agreements of all enterprises, 76 to 159 us a check with
-- 370 to 432 of them, and more with every enterprise that signs one. Given the
-- owner, it reads that enterprise's entities of the kind only, through
-- entities_kind_owner: 11 us (2,000 checks in a DO block, either way).
--
-- What an entity must satisfy is one SQL function, which PostgreSQL inlines into
-- each of the three lookups (by key, by owner, by kind), so each keeps its index.

CREATE FUNCTION eport_require_matches(state text, data jsonb, op jsonb) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT op->'states' ? state
       AND data @> coalesce(op->'contains', '{}')
       AND (op->>'where' IS NULL
            OR jsonb_path_match(data, (op->>'where')::jsonpath, op->'vars', true) IS TRUE)
$$;

CREATE OR REPLACE FUNCTION eport_require(op jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF op->>'key' IS NOT NULL THEN
        PERFORM 1 FROM entities e
        WHERE e.kind = op->>'kind' AND e.key = op->>'key'
          AND (op->>'owner' IS NULL OR e.owner = op->>'owner')
          AND eport_require_matches(e.state, e.data, op);
    ELSIF op->>'owner' IS NOT NULL THEN
        PERFORM 1 FROM entities e
        WHERE e.kind = op->>'kind' AND e.owner = op->>'owner'
          AND eport_require_matches(e.state, e.data, op)
        LIMIT 1;
    ELSE
        PERFORM 1 FROM entities e
        WHERE e.kind = op->>'kind' AND eport_require_matches(e.state, e.data, op)
        LIMIT 1;
    END IF;
    IF NOT FOUND THEN
        PERFORM eport_fail(op->>'code', op->>'message', op->>'path');
    END IF;
END $$;
