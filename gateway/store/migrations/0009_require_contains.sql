-- A Require may name a JSON value the entity's data must contain (@>).
--
-- A declaration writing off eight licence lines checked them with a jsonpath of
-- eight exists() clauses, parsed from text on every call: 62 us a check, of
-- which the parse alone was 26 us. The same conditions as containment of
-- {"holder": ..., "lines": [{"line": 1, "hs_code": ..., "unit": ...}, ...]}
-- and a short jsonpath for the dates took 22 us.

CREATE OR REPLACE FUNCTION eport_require(op jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    wanted jsonb := coalesce(op->'contains', '{}');
BEGIN
    IF op->>'key' IS NOT NULL THEN
        PERFORM 1 FROM entities e
        WHERE e.kind = op->>'kind' AND e.key = op->>'key'
          AND op->'states' ? e.state
          AND e.data @> wanted
          AND (op->>'where' IS NULL
               OR jsonb_path_match(e.data, (op->>'where')::jsonpath, op->'vars', true) IS TRUE);
    ELSE
        PERFORM 1 FROM entities e
        WHERE e.kind = op->>'kind'
          AND op->'states' ? e.state
          AND e.data @> wanted
          AND (op->>'where' IS NULL
               OR jsonb_path_match(e.data, (op->>'where')::jsonpath, op->'vars', true) IS TRUE)
        LIMIT 1;
    END IF;
    IF NOT FOUND THEN
        PERFORM eport_fail(op->>'code', op->>'message', op->>'path');
    END IF;
END $$;
