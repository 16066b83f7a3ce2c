-- Entities without an index on their state, and room on their pages.
--
-- entities_kind_state indexed the column that most transitions change, so every
-- update of an entity wrote a new entry into each of the table's indexes, and
-- every insert one more entry than the lookups need. The one reader that finds
-- entities by state is the card revocation list: it keeps a partial index of the
-- cards, which other kinds' rows never enter. Pages are left a fifth empty, so
-- that an update which changes no indexed column (an entrustment marked used, a
-- stamp, a patch in the same state) stays on its page as a HOT update, without
-- index entries. Instructions a declaration-path document costs the database
-- (bench/declarations/lifecycle_instructions.py): 898,000 -> 866,000.

DROP INDEX entities_kind_state;
CREATE INDEX entities_card_state ON entities (state) WHERE kind = 'card';
ALTER TABLE entities SET (fillfactor = 80);
