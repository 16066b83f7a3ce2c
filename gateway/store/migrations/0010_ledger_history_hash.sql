-- A line's history is found through a hash index on its key.
--
-- The btree on (ledger, key, id) cost each history row 31,000 instructions
-- (callgrind on a single-user backend: 1,000 write-offs of eight lines each
-- against 352,000 licence lines): the long keys ("<issuer>/<licence id>#<line>")
-- share their first twenty bytes and compare under the database's collation at
-- every level of the tree. A hash index on key finds the same rows (those of
-- one line; ORDER BY id sorts the few found) for 8,400 instructions a row: a
-- write-off of eight lines fell from 1.54 M instructions to 1.36 M.

DROP INDEX ledger_history_ledger;
CREATE INDEX ledger_history_line ON ledger_history USING hash (key);
