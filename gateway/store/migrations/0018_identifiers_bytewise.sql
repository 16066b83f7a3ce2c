-- Every identifier in a key compares byte by byte (COLLATE "C"), as ledger lines
-- have since 0012.
--
-- Enterprise codes, document ids, entity kinds and keys, counter names: never
-- sorted for people, and under the database's collation every comparison in
-- their indexes went through strcoll: the operations of a declaration-path
-- document cost the database 810,000 instructions before, 784,000 after (callgrind,
-- bench/declarations/lifecycle_instructions.py), and every document also enters
-- its key, its row, its receipt and its events by such keys. Byte order is
-- code point order, the order Python sorts the keys and enterprises a batch locks
-- in, and the order of C.UTF-8, so no listing changes there.

ALTER TABLE doc_keys
    ALTER COLUMN sender TYPE text COLLATE "C",
    ALTER COLUMN doc_id TYPE text COLLATE "C";
ALTER TABLE documents
    ALTER COLUMN sender TYPE text COLLATE "C",
    ALTER COLUMN doc_id TYPE text COLLATE "C";
ALTER TABLE feed
    ALTER COLUMN enterprise TYPE text COLLATE "C";
ALTER TABLE enterprise_seq
    ALTER COLUMN enterprise TYPE text COLLATE "C";
ALTER TABLE counters
    ALTER COLUMN counter TYPE text COLLATE "C";
ALTER TABLE entities
    ALTER COLUMN kind TYPE text COLLATE "C",
    ALTER COLUMN key TYPE text COLLATE "C",
    ALTER COLUMN owner TYPE text COLLATE "C",
    ALTER COLUMN state TYPE text COLLATE "C";
ALTER TABLE entity_history
    ALTER COLUMN kind TYPE text COLLATE "C",
    ALTER COLUMN key TYPE text COLLATE "C";
